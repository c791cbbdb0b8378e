"""The emails of a live session after its invitation: its change (a new .ics, the same
UID, a higher SEQUENCE) or cancellation, and the seat a waiting member was given."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from palabre.core.i18n import N_
from palabre.core.links import Links
from palabre.core.local_time import session_end
from palabre.core.models import Member, Response, Theme
from palabre.live.invitation import invitation
from palabre.live.mail import session_context, session_subject
from palabre.live.session import live_session, rsvp_links
from palabre.mail.mime import Mail
from palabre.mail.personal import Letterhead, personal_email

CHANGED = N_("Changed: %(title)s, now %(starts)s")
CANCELLED = N_("Cancelled: %(title)s")
SEAT = N_("A seat is yours: %(title)s")


def compose_change(
    theme: Theme,
    member: Member,
    response: Response | None,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
) -> Mail:
    zone, locale = ZoneInfo(member.timezone), member.locale
    live = live_session(theme, zone, locale) or {}
    subject = session_subject(
        CHANGED if theme.active else CANCELLED,
        theme,
        locale,
        letterhead,
        starts=live.get("starts", ""),
    )
    issued = session_end(theme)  # every attempt carries the same links
    context = session_context(theme, member, letterhead) | {
        "subject": subject,
        "live": live,
        "cancelled": not theme.active,
        "response": response.value if response else "",
        "rsvp": rsvp_links(links, theme, member.id) if theme.active else {},
        **links.unsubscribing(member.id, issued),
        "space_url": links.space(member.id, issued),
    }
    return personal_email(
        "live_change",
        f"{theme.id}.{theme.sequence}",
        member,
        letterhead,
        now,
        context,
        attachments=invitation(theme, member, letterhead, now),
    )


def compose_seat(
    theme: Theme,
    member: Member,
    promoted_at: datetime,
    links: Links,
    letterhead: Letterhead,
    now: datetime,
) -> Mail:
    """The email of a seat given to a waiting member: one per promotion (a member may
    give a seat up, wait again and be given one again), each with its own Message-ID."""
    zone, locale = ZoneInfo(member.timezone), member.locale
    issued = session_end(theme)  # every attempt carries the same links
    context = session_context(theme, member, letterhead) | {
        "subject": session_subject(SEAT, theme, locale, letterhead),
        "live": live_session(theme, zone, locale) or {},
        "rsvp_url": links.rsvp(theme.id, member.id, issued),
        **links.unsubscribing(member.id, issued),
        "space_url": links.space(member.id, issued),
    }
    return personal_email(
        "seat_freed",
        f"{theme.id}.{promoted_at.astimezone(UTC):%Y%m%dT%H%M%S}",
        member,
        letterhead,
        now,
        context,
        attachments=invitation(theme, member, letterhead, now),
    )
