"""Malformed admin files: each is refused with the exact row, column and value at fault,
and nothing at all is written — not a member, not a theme, not even the import lock."""

import io
import resource
import zipfile
from collections.abc import Callable
from gettext import NullTranslations
from typing import NamedTuple

import pytest
from openpyxl import Workbook

from palabre.imports.columns import ROSTER
from palabre.imports.importer import Importer, validate_file
from palabre.imports.report import ImportReport, Kind, Rejected
from palabre.imports.tabular import (
    CALENDAR_LIMITS,
    MAX_ROWS,
    ROSTER_LIMITS,
    Limits,
    RowStream,
    read_rows,
)
from tests.fakes import FakeTable
from tests.unit.examples import CORPUS, EN, FR, NOW, ORG, TODAY, populated_table

MALFORMED = CORPUS / "malformed"


class Error(NamedTuple):
    row: int | None
    column: str | None
    value: str | None
    """exactly as the report shows it"""
    message: str
    """a fragment of the English message"""


class Case(NamedTuple):
    kind: Kind
    file: str
    errors: list[Error]


ROSTER_COLUMNS = "Expected: email, first_name, last_name, circle, team, locale, timezone, role."
NOT_A_LIST = "The YAML must be a list of entries (or members: / themes: holding one)."
FORMULA = "starts like a spreadsheet formula; remove the leading"
LIVE_ONLY = "Only live sessions (kind live) have a start, a duration and a place."

