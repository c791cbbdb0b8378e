"""A live session's .ics invitation, which mail clients add to the calendar."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress

from palabre.core.markdown import to_text
from palabre.core.models import Member, Theme, ThemeKind
from palabre.mail.mime import Attachment
from palabre.mail.personal import Letterhead


def invitation(
    theme: Theme, member: Member, letterhead: Letterhead, now: datetime
) -> list[Attachment]:
    """The invitation to attach to a live theme's prompt; none for other themes."""
    if theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
        return []
    calendar = Calendar()
    calendar.add("prodid", "-//Palabre//Live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"{theme.id}@{letterhead.domain}")
    event.add("dtstamp", now)
    # In UTC: a time with a bare offset would be written "floating", i.e. read in each
    # reader's own timezone, and Tokyo would join at 14:00 Tokyo time.
    starts = theme.starts_at.astimezone(UTC)
    event.add("dtstart", starts)
    event.add("dtend", starts + timedelta(minutes=theme.duration_minutes or 60))
    event.add("summary", theme.title)
    event.add("description", to_text(theme.prompt))
    event.add("location", theme.location)
    organizer = vCalAddress(f"mailto:{letterhead.address}")
    organizer.params["cn"] = letterhead.organisation
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
