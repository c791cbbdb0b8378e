"""The weekly digest, the pure parts of the digest: which week a run covers, CSV exports safe
against formula injection, where a circle's edition lives, the top practices and themes.

ISO weeks below were checked by hand with date.isocalendar(): 2026 starts on a Thursday,
so it has 53 ISO weeks; 2026-W01 starts on Monday 2025-12-29 and 2026-W53 ends on
Sunday 2027-01-03.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palabre.core.local_time import iso_week
from palabre.core.models import Attribution, Audience, Theme, Visibility
from palabre.core.text import inert_cell, without_spoofing
from palabre.digest.builder import ANSWERS_PER_THEME, TOP, _by_theme, _top, _view
from palabre.digest.editions import DigestAnswer, Week, edition_key
from palabre.spreadsheets import Cell
from palabre.spreadsheets import csv_bytes as write_csv

PARIS = ZoneInfo("Europe/Paris")
TOKYO = ZoneInfo("Asia/Tokyo")


# ---------------------------------------------------------------------------- the week
@pytest.mark.parametrize(
    ("moment", "zone", "week"),
    [
        (
            datetime(2026, 12, 7, 8, 0, tzinfo=PARIS),
            PARIS,
            Week("2026-W49", date(2026, 11, 30), date(2026, 12, 6)),
        ),
        (
            datetime(2027, 1, 4, 8, 0, tzinfo=PARIS),
            PARIS,
            Week("2026-W53", date(2026, 12, 28), date(2027, 1, 3)),
        ),
        (
            datetime(2026, 1, 5, 8, 0, tzinfo=PARIS),
            PARIS,
            Week("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
        ),
        # Autumn: clocks went back on Sunday 2026-10-25; Monday 08:00 CET is 07:00Z
        (
            datetime(2026, 10, 26, 7, 0, tzinfo=UTC),
            PARIS,
            Week("2026-W43", date(2026, 10, 19), date(2026, 10, 25)),
        ),
        # Spring: clocks went forward on Sunday 2027-03-28; Monday 08:00 CEST is 06:00Z
        (
            datetime(2027, 3, 29, 6, 0, tzinfo=UTC),
            PARIS,
            Week("2027-W12", date(2027, 3, 22), date(2027, 3, 28)),
        ),
        # Monday 08:00 in Tokyo is still Sunday in UTC: the organisation's day decides
        (
            datetime(2026, 12, 6, 23, 0, tzinfo=UTC),
            TOKYO,
            Week("2026-W49", date(2026, 11, 30), date(2026, 12, 6)),
        ),
        # Just after midnight on Monday, Paris time (Sunday 23:30Z)
        (
            datetime(2026, 12, 6, 23, 30, tzinfo=UTC),
            PARIS,
            Week("2026-W49", date(2026, 11, 30), date(2026, 12, 6)),
        ),
    ],
    ids=[
        "monday-0800-paris",
        "new-year-2026-W53",
        "new-year-W01-starts-in-december",
        "after-autumn-dst-change",
        "after-spring-dst-change",
        "tokyo-monday-is-sunday-in-utc",
        "paris-just-after-midnight",
    ],
)
def test_a_monday_digest_covers_the_previous_monday_to_sunday(
    moment: datetime, zone: ZoneInfo, week: Week
) -> None:
    assert Week.before(moment, zone) == week


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)),
    st.times(),
    st.sampled_from([PARIS, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Montreal")]),
)
def test_a_digest_on_any_weekday_reads_the_last_complete_week(
    day: date, at: time, zone: ZoneInfo
) -> None:
    moment = datetime.combine(day, at, tzinfo=zone)
    week = Week.before(moment, zone)
    assert (week.start.weekday(), week.end - week.start) == (0, timedelta(days=6))
    assert week.end < day <= week.end + timedelta(days=7)  # complete, and the latest one
    # A week later, the digest reads the next week: no week is skipped or read twice
    assert Week.before(moment + timedelta(days=7), zone).start == week.start + timedelta(days=7)


def test_the_week_id_is_what_date_isocalendar_says() -> None:
    week = Week.before(datetime(2027, 1, 4, 8, 0, tzinfo=PARIS), PARIS)

    assert week.start.isocalendar()[:2] == (2026, 53)
    assert week.end.isocalendar()[:2] == (2026, 53)
    assert (week.start.weekday(), week.end.weekday()) == (0, 6)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 12, 31)))
def test_every_answer_of_a_week_carries_the_week_id_its_digest_reads(day: date) -> None:
    # Answers are stored under iso_week(local time of the answer); the digest run on the
    # next Monday at 08:00 reads that same week id, whatever the day of the week.
    answered_at = datetime.combine(day, time(23, 59), tzinfo=PARIS)
    next_monday = day + timedelta(days=7 - day.weekday())
    digest_at = datetime.combine(next_monday, time(8, 0), tzinfo=PARIS)

    week = Week.before(digest_at, PARIS)

    assert week.start <= day <= week.end
    assert week.id == iso_week(answered_at)


# ---------------------------------------------------------------------------- CSV exports
@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1+1", "'\r'=1+1"),
        (-5, "-5"),
        ("Un tour de table", "Un tour de table"),
        ("a=b", "a=b"),
        (" =1", "' =1"),
        ("'déjà", "'déjà"),
        (42, "42"),
        (None, ""),
        ("", ""),
    ],
    ids=[
        "equals",
        "plus",
        "minus",
        "at",
        "tab",
        "carriage-return",
        "negative-number-stays-a-number",
        "plain-text",
        "equals-inside",
        "leading-space",
        "apostrophe-already",
        "number",
        "none",
        "empty",
    ],
)
def test_a_cell_a_spreadsheet_would_evaluate_gets_a_leading_apostrophe(
    value: object, cell: str
) -> None:
    assert inert_cell(value) == cell


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """An English organisation's file: comma-separated (test_spreadsheets.py has the
    French one's)."""
    return write_csv(header, rows, locale="en")


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_is_utf8_with_a_bom_and_crlf_line_ends() -> None:
    data = csv_bytes(["circle", "answer"], [["Bâtisseurs", "=1+1"], ["Nord", "Été"]])

    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig") == "circle,answer\r\nBâtisseurs,'=1+1\r\nNord,Été\r\n"


