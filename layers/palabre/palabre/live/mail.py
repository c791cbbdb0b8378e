"""A live session's own emails: its two reminders to those coming, and its attendance
list to each admin after it ends."""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time

from palabre.core.i18n import N_, translations
from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.local_time import link_expiry, session_end, session_start
from palabre.core.models import Member, Rsvp, Theme
from palabre.core.typography import marked
from palabre.live.session import live_session
from palabre.mail.mime import Mail
from palabre.mail.personal import Letterhead, personal_email
from palabre.mail.render import in_language

SUBJECTS = {
    JobKind.SESSION_EVE: N_("Tomorrow at %(time)s: %(title)s"),
    JobKind.SESSION_HOUR: N_("In one hour: %(title)s"),
    JobKind.ATTENDANCE: N_("Who came to %(title)s?"),
}


def session_context(theme: Theme, member: Member, letterhead: Letterhead) -> dict[str, object]:
    """What every email about a live session shows its reader: the session in their
    zone, its title in their language (Theme.title_for)."""
    zone = ZoneInfo(member.timezone)
    return {
        "organisation": letterhead.organisation,
        "first_name": member.first_name or member.display_name,
        "theme": theme,
        "title": theme.title_for(member.locale),
        "live": live_session(theme, zone, member.locale),
    }


def session_subject(
    message: str, theme: Theme, locale: str, letterhead: Letterhead, **values: str
) -> str:
    """A live session's email subject in `locale`, its title in the reader's language
    (marked when foreign, so French spacing leaves it as written)."""
    tr = translations(letterhead.templates_dir, locale)
    title = marked(theme.title_for(locale), locale)
    return in_language(tr.gettext(message) % {"title": title, **values}, locale)


def session_reminder(
    kind: JobKind,
    theme: Theme,
    member: Member,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
) -> Mail:
    """The day-before (SESSION_EVE) or hour-before (SESSION_HOUR) reminder, with the link
    to change one's response (the RSVP page, open until the session starts)."""
    zone = ZoneInfo(member.timezone)
    starts = format_time(session_start(theme), "HH:mm", tzinfo=zone, locale=member.locale)
    subject = session_subject(SUBJECTS[kind], theme, member.locale, letterhead, time=starts)
    # Every attempt carries the same links: their expiry counts from the theme.
    issued = max(link_expiry(theme, zone), session_end(theme))
    context = session_context(theme, member, letterhead) | {
        "subject": subject,
        "kind": kind.value,
        "change_url": links.rsvp(theme.id, member.id, session_end(theme)),
        "space_url": links.space(member.id, issued),
        **links.unsubscribing(member.id, issued),
    }
    # A session moved is owed its reminders again: a Message-ID of their own, or mail
    # clients would take them for the ones already received.
    about = f"{theme.id}.{kind.value}" + (f".{theme.sequence}" if theme.sequence else "")
    return personal_email("session_reminder", about, member, letterhead, now, context)


def attendance_list(
    theme: Theme,
    admin: Member,
    coming: Sequence[Rsvp],
    links: Links,
    letterhead: Letterhead,
    now: datetime,
) -> Mail:
    """To one admin after the session: who said yes or maybe, and the link to tick who
    came."""
    issued = session_end(theme)
    people = sorted(coming, key=lambda r: (r.last_name.casefold(), r.first_name.casefold()))
    context = session_context(theme, admin, letterhead) | {
        "subject": session_subject(SUBJECTS[JobKind.ATTENDANCE], theme, admin.locale, letterhead),
        "coming": [
            {
                "name": " ".join(p for p in (r.first_name, r.last_name) if p),
                "maybe": r.response.value == "maybe",
            }
            for r in people
        ],
        "attendance_url": links.attendance(theme.id, admin.id, issued),
        "space_url": links.space(admin.id, issued),
        **links.unsubscribing(admin.id, issued),
    }
    return personal_email("attendance", theme.id, admin, letterhead, now, context)
