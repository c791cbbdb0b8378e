"""A live session as the emails and pages show it, in the reader's language and zone."""

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location

from palabre.core.dates import format_datetime
from palabre.core.links import Links
from palabre.core.models import Theme, ThemeKind

MAX_URL = 500
"""the calendar's limit on a location: a longer text is no link"""


def meeting_url(location: str) -> str:
    """The location when it is a web address (http or https only, with a host and no
    space), to be shown as a link and put in the .ics URL; "" for a room's name."""
    text = location.strip()
    if not text or len(text) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in text):
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return text


def live_session(theme: Theme, zone: ZoneInfo, locale: str) -> dict[str, str] | None:
    if theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
        return None
    return {
        "starts": format_datetime(
            theme.starts_at, "EEEE d MMMM y, HH:mm", tzinfo=zone, locale=locale
        ),
        "where_tz": get_timezone_location(zone, locale=locale),
        "duration": str(theme.duration_minutes or 60),
        "location": theme.location,
        "url": meeting_url(theme.location),
    }


def rsvp_links(links: Links, theme: Theme, member_id: str) -> dict[str, str]:
    """The invitation's three answers (yes, maybe, no), each a link to the page that
    confirms it, valid until the session's end; none for other themes."""
    ends = theme.ends_at
    if theme.kind is not ThemeKind.LIVE or ends is None:
        return {}
    return {r: links.rsvp(theme.id, member_id, ends, r) for r in ("yes", "maybe", "no")}
