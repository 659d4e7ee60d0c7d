"""Send-now or hold: quiet hours, escalation, daily digests and the incident throttle (pure)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from canary.alerts.policy import decide, in_quiet_hours, next_local

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2026, 11, 3, 23, 30, tzinfo=SHANGHAI)
DAY = datetime(2026, 11, 3, 14, 0, tzinfo=SHANGHAI)


def _decide(now, severity=30, last=None, daily=False):
    return decide(
        now=now,
        zone=SHANGHAI,
        severity=severity,
        quiet_start=time(22),
        quiet_end=time(7),
        daily_digest=daily,
        digest_hour=9,
        throttle=timedelta(hours=1),
        last_sent_for_incident=last,
    )


def test_quiet_hours_wrap_past_midnight():
    assert in_quiet_hours(NIGHT, time(22), time(7))
    assert in_quiet_hours(NIGHT.replace(hour=6, minute=59), time(22), time(7))
    assert not in_quiet_hours(NIGHT.replace(hour=7), time(22), time(7))
    assert not in_quiet_hours(DAY, time(22), time(7))
    assert not in_quiet_hours(DAY, None, None)


def test_non_critical_event_at_night_waits_until_quiet_hours_end():
    decision = _decide(NIGHT)
    assert not decision.send and decision.hold_reason == "quiet_hours"
    assert decision.release_after == datetime(2026, 11, 4, 7, 0, tzinfo=SHANGHAI)


def test_critical_event_at_night_is_sent_and_escalated():
    decision = _decide(NIGHT, severity=40)
    assert decision.send and decision.escalate


def test_critical_event_by_day_is_sent_without_escalation():
    decision = _decide(DAY, severity=40)
    assert decision.send and not decision.escalate


def test_second_alert_for_an_incident_inside_the_window_is_held_until_it_ends():
    last = DAY - timedelta(minutes=10)
    decision = _decide(DAY, last=last)
    assert not decision.send and decision.hold_reason == "throttle"
    assert decision.release_after == last + timedelta(hours=1)
    assert _decide(DAY, last=DAY - timedelta(minutes=61)).send


def test_daily_digest_rule_holds_until_the_digest_hour():
    decision = _decide(DAY, daily=True)
    assert decision.hold_reason == "daily_digest"
    assert decision.release_after == datetime(2026, 11, 4, 9, 0, tzinfo=SHANGHAI)


def test_next_local_is_strictly_later():
    assert next_local(DAY.replace(hour=9, minute=0), time(9)) == DAY.replace(hour=9, minute=0) + timedelta(
        days=1
    )