CASES = [
    # ---------------------------------------------------------------- roster, encodings
    Case("roster", "roster_cp1252_semicolon_fr.csv", [
        Error(3, "Courriel", "Helene.Martin@Exemple.org", "already on row 2 (addresses ignore"),
        Error(3, "Rôle", "chef", "Unknown value; use member, admin, observer."),
        Error(3, "Langue", "allemand", "Unknown value; use fr, en."),
    ]),
    Case("roster", "roster_comma_duplicate_email_case.csv", [
        Error(4, "email", "HELENE.MARTIN@EXEMPLE.ORG", "This address is already on row 2"),
    ]),
    # The BOM must not glue itself to "Prénom" (that would be an unknown column).
    Case("roster", "roster_bom_missing_email.csv", [
        Error(1, "email", None, "The required column email is missing."),
    ]),
    Case("roster", "roster_utf16_tab_bad_timezones.csv", [
        Error(2, "timezone", "Europe/Pariss", "Unknown timezone; use an IANA name"),
        Error(3, "timezone", "Paris", "Unknown timezone; use an IANA name"),
    ]),
    Case("roster", "roster_cp1252_undefined_byte.csv", [
        Error(None, None, None, "The text cannot be read (byte 57); save the file as CSV UTF-8."),
    ]),
    Case("roster", "roster_utf16_without_bom.csv", [
        Error(None, None, None, "The file contains NUL bytes; it is not a text file."),
    ]),
    # What a zoneinfo folder holds beside the zones: Python lists them, IANA does not.
    Case("roster", "roster_host_only_timezones.csv", [
        Error(2, "timezone", "localtime", "Unknown timezone; use an IANA name"),
        Error(3, "timezone", "posixrules", "Unknown timezone; use an IANA name"),
        Error(4, "timezone", "Factory", "Unknown timezone; use an IANA name"),
    ]),
    # The separator line is honoured, not read as a column, and hidden as Excel hides it.
    Case("roster", "roster_excel_separator_line.csv", [
        Error(3, "Courriel", "zoe.dupont@exemple", "This is not a valid email address."),
    ]),
    # ---------------------------------------------------------------- roster, columns
    Case("roster", "roster_missing_circle_team_columns.csv", [
        Error(1, "circle", None, "The required column circle is missing."),
        Error(1, "team", None, "The required column team is missing."),
    ]),
    Case("roster", "roster_semicolon_missing_circle_team_cells.csv", [
        Error(2, "Team", None, "Required for members and admins (only observers"),
        Error(4, "Circle", None, "Required for members and admins (only observers"),
    ]),
    Case("roster", "roster_unknown_column.csv", [
        Error(1, "manager", "manager", f"Unknown column. {ROSTER_COLUMNS}"),
    ]),
    Case("roster", "roster_duplicate_column.csv", [
        Error(1, "Courriel", "Courriel", "Column email appears twice (also as Email)."),
    ]),
    Case("roster", "roster_values_beyond_header.csv", [
        Error(3, None, "oops", "values beyond the last column of the header"),
    ]),
    # A value under an empty header would be dropped without a word
    Case("roster", "roster_value_under_empty_header.csv", [
        Error(3, None, "Zoé", "a value in a column whose header is empty"),
    ]),
    # ---------------------------------------------------------------- roster, values
    Case("roster", "roster_invalid_locale_role.csv", [
        Error(2, "locale", "de", "Unknown value; use fr, en."),
        Error(2, "role", "boss", "Unknown value; use member, admin, observer."),
    ]),
    Case("roster", "roster_formulas.csv", [
        Error(2, "first_name", '=HYPERLINK("http://evil.example","Clic")', f"{FORMULA} =."),
        Error(3, "circle", "@SUM(A1:A9)", f"{FORMULA} @."),
        Error(4, "first_name", "-2+3", f"{FORMULA} -."),
        Error(4, "team", "+Lyon", f"{FORMULA} +."),
    ]),
    Case("roster", "roster_invalid_emails.csv", [
        Error(2, "email", "helene.martin@exemple", "This is not a valid email address."),
        Error(3, "email", None, "An email address is required."),
        Error(4, "email", "zoé@exemple.org", "This is not a valid email address."),
    ]),
    Case("roster", "roster_bad_text_values.csv", [
        Error(2, "circle", "Cercle Été; Hiver", "The character ; is not allowed here."),
        Error(3, "first_name", "Zo\x07é", "contains control characters"),
        Error(3, "team", "x" * 65, "Too long: 65 characters, at most 64."),
    ]),
    # ---------------------------------------------------------------- roster, shape
    Case("roster", "roster_leading_empty_lines.csv", [
        Error(6, "Courriel", "zoe.dupont@exemple", "This is not a valid email address."),
    ]),
    Case("roster", "roster_empty.csv", [Error(None, None, None, "The file is empty.")]),
    Case("roster", "roster_blank_lines.csv", [Error(None, None, None, "The file is empty.")]),
    Case("roster", "roster_header_only.csv", [
        Error(None, None, None, "The file has a header but no rows."),
    ]),
    Case("roster", "roster_unclosed_quote.csv", [
        Error(3, None, None, "The CSV structure is broken here (unexpected end of data)"),
    ]),
    Case("roster", "roster_stray_quote.csv", [
        Error(3, None, None, "The CSV structure is broken here"),
    ]),
    Case("roster", "roster_legacy.xls", [
        Error(None, None, None, ".xls files are not read; save the sheet as .xlsx or .csv."),
    ]),
    Case("roster", "roster.json", [
        Error(None, None, None, "Unsupported file type .json; upload a .csv, .xlsx or .yaml"),
    ]),
    Case("roster", "roster_xlsx_renamed.csv", [
        Error(None, None, None, "This is an Excel workbook saved with a .csv name; use .xlsx."),
    ]),
    # ---------------------------------------------------------------- roster, XLSX
    # Rows 3, 4 and 6 are empty: the rows reported are still the sheet's own numbers.
    Case("roster", "roster_empty_rows_and_formula.xlsx", [
        Error(5, "E-mail", "pas-une-adresse", "This is not a valid email address."),
        Error(7, "Team", '=UPPER("lyon")', 'holds a formula (=UPPER("lyon")); type the value'),
    ]),
    Case("roster", "roster_merged_cells.xlsx", [
        Error(4, "Circle", None, "part of the merged range C3:C4; unmerge it"),
    ]),
    Case("roster", "roster_header_only.xlsx", [
        Error(None, None, None, "The file has a header but no rows."),
    ]),
    Case("roster", "roster_not_a_workbook.xlsx", [
        Error(None, None, None, "This is not a readable .xlsx workbook."),
    ]),
    Case("roster", "roster_broken_sheet_xml.xlsx", [
        Error(None, None, None, "This is not a readable .xlsx workbook."),
    ]),
    Case("roster", "roster_no_worksheet.xlsx", [
        Error(None, None, None, "This is not a readable .xlsx workbook."),
    ]),
    # ---------------------------------------------------------------- roster, YAML
    Case("roster", "roster_mapping.yaml", [Error(None, None, None, NOT_A_LIST)]),
    Case("roster", "roster_scalar.yaml", [Error(None, None, None, NOT_A_LIST)]),
    Case("roster", "roster_nested_values.yaml", [
        Error(2, "circle", None, "Expected a single value or a list of values here."),
        Error(3, "team", None, "Expected a single value or a list of values here."),
    ]),
    Case("roster", "roster_anchors.yaml", [
        Error(3, "circle", None, "YAML anchors and aliases are not accepted"),
    ]),
    Case("roster", "roster_entries_not_mappings.yaml", [
        Error(2, None, None, "Each entry must be a mapping of column: value (line 2)."),
        Error(4, None, None, "Each entry must be a mapping of column: value (line 6)."),
    ]),
    Case("roster", "roster_broken.yaml", [
        Error(None, None, None, "The YAML cannot be read at line 3"),
    ]),
    Case("roster", "roster_unknown_key.yaml", [
        Error(2, "manager", "manager", f"Unknown column. {ROSTER_COLUMNS}"),
    ]),
    Case("roster", "roster_latin1.yaml", [
        Error(None, None, None, "YAML files must be UTF-8 (byte 54 is not)."),
    ]),
    # PyYAML composes one level per recursive call: this used to end in RecursionError.
    Case("roster", "roster_deeply_nested.yaml", [
        Error(None, None, None, "cannot be read at line 1: values are nested more than 20"),
    ]),
    # ---------------------------------------------------------------- calendar, CSV
    Case("calendar", "calendar_cp1252_semicolon_fr_dates.csv", [
        Error(2, "Date", "31/02/2027", "There is no such date."),
        Error(3, "Date", "15/02/2027", "This date is in the past (today is 2027-03-01)."),
        Error(4, "Date", "2027/03/10", "Expected a date such as 2027-03-02 or 02/03/2027."),
    ]),
    Case("calendar", "calendar_missing_required_columns.csv", [
        Error(1, "send_on", None, "The required column send_on is missing."),
        Error(1, "title", None, "The required column title is missing."),
        Error(1, "prompt", None, "The required column prompt is missing."),
    ]),
    Case("calendar", "calendar_missing_prompt_column.csv", [
        Error(1, "prompt", None, "The required column prompt is missing."),
    ]),
    Case("calendar", "calendar_missing_values.csv", [
        Error(2, "title", None, "A value is required."),
        Error(3, "send_on", None, "A value is required."),
        Error(4, "prompt", None, "A value is required."),
    ]),
    Case("calendar", "calendar_live_without_start_location.csv", [
        Error(2, "starts_at", None, "A live session needs a start and a place."),
        Error(2, "location", None, "A live session needs a start and a place."),
    ]),
    Case("calendar", "calendar_live_fields_mismatch.csv", [
        Error(2, "début", "2027-03-11 14:00", LIVE_ONLY),
        Error(2, "lieu", "Salle 2", LIVE_ONLY),
        Error(3, "début", "2027-03-11 14:00", "The session starts before the theme is sent."),
    ]),
    Case("calendar", "calendar_capacity.csv", [
        Error(2, "capacité", "10", "Only live sessions (kind live) have a capacity."),
        Error(3, "capacité", "0", "Expected a number from 1 to 100,000."),
        Error(4, "capacité", "douze", "Expected a whole number."),
    ]),
    Case("calendar", "calendar_bad_offset.csv", [
        Error(2, "starts_at", "2027-03-11 14:00+25:00", "There is no such time."),
        Error(3, "starts_at", "2027-03-13 14:00+01:99", "There is no such time."),
    ]),
    Case("calendar", "calendar_reminder_not_before_deadline.csv", [
        Error(2, "reminder_days", "3", "The reminder must come before the deadline (3 days)."),
        Error(3, "reminder_days", "5", "The reminder must come before the deadline (2 days)."),
    ]),
    Case("calendar", "calendar_unknown_audience.csv", [
        Error(2, "audience", "Cercle Été; Marketing", "No circle or team is called Marketing"),
    ]),
    Case("calendar", "calendar_formulas.csv", [
        Error(2, "title", '=HYPERLINK("http://evil.example","Cliquez")', f"{FORMULA} =."),
        Error(3, "prompt", "@SUM(1+1)*cmd|' /C calc'!A0", f"{FORMULA} @."),
    ]),
    Case("calendar", "calendar_utf16_tab_bad_times_numbers.csv", [
        Error(2, "send_at", "25:00", "There is no such time."),
        Error(2, "deadline_days", "0", "Expected a number from 1 to 90."),
        Error(3, "send_at", "midi", "Expected a time such as 09:00 or 9h30."),
        Error(3, "points", "beaucoup", "Expected a whole number."),
    ]),
    Case("calendar", "calendar_bad_and_duplicate_ids.csv", [
        Error(2, "id", "Écoute Active", "Use lowercase letters, digits and hyphens"),
        Error(4, "title", "2027-03-11-deux", "Theme 2027-03-11-deux is already on row 3."),
        Error(6, "id", "deux", "Theme deux is already on row 5."),
    ]),
    Case("calendar", "calendar_multiline_prompt.csv", [
        Error(3, "send_on", "31/02/2027", "There is no such date."),
    ]),
    Case("calendar", "calendar_unknown_kind.csv", [
        Error(2, "kind", "webinaire", "Unknown value; use practice, question, live."),
    ]),
    Case("calendar", "calendar_header_only.csv", [
        Error(None, None, None, "The file has a header but no rows."),
    ]),
    # ---------------------------------------------------------------- calendar, XLSX
    Case("calendar", "calendar_formula_cells.xlsx", [
        Error(2, "send_on", "=DATE(2027,3,10)", "This cell holds a formula (=DATE(2027,3,10))"),
        # a row of formulas only is refused, not skipped as an empty row
        Error(3, "send_on", "=A2+7", "This cell holds a formula (=A2+7)"),
        Error(3, "title", "=B2", "This cell holds a formula (=B2)"),
        Error(3, "prompt", "=C2", "This cell holds a formula (=C2)"),
    ]),
    Case("calendar", "calendar_date_cells.xlsx", [
        Error(2, "send_on", "2027-03-10T10:30:00", "Expected a date without a time."),
        Error(3, "send_on", "2027-02-01T00:00:00", "This date is in the past"),
        Error(4, "starts_at", "2027-03-11T14:00:00", "The session starts before the theme"),
    ]),
    Case("calendar", "calendar_merged_cells.xlsx", [
        Error(2, "Prompt", None, "part of the merged range B2:C2"),
        Error(4, "audience", None, "part of the merged range D3:D4"),
    ]),
    Case("calendar", "calendar_empty_rows.xlsx", [
        Error(6, "Send On", "31/02/2027", "There is no such date."),
        Error(9, "TITLE", None, "A value is required."),
    ]),
    # ---------------------------------------------------------------- calendar, YAML
    Case("calendar", "calendar_comment_only.yaml", [Error(None, None, None, NOT_A_LIST)]),
    Case("calendar", "calendar_nested_mappings.yaml", [Error(None, None, None, NOT_A_LIST)]),
    Case("calendar", "calendar_aliases.yaml", [
        Error(3, "title", None, "YAML anchors and aliases are not accepted"),
        Error(3, "prompt", None, "YAML anchors and aliases are not accepted"),
    ]),
    Case("calendar", "calendar_wrong_values.yaml", [
        Error(2, "audience", None, "Expected a single value or a list of values here."),
    ]),
    Case("calendar", "calendar_lists_for_values.yaml", [
        Error(2, "title", "Écoute; Feedback", "Expected a single value, not a list."),
        Error(2, "points", "1; 2", "Expected a whole number."),
    ]),
]  # fmt: skip


