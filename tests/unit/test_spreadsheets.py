"""The spreadsheets Palabre writes (palabre.spreadsheets): CSV as the organisation's Excel
splits it, and .xlsx read back with openpyxl, as a spreadsheet program would."""

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from palabre.spreadsheets import (
    MAX_CELL,
    Sheet,
    column_letter,
    csv_bytes,
    xlsx_bytes,
)

HEADER = ["Thème", "Réponses", "Taux", "Envoyé le", "Répondu le"]
ROW = ["Nos rituels", 12, 0.5, date(2026, 12, 1), datetime(2026, 12, 1, 9, 5)]


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def read_csv(data: bytes, separator: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator))


# ---------------------------------------------------------------------------- CSV
def test_a_french_organisations_csv_is_semicolon_separated_with_a_decimal_comma() -> None:
    """Given a French organisation's rows, when written as CSV, then French Excel reads
    them in columns: `;` between cells, `0,5` a number, dates as it parses them."""
    data = csv_bytes(HEADER, [ROW], locale="fr")

    assert data.decode("utf-8-sig").splitlines()[0] == "Thème;Réponses;Taux;Envoyé le;Répondu le"
    assert read_csv(data, ";") == [
        HEADER,
        ["Nos rituels", "12", "0,5", "2026-12-01", "2026-12-01 09:05"],
    ]


def test_an_english_organisations_csv_is_comma_separated_with_a_decimal_point() -> None:
    """Given an English organisation, when written as CSV, then `,` and `0.5`."""
    data = csv_bytes(HEADER, [ROW], locale="en")

    assert read_csv(data, ",")[1] == ["Nos rituels", "12", "0.5", "2026-12-01", "2026-12-01 09:05"]


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        (0.1 + 0.2, "0,30000000000000004", "0.30000000000000004"),
        (1e-7, "0,0000001", "0.0000001"),
        (2.0, "2", "2"),
        (-3.25, "-3,25", "-3.25"),
        (Decimal("33.30"), "33,3", "33.3"),
        (1234567.5, "1234567,5", "1234567.5"),
    ],
)
def test_numbers_are_written_without_exponent_nor_grouping(value: float, fr: str, en: str) -> None:
    """Given a float or a decimal, then one plain number: never 1e-07, never 1 234 567."""
    assert read_csv(csv_bytes(["n"], [[value]], locale="fr"), ";")[1] == [fr]
    assert read_csv(csv_bytes(["n"], [[value]], locale="en"), ",")[1] == [en]


def test_a_number_that_is_no_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not a number"):
        csv_bytes(["n"], [[float("nan")]], locale="fr")


def test_hostile_text_is_inert_and_whole_in_a_french_csv() -> None:
    """Given formula, quotes, line breaks, separators and bidi controls in answers, when
    written as a French CSV, then each cell reads back whole, every piece that would start
    a formula behind an apostrophe, and no bidi control left."""
    hostile = [
        "=cmd|' /C calc'!A0",
        '"quoted"; then\r\n@SUM(A1:A2)',
        "ok;=1+2",
        "\u202eevil\u202c txt",
        "-5",
    ]
    back = read_csv(csv_bytes(["answer"], [[h] for h in hostile], locale="fr"), ";")

    assert [row[0] for row in back[1:]] == [
        "'=cmd|' /C calc'!A0",
        '"quoted"; then\r\n\'@SUM(A1:A2)',
        "ok;'=1+2",
        "evil txt",
        "'-5",
    ]


# ---------------------------------------------------------------------------- .xlsx
def test_an_xlsx_holds_numbers_as_numbers_and_dates_as_dates() -> None:
    """Given rows of text, numbers and dates, when written as .xlsx and opened, then each
    cell has its type and value, and the header row is bold and stays in view."""
    book = workbook(xlsx_bytes([Sheet("Réponses", HEADER, [ROW, ["", 0, None, None, None]])]))

    [sheet] = book.worksheets
    assert sheet.title == "Réponses"
    assert [c.value for c in sheet[1]] == HEADER
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    theme, count, rate, sent_on, answered_at = sheet[2]
    assert (theme.value, theme.data_type) == ("Nos rituels", "s")
    assert (count.value, count.data_type) == (12, "n")
    assert (rate.value, rate.data_type) == (0.5, "n")
    assert sent_on.is_date
    assert sent_on.value == datetime(2026, 12, 1)
    assert sent_on.number_format == "yyyy-mm-dd"
    assert answered_at.is_date
    assert answered_at.value == datetime(2026, 12, 1, 9, 5)
    assert answered_at.number_format == "yyyy-mm-dd hh:mm"
    assert [c.value for c in sheet[3]] == [None, 0, None, None, None]


