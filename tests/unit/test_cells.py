"""One cell at a time: dates, times, date-times, timezones, numbers, text, formulas, headers."""

import gettext
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from palabre.core.i18n import Translatable
from palabre.core.text import fold, strip_accents
from palabre.imports.cells import (
    calendar_date,
    clock_time,
    integer,
    local_datetime,
    text,
)
from palabre.imports.cells import timezone as timezone_name
from palabre.imports.columns import CALENDAR, ROSTER, header_index
from palabre.imports.tabular import Value, looks_like_formula

PARIS = ZoneInfo("Europe/Paris")
NO_SUCH_DATE = "There is no such date."
NO_SUCH_TIME = "There is no such time."


def _refused(parse: Callable[[Value], object], value: Value) -> str:
    """The English message `parse` refuses `value` with."""
    with pytest.raises(Translatable) as raised:
        parse(value)
    return raised.value.text(gettext.NullTranslations())


# ---------------------------------------------------------------------------- dates
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-02", date(2027, 3, 2)),
        ("2027-3-2", date(2027, 3, 2)),
        (" 2027-03-02 ", date(2027, 3, 2)),
        ("02/03/2027", date(2027, 3, 2)),  # day first, as in France
        ("2/3/2027", date(2027, 3, 2)),
        ("02.03.2027", date(2027, 3, 2)),
        ("29/02/2028", date(2028, 2, 29)),
        (date(2027, 3, 2), date(2027, 3, 2)),
        (datetime(2027, 3, 2), date(2027, 3, 2)),  # an Excel date cell
    ],
    ids=str,
)
def test_calendar_date_reads(value: Value, expected: date) -> None:
    assert calendar_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("31/02/2027", NO_SUCH_DATE),
        ("2027-02-29", NO_SUCH_DATE),
        ("2027-13-01", NO_SUCH_DATE),
        ("00/03/2027", NO_SUCH_DATE),
        ("0000-01-01", NO_SUCH_DATE),
        ("2027/03/02", "Expected a date such as 2027-03-02 or 02/03/2027."),
        ("02/03/27", "Expected a date such as 2027-03-02 or 02/03/2027."),
        ("mardi 2 mars", "Expected a date such as 2027-03-02 or 02/03/2027."),
        ("46448", "Expected a date such as 2027-03-02 or 02/03/2027."),
        (datetime(2027, 3, 2, 10, 30), "Expected a date without a time."),
    ],
    ids=str,
)
def test_calendar_date_refuses(value: Value, message: str) -> None:
    assert _refused(calendar_date, value) == message


# ---------------------------------------------------------------------------- times
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:00", time(9, 0)),
        ("9:05", time(9, 5)),
        ("9h30", time(9, 30)),
        ("9H30", time(9, 30)),
        ("9 h 30", time(9, 30)),
        ("14h", time(14, 0)),
        ("8", time(8, 0)),
        ("23:59", time(23, 59)),
        ("09:00:59", time(9, 0)),  # seconds are dropped
        (time(9, 30, 15), time(9, 30)),
        (datetime(1899, 12, 30, 8, 15), time(8, 15)),
        # Excel stores a time as a fraction of a day
        (0.0, time(0, 0)),
        (0.375, time(9, 0)),
        (9.5 / 24, time(9, 30)),
        (float(f"{9.5 / 24:.15g}"), time(9, 30)),  # as written in the .xlsx XML
        (float(f"{(23 * 60 + 59) / 1440:.15g}"), time(23, 59)),
    ],
    ids=str,
)
def test_clock_time_reads(value: Value, expected: time) -> None:
    assert clock_time(value) == expected


def test_clock_time_reads_every_minute_of_the_day_from_an_excel_fraction() -> None:
    for minute in range(24 * 60):
        fraction = float(f"{minute / 1440:.15g}")
        assert clock_time(fraction) == time(minute // 60, minute % 60), fraction


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("24:00", NO_SUCH_TIME),
        ("9:60", NO_SUCH_TIME),
        ("09:00:60", NO_SUCH_TIME),
        ("noon", "Expected a time such as 09:00 or 9h30."),
        ("9.30", "Expected a time such as 09:00 or 9h30."),
        ("9:3", "Expected a time such as 09:00 or 9h30."),
        (1.5, "Expected a time such as 09:00 or 9h30."),
        (-0.25, "Expected a time such as 09:00 or 9h30."),
    ],
    ids=str,
)
def test_clock_time_refuses(value: Value, message: str) -> None:
    assert _refused(clock_time, value) == message