def _import(
    kind: Kind,
    filename: str,
    data: bytes,
    table: FakeTable,
    translations: NullTranslations = EN,
) -> ImportReport:
    return Importer(table, ORG).run(kind, filename, data, now=NOW, translations=translations)


def _order(errors: list[Error]) -> list[Error]:
    return sorted(errors, key=lambda e: (e.row or 0, e.column or "", e.value or ""))


def test_every_malformed_file_has_its_expectations() -> None:
    assert sorted(c.file for c in CASES) == sorted(p.name for p in MALFORMED.iterdir())
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_malformed_file_is_refused_where_it_is_wrong(case: Case) -> None:
    # Given an organisation with a roster, a directory and a calendar
    table = populated_table()
    before = table.snapshot()

    # When the admin uploads the file
    report = _import(case.kind, case.file, (MALFORMED / case.file).read_bytes(), table)

    # Then the report names every error by row, column and value, in row order
    assert not report.ok
    assert report.kind == case.kind
    found = [Error(e.row, e.column, e.value, e.message) for e in report.errors]
    assert [(e.row, e.column, e.value) for e in _order(found)] == [
        (e.row, e.column, e.value) for e in _order(case.errors)
    ]
    for error, expected in zip(_order(found), _order(case.errors), strict=True):
        assert expected.message in error.message
    rows = [e.row or 0 for e in report.errors]
    assert rows == sorted(rows)
    # and nothing at all is written
    assert table.writes == []
    assert table.items == before


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_malformed_file_is_reported_in_french(case: Case) -> None:
    data = (MALFORMED / case.file).read_bytes()
    english = _import(case.kind, case.file, data, populated_table())
    french = _import(case.kind, case.file, data, populated_table(), translations=FR)

    assert [(e.row, e.column, e.value) for e in french.errors] == [
        (e.row, e.column, e.value) for e in english.errors
    ]
    for en, fr in zip(english.errors, french.errors, strict=True):
        assert fr.message != en.message
        assert "%(" not in fr.message