def test_csv_keeps_commas_quotes_and_line_breaks_inside_a_cell() -> None:
    text = 'Deux idées, "simples":\r\nécouter\npuis reformuler'

    rows = read_back(csv_bytes(["answer"], [[text]]))

    assert rows == [["answer"], [text]]


@given(
    st.lists(
        st.lists(st.text(max_size=30) | st.integers() | st.none(), min_size=3, max_size=3),
        max_size=8,
    )
)
def test_csv_reads_back_to_the_same_values_apart_from_the_apostrophe(
    rows: list[list[object]],
) -> None:
    header = ["theme", "circle", "answer"]

    back = read_back(csv_bytes(header, rows))

    assert back[0] == header
    assert back[1:] == [[inert_cell(_unspoofed(v)) for v in row] for row in rows]
    for row, read in zip(rows, back[1:], strict=True):
        for value, cell in zip(row, read, strict=True):
            text = "" if value is None else str(_unspoofed(value))
            # Only apostrophes are ever added: without them, the same text
            assert cell.replace("'", "") == text.replace("'", "")


def _unspoofed(value: object) -> object:
    """What the file keeps of a text: no bidi control nor invisible character."""
    return without_spoofing(value) if isinstance(value, str) else value


# ---------------------------------------------------------------------------- editions
@pytest.mark.parametrize(
    "spelling",
    ["Cercle Été", "cercle ete", "  CERCLE   ÉTÉ ", "cercle-été"],
    ids=["as-typed", "lower-no-accents", "upper-extra-spaces", "hyphen"],
)
def test_circles_that_fold_to_the_same_name_share_one_edition(spelling: str) -> None:
    assert edition_key("2026-W49", spelling) == edition_key("2026-W49", "Cercle Été")


