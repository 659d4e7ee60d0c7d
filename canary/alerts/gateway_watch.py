"""Silent SIM gateways: a phone or modem that stopped sending events is a blind watcher.

A gateway pings (``system:ping``) on a schedule set in the app; one not heard from for
``SMSGATE_SILENT_MINUTES`` raises the same ``watcher.unhealthy`` event as a missed self-test
heartbeat (once an hour while it stays silent).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from canary.phones.gateways import silence_cutoff
from canary.phones.models import SmsGateway

from .models import Severity
from .services import raise_watcher_unhealthy


def check_silent_gateways(now: datetime | None = None) -> list[SmsGateway]:
    """Raise a critical watcher event for every silent gateway; returns them."""
    silent = list(SmsGateway.objects.silent_since(silence_cutoff(now)).prefetch_related("numbers"))
    for gateway in silent:
        if gateway.last_seen_at is None:
            detail = _("SIM gateway %(name)s has never sent an event since it was registered.") % {
                "name": gateway
            }
        else:
            detail = _("SIM gateway %(name)s has been silent since %(at)s.") % {
                "name": gateway,
                "at": timezone.localtime(gateway.last_seen_at).strftime("%Y-%m-%d %H:%M:%S"),
            }
        numbers = ", ".join(n.e164 for n in gateway.numbers.all())
        if numbers:
            detail += " " + _("Its numbers are not watched: %(numbers)s.") % {"numbers": numbers}
        raise_watcher_unhealthy(f"smsgate:{gateway.device_id}", detail, severity=Severity.CRITICAL)
    return silent