def test_an_xlsx_has_one_tab_per_sheet_with_names_excel_accepts() -> None:
    """Given sheet names too long, with characters Excel refuses, or twice the same,
    then tabs Excel opens: at most 31 characters, none of []:*?/\\, all distinct."""
    names = ["Participation par thème et cercle ou équipe", "a/b:c?", "Scores", "scores"]
    data = xlsx_bytes([Sheet(n, ["x"], [[n]]) for n in names])

    titles = workbook(data).sheetnames
    assert titles == ["Participation par thème et cerc", "a b c", "Scores", "scores (4)"]
    assert len(set(titles)) == 4


def test_text_that_looks_like_a_formula_stays_text_in_an_xlsx() -> None:
    """Given answers that start like formulas, when opened, then each is the exact text,
    typed as text (never a formula), and marked as Excel marks a leading apostrophe."""
    payloads = ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\uff1d1+2", "=1\n+2"]
    sheet = workbook(xlsx_bytes([Sheet("a", ["answer"], [[p] for p in payloads])])).active
    assert sheet is not None

    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == payloads
    assert {c.data_type for c in cells} == {"s"}
    assert all(c.quotePrefix for c in cells)
    raw = zipfile.ZipFile(io.BytesIO(xlsx_bytes([Sheet("a", ["x"], [[p] for p in payloads])])))
    assert b"<f>" not in raw.read("xl/worksheets/sheet1.xml")


def test_hostile_text_is_kept_readable_and_well_formed_in_an_xlsx() -> None:
    """Given quotes, markup, line breaks, emoji, bidi controls and characters XML cannot
    hold, then the file opens, the text is as written without the bidi controls and
    the unholdable characters, and a cell with line breaks wraps."""
    texts = [
        '<b>"Bonjour" & </t></is>',
        "ligne 1\r\nligne 2",
        "👩‍💻 équipe",
        "\u202eevil\u2066 txt",
        "nul\x00 bell\x07 ok",
        "  leading and trailing  ",
    ]
    sheet = workbook(xlsx_bytes([Sheet("a", ["answer"], [[t] for t in texts])])).active
    assert sheet is not None

    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [
        '<b>"Bonjour" & </t></is>',
        "ligne 1\nligne 2",
        "👩‍💻 équipe",
        "evil txt",
        "nul bell ok",
        "  leading and trailing  ",
    ]
    assert cells[1].alignment.wrap_text


def test_a_cell_longer_than_excel_holds_is_cut() -> None:
    sheet = workbook(xlsx_bytes([Sheet("a", ["x"], [["é" * (MAX_CELL + 10)]])])).active
    assert sheet is not None
    assert sheet["A2"].value == "é" * MAX_CELL


def test_a_workbook_needs_a_sheet() -> None:
    with pytest.raises(ValueError, match="needs a sheet"):
        xlsx_bytes([])


def test_the_same_rows_make_the_same_file() -> None:
    """No timestamp inside: the same content, the same bytes."""
    sheets = [Sheet("a", HEADER, [ROW])]
    assert xlsx_bytes(sheets) == xlsx_bytes(sheets)


@pytest.mark.parametrize(
    ("n", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (703, "AAA")]
)
def test_column_letters(n: int, letters: str) -> None:
    assert column_letter(n) == letters


@given(st.lists(st.text(max_size=40) | st.integers(-(10**12), 10**12), max_size=6))
def test_any_text_or_number_opens_as_written(values: list[str | int]) -> None:
    """Whatever the text (any code point) or whole number, the file opens and gives back
    the value, less only what XML cannot hold and the bidi and invisible characters."""
    from palabre.core.text import without_spoofing
    from palabre.spreadsheets import _xml_text

    sheet = workbook(xlsx_bytes([Sheet("a", ["v"], [[v] for v in values])])).active
    assert sheet is not None

    back = [row[0].value for row in sheet.iter_rows(min_row=2, max_row=len(values) + 1)]
    expected = [v if isinstance(v, int) else _xml_text(without_spoofing(v)) or None for v in values]
    assert back + [None] * (len(values) - len(back)) == expected


def test_an_erasure_finds_a_persons_words_inside_an_xlsx_and_deletes_the_file() -> None:
    """Given an admin's .xlsx export (compressed XML) holding a member's answer and
    name, When an erasure looks for her, Then it finds them and deletes the file (an
    export under downloads/ is not rewritten: the next click builds it again)."""
    from palabre.privacy.files import Traces, scrubbed

    words = 'Mon idée : "écouter" & <reformuler>'
    data = xlsx_bytes([Sheet("Réponses", ["Auteur", "Réponse"], [["Manon P.", words]])])
    assert words.encode() not in data  # deflated: not readable as stored

    def traces(texts: set[str], names: set[str]) -> Traces:
        return Traces("manon@x.example", "m123", frozenset(texts), frozenset(names), frozenset())

    assert traces({words}, set()).found_in(data)
    assert traces(set(), {"Manon"}).found_in(data)
    assert not traces({"autre chose"}, {"Zoé"}).found_in(data)
    assert (
        scrubbed(
            "downloads/2026-12-07/x/palabre-answers-2026-12-07.xlsx", data, traces(set(), set())
        )
        is None
    )
