"""The theme calendar the animators choose: what is sent, when, to whom."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory
from palabre.core.i18n import LOCALES, N_, Translatable
from palabre.core.markdown import to_html
from palabre.core.models import Audience, Theme, ThemeKind, ThemeText, group_key
from palabre.core.text import fold, slugify
from palabre.imports.cells import (
    Parser,
    RowReader,
    calendar_date,
    choice,
    clock_time,
    integer,
    local_datetime,
    text,
)
from palabre.imports.report import Issue
from palabre.imports.tabular import Sheet, Value

KINDS = {
    "practice": "practice",
    "pratique": "practice",
    "question": "question",
    "live": "live",
    "session": "live",
    "session live": "live",
    "en direct": "live",
}
EVERYONE = {"all", "everyone", "tous", "toutes", "tout le monde", "*"}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
TITLE_LIMIT = 200
PROMPT_LIMIT = 5000
REQUIRED = ("send_on", "title", "prompt")
"""title and prompt: in the organisation's language, or in a language's own columns"""
LIVE_ONLY = ("starts_at", "duration_minutes", "location")
SESSION_FIELDS = (*LIVE_ONLY, "capacity")
"""what of a live session may change once it is sent (its invitees are told)"""
MAX_CAPACITY = 100_000


@dataclass(frozen=True)
class CalendarContext:
    zone: ZoneInfo
    today: date
    """The organisation's current date: a new theme cannot be sent before it."""
    directory: Directory | None
    """Known circles and teams; None when validating offline without a roster."""
    existing: Mapping[str, Theme]
    """Themes already imported: re-uploading one unchanged is fine even once it is past."""
    locale: str
    """The organisation's language: that of the plain title and prompt columns."""


def _theme_id(value: Value) -> str:
    slug = str(value).strip()
    if not _ID.match(slug):
        raise Translatable(N_("Use lowercase letters, digits and hyphens (at most 64)."))
    return slug


def _audience_names(value: Value) -> list[str]:
    parts = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    return [" ".join(p.split()) for p in parts if p.strip()]


def _audience(cells: RowReader, directory: Directory | None) -> Audience:
    names: list[str] = cells.read("audience", _audience_names, [])
    if not names or any(fold(n) in EVERYONE for n in names):
        return Audience(everyone=True)
    circles: list[str] = []
    teams: list[str] = []
    for name in names:
        if directory is None:
            circles.append(name)  # offline: which it is gets resolved at import
            continue
        circle = directory.circles.get(group_key(name))
        team = directory.teams.get(group_key(name))
        if circle is None and team is None:
            cells.issue(
                "audience",
                N_("No circle or team is called %(name)s in the current roster."),
                cells.raw("audience"),
                name=name,
            )
        if circle is not None:
            circles.append(circle.name)
        if team is not None:
            teams.append(team.name)
    return Audience(circles=tuple(circles), teams=tuple(teams))


def validate_calendar(sheet: Sheet, context: CalendarContext) -> tuple[list[Theme], list[Issue]]:
    issues = [
        Issue(N_("The required column %(name)s is missing."), 1, name, params={"name": name})
        for name in REQUIRED
        if name not in sheet.columns
        and not any(f"{name}_{locale}" in sheet.columns for locale in LOCALES)
    ]
    if issues:
        return [], issues
    themes: list[Theme] = []
    first_row_of: dict[str, int] = {}
    for row in sheet.rows:
        theme = _theme_of(RowReader(sheet, row, issues), context, first_row_of)
        if theme is not None:
            themes.append(theme)
    if not sheet.rows:
        issues.append(Issue(N_("The file has a header but no rows.")))
    return ([], issues) if issues else (themes, [])


def _theme_of(
    cells: RowReader, context: CalendarContext, first_row_of: dict[str, int]
) -> Theme | None:
    """One row's theme, or None when a cell is wrong (each wrong cell is an issue)."""
    send_on = cells.read("send_on", calendar_date, None)
    if not send_on and "send_on" not in cells.failed:
        cells.issue("send_on", N_("A value is required."))
    texts = _texts(cells, context.locale)
    title, prompt = (texts[0].title, texts[0].prompt) if texts else ("", "")
    kind = ThemeKind(cells.read("kind", choice(KINDS, "practice, question, live"), "practice"))
    deadline_days, reminder_days = _deadlines(cells)
    live = _live_fields(cells, kind, context.zone)
    fields = {
        "send_at": cells.read("send_at", clock_time, time(9, 0)),
        "title": title,
        "prompt": prompt,
        "deadline_days": deadline_days,
        "reminder_days": reminder_days,
        "audience": _audience(cells, context.directory),
        "competency": cells.read("competency", text(64), ""),
        "kind": kind,
        "points": cells.read("points", integer(0, 1000), 10),
        **live,
    }
    theme_id = _unique_id(cells, send_on, title, first_row_of)
    if cells.failed or not send_on:
        return None
    theme = Theme(
        id=theme_id,
        send_on=send_on,
        prompt_html=texts[0].prompt_html,
        lang=texts[0].lang,
        translations=tuple(texts[1:]),
        **fields,
    )
    _check_dates(cells, theme, context)
    return theme