# ---------------------------------------------------------------------------- date-times
AFTERNOON = datetime(2027, 3, 24, 14, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    "value",
    [
        "2027-03-24 14:00",
        "2027-03-24T14:00",
        "2027-03-24T14:00:00",
        "24/03/2027 14h00",
        "24/03/2027  14h",
        "2027-03-24 13:00Z",
        "2027-03-24T13:00:00Z",
        "2027-03-24 08:00-05:00",
        "2027-03-24 14:00+0100",
        datetime(2027, 3, 24, 14, 0),  # an Excel cell: local time
        datetime(2027, 3, 24, 13, 0, tzinfo=UTC),
    ],
    ids=str,
)
def test_local_datetime_reads(value: Value) -> None:
    moment = local_datetime(PARIS)(value)
    assert moment == AFTERNOON
    assert moment.utcoffset() is not None


def test_local_datetime_without_offset_is_the_organisation_wall_clock() -> None:
    winter = local_datetime(PARIS)("2027-03-24 14:00")
    summer = local_datetime(PARIS)("2027-07-01 14:00")

    assert winter.tzinfo == PARIS
    assert winter.utcoffset() == timedelta(hours=1)
    assert summer.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2027-03-24", "Expected a date and time such as 2027-03-02 14:00."),
        ("14:00", "Expected a date and time such as 2027-03-02 14:00."),
        ("31/02/2027 14:00", NO_SUCH_DATE),
        ("2027-03-24 25:00", NO_SUCH_TIME),
        ("2027-03-24 quatorze heures", "Expected a time such as 09:00 or 9h30."),
        # regression: +25:00 crashed the import, +01:99 was read as +02:39
        ("2027-03-24 14:00+25:00", NO_SUCH_TIME),
        ("2027-03-24 14:00-24:00", NO_SUCH_TIME),
        ("2027-03-24 14:00+01:99", NO_SUCH_TIME),
        # 02:30 on the night Paris moves to summer time never happens
        ("2027-03-28 02:30", "This time does not exist in Europe/Paris (the clocks change)."),
    ],
    ids=str,
)
def test_local_datetime_refuses(value: Value, message: str) -> None:
    assert _refused(local_datetime(PARIS), value) == message


# ---------------------------------------------------------------------------- timezones
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("EUROPE/PARIS", "Europe/Paris"),
        (" America/Montreal ", "America/Montreal"),
        ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
        ("utc", "UTC"),
    ],
    ids=str,
)
def test_timezone_is_an_iana_name_in_any_case(value: str, expected: str) -> None:
    assert timezone_name(value) == expected


@pytest.mark.parametrize("value", ["Europe/Pariss", "Paris", "UTC+1", "Europe Paris"])
def test_timezone_refuses_what_is_not_an_iana_name(value: str) -> None:
    assert _refused(timezone_name, value) == (
        "Unknown timezone; use an IANA name such as Europe/Paris."
    )


# ---------------------------------------------------------------------------- numbers, text
@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), (" 7 ", 7), ("+7", 7), ("007", 7), (7, 7), (7.0, 7), ("90", 90), ("1", 1)],
    ids=repr,
)
def test_integer_reads(value: Value, expected: int) -> None:
    assert integer(1, 90)(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("7.5", "Expected a whole number."),
        ("sept", "Expected a whole number."),
        ("1e2", "Expected a whole number."),
        (7.5, "Expected a whole number."),
        (["7"], "Expected a whole number."),
        ("0", "Expected a number from 1 to 90."),
        ("91", "Expected a number from 1 to 90."),
        ("-3", "Expected a number from 1 to 90."),
    ],
    ids=repr,
)
def test_integer_refuses(value: Value, message: str) -> None:
    assert _refused(integer(1, 90), value) == message


def test_text_collapses_spaces_unless_multiline() -> None:
    assert text(50)("  Cercle   Été \t") == "Cercle Été"
    assert text(50, multiline=True)("  Ligne 1\n\n  - point\n") == "Ligne 1\n\n  - point"
    # Excel's line breaks inside a cell (CRLF) are stored as plain newlines
    assert text(50, multiline=True)("Ligne 1\r\nLigne 2\rLigne 3") == "Ligne 1\nLigne 2\nLigne 3"
    assert text(50)(date(2027, 3, 2)) == "2027-03-02"
    assert text(50)(12) == "12"


