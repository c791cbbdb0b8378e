"""Dates in words in one place (core/dates.py): French writes the first of a month 1er
(« lundi 1er février 2027 »), where Babel writes 1; every other day, date in figures,
year, time and language is written as Babel writes it."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import babel.dates
import pytest

from palabre.core.dates import NAMED, format_date, format_datetime, format_skeleton
from palabre.core.i18n import Dated
from palabre.mail.render import environment
from tests.unit.examples import TEMPLATES

PARIS, MONTREAL = ZoneInfo("Europe/Paris"), ZoneInfo("America/Montreal")
FIRST = date(2027, 2, 1)  # a Monday
PATTERNS = ("d MMMM", "EEEE d MMMM", "d MMM", "dd/MM/y")
WITH_TIME = (*PATTERNS, "EEE d MMM, HH:mm", "d MMMM y, HH:mm")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("full", "lundi 1er février 2027"),
        ("long", "1er février 2027"),
        ("medium", "1er févr. 2027"),
        ("d MMMM", "1er février"),
        ("EEEE d MMMM", "lundi 1er février"),
        ("d MMM", "1er févr."),
    ],
)
def test_french_writes_the_first_of_the_month_1er(fmt: str, expected: str) -> None:
    assert format_date(FIRST, fmt, locale="fr") == expected


@pytest.mark.parametrize("day", [11, 21, 31])
def test_french_days_that_end_in_one_are_written_as_babel_writes_them(day: int) -> None:
    on = date(2027, 1, day)
    for fmt in (*NAMED, *PATTERNS):
        assert format_date(on, fmt, locale="fr") == babel.dates.format_date(on, fmt, locale="fr")
    assert format_date(on, "full", locale="fr").endswith(f" {day} janvier 2027")


def test_english_is_written_as_babel_writes_it_on_the_first_too() -> None:
    for fmt in (*NAMED, *PATTERNS):
        assert format_date(FIRST, fmt, locale="en") == babel.dates.format_date(
            FIRST, fmt, locale="en"
        )
    assert format_date(FIRST, "long", locale="en") == "February 1, 2027"
    assert format_date(FIRST, "EEEE d MMMM", locale="en") == "Monday 1 February"


def test_a_date_in_figures_keeps_its_1() -> None:
    """Given the first of a month in a French pattern that has no month in words
    Then it stays in figures: 1er belongs beside a month's name."""
    assert format_date(FIRST, "short", locale="fr") == "01/02/2027"
    assert format_date(FIRST, "d/M", locale="fr") == "1/2"
    assert format_skeleton("Md", FIRST, locale="fr") == "01/02"


def test_only_the_day_field_changes_not_a_year_or_a_time_holding_a_1() -> None:
    moment = datetime(2001, 1, 1, 1, 1, tzinfo=UTC)
    assert format_datetime(moment, "d MMMM y, H:mm", locale="fr") == "1er janvier 2001, 1:01"
    assert format_datetime(moment, "d MMMM y 'le d'", locale="fr") == "1er janvier 2001 le d"


def test_a_moment_is_the_first_on_the_clocks_it_is_shown_on() -> None:
    """Given 00:30 UTC on 2 February: the 1st in Montreal, the 2nd in Paris."""
    moment = datetime(2027, 2, 2, 0, 30, tzinfo=UTC)
    pattern = "EEEE d MMMM y, HH:mm"
    assert format_datetime(moment, pattern, MONTREAL, "fr") == "lundi 1er février 2027, 19:30"
    assert format_datetime(moment, pattern, PARIS, "fr") == "mardi 2 février 2027, 01:30"
    first = datetime(2027, 2, 1, 13, tzinfo=UTC)
    assert format_datetime(first, "long", PARIS, "fr") == "1er février 2027, 14:00:00 +0100"
    assert format_datetime(first, "full", PARIS, "fr").startswith("lundi 1er février 2027, 14:00")


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("zone", [None, PARIS, MONTREAL])
def test_other_days_of_a_moment_are_written_as_babel_writes_them(
    locale: str, zone: ZoneInfo | None
) -> None:
    moment = datetime(2027, 2, 11, 0, 30, tzinfo=UTC)
    for fmt in (*NAMED, *WITH_TIME):
        assert format_datetime(moment, fmt, zone, locale) == babel.dates.format_datetime(
            moment, fmt, tzinfo=zone, locale=locale
        )
    for skeleton in ("Md", "MMMEd", "yMMMd"):
        assert format_skeleton(skeleton, moment, zone, locale) == babel.dates.format_skeleton(
            skeleton, moment, tzinfo=zone, locale=locale
        )


def test_a_skeleton_with_the_month_in_words_writes_1er() -> None:
    assert format_skeleton("MMMEd", FIRST, locale="fr") == "lun. 1er févr."


def test_the_templates_filters_write_1er() -> None:
    """Given the date and datetime filters every email and page formats with
    When they show the first of a month to a French and an English reader
    Then French reads 1er, English 1."""
    source = "{{ day|date('d MMMM') }} · {{ day|date }} · {{ at|datetime('EEEE d MMMM, HH:mm') }}"
    at = datetime(2027, 2, 1, 14, tzinfo=PARIS)
    shown = {
        locale: environment(TEMPLATES, locale).from_string(source).render(day=FIRST, at=at)
        for locale in ("fr", "en")
    }
    assert shown["fr"] == "1er février · 1er février 2027 · lundi 1er février, 14:00"
    assert shown["en"] == "1 February · February 1, 2027 · Monday 1 February, 14:00"


def test_titles_with_their_dates_quote_and_date_as_the_reader_writes() -> None:
    """The cancellation guard's and the capacity warning's titles with their days."""
    names = Dated([("Écoute", FIRST), ("Feedback", date(2027, 2, 21))])
    assert (
        names.text("fr")
        == "«\u00a0Écoute\u00a0» (1er février 2027), «\u00a0Feedback\u00a0» (21 février 2027)"
    )
    assert names.text("en") == "“Écoute” (February 1, 2027), “Feedback” (February 21, 2027)"
