"""Turning one spreadsheet cell into a typed value, or an Issue saying why not.

Shared by the roster and calendar rules: text, numbers, dates, times and choices are read
the same way whichever file they come from.
"""

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from palabre.core.i18n import N_, Translatable
from palabre.core.text import control_characters, fold, without_spoofing
from palabre.core.zones import known_zone
from palabre.imports.report import Issue
from palabre.imports.tabular import Row, RowStream, Sheet, Value, looks_like_formula

_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2})\s*(?:[:h]\s*(\d{2})?)?(?::(\d{2}))?$", re.IGNORECASE)
_EXCEL_EPOCH = datetime(1899, 12, 30)


class RowReader:
    """Reads the cells of one row, collecting one Issue per bad cell."""

    def __init__(self, sheet: Sheet | RowStream, row: Row, issues: list[Issue]) -> None:
        self.sheet = sheet
        self.row = row
        self.issues = issues
        self.failed: set[str] = set()

    def raw(self, column: str) -> Value:
        return self.row.cells.get(column)

    def issue(self, column: str | None, message: str, value: Value = None, **params: Any) -> None:
        if column is not None:
            self.failed.add(column)
        self.issues.append(
            Issue(
                message,
                row=self.row.number,
                column=self.sheet.header(column) if column else None,
                value=value,
                params=params,
            )
        )

    def read[T](self, column: str, parse: "Parser[T]", default: T) -> T:
        if column in self.row.formulas:
            formula = self.row.formulas[column]
            self.issue(
                column,
                N_("This cell holds a formula (%(formula)s); type the value itself."),
                formula,
                formula=formula,
            )
            return default
        value = self.raw(column)
        if value is None or value == "" or value == []:
            return default
        if isinstance(value, str) and looks_like_formula(value):
            self.issue(
                column,
                N_("This value starts like a spreadsheet formula; remove the leading %(char)s."),
                value,
                char=value[0],
            )
            return default
        try:
            return parse(value)
        except Translatable as invalid:
            self.issue(column, invalid.message, value, **invalid.params)
            return default

    def present(self, column: str) -> bool:
        value = self.raw(column)
        return column in self.row.formulas or not (value is None or value == "" or value == [])


type Parser[T] = Callable[[Value], T]


def text(max_length: int, *, multiline: bool = False, forbidden: str = "") -> Parser[str]:
    def parse(value: Value) -> str:
        if isinstance(value, list):
            raise Translatable(N_("Expected a single value, not a list."))
        result = value.isoformat() if isinstance(value, date | time) else str(value)
        result = without_spoofing(result)  # bidi controls, invisible characters
        if multiline:
            # Excel writes line breaks inside a cell as CRLF; store them one way.
            result = result.replace("\r\n", "\n").replace("\r", "\n").strip()
        else:
            result = " ".join(result.split())
        if control_characters(result, multiline=multiline):
            raise Translatable(N_("This value contains control characters; retype it."))
        if len(result) > max_length:
            raise Translatable(
                N_("Too long: %(length)s characters, at most %(limit)s."),
                length=len(result),
                limit=max_length,
            )
        for char in forbidden:
            if char in result:
                raise Translatable(N_("The character %(char)s is not allowed here."), char=char)
        return result

    return parse


def integer(low: int, high: int) -> Parser[int]:
    def parse(value: Value) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise Translatable(N_("Expected a whole number."))
        if not low <= value <= high:
            raise Translatable(
                N_("Expected a number from %(low)s to %(high)s."), low=low, high=high
            )
        return value

    return parse


def choice[C: str](options: Mapping[str, C], shown: str) -> Parser[C]:
    """`options` maps folded accepted spellings to the canonical value."""

    def parse(value: Value) -> C:
        key = fold(str(value))
        if key not in options:
            raise Translatable(N_("Unknown value; use %(options)s."), options=shown)
        return options[key]

    return parse


def calendar_date(value: Value) -> date:
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise Translatable(N_("Expected a date without a time."))
        return value.date()
    if isinstance(value, date):
        return value
    text_value = str(value).strip()
    if match := _ISO_DATE.match(text_value):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DMY.match(text_value):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise Translatable(N_("Expected a date such as 2027-03-02 or 02/03/2027."))
    try:
        return date(year, month, day)
    except ValueError:
        raise Translatable(N_("There is no such date.")) from None


def clock_time(value: Value) -> time:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:  # Excel stores times as day fractions
        moment = _EXCEL_EPOCH + timedelta(days=value)
        return moment.time().replace(second=0, microsecond=0)
    match = _TIME.match(str(value).strip())
    if not match:
        raise Translatable(N_("Expected a time such as 09:00 or 9h30."))
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise Translatable(N_("There is no such time."))
    return time(hour, minute)


def local_datetime(zone: ZoneInfo) -> Parser[datetime]:
    """A date and time; without an offset it is read in `zone` (the organisation's)."""

    def parse(value: Value) -> datetime:
        if isinstance(value, datetime):
            moment = value
        else:
            text_value = str(value).strip().replace("T", " ")
            parts = text_value.split(" ", 1)
            if len(parts) != 2:
                raise Translatable(N_("Expected a date and time such as 2027-03-02 14:00."))
            day = calendar_date(parts[0])
            rest = parts[1].strip()
            offset = re.search(r"(Z|[+-](\d{2}):?(\d{2}))$", rest)
            moment = datetime.combine(day, clock_time(rest[: offset.start()] if offset else rest))
            if offset:
                # fromisoformat raises on +25:00 and reads +01:99 as +02:39.
                if offset.group(2) and (int(offset.group(2)) > 23 or int(offset.group(3)) > 59):
                    raise Translatable(N_("There is no such time."))
                stamp = offset.group(1).replace("Z", "+00:00")
                moment = datetime.fromisoformat(f"{moment.isoformat()}{stamp}")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
            # 02:30 on the night clocks go forward never happens: say so rather than guess.
            if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(
                tzinfo=None
            ):
                raise Translatable(
                    N_("This time does not exist in %(zone)s (the clocks change)."),
                    zone=str(zone),
                )
        return moment

    return parse


def timezone(value: Value) -> str:
    name = known_zone(str(value))
    if name is None:
        raise Translatable(N_("Unknown timezone; use an IANA name such as Europe/Paris."))
    return name
