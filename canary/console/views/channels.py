"""Alert channel pages: list, send a test, re-enable. Security roles only."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from canary.alerts import services
from canary.alerts.models import Channel
from canary.audit.decorators import security_required
from canary.audit.services import record_request


@security_required
def channel_list(request):
    channels = Channel.objects.select_related("team")
    return render(request, "console/channel_list.html", {"channels": channels})


@security_required
@require_POST
def channel_test(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    services.send_test(channel, actor=request.user.get_username())
    record_request(request, "channel.test", channel)
    messages.info(request, _("Test message queued for %(name)s.") % {"name": channel.name})
    return redirect("alerts:channels")


@security_required
@require_POST
def channel_enable(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    services.reenable_channel(channel)
    record_request(request, "channel.enable", channel)
    return redirect("alerts:channels")
