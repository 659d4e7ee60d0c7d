"""When an alert goes out now and when it waits for a digest. Pure module: no Django.

Order of the checks (each one a reason a person is not woken or spammed):
1. a daily-digest rule holds everything but critical events until the digest hour;
2. quiet hours hold everything but critical events until they end; critical events break
   through and are escalated (also sent to the rule's escalation channels);
3. the throttle allows one alert per incident and channel per window; later events wait for
   the digest that follows the window. Events are held, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

CRITICAL = 40


@dataclass(frozen=True)
class Decision:
    send: bool
    hold_reason: str = ""
    release_after: datetime | None = None
    escalate: bool = False


def in_quiet_hours(local: datetime, start: time | None, end: time | None) -> bool:
    """True when the local wall-clock time falls in [start, end); windows may wrap midnight."""
    if start is None or end is None or start == end:
        return False
    now = local.time().replace(tzinfo=None)
    if start < end:
        return start <= now < end
    return now >= start or now < end


def next_local(local: datetime, at: time) -> datetime:
    """The next moment (strictly after ``local``, same zone) when the wall clock shows ``at``."""
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate + timedelta(days=1)).replace(hour=at.hour, minute=at.minute)
    return candidate


def decide(
    *,
    now: datetime,
    zone: ZoneInfo,
    severity: int,
    quiet_start: time | None,
    quiet_end: time | None,
    daily_digest: bool,
    digest_hour: int,
    throttle: timedelta,
    last_sent_for_incident: datetime | None,
) -> Decision:
    """Decide for one event on one channel. ``now`` is aware; ``zone`` is the team's time zone."""
    local = now.astimezone(zone)
    critical = severity >= CRITICAL
    if daily_digest and not critical:
        return Decision(False, "daily_digest", next_local(local, time(digest_hour)))
    quiet = in_quiet_hours(local, quiet_start, quiet_end)
    if quiet and not critical:
        assert quiet_end is not None
        return Decision(False, "quiet_hours", next_local(local, quiet_end))
    if last_sent_for_incident is not None and now < last_sent_for_incident + throttle:
        return Decision(False, "throttle", last_sent_for_incident + throttle)
    return Decision(True, escalate=quiet and critical)
