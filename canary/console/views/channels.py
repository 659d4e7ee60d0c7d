"""Alert channels and rules: create, edit, send a test, enable. Security roles only, audited."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from canary.alerts import services
from canary.alerts.models import Channel, Rule
from canary.audit.decorators import security_required
from canary.audit.services import record_request
from canary.console.forms.alerts import ChannelForm, RuleForm

from .editing import edit_page, toggle_enabled

PAGE = {"back": "alerts:channels", "template": "console/alert_form.html"}


@security_required
def channel_list(request):
    channels = Channel.objects.select_related("team")
    rules = Rule.objects.prefetch_related("channels", "campaigns")
    return render(request, "console/channel_list.html", {"channels": channels, "rules": rules})


@security_required
def channel_edit(request, pk: int | None = None):
    channel = get_object_or_404(Channel, pk=pk) if pk else None
    form = ChannelForm(request.POST or None, instance=channel)
    title = channel.name if channel else _("Add a channel")
    return edit_page(request, form, audit="channel.save", title=title, **PAGE)


@security_required
def rule_edit(request, pk: int | None = None):
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    title = rule.name if rule else _("Add a rule")
    return edit_page(request, form, audit="rule.save", title=title, **PAGE)


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


@security_required
@require_POST
def rule_toggle(request, pk: int):
    return toggle_enabled(request, get_object_or_404(Rule, pk=pk), "rule", "alerts:channels")
