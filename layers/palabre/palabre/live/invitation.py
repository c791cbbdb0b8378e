"""A live session's .ics, which mail clients add to the calendar: published, never a
request for a reply (the RSVP links answer; nothing reads mail sent to Palabre).

RFC 5546: a PUBLISH carries the organizer and no attendee; an update is the same UID
published again with a higher SEQUENCE; a cancellation is a CANCEL of that UID with a
higher SEQUENCE and STATUS:CANCELLED, naming the attendee it removes."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress

from palabre.core.markdown import to_text
from palabre.core.models import Member, Theme, ThemeKind
from palabre.live.session import meeting_url
from palabre.mail.mime import Attachment
from palabre.mail.personal import Letterhead

PUBLISH, CANCEL = "PUBLISH", "CANCEL"


def invitation(
    theme: Theme, member: Member, letterhead: Letterhead, now: datetime
) -> list[Attachment]:
    """The session's .ics as it stands (published, or cancelled when the theme is no
    longer active); none for other themes."""
    if theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
        return []
    method = PUBLISH if theme.active else CANCEL
    calendar = Calendar()
    calendar.add("prodid", "-//Palabre//Live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{theme.id}@{letterhead.domain}")
    event.add("sequence", theme.sequence)
    event.add("dtstamp", now)
    # In UTC: a time with a bare offset would be written "floating", i.e. read in each
    # reader's own timezone, and Tokyo would join at 14:00 Tokyo time.
    starts = theme.starts_at.astimezone(UTC)
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=theme.duration_minutes or 60))
    # in the member's language when the calendar gives it (Theme.title_for)
    event.add("summary", str(theme.title_for(member.locale)))
    event.add("description", to_text(theme.prompt_for(member.locale)))
    event.add("location", theme.location)
    if url := meeting_url(theme.location):
        event.add("url", url)
    organizer = vCalAddress(f"mailto:{letterhead.address}")
    organizer.params["cn"] = letterhead.organisation
    event["organizer"] = organizer
    if method == CANCEL:
        event.add("status", "CANCELLED")
        attendee = vCalAddress(f"mailto:{member.email}")
        attendee.params["cn"] = member.display_name
        event.add("attendee", attendee)
    else:
        event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return [
        Attachment(
            filename="invitation.ics" if method == PUBLISH else "cancellation.ics",
            content_type="text/calendar",
            data=calendar.to_ical(),
            params={"method": method},
        )
    ]