@pytest.mark.parametrize(
    ("file", "kind", "french"),
    [
        ("roster_cp1252_semicolon_fr.csv", "roster", "Cette adresse figure déjà ligne 2"),
        ("calendar_cp1252_semicolon_fr_dates.csv", "calendar", "Cette date n'existe pas."),
        ("calendar_formula_cells.xlsx", "calendar", "contient une formule (=DATE(2027,3,10))"),
        ("roster_empty.csv", "roster", "Le fichier est vide."),
    ],
    ids=["duplicate-email", "impossible-date", "formula-cell", "empty-file"],
)
def test_french_report_reads_as_the_catalog_says(file: str, kind: Kind, french: str) -> None:
    report = _import(
        kind, file, (MALFORMED / file).read_bytes(), populated_table(), translations=FR
    )
    assert french in report.errors[0].message


# ---------------------------------------------------------------------------- limits
# Too big to commit: these files are made here.
def _roster_csv(count: int, *, blank_every: int = 0) -> bytes:
    lines = ["email,circle,team"]
    for i in range(count):
        lines.append(f"membre{i}@exemple.org,Cercle Été,Équipe Lyon")
        if blank_every and i % blank_every == 0:
            lines.append("")
    return ("\n".join(lines) + "\n").encode()


def _calendar_csv(count: int) -> bytes:
    return b"title,prompt\n" + b"Titre,Consigne\n" * count