def _texts(cells: RowReader, locale: str) -> list[ThemeText]:
    """The row's title and prompt in each language it gives, the organisation's first
    (else the first given): plain title and prompt are in the organisation's language,
    title_<lang> and prompt_<lang> in that language. Each language needs both; the row
    needs one language at least."""
    texts: list[ThemeText] = []
    for lang in sorted(LOCALES, key=lambda code: code != locale):
        title = _one_of(cells, "title", lang, locale, text(TITLE_LIMIT))
        prompt = _one_of(cells, "prompt", lang, locale, text(PROMPT_LIMIT, multiline=True))
        if title[1] and prompt[1]:
            texts.append(
                ThemeText(
                    lang=lang,
                    title=title[1],
                    prompt=prompt[1],
                    prompt_html=str(to_html(prompt[1])),
                )
            )
        elif (title[1] or prompt[1]) and not cells.failed & {title[0], prompt[0]}:
            # one without the other (its column may not exist: it is named all the same)
            cells.issue(prompt[0] if title[1] else title[0], N_("A value is required."))
    if not texts and not cells.failed & set(TEXT_COLUMNS):
        for column in ("title", "prompt"):
            cells.issue(column, N_("A value is required."))
    return texts


TEXT_COLUMNS = (
    "title",
    "prompt",
    *(f"{f}_{lang}" for f in ("title", "prompt") for lang in LOCALES),
)


def _one_of(
    cells: RowReader, field: str, lang: str, locale: str, parse: "Parser[str]"
) -> tuple[str, str]:
    """(column, value) of `field` in `lang`: its own column, or the plain one in the
    organisation's language; naming it in both is an issue."""
    columns = [f"{field}_{lang}", *([field] if lang == locale else [])]
    present = [c for c in columns if cells.present(c)]
    if len(present) > 1:
        cells.issue(
            present[0],
            N_("Columns %(first)s and %(second)s both give it: keep one."),
            cells.raw(present[0]),
            first=cells.sheet.header(present[0]),
            second=cells.sheet.header(present[1]),
        )
        return present[0], ""
    column = present[0] if present else columns[-1]
    return column, cells.read(column, parse, "")


def _deadlines(cells: RowReader) -> tuple[int, int]:
    deadline_days = cells.read("deadline_days", integer(1, 90), 7)
    reminder_days = cells.read("reminder_days", integer(0, 89), min(2, deadline_days - 1))
    if reminder_days >= deadline_days and "reminder_days" not in cells.failed:
        cells.issue(
            "reminder_days",
            N_("The reminder must come before the deadline (%(days)s days)."),
            reminder_days,
            days=deadline_days,
        )
    return deadline_days, reminder_days


def _unique_id(
    cells: RowReader, send_on: date | None, title: str, first_row_of: dict[str, int]
) -> str:
    """The row's theme id (given, or derived from date and title), once in the file."""
    theme_id = cells.read("id", _theme_id, "")
    if not theme_id and send_on and title:
        theme_id = slugify(f"{send_on.isoformat()}-{title}")
    if theme_id in first_row_of:
        cells.issue(
            "id" if cells.present("id") else "title",
            N_("Theme %(id)s is already on row %(first)s."),
            theme_id,
            id=theme_id,
            first=first_row_of[theme_id],
        )
    elif theme_id:
        first_row_of[theme_id] = cells.row.number
    return theme_id


def _check_dates(cells: RowReader, theme: Theme, context: CalendarContext) -> None:
    if theme.starts_at and theme.starts_at.astimezone(context.zone).date() < theme.send_on:
        cells.issue(
            "starts_at",
            N_("The session starts before the theme is sent."),
            cells.raw("starts_at"),
        )
    before = context.existing.get(theme.id)
    if theme.send_on < context.today and not (
        theme.same_as(before) or _session_changed_only(theme, before)
    ):
        cells.issue(
            "send_on",
            N_("This date is in the past (today is %(today)s)."),
            cells.raw("send_on"),
            today=context.today.isoformat(),
        )


def _session_changed_only(theme: Theme, before: Theme | None) -> bool:
    """A live session already sent whose session alone changed — moved, lengthened, another
    place or other seats — or listed again after its cancellation: its invitees are sent
    the update, whatever day it is. Its send date, title, prompt or audience stay as sent."""
    if before is None or (theme.kind, before.kind) != (ThemeKind.LIVE, ThemeKind.LIVE):
        return False
    # A session cancelled before anyone was sent it kept its sequence (0): nobody to tell,
    # and a send date in the past.
    if not (before.active or before.sequence > 0):
        return False
    kept = {name: getattr(before, name) for name in SESSION_FIELDS} | {"active": before.active}
    return theme.model_copy(update=kept).same_as(before)


def _live_fields(cells: RowReader, kind: ThemeKind, zone: ZoneInfo) -> dict[str, object]:
    if kind is not ThemeKind.LIVE:
        for column in LIVE_ONLY:
            if cells.present(column):
                cells.issue(
                    column,
                    N_("Only live sessions (kind live) have a start, a duration and a place."),
                    cells.raw(column),
                )
        if cells.present("capacity"):
            cells.issue(
                "capacity",
                N_("Only live sessions (kind live) have a capacity."),
                cells.raw("capacity"),
            )
        return {}
    starts_at: datetime | None = cells.read("starts_at", local_datetime(zone), None)
    location = cells.read("location", text(500), "")
    for column, value in (("starts_at", starts_at), ("location", location)):
        if not value and column not in cells.failed:
            cells.issue(column, N_("A live session needs a start and a place."))
    return {
        "starts_at": starts_at,
        "duration_minutes": cells.read("duration_minutes", integer(5, 600), 60),
        "location": location,
        # Seats; past them, a "yes" joins the waiting list. Empty: no limit.
        "capacity": cells.read("capacity", integer(1, MAX_CAPACITY), None),
    }
