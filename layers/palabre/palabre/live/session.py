"""A live session as the emails and pages show it, in the reader's language and zone."""

from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_location

from palabre.core.models import Theme, ThemeKind


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
    }