def _calendar_xlsx(count: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["title", "prompt"])
    for _ in range(count):
        sheet.append(["Titre", "Consigne"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TOO_MANY_ROWS = "The file has more than 20,000 rows; split it or remove empty rows."


@pytest.mark.parametrize(
    ("kind", "filename", "limits", "shown"),
    [
        ("calendar", "big.csv", CALENDAR_LIMITS, "5.1 MB; the limit is 5 MB"),
        ("calendar", "big.xlsx", CALENDAR_LIMITS, "5.1 MB; the limit is 5 MB"),
        ("roster", "big.csv", ROSTER_LIMITS, "50.1 MB; the limit is 50 MB"),
        ("roster", "big.xlsx", ROSTER_LIMITS, "50.1 MB; the limit is 50 MB"),
        # a YAML file is composed whole before it is read: the calendar's limit, any kind
        ("roster", "big.yaml", CALENDAR_LIMITS, "5.1 MB; the limit is 5 MB"),
    ],
)
def test_file_over_its_kinds_limit_is_refused_before_it_is_read(
    kind: Kind, filename: str, limits: Limits, shown: str
) -> None:
    table = populated_table()
    data = b"email,circle,team\n" + b"x" * limits.max_bytes

    report = _import(kind, filename, data, table)

    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (None, None, f"The file is {shown}.")
    ]
    assert table.writes == []


@pytest.mark.parametrize(
    ("kind", "filename", "data"),
    [
        ("calendar", "many.csv", lambda: _calendar_csv(MAX_ROWS + 1)),
        ("calendar", "many.xlsx", lambda: _calendar_xlsx(MAX_ROWS + 1)),
        # entries are counted before they are read, so empty ones are enough here
        ("roster", "many.yaml", lambda: b"- {}\n" * (MAX_ROWS + 1)),
    ],
    ids=["csv", "xlsx", "yaml"],
)
def test_file_over_20000_rows_is_refused(
    kind: Kind, filename: str, data: Callable[[], bytes]
) -> None:
    table = populated_table()

    report = _import(kind, filename, data(), table)

    assert [(e.row, e.column, e.message) for e in report.errors] == [(None, None, TOO_MANY_ROWS)]
    assert table.writes == []


def test_a_roster_over_200000_rows_is_refused_as_its_rows_are_read() -> None:
    """A roster streams: its 200,001st row stops the reading (each row before it read
    once, and validated as it comes in an import)."""
    rows = read_rows(
        "many.csv", _roster_csv(ROSTER_LIMITS.max_rows + 1, blank_every=20_000), ROSTER,
        ROSTER_LIMITS,
    )  # fmt: skip
    assert isinstance(rows, RowStream)
    read: list[int] = []

    with pytest.raises(Rejected) as refused:
        read.extend(row.number for row in rows)

    assert rows.count == ROSTER_LIMITS.max_rows
    assert [i.message for i in refused.value.issues] == [
        "The file has more than %(limit)s rows; split it or remove empty rows."
    ]
    assert refused.value.issues[0].params == {"limit": "200,000"}


def test_20000_rows_are_accepted() -> None:
    report, members = validate_file(
        "roster", "many.csv", _roster_csv(MAX_ROWS), ORG, today=TODAY, translations=EN
    )
    assert report.ok
    assert report.rows == len(members) == MAX_ROWS


def test_empty_lines_neither_count_nor_hide_the_rows_after_them() -> None:
    # Regression: empty lines used to count against the limit while reading, so a file of
    # 20,000 members and a few empty lines lost its last members without a word (and the
    # import then deactivated them), and a file over the limit went through.
    report, members = validate_file(
        "roster", "gaps.csv", _roster_csv(MAX_ROWS, blank_every=2000), ORG,
        today=TODAY, translations=EN,
    )  # fmt: skip
    assert report.ok
    assert report.rows == len(members) == MAX_ROWS
    assert members[-1].email == f"membre{MAX_ROWS - 1}@exemple.org"

    too_many, _ = validate_file(
        "calendar", "gaps.csv", _calendar_csv(MAX_ROWS + 1).replace(b"Consigne\n", b"Consigne\n\n"),
        ORG, today=TODAY, translations=EN,
    )  # fmt: skip
    assert [e.message for e in too_many.errors] == [TOO_MANY_ROWS]


# ---------------------------------------------------------------------------- refused
@pytest.mark.parametrize(
    ("file", "rows"),
    [
        ("roster_unknown_column.csv", 1),
        ("roster_values_beyond_header.csv", 2),
        ("roster_merged_cells.xlsx", 3),
        ("roster_unknown_key.yaml", 1),
        ("roster_entries_not_mappings.yaml", 3),
        ("roster_empty.csv", 0),
    ],
)
def test_a_file_refused_while_read_still_counts_its_rows(file: str, rows: int) -> None:
    report = _import("roster", file, (MALFORMED / file).read_bytes(), populated_table())

    assert not report.ok
    assert report.rows == rows


def test_a_cell_longer_than_the_csv_module_allows_is_reported_as_too_long() -> None:
    # 131,072 characters is the csv module's default field limit.
    data = f"email,circle,team\na@exemple.org,Cercle Été,{'x' * 200_000}\n".encode()

    report = _import("roster", "long.csv", data, populated_table())

    assert [(e.row, e.message) for e in report.errors] == [
        (2, "A cell is longer than 10,000 characters.")
    ]


@pytest.mark.parametrize("separator", [";", "|", "\t"])
def test_excel_separator_line_names_the_separator(separator: str) -> None:
    lines = ["email", "circle", "team"], ["a@exemple.org", "Cercle, Été", "Équipe Lyon"]
    data = f"SEP={separator}\r\n" + "".join(separator.join(cells) + "\r\n" for cells in lines)

    report, members = validate_file(
        "roster", "excel.csv", data.encode("utf-8-sig"), ORG, today=TODAY, translations=EN
    )

    assert report.ok, report.errors
    assert report.rows == 1
    assert members[0].circle == "Cercle, Été"


# ---------------------------------------------------------------------------- bombs
# A few hundred KB of zip that inflates to millions of cells; before it was streamed, the
# first sheet was loaded whole (1.9 GB and 34 s for 5 million cells, in a 1024 MB Lambda).
_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEADER = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>prompt</t></is></c></row>'
)


