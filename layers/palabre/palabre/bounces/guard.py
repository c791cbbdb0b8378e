"""The deliverability guard: bounces and complaints counted by the hour, and new sends
paused when the last 24 hours' rates pass the limits of core/deliverability.py, before
SES's own review thresholds. The sender counts its sends (sending/batch.py) and holds
every job while the pause lasts; an admin resumes it (`palabre sending resume`)."""

from collections import Counter
from datetime import datetime

from palabre.bounces.feedback import Suppression
from palabre.core.deliverability import Figures, too_many
from palabre.store.sending import Pause, SendingHealth


def watch(health: SendingHealth, suppressions: list[Suppression], now: datetime) -> Pause | None:
    """Counts the event's permanent bounces and complaints, and pauses new sends if the
    rates call for it: the pause, when this event set it (None otherwise, also when sends
    were paused already)."""
    reasons = Counter(s.reason for s in suppressions)
    event = Figures(bounces=reasons["bounce"], complaints=reasons["complaint"])
    if not event.bounces and not event.complaints:
        return None
    health.count(now, event)
    last = health.last_pause(consistent=True)
    if last is not None and last.active:
        return None
    # After a resume, only what came after it counts: what came before was judged.
    since = datetime.fromisoformat(last.resumed_at) if last and last.resumed_at else None
    day = health.last_day(now, since)
    reason = too_many(day)
    if reason is None or not health.pause(now, reason, day):
        return None
    return Pause(since=now.isoformat(), reason=reason, figures=day)


def notice_due(health: SendingHealth, just_set: Pause | None) -> Pause | None:
    """The pause whose admins are still to be emailed: the one this event set, or one
    whose email failed (Lambda's retry of that event finds sends paused already, so
    `watch` returns None). None once the email is sent, or the pause is over."""
    pause = just_set or health.last_pause(consistent=True)
    if pause is None or not pause.active or pause.noticed:
        return None
    return pause
