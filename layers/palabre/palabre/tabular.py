"""Reading admin files — CSV, XLSX, YAML — into rows of cells, as a spreadsheet shows them.

Row numbers are the ones the admin sees: the header is row 1. Nothing here knows what a
roster or a calendar means; it only turns bytes into named cells, or refuses the file
with a reason the admin can act on.
"""

import csv
import io
import math
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath
from typing import Any

import yaml

from palabre.columns import header_index
from palabre.i18n import N_
from palabre.import_report import Issue, Rejected
from palabre.text import fold

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL_CHARS = 10_000
MAX_HEADER_CHARS = 100
# An .xlsx is a zip: refuse one that inflates far beyond what 20,000 rows need.
MAX_XLSX_INFLATED = 200 * 1024 * 1024

type Value = str | int | float | date | time | datetime | list[str] | None

_FORMULA_START = ("=", "+", "@")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


@dataclass
class Row:
    number: int
    cells: dict[str, Value]
    formulas: dict[str, str] = field(default_factory=dict)


@dataclass
class Sheet:
    columns: dict[str, str]
    """canonical column name -> the header as the file writes it"""
    rows: list[Row]

    def header(self, column: str) -> str:
        return self.columns.get(column, column)


def looks_like_formula(text: str) -> bool:
    """A cell a spreadsheet would evaluate: pasted formulas, or formula injection."""
    if text.startswith(_FORMULA_START):
        return True
    return (
        text.startswith("-")
        and len(text) > 1
        and not text[1].isspace()
        and not (_NUMBER.match(text))
    )


def read_sheet(filename: str, data: bytes, spec: Mapping[str, tuple[str, ...]]) -> Sheet:
    """Parse `data` by the file's extension; raises Rejected with the reasons."""
    if len(data) > MAX_BYTES:
        raise Rejected(
            Issue(
                N_("The file is %(size)s MB; the limit is 5 MB."),
                # Rounded up: a file just over the limit must not read "5.0 MB".
                params={"size": f"{math.ceil(len(data) / 1024 / 1024 * 10) / 10:.1f}"},
            )
        )
    if not data.strip(b"\xef\xbb\xbf \t\r\n\x00"):
        raise Rejected(Issue(N_("The file is empty.")))
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        header, records = _csv_records(data)
    elif suffix == ".xlsx":
        header, records = _xlsx_records(data)
    elif suffix in (".yaml", ".yml"):
        return _yaml_sheet(data, spec)
    elif suffix in (".xls", ".ods", ".numbers"):
        raise Rejected(
            Issue(
                N_("%(suffix)s files are not read; save the sheet as .xlsx or .csv."),
                params={"suffix": suffix},
            )
        )
    else:
        raise Rejected(
            Issue(
                N_("Unsupported file type %(suffix)s; upload a .csv, .xlsx or .yaml file."),
                params={"suffix": suffix or "(none)"},
            )
        )
    return _sheet_from_records(header, records, spec)


# ---------------------------------------------------------------------------- records
# A record is (row number, [(value, formula or None), ...]) in column order.
type Record = tuple[int, list[tuple[Value, str | None]]]


def _sheet_from_records(
    header: Record | None, records: list[Record], spec: Mapping[str, tuple[str, ...]]
) -> Sheet:
    if header is None:
        raise Rejected(Issue(N_("The file has no header row.")))
    header_row, header_cells = header
    columns, positions = _columns(header_row, [v for v, _ in header_cells], spec)
    rows: list[Row] = []
    issues: list[Issue] = []
    for number, cells in records:
        if _empty(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise Rejected(
                Issue(
                    N_("The file has more than %(limit)s rows; split it or remove empty rows."),
                    params={"limit": f"{MAX_ROWS:,}"},
                )
            )
        extra = [v for v, _ in cells[len(header_cells) :] if not _blank(v)]
        unnamed = [
            v
            for i, (v, _) in enumerate(cells[: len(header_cells)])
            if i not in positions and not _blank(v)
        ]
        if extra:
            issues.append(
                Issue(
                    N_("This row has values beyond the last column of the header."),
                    row=number,
                    value=extra[0],
                )
            )
        elif unnamed:
            # Ignoring them would lose data the admin believes was imported.
            issues.append(
                Issue(
                    N_("This row has a value in a column whose header is empty; name it."),
                    row=number,
                    value=unnamed[0],
                )
            )
        row = Row(number=number, cells={})
        for position, canonical in positions.items():
            value, formula = cells[position] if position < len(cells) else (None, None)
            row.cells[canonical] = value
            if formula is not None:
                row.formulas[canonical] = formula
        rows.append(row)
    if issues:
        raise Rejected(*issues)
    return Sheet(columns=columns, rows=rows)


def _columns(
    header_row: int, names: list[Value], spec: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, str], dict[int, str]]:
    index = header_index(spec)
    columns: dict[str, str] = {}
    positions: dict[int, str] = {}
    issues: list[Issue] = []
    for position, raw in enumerate(names):
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue
        if len(text) > MAX_HEADER_CHARS:
            issues.append(
                Issue(N_("This header is too long to be a column name."), header_row, None, text)
            )
            continue
        canonical = index.get(fold(text))
        if canonical is None:
            issues.append(
                Issue(
                    N_("Unknown column. Expected: %(expected)s."),
                    header_row,
                    text,
                    text,
                    {"expected": ", ".join(spec)},
                )
            )
        elif canonical in columns:
            issues.append(
                Issue(
                    N_("Column %(canonical)s appears twice (also as %(first)s)."),
                    header_row,
                    text,
                    text,
                    {"canonical": canonical, "first": columns[canonical]},
                )
            )
        else:
            columns[canonical] = text
            positions[position] = canonical
    if issues:
        raise Rejected(*issues)
    if not columns:
        raise Rejected(Issue(N_("The file has no header row."), header_row))
    return columns, positions