@pytest.mark.parametrize(
    ("parse", "value", "message"),
    [
        (text(5), "Cercle", "Too long: 6 characters, at most 5."),
        (text(50), "Zo\x07é", "This value contains control characters; retype it."),
        (text(50, forbidden=";"), "A; B", "The character ; is not allowed here."),
        (text(50), ["A", "B"], "Expected a single value, not a list."),
    ],
    ids=["too-long", "control", "forbidden", "list"],
)
def test_text_refuses(parse: Callable[[Value], str], value: Value, message: str) -> None:
    assert _refused(parse, value) == message


# ---------------------------------------------------------------------------- formulas
@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ("=1+1", True),
        ('=HYPERLINK("http://evil.example","x")', True),
        ("+33 6 12 34 56 78", True),
        ("@SUM(A1:A2)", True),
        ("-2+3", True),
        ("-cmd|' /C calc'!A0", True),
        ("--", True),
        ("-1", False),
        ("-1.5", False),
        ("-1,5", False),
        ("- une puce Markdown", False),
        ("-", False),
        ("", False),
        ("a=b", False),
        ("Écoute active", False),
        ("2027-03-02", False),
    ],
    ids=repr,
)
def test_looks_like_formula(value: str, formula: bool) -> None:
    assert looks_like_formula(value) is formula


# ---------------------------------------------------------------------------- headers
# The table of docs/files.md written out again: the spec, not the code.
PRODUCT_HEADERS = {
    "roster": [
        ("email", "email"),
        ("courriel", "email"),
        ("e-mail", "email"),
        ("mail", "email"),
        ("adresse email", "email"),
        ("first_name", "first_name"),
        ("prénom", "first_name"),
        ("last_name", "last_name"),
        ("nom", "last_name"),
        ("circle", "circle"),
        ("cercle", "circle"),
        ("team", "team"),
        ("équipe", "team"),
        ("locale", "locale"),
        ("langue", "locale"),
        ("language", "locale"),
        ("timezone", "timezone"),
        ("fuseau horaire", "timezone"),
        ("fuseau", "timezone"),
        ("role", "role"),
        ("rôle", "role"),
    ],
    "calendar": [
        ("id", "id"),
        ("send_on", "send_on"),
        ("date", "send_on"),
        ("date d'envoi", "send_on"),
        ("send_at", "send_at"),
        ("heure", "send_at"),
        ("heure d'envoi", "send_at"),
        ("title", "title"),
        ("titre", "title"),
        ("prompt", "prompt"),
        ("question", "prompt"),
        ("consigne", "prompt"),
        ("deadline_days", "deadline_days"),
        ("délai", "deadline_days"),
        ("délai (jours)", "deadline_days"),
        ("audience", "audience"),
        ("public", "audience"),
        ("destinataires", "audience"),
        ("competency", "competency"),
        ("compétence", "competency"),
        ("kind", "kind"),
        ("type", "kind"),
        ("points", "points"),
        ("starts_at", "starts_at"),
        ("début", "starts_at"),
        ("duration_minutes", "duration_minutes"),
        ("durée", "duration_minutes"),
        ("durée (minutes)", "duration_minutes"),
        ("location", "location"),
        ("lieu", "location"),
    ],
}
SPECS = {"roster": ROSTER, "calendar": CALENDAR}
HEADER_CASES = [(kind, name, canonical) for kind, pairs in PRODUCT_HEADERS.items()
                for name, canonical in pairs]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "written", "canonical"), HEADER_CASES, ids=[f"{k}-{w}" for k, w, _ in HEADER_CASES]
)
def test_product_headers_are_accepted_in_any_case_with_or_without_accents(
    kind: str, written: str, canonical: str
) -> None:
    index = header_index(SPECS[kind])
    for spelling in (written, written.upper(), written.title(), strip_accents(written)):
        assert index[fold(spelling)] == canonical, spelling


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Date d’envoi", "send_on"),  # the typographic apostrophe Word and Excel insert
        ("DATE_D'ENVOI", "send_on"),
        ("Adresse-Email", "email"),
        ("  Fuseau   Horaire ", "timezone"),
    ],
)
def test_header_spellings_fold_to_the_same_column(written: str, canonical: str) -> None:
    index = header_index({**ROSTER, **CALENDAR})
    assert index[fold(written)] == canonical