def test_an_edition_key_names_its_week_and_differs_by_circle() -> None:
    key = edition_key("2026-W49", "Cercle Été")

    assert key.startswith("digests/2026-W49/circle-")
    assert key.endswith(".json")
    assert key != edition_key("2026-W49", "Cercle Hiver")
    assert key != edition_key("2026-W50", "Cercle Été")
    assert "Été" not in key


def test_the_organisation_edition_is_the_one_for_no_circle() -> None:
    assert edition_key("2026-W49", "") == "digests/2026-W49/organisation.json"


# ---------------------------------------------------------------------------- top and themes
def answer(theme: str, first_name: str, useful: int = 0, at: str = "") -> DigestAnswer:
    return DigestAnswer(
        theme_id=theme,
        author_id=f"m-{first_name.lower()}",
        first_name=first_name,
        circle="Bâtisseurs",
        text=f"{first_name}'s practice",
        visibility=Visibility.CIRCLE,
        useful=useful,
        created_at=at,
    )


def theme(theme_id: str, send_on: date, title: str) -> Theme:
    return Theme(
        id=theme_id,
        send_on=send_on,
        title=title,
        prompt="Tell us.",
        audience=Audience(everyone=True),
    )


def test_top_keeps_at_most_three_answers_voted_at_least_once_most_useful_first() -> None:
    answers = [
        answer("a", "Zoé", useful=1),
        answer("a", "Léa", useful=4),
        answer("b", "Hugo", useful=0),
        answer("b", "Inès", useful=2),
        answer("c", "Marc", useful=3),
    ]

    top = _top(answers)

    assert TOP == 3
    assert [a.first_name for a in top] == ["Léa", "Marc", "Inès"]


def test_top_leaves_out_answers_nobody_voted_for() -> None:
    answers = [answer("a", "Zoé", useful=1), answer("a", "Hugo"), answer("b", "Léa")]

    assert [a.first_name for a in _top(answers)] == ["Zoé"]
    assert _top([answer("a", "Hugo")]) == []


def test_top_breaks_ties_by_first_name() -> None:
    answers = [answer("a", "Zoé", useful=2), answer("b", "Anna", useful=2)]

    assert [a.first_name for a in _top(answers)] == ["Anna", "Zoé"]


def test_by_theme_groups_answers_under_their_theme_in_sending_order() -> None:
    themes = {
        "later": theme("later", date(2026, 12, 3), "Feedback"),
        "first": theme("first", date(2026, 12, 1), "One-to-ones"),
    }
    answers = [answer("later", "Zoé"), answer("first", "Léa"), answer("first", "Hugo")]

    grouped = _by_theme(answers, themes)

    assert [(t.id, t.title, [a.first_name for a in t.answers]) for t in grouped] == [
        ("first", "One-to-ones", ["Hugo", "Léa"]),
        ("later", "Feedback", ["Zoé"]),
    ]


def test_by_theme_shows_the_themes_sent_that_week_even_without_an_answer() -> None:
    themes = {
        "quiet": theme("quiet", date(2026, 12, 1), "Delegation"),
        "busy": theme("busy", date(2026, 12, 2), "Feedback"),
    }

    grouped = _by_theme([answer("busy", "Léa")], themes, sent=["quiet", "busy"])

    assert [(t.id, len(t.answers)) for t in grouped] == [("quiet", 0), ("busy", 1)]


def test_by_theme_puts_an_answer_to_an_unknown_theme_last_under_its_id() -> None:
    themes = {"known": theme("known", date(2026, 12, 1), "Delegation")}

    grouped = _by_theme([answer("gone", "Zoé"), answer("known", "Léa")], themes)

    assert [(t.id, t.title) for t in grouped] == [("known", "Delegation"), ("gone", "gone")]