def _compressible_xlsx(
    rows: bytes, *, strings: bytes = b"", styles: bytes = b"<cellXfs><xf/></cellXfs>"
) -> bytes:
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{_PACKAGE}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{_PACKAGE}/relationships"><Relationship Id="r1" '
        f'Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {_MAIN} xmlns:r="{_RELATIONSHIPS}"><sheets>'
        '<sheet name="Feuil1" sheetId="1" r:id="r1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PACKAGE}/relationships">'
        f'<Relationship Id="r1" Type="{_RELATIONSHIPS}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/sharedStrings.xml", f"<sst {_MAIN}>".encode() + strings + b"</sst>")
        archive.writestr(
            "xl/styles.xml", f"<styleSheet {_MAIN}>".encode() + styles + b"</styleSheet>"
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet {_MAIN}><dimension ref="A1:B2"/><sheetData>'.encode()
            + _HEADER
            + rows
            + b"</sheetData></worksheet>",
        )
    return out.getvalue()


TOO_LARGE = "The workbook is too large once uncompressed."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # a million rows of one number each: reading stops after 20,001 of them
        (lambda: _compressible_xlsx(b"<row><c><v>1</v></c></row>" * 1_000_000), TOO_MANY_ROWS),
        # 4,000 rows of 250 numbers: a million cells, past what 20,000 rows can need
        (
            lambda: _compressible_xlsx((b"<row>" + b"<c><v>1</v></c>" * 250 + b"</row>") * 4_000),
            TOO_LARGE,
        ),
        # one row of 100,000 cells, wider than Excel's 16,384 columns
        (
            lambda: _compressible_xlsx(b"<row>" + b"<c><v>1</v></c>" * 100_000 + b"</row>"),
            TOO_LARGE,
        ),
        # shared strings and styles are read before any row: counted before they are parsed
        (lambda: _compressible_xlsx(b"", strings=b"<si/>" * 1_000_000), TOO_LARGE),
        (
            lambda: _compressible_xlsx(
                b"", styles=b"<cellXfs>" + b"<xf/>" * 200_000 + b"</cellXfs>"
            ),
            TOO_LARGE,
        ),
    ],
    ids=["tall", "wide", "one-wide-row", "shared-strings", "styles"],
)
def test_compressible_workbook_is_refused_in_bounded_memory(
    data: Callable[[], bytes], message: str
) -> None:
    workbook = data()
    assert len(workbook) < 500_000
    table = populated_table()
    # The process's high-water mark (KB on Linux), cheaper than tracemalloc, which makes
    # openpyxl four times slower: it can only grow if the import needs more than was
    # ever needed before it.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # A calendar's limits: a roster's are ten times as large (docs/files.md#limits).
    report = _import("calendar", "bomb.xlsx", workbook, table)

    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert [(e.row, e.column, e.message) for e in report.errors] == [(None, None, message)]
    assert grown < 128 * 1024
    assert table.writes == []
