"""The admins are told when the deliverability guard pauses new sends: one email each, in
their language, with the figures and a signed "Review and resume" link (bounces/resuming.py).

Sent straight through the Outbox, as the import report is, never as a send-queue job: the
sender holds every job while the pause lasts, so a job would wait for the very resume it
asks for."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

from palabre.core.deliverability import BOUNCE_LIMIT, COMPLAINT_LIMIT, MIN_SENDS
from palabre.core.i18n import translations
from palabre.core.links import Links
from palabre.core.models import Member, Role
from palabre.mail.mime import build_message
from palabre.mail.outbox import Outbox
from palabre.mail.render import in_language, render
from palabre.observability import logger
from palabre.store.members import MemberStore
from palabre.store.sending import Pause, SendingHealth

# The rates at which SES puts an account under review, which the guard stays below.
SES_BOUNCE_REVIEW = 0.05
SES_COMPLAINT_REVIEW = 0.001


def percent(rate: float, locale: str) -> str:
    """Two decimals at most, spaced as the locale spaces a percentage ("4,03 %")."""
    return format_percent(round(rate, 4), locale=locale, decimal_quantization=False)


def facts(pause: Pause, locale: str, zone: ZoneInfo) -> dict[str, Any]:
    """What the email and the resume page show of a pause."""
    figures = pause.figures
    return {
        "reason": pause.reason,
        "since": datetime.fromisoformat(pause.since).astimezone(zone),
        "sends": format_decimal(figures.sends, locale=locale),
        "bounces": format_decimal(figures.bounces, locale=locale),
        "complaints": format_decimal(figures.complaints, locale=locale),
        "bounce_rate": percent(figures.bounce_rate, locale),
        "complaint_rate": percent(figures.complaint_rate, locale),
        "bounce_limit": percent(BOUNCE_LIMIT, locale),
        "complaint_limit": percent(COMPLAINT_LIMIT, locale),
        "ses_bounce": percent(SES_BOUNCE_REVIEW, locale),
        "ses_complaint": percent(SES_COMPLAINT_REVIEW, locale),
        "min_sends": MIN_SENDS,
    }


@dataclass(frozen=True)
class PauseNotice:
    members: MemberStore
    outbox: Outbox
    links: Links
    sender: tuple[str, str]
    """(the organisation's name, the sender address)"""
    templates_dir: Path

    def tell_once(self, health: SendingHealth, pause: Pause, now: datetime) -> int:
        """`tell`, by one invocation only; if an email fails, the claim is given back and
        the error raised, so that Lambda's retry tells them (an admin emailed before
        the failure may then get it twice: better than no admin at all)."""
        if not health.claim_notice(pause.since, now):
            return 0
        try:
            return self.tell(pause, now)
        except Exception:
            health.release_notice(pause.since)
            raise

    def tell(self, pause: Pause, now: datetime) -> int:
        """Emails every active admin whose address has not bounced; how many were sent."""
        admins = [a for a in self.members.with_role(Role.ADMIN) if a.is_admin]
        suppressed = self.members.suppressed([a.email for a in admins]) if admins else set()
        readers = [a for a in admins if a.email not in suppressed]
        if not readers:
            logger.warning("no admin to tell of the pause")
        for admin in readers:
            self._send(admin, pause, now)
        return len(readers)

    def _send(self, admin: Member, pause: Pause, now: datetime) -> None:
        tr = translations(self.templates_dir, admin.locale)
        subject = in_language(
            tr.gettext("%(organisation)s: Palabre paused its emails")
            % {"organisation": self.sender[0]},
            admin.locale,
        )
        context = facts(pause, admin.locale, ZoneInfo(admin.timezone)) | {
            "organisation": self.sender[0],
            "subject": subject,
            "admin_name": admin.display_name,
            # From the pause, not the clock: a retried email carries the same link.
            "resume_url": self.links.resume(
                pause.since, admin.id, datetime.fromisoformat(pause.since)
            ),
        }
        text = render(self.templates_dir, "email/sending_paused.txt", admin.locale, **context)
        html = render(self.templates_dir, "email/sending_paused.html", admin.locale, **context)
        message = build_message(
            sender=self.sender, to=[admin.email], subject=subject, text=text, html=html, date=now
        )
        self.outbox.send(message, tags={"kind": "sending-paused"})
