"""The console's front page: counters every role may see, the rest for security roles."""

from __future__ import annotations

from django.shortcuts import render

from canary.audit.decorators import security_required
from canary.audit.roles import VIEWER, is_security
from canary.campaigns.models import Campaign, CampaignStatus
from canary.network.models import Node
from canary.phones.models import CanaryNumber, NumberStatus


@security_required(VIEWER)
def dashboard(request):
    context = {"security": is_security(request.user), "nodes": Node.objects.count()}
    if context["security"]:
        context.update(
            active_campaigns=Campaign.objects.filter(status=CampaignStatus.ACTIVE).count(),
            campaigns=Campaign.objects.count(),
            numbers_free=CanaryNumber.objects.filter(status=NumberStatus.AVAILABLE).count(),
            numbers_assigned=CanaryNumber.objects.filter(status=NumberStatus.ASSIGNED).count(),
        )
    return render(request, "console/dashboard.html", context)