def test_a_theme_shows_its_question_and_its_most_useful_then_newest_answers_up_to_eight() -> None:
    themes = {"t": theme("t", date(2026, 12, 1), "Feedback")}
    answers = [
        answer("t", f"Auteur{n}", useful=0, at=f"2026-12-0{1 + n % 5}T10:0{n}:00+00:00")
        for n in range(9)
    ] + [
        answer("t", "Voté", useful=2, at="2026-12-01T08:00:00+00:00"),
        answer("t", "Aussi", useful=1, at="2026-12-05T08:00:00+00:00"),
    ]

    [shown] = _by_theme(answers, themes)

    assert ANSWERS_PER_THEME == 8
    assert [a.first_name for a in shown.answers] == [
        "Voté",  # most useful first, however old
        "Aussi",
        "Auteur4",  # then the newest: 5 December, 10:04
        "Auteur8",
        "Auteur3",
        "Auteur7",
        "Auteur2",
        "Auteur6",
    ]
    assert shown.more == 3
    assert shown.prompt == "Tell us."


# ---------------------------------------------------------------------------- anonymity
def anonymous(theme: str, name: str, useful: int = 0) -> DigestAnswer:
    return answer(theme, name, useful).model_copy(update={"attribution": Attribution.ANONYMOUS})


def test_a_view_holds_back_too_few_anonymous_answers_and_keeps_no_name_of_the_rest() -> None:
    week = [anonymous("t", "A"), answer("t", "Léa"), anonymous("u", "C"), anonymous("u", "D")]
    week += [anonymous("u", "E")]

    seen, top = _view(week, [], threshold=3)

    assert [a.author_id for a in seen] == ["m-léa", "m-c", "m-d", "m-e"]
    assert [(a.first_name, a.circle) for a in seen if a.anonymous] == [("", "")] * 3
    assert seen[0].byline == "Léa · Bâtisseurs"
    assert top == []
    [edition] = _by_theme([a for a in seen if a.theme_id == "t"], {})
    assert edition.more == 0  # held back, not counted as "more"


def test_an_anonymous_practice_held_back_leaves_its_place_to_the_next() -> None:
    voted = [anonymous("t", "A", useful=5), answer("t", "Léa", useful=1)]
    voted += [answer("t", "Hugo", useful=2), answer("t", "Zoé", useful=1)]

    _, top = _view([], voted[:2], threshold=3)

    assert [a.first_name for a in top] == ["Léa"]
    # With a third answer to its theme in the view, and another anonymous one, it is
    # shown, nameless, first
    _, top = _view([anonymous("t", "B")], voted, threshold=3)
    assert [(a.author_id, a.first_name) for a in top] == [
        ("m-a", ""),
        ("m-hugo", "Hugo"),
        ("m-léa", "Léa"),
    ]


# Payloads known to run in Excel, LibreOffice or Google Sheets, alone or behind text that a
# French Excel (";"), a tab-separated paste or a "|" import splits off.
CSV_PAYLOADS = [
    "=1+2",
    "ok;=1+2",
    "ok,=1+2",
    "ok\t=1+2",
    "ok|=1+2",
    "ok; =1+2",
    'ok;"=1+2"',
    "ok;'=1+2",
    " @SUM(A1:A9)",
    '"=HYPERLINK(""http://evil.example"")"',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\uff1d1+2",
    "ok;\uff0bcmd",
    "\t=1",
    "\r=1",
    "ok\r\n=1+2",
    "ok\n@x",
    "x;;;-1",
]
DANGER = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_no_payload_comes_back_as_a_formula_whatever_the_separator_a_spreadsheet_guesses(
    separator: str,
) -> None:
    data = csv_bytes(["answer", "points"], [[p, -5] for p in CSV_PAYLOADS])
    text = data.decode("utf-8-sig")

    # Read as a spreadsheet might: split on its own separator, lines on any line break
    for line in re.split(r"\r\n|\r|\n", text)[1:]:
        for cell in line.split(separator):
            shown = cell.lstrip(' "')
            if shown[:1] in DANGER:
                # …only a plain number, and only in the numeric column
                assert cell == "-5", (separator, line)


def test_plain_text_and_numbers_come_back_unchanged() -> None:
    rows = [["Un tour de table, puis -- pause ; café", 12, -3, 0.5, "a=b", "e-mail"]]
    assert read_back(csv_bytes(["a", "b", "c", "d", "e", "f"], rows))[1] == [
        "Un tour de table, puis -- pause ; café",
        "12",
        "-3",
        "0.5",
        "a=b",
        "e-mail",
    ]
