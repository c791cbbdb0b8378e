"""The emails of the answer journey: a theme's prompt, and its one reminder."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date
from icalendar import Calendar, Event, vCalAddress

from palabre.core.i18n import N_, translations
from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.local_time import deadline_day, link_expiry
from palabre.core.markdown import to_html, to_text
from palabre.core.models import Member, Theme, ThemeKind
from palabre.live.session import live_session
from palabre.mail.mime import Attachment, build_message
from palabre.mail.render import render
from palabre.scoring.awards import FAST_BONUS

SUBJECTS = {
    JobKind.PROMPT: N_("%(title)s — your theme this week"),
    JobKind.REMINDER: N_("Reminder: %(title)s, open until %(date)s"),
}


@dataclass(frozen=True)
class Sender:
    organisation: str
    address: str
    templates_dir: Path

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


def message_id(kind: JobKind, theme_id: str, member_id: str, domain: str) -> str:
    """The same for every attempt at the same email (see README: exactly once)."""
    return f"<{kind.value}.{theme_id}.{member_id}@{domain}>"


def compose(
    kind: JobKind,
    theme: Theme,
    member: Member,
    links: Links,
    sender: Sender,
    now: datetime,
) -> EmailMessage:
    zone = ZoneInfo(member.timezone)
    locale = member.locale
    tr = translations(sender.templates_dir, locale)
    last_day = format_date(deadline_day(theme), "full", locale=locale)
    subject = tr.gettext(SUBJECTS[kind]) % {"title": theme.title, "date": last_day}
    closes = link_expiry(theme, zone)
    unsubscribe = links.unsubscribe(member.id, closes)
    context = {
        "subject": subject,
        "organisation": sender.organisation,
        "kind": kind.value,
        "first_name": member.first_name or member.display_name,
        "theme": theme,
        "prompt_html": to_html(theme.prompt),
        "prompt_text": to_text(theme.prompt),
        "answer_url": links.answer(theme.id, member.id, closes),
        "unsubscribe_url": unsubscribe,
        "last_day": last_day,
        "points": theme.points,
        "bonus": FAST_BONUS,
        "live": live_session(theme, zone, locale),
    }
    return personal_email(
        kind,
        theme.id,
        member,
        sender,
        now,
        context,
        attachments=_invitation(theme, member, sender, now) if kind is JobKind.PROMPT else (),
    )


def personal_email(
    kind: JobKind,
    about: str,
    member: Member,
    sender: Sender,
    now: datetime,
    context: dict[str, Any],
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """One email to one member: `email/<kind>.txt` and `.html` rendered in their language
    with `context` (its `subject` and `unsubscribe_url` included), the Message-ID stable
    for (kind, `about`, member), and the unsubscribe headers."""
    name = f"email/{kind.value}"
    return build_message(
        sender=(sender.organisation, sender.address),
        to=[member.email],
        subject=context["subject"],
        text=render(sender.templates_dir, f"{name}.txt", member.locale, **context),
        html=render(sender.templates_dir, f"{name}.html", member.locale, **context),
        date=now,
        message_id=message_id(kind, about, member.id, sender.domain),
        headers=list_headers(context["unsubscribe_url"], sender, member),
        attachments=attachments,
    )


def list_headers(unsubscribe_url: str, sender: Sender, member: Member) -> dict[str, str]:
    mailto = f"mailto:{sender.address}?subject={quote('unsubscribe ' + member.id)}"
    return {
        # RFC 8058 one-click: mailbox providers show an unsubscribe button.
        "List-Unsubscribe": f"<{unsubscribe_url}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Content-Language": member.locale,
    }


def _invitation(theme: Theme, member: Member, sender: Sender, now: datetime) -> list[Attachment]:
    """A live session comes with an .ics invitation mail clients add to the calendar."""
    if theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
        return []
    calendar = Calendar()
    calendar.add("prodid", "-//Palabre//Live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"{theme.id}@{sender.domain}")
    event.add("dtstamp", now)
    # In UTC: a time with a bare offset would be written "floating", i.e. read in each
    # reader's own timezone, and Tokyo would join at 14:00 Tokyo time.
    starts = theme.starts_at.astimezone(UTC)
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=theme.duration_minutes or 60))
    event.add("summary", theme.title)
    event.add("description", to_text(theme.prompt))
    event.add("location", theme.location)
    organizer = vCalAddress(f"mailto:{sender.address}")
    organizer.params["cn"] = sender.organisation
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{member.email}")
    attendee.params["cn"] = member.display_name
    attendee.params["rsvp"] = "TRUE"
    attendee.params["partstat"] = "NEEDS-ACTION"
    event.add("attendee", attendee)
    calendar.add_component(event)
    return [
        Attachment(
            filename="invitation.ics",
            content_type="text/calendar",
            data=calendar.to_ical(),
            params={"method": "REQUEST"},
        )
    ]