def _blank(value: Value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _empty(cells: list[tuple[Value, str | None]]) -> bool:
    # A formula cell has no value but is not empty: it must be refused, not skipped.
    return all(_blank(v) and f is None for v, f in cells)


# ---------------------------------------------------------------------------- CSV
def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # Excel's "Unicode text" export
    elif data.startswith(b"PK\x03\x04"):
        raise Rejected(Issue(N_("This is an Excel workbook saved with a .csv name; use .xlsx.")))
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"  # what Excel writes for "CSV (separator: semicolon)"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise Rejected(
            Issue(
                N_("The text cannot be read (byte %(position)s); save the file as CSV UTF-8."),
                params={"position": error.start + 1},
            )
        ) from None


def _delimiter(text: str) -> str:
    """The separator the header line uses most, outside quotes (Excel: , or ;)."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    # The header is the first line that is not empty, as in _csv_records.
    for char in text.lstrip("\r\n "):
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            break
        elif char in counts and not quoted:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def _csv_records(data: bytes) -> tuple[Record | None, list[Record]]:
    text = _decode(data)
    if "\x00" in text:
        raise Rejected(Issue(N_("The file contains NUL bytes; it is not a text file.")))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: list[Record] = []
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            cells = [(_csv_value(v, number), None) for v in values]
            # Empty lines are skipped before the limit is counted: counted, they cut the
            # file short without a word, and the rows cut off would be deactivated.
            if _empty(cells):
                continue
            if len(records) > MAX_ROWS + 1:
                break
            records.append((number, cells))
    except csv.Error as error:
        raise Rejected(
            Issue(
                N_("The CSV structure is broken here (%(detail)s); check the quotes."),
                row=number + 1,
                params={"detail": str(error)},
            )
        ) from None
    if not records:
        return None, []
    return records[0], records[1:]


def _csv_value(value: str, number: int) -> str:
    if len(value) > MAX_CELL_CHARS:
        raise Rejected(
            Issue(
                N_("A cell is longer than %(limit)s characters."),
                row=number,
                params={"limit": f"{MAX_CELL_CHARS:,}"},
            )
        )
    return value.strip()


# ---------------------------------------------------------------------------- XLSX
def _xlsx_records(data: bytes) -> tuple[Record | None, list[Record]]:
    from openpyxl import load_workbook  # heavy: only imports of .xlsx files pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_XLSX_INFLATED:
                raise Rejected(Issue(N_("The workbook is too large once uncompressed.")))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), data_only=False, rich_text=False)
    except Rejected:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Rejected(Issue(N_("This is not a readable .xlsx workbook."))) from None
    sheet = workbook.worksheets[0]
    # Only the cells the file holds: iter_rows() would create every cell up to the last
    # formatted row, a million of them when a column was formatted to the bottom.
    by_row: dict[int, dict[int, Any]] = {}
    for (row, column), cell in sheet._cells.items():
        if cell.value is not None:
            by_row.setdefault(row, {})[column] = cell
    if not by_row:
        return None, []
    header_number = min(by_row)
    header_cells = by_row[header_number]
    width = max(header_cells)
    issues: list[Issue] = []
    names = [_xlsx_value(header_cells.get(c), issues) for c in range(1, width + 1)]
    header = (header_number, names)
    merged = _merged_cells(sheet, width)
    records: list[Record] = []
    for number in sorted(by_row):
        if number <= header_number:
            continue
        if len(records) > MAX_ROWS:
            break
        cells = by_row[number]
        last = max(max(cells), width)
        record = [_xlsx_value(cells.get(c), issues) for c in range(1, last + 1)]
        if not _empty(record):  # blank rows must not count against the limit
            records.append((number, record))
    for (number, column), coord in sorted(merged.items()):
        name = header[1][column - 1][0]
        if number > header_number and name is not None:
            issues.append(
                Issue(
                    N_(
                        "This cell is part of the merged range %(range)s; unmerge it "
                        "and fill every cell."
                    ),
                    row=number,
                    column=str(name).strip(),
                    params={"range": coord},
                )
            )
    if issues:
        raise Rejected(*issues)
    return header, records


def _merged_cells(sheet: Any, width: int) -> dict[tuple[int, int], str]:
    """(row, column) of every merged cell but the top-left one, which holds the value."""
    merged: dict[tuple[int, int], str] = {}
    for cells in sheet.merged_cells.ranges:
        for row in range(cells.min_row, cells.max_row + 1):
            for column in range(cells.min_col, min(cells.max_col, width) + 1):
                if (row, column) != (cells.min_row, cells.min_col):
                    merged[(row, column)] = cells.coord
    return merged


def _xlsx_value(cell: Any, issues: list[Issue]) -> tuple[Value, str | None]:
    if cell is None:
        return None, None
    value = cell.value
    if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        return None, str(getattr(value, "text", value))
    if cell.data_type == "e":
        return str(value), None
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            issues.append(
                Issue(
                    N_("A cell is longer than %(limit)s characters."),
                    row=cell.row,
                    params={"limit": f"{MAX_CELL_CHARS:,}"},
                )
            )
            return None, None
        return value.strip(), None
    if isinstance(value, bool):
        return str(value).lower(), None
    if isinstance(value, float) and value.is_integer():
        return int(value), None
    return value, None


# ---------------------------------------------------------------------------- YAML
_LIST_KEYS = {
    "roster": ("members", "membres", "roster"),
    "calendar": ("themes", "calendar", "calendrier", "thèmes"),
}


def _yaml_sheet(data: bytes, spec: Mapping[str, tuple[str, ...]]) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Rejected(
            Issue(
                N_("YAML files must be UTF-8 (byte %(position)s is not)."),
                params={"position": error.start + 1},
            )
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise Rejected(
            Issue(
                N_("The YAML cannot be read at line %(line)s: %(problem)s."),
                params={
                    "line": mark.line + 1 if mark else "?",
                    "problem": getattr(error, "problem", None) or str(error),
                },
            )
        ) from None
    entries = _yaml_entries(root)
    index = header_index(spec)
    columns: dict[str, str] = {}
    rows: list[Row] = []
    issues: list[Issue] = []
    seen: set[int] = set()
    if len(entries) > MAX_ROWS:
        raise Rejected(
            Issue(
                N_("The file has more than %(limit)s rows; split it or remove empty rows."),
                params={"limit": f"{MAX_ROWS:,}"},
            )
        )
    for position, entry in enumerate(entries):
        number = position + 2  # as if a header row came first, like the other formats
        if not isinstance(entry, yaml.MappingNode):
            issues.append(
                Issue(
                    N_("Each entry must be a mapping of column: value (line %(line)s)."),
                    row=number,
                    params={"line": entry.start_mark.line + 1},
                )
            )
            continue
        row = Row(number=number, cells={})
        for key_node, value_node in entry.value:
            key = str(key_node.value).strip()
            canonical = index.get(fold(key)) if isinstance(key_node, yaml.ScalarNode) else None
            if canonical is None:
                issues.append(
                    Issue(
                        N_("Unknown column. Expected: %(expected)s."),
                        number,
                        key,
                        key,
                        {"expected": ", ".join(spec)},
                    )
                )
                continue
            if canonical in row.cells:
                issues.append(
                    Issue(
                        N_("Column %(canonical)s appears twice (also as %(first)s)."),
                        number,
                        key,
                        key,
                        {"canonical": canonical, "first": columns.get(canonical, canonical)},
                    )
                )
                continue
            columns.setdefault(canonical, key)
            try:
                row.cells[canonical] = _yaml_value(value_node, seen)
            except _Unreadable as problem:
                issues.append(Issue(problem.message, number, key, None, problem.params))
        rows.append(row)
    if issues:
        raise Rejected(*issues)
    return Sheet(columns=columns, rows=rows)


def _yaml_entries(root: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(root, yaml.SequenceNode):
        return list(root.value)
    if isinstance(root, yaml.MappingNode) and len(root.value) == 1:
        key, value = root.value[0]
        known = {fold(k) for keys in _LIST_KEYS.values() for k in keys}
        if fold(str(key.value)) in known and isinstance(value, yaml.SequenceNode):
            return list(value.value)
    raise Rejected(
        Issue(N_("The YAML must be a list of entries (or members: / themes: holding one)."))
    )


class _Unreadable(Exception):
    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def _yaml_value(node: yaml.Node, seen: set[int]) -> Value:
    # An anchor reused through aliases is the same node twice: refusing it refuses
    # "billion laughs" expansion too.
    if id(node) in seen:
        raise _Unreadable(N_("YAML anchors and aliases are not accepted; write the value."))
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            return None
        if len(node.value) > MAX_CELL_CHARS:
            raise _Unreadable(
                N_("A cell is longer than %(limit)s characters."), limit=f"{MAX_CELL_CHARS:,}"
            )
        return node.value.strip()
    if isinstance(node, yaml.SequenceNode) and all(
        isinstance(item, yaml.ScalarNode) and id(item) not in seen for item in node.value
    ):
        return [_yaml_value(item, seen) or "" for item in node.value]
    raise _Unreadable(N_("Expected a single value or a list of values here."))
