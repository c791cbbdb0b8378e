"""Reading admin files — CSV, XLSX, YAML — into rows of cells, as a spreadsheet shows them.

Row numbers are the ones the admin sees: the header is row 1. Nothing here knows what a
roster or a calendar means; it only turns bytes into named cells, or refuses the file
with a reason the admin can act on.
"""

import bisect
import codecs
import csv
import io
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath
from typing import IO, Any
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

import yaml

from palabre.core.i18n import N_
from palabre.core.text import fold
from palabre.imports.columns import header_index
from palabre.imports.report import Issue, Rejected

MAX_CELL_CHARS = 10_000
MAX_HEADER_CHARS = 100
# Excel's own grid: openpyxl holds a whole row in memory before it hands it over.
_XLSX_ROW_ELEMENTS = 4 * 16_384


@dataclass(frozen=True)
class Limits:
    """How large a file of one kind may be (docs/files.md#limits)."""

    max_bytes: int
    max_rows: int
    xlsx_inflated: int
    """An .xlsx is a zip of XML: a few hundred KB can inflate to gigabytes, or to millions
    of tiny elements that cost openpyxl hundreds of bytes each. 20,000 rows of 32 text
    columns, as openpyxl writes them, inflate to about 50 MB."""
    cells_per_row: int = 16
    """cells kept from each row read: the calendar's 14 columns, the roster's 8, and room"""
    part_elements: int = 100_000
    """elements openpyxl parses outside the first sheet's rows (styles, workbook, sheet
    heads, merged ranges...)"""
    string_elements: int = 500_000
    """elements of the shared strings (a few per distinct text)"""

    @property
    def megabytes(self) -> int:
        return self.max_bytes // (1024 * 1024)

    @property
    def xlsx_cells(self) -> int:
        return (self.max_rows + 1) * self.cells_per_row

    @property
    def sheet_elements(self) -> int:
        """Elements of the first sheet's rows: what its cells and Excel's row limit need."""
        return 4 * self.xlsx_cells + 1_048_576


CALENDAR_LIMITS = Limits(max_bytes=5 * 1024 * 1024, max_rows=20_000, xlsx_inflated=64 * 1024**2)
# A roster is the membership: an organisation of 200,000 managers uploads one file.
# Its rows hold 8 columns (12 cells kept a row), most of its texts distinct (addresses).
ROSTER_LIMITS = Limits(
    max_bytes=50 * 1024 * 1024,
    max_rows=200_000,
    xlsx_inflated=400 * 1024**2,
    cells_per_row=12,
    string_elements=4 * 200_000 * 12,
)
# PyYAML composes the whole document before the first entry is read, at about 1 MB/s:
# a YAML file keeps the calendar's limits, whatever its kind.
YAML_LIMITS = CALENDAR_LIMITS
LIMITS = {"roster": ROSTER_LIMITS, "calendar": CALENDAR_LIMITS}
MAX_ROWS = CALENDAR_LIMITS.max_rows
# Each level is one recursive call of PyYAML's composer: a file of 50,000 "[" would end in
# RecursionError. A roster or calendar needs 4 (root, list, entry, list of values).
_YAML_DEPTH = 20

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


class RowStream:
    """A file's rows, read one at a time as they are iterated (a roster of 200,000 rows
    is validated without its cells all held at once). Once iterated, `count` says how
    many there were, and `finish()` raises Refused when a row broke the file's shape
    (values beyond the header, in a column with no name): what the file means is then
    unknown, so only those are reported, as read_sheet reports them."""

    def __init__(
        self,
        columns: dict[str, str],
        positions: dict[int, str],
        width: int,
        records: Iterable["Record"],
        limits: Limits,
    ) -> None:
        self.columns = columns
        self.positions = positions
        self.width = width
        self.records = records
        self.limits = limits
        self.count = 0
        self.issues: list[Issue] = []

    def header(self, column: str) -> str:
        return self.columns.get(column, column)

    def __iter__(self) -> Iterator[Row]:
        width, positions = self.width, self.positions
        for number, cells in self.records:
            if _empty(cells):
                continue
            if self.count >= self.limits.max_rows:
                raise _too_many_rows(self.limits)
            self.count += 1
            if len(cells) > width or len(positions) < min(len(cells), width):
                self._shape(number, cells)
            row = Row(number=number, cells={})
            for position, canonical in positions.items():
                value, formula = cells[position] if position < len(cells) else (None, None)
                row.cells[canonical] = value
                if formula is not None:
                    row.formulas[canonical] = formula
            yield row

    def _shape(self, number: int, cells: list[tuple["Value", str | None]]) -> None:
        extra = [v for v, _ in cells[self.width :] if not _blank(v)]
        unnamed = [
            v
            for i, (v, _) in enumerate(cells[: self.width])
            if i not in self.positions and not _blank(v)
        ]
        if extra:
            self.issues.append(
                Issue(
                    N_("This row has values beyond the last column of the header."),
                    row=number,
                    value=extra[0],
                )
            )
        elif unnamed:
            # Ignoring them would lose data the admin believes was imported.
            self.issues.append(
                Issue(
                    N_("This row has a value in a column whose header is empty; name it."),
                    row=number,
                    value=unnamed[0],
                )
            )

    def finish(self) -> None:
        if self.issues:
            raise Refused(self.count, *self.issues)


class Refused(Rejected):
    """Rejected once the rows were read: `rows` data rows, so the report can say so."""

    def __init__(self, rows: int, *issues: Issue) -> None:
        super().__init__(*issues)
        self.rows = rows


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


def read_sheet(
    filename: str,
    data: bytes,
    spec: Mapping[str, tuple[str, ...]],
    limits: Limits = CALENDAR_LIMITS,
) -> Sheet:
    """Parse `data` by the file's extension, every row at once; raises Rejected with the
    reasons."""
    rows = read_rows(filename, data, spec, limits)
    if isinstance(rows, Sheet):
        return rows
    listed = list(rows)
    rows.finish()
    return Sheet(columns=rows.columns, rows=listed)


def read_rows(
    filename: str,
    data: bytes,
    spec: Mapping[str, tuple[str, ...]],
    limits: Limits = CALENDAR_LIMITS,
) -> "RowStream | Sheet":
    """The file's rows as they are read (a RowStream), or, for YAML (composed whole
    first), a Sheet; raises Rejected with the reasons (a RowStream raises while iterated,
    or on finish())."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        limits = YAML_LIMITS
    if len(data) > limits.max_bytes:
        raise Rejected(
            Issue(
                N_("The file is %(size)s MB; the limit is %(limit)s MB."),
                # Rounded up: a file just over the limit must not read "5.0 MB".
                params={
                    "size": f"{math.ceil(len(data) / 1024 / 1024 * 10) / 10:.1f}",
                    "limit": limits.megabytes,
                },
            )
        )
    if not data.strip(b"\xef\xbb\xbf \t\r\n\x00"):
        raise Rejected(Issue(N_("The file is empty.")))
    records: Iterable[Record]
    if suffix in (".csv", ".txt", ".tsv"):
        header, records = _csv_records(data, limits)
    elif suffix == ".xlsx":
        header, records = _xlsx_records(data, limits)
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
    return _stream(header, records, spec, limits)


# ---------------------------------------------------------------------------- records
# A record is (row number, [(value, formula or None), ...]) in column order.
type Record = tuple[int, list[tuple[Value, str | None]]]


def _stream(
    header: Record | None,
    records: Iterable[Record],
    spec: Mapping[str, tuple[str, ...]],
    limits: Limits,
) -> RowStream:
    if header is None:
        raise Rejected(Issue(N_("The file has no header row.")))
    header_row, header_cells = header
    try:
        columns, positions = _columns(header_row, [v for v, _ in header_cells], spec)
    except Rejected as rejected:
        raise Refused(_counted(records, limits), *rejected.issues) from None
    return RowStream(columns, positions, len(header_cells), records, limits)


def _too_many_rows(limits: Limits) -> Rejected:
    return Rejected(
        Issue(
            N_("The file has more than %(limit)s rows; split it or remove empty rows."),
            params={"limit": f"{limits.max_rows:,}"},
        )
    )


def _counted(records: Iterable[Record], limits: Limits) -> int:
    # Reading stops once the limit is passed: past it the count is not known.
    count = 0
    for _, cells in records:
        if not _empty(cells):
            count += 1
            if count > limits.max_rows:
                return 0
    return count


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
def _encoding(data: bytes) -> str:
    """How the file's text is encoded, checked a megabyte at a time (the whole text is
    never held: a roster of 50 MB would be 200 MB of str)."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # Excel's "Unicode text" export
    elif data.startswith(b"PK\x03\x04"):
        raise Rejected(Issue(N_("This is an Excel workbook saved with a .csv name; use .xlsx.")))
    else:
        try:
            _check_text(data, "utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"  # what Excel writes for "CSV (separator: semicolon)"
    try:
        _check_text(data, encoding)
    except UnicodeDecodeError as error:
        raise Rejected(
            Issue(
                N_("The text cannot be read (byte %(position)s); save the file as CSV UTF-8."),
                params={"position": error.start + 1},
            )
        ) from None
    return encoding


_TEXT_CHUNK = 1024 * 1024


def _check_text(data: bytes, encoding: str) -> None:
    """Raises UnicodeDecodeError (its `start`: in the whole file) or Rejected (NUL)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for start in range(0, len(data), _TEXT_CHUNK):
        try:
            text = decoder.decode(view[start : start + _TEXT_CHUNK], final=False)
        except UnicodeDecodeError as error:
            error.start += start
            raise
        if "\x00" in text:
            raise Rejected(Issue(N_("The file contains NUL bytes; it is not a text file.")))
    decoder.decode(b"", final=True)


# Excel writes it as the first line, and hides it: the header is still row 1 on screen.
_SEPARATOR_HINT = re.compile(r'sep=([^"\r\n])[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)


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


def _csv_records(data: bytes, limits: Limits) -> tuple[Record | None, Iterator[Record]]:
    encoding = _encoding(data)
    # Lines as io.StringIO(newline="") splits them, decoded as they are read.
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    # The first megabyte says how the file is written: a separator line, the header's.
    start = data[:_TEXT_CHUNK].decode(encoding, errors="ignore").lstrip("\ufeff")
    hint = _SEPARATOR_HINT.match(start)
    if hint:
        text.readline()
    delimiter = hint.group(1) if hint else _delimiter(start)
    # The default limit (131,072) would report a long cell as broken quoting; no cell of
    # a file under the limit is longer than the file, and _csv_value reports it by name.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_bytes))
    records = _csv_rows(csv.reader(text, delimiter=delimiter, strict=True))
    header = next(records, None)
    return header, records


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[Record]:
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            cells: list[tuple[Value, str | None]] = [(_csv_value(v, number), None) for v in values]
            # Empty lines are skipped before the limit is counted: counted, they cut the
            # file short without a word, and the rows cut off would be deactivated.
            if _empty(cells):
                continue
            yield number, cells
    except csv.Error as error:
        raise Rejected(
            Issue(
                N_("The CSV structure is broken here (%(detail)s); check the quotes."),
                row=number + 1,
                params={"detail": str(error)},
            )
        ) from None


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
_UNREADABLE = N_("This is not a readable .xlsx workbook.")
_TOO_LARGE = N_("The workbook is too large once uncompressed.")
# Parts openpyxl does not read in read-only mode, whatever their size.
_UNREAD_PARTS = {
    "calcChain",
    "comments",
    "connections",
    "externalLink",
    "metadata",
    "pivotCacheDefinition",
    "pivotCacheRecords",
    "pivotTableDefinition",
    "queryTable",
    "table",
    "volTypes",
}


def _xlsx_records(data: bytes, limits: Limits) -> tuple[Record | None, list[Record]]:
    from openpyxl import load_workbook  # heavy: only imports of .xlsx files pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > limits.xlsx_inflated:
                raise Rejected(Issue(_TOO_LARGE))
            _count_elements(archive, limits)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # read_only: the first sheet is streamed row by row, never held whole.
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, rich_text=False, keep_links=False
            )
            try:
                return _first_sheet_records(workbook, limits)
            finally:
                workbook.close()
    except Rejected:
        raise
    # What zipfile and openpyxl raise on a damaged workbook: TypeError, an attribute of
    # the wrong type; IndexError, a shared string that is not there; NotImplementedError
    # and RuntimeError, a part compressed or encrypted in a way zipfile cannot read.
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        OSError,
        NotImplementedError,
        RuntimeError,
        ParseError,
        expat.ExpatError,
    ):
        raise Rejected(Issue(_UNREADABLE)) from None


_CONTENT_TYPES = "[Content_Types].xml"


def _budgets(limits: Limits) -> dict[str, int]:
    return {
        "parts": limits.part_elements,
        "strings": limits.string_elements,
        "sheets": limits.sheet_elements,
    }


def _count_elements(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuses the workbook before openpyxl parses a part made of too many elements."""
    budgets = _budgets(limits)
    counted = dict.fromkeys(budgets, 0)
    names = set(archive.namelist())
    strings: set[str] = set()
    whole = {"xl/styles.xml", "docProps/core.xml", "docProps/custom.xml"}
    if _CONTENT_TYPES in names:
        _PartCount(counted, budgets, "parts").count(archive, _CONTENT_TYPES)
        strings, workbooks = _strings_and_workbooks(archive)
        whole |= workbooks
    for name in names - {_CONTENT_TYPES}:
        # Parts openpyxl parses whole are counted whole, whatever their root element.
        if name in strings:
            budget: str | None = "strings"
        elif name in whole or name.endswith(".rels"):
            budget = "parts"
        else:
            budget = None
        _PartCount(counted, budgets, budget).count(archive, name)


def _strings_and_workbooks(archive: zipfile.ZipFile) -> tuple[set[str], set[str]]:
    from xml.etree.ElementTree import fromstring  # counted already: small enough to parse

    strings: set[str] = set()
    workbooks: set[str] = set()
    for override in fromstring(archive.read(_CONTENT_TYPES)):
        part = override.get("PartName", "").lstrip("/")
        content_type = override.get("ContentType", "")
        if content_type.endswith(".sharedStrings+xml"):
            strings.add(part)
        elif content_type.endswith(".main+xml"):  # a workbook, whatever its kind
            workbooks.add(part)
    return strings, workbooks


class _Enough(Exception):
    """Stops counting a part: openpyxl does not parse the rest of it."""


class _PartCount:
    """Counts the elements of one part as expat reads it, against budgets the parts share.
    Without a budget given, the part's root element says which, if any."""

    def __init__(
        self, counted: dict[str, int], budgets: dict[str, int], budget: str | None
    ) -> None:
        self.counted = counted
        self.budgets = budgets
        self.budget = budget
        self.sheet = self.sized = False
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start

    def count(self, archive: zipfile.ZipFile, name: str) -> None:
        with archive.open(name) as part:
            try:
                while chunk := part.read(64 * 1024):
                    self.parser.Parse(chunk, False)
            except (_Enough, expat.ExpatError):
                pass  # done, or not XML (an image), or XML openpyxl refuses itself

    def _start(self, name: str, _attributes: Any) -> None:
        local = name.rpartition(" ")[2]
        if self.budget is None:
            if local in _UNREAD_PARTS:
                raise _Enough
            self.budget = "parts"
            self.sheet = local == "worksheet"
        elif self.sheet and local == "dimension":
            self.sized = True
        elif self.sheet and local == "sheetData":
            # openpyxl reads a sheet up to its <dimension>, or to its end when it has
            # none; the first sheet's rows are counted again as they are read.
            if self.sized:
                raise _Enough
            self.budget = "sheets"
        self.counted[self.budget] += 1
        if self.counted[self.budget] > self.budgets[self.budget]:
            raise Rejected(Issue(_TOO_LARGE))


class _SheetGuard:
    """The first sheet's XML as openpyxl reads it, counted on the way: openpyxl builds a
    whole <row> before it hands it over, and keeps what follows the rows."""

    def __init__(self, source: IO[bytes], elements: int) -> None:
        self.source = source
        self.limit = elements
        self.elements = 0
        self.in_row = 0
        self.scan = expat.ParserCreate(namespace_separator=" ")
        self.scan.StartElementHandler = self._start

    def _start(self, name: str, _attributes: Any) -> None:
        if name.rpartition(" ")[2] == "row":
            self.in_row = 0
        self.elements += 1
        self.in_row += 1
        if self.elements > self.limit or self.in_row > _XLSX_ROW_ELEMENTS:
            raise Rejected(Issue(_TOO_LARGE))

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.scan.Parse(chunk, not chunk)
        return chunk


def _first_sheet_records(workbook: Any, limits: Limits) -> tuple[Record | None, list[Record]]:
    from openpyxl.worksheet._reader import WorkSheetParser

    if not workbook.worksheets:
        raise Rejected(Issue(_UNREADABLE))
    sheet = workbook.worksheets[0]
    # What ReadOnlyWorksheet.iter_rows does (openpyxl is pinned), over a guarded source,
    # without the empty rows it makes up for the gaps, and keeping the merged ranges.
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            _SheetGuard(source, limits.sheet_elements),
            sheet._shared_strings,
            data_only=False,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        header: Record | None = None
        width = kept = 0
        records: list[Record] = []
        issues: list[Issue] = []
        for number, cells in parser.parse():
            # Row heights and styles are not read: kept, a million formatted rows add up.
            parser.row_dimensions.clear()
            present = {c["column"]: c for c in cells if c["value"] is not None}
            if not present:
                continue
            if header is None:
                width = kept = max(present)
                header = (
                    number,
                    [_xlsx_value(present.get(c), issues) for c in range(1, width + 1)],
                )
                continue
            last = max(present)
            record = [_xlsx_value(present.get(c), issues) for c in range(1, min(last, width) + 1)]
            # Past the header only the values count (they are refused): the gaps are not
            # kept, or one value in column XFD would cost 16,384 cells a row.
            record += [_xlsx_value(present[c], issues) for c in sorted(present) if c > width]
            if _empty(record):  # blank rows must not count against the limit
                continue
            kept += len(record)
            if kept > limits.xlsx_cells:
                raise Rejected(Issue(_TOO_LARGE))
            records.append((number, record))
            if len(records) > limits.max_rows:
                break  # the RowStream says the file has too many rows
        else:
            if header is not None and parser.merged_cells is not None:
                issues += _merged_issues(
                    parser.merged_cells.mergeCell, header, records, width, limits
                )
    if issues:
        raise Refused(_counted(records, limits), *issues)
    return header, records


def _merged_issues(
    ranges: list[Any], header: Record, records: list[Record], width: int, limits: Limits
) -> list[Issue]:
    """Every merged cell but the top-left one, which holds the value, in the rows read."""
    header_number, names = header
    rows = sorted(number for number, _ in records)
    found: list[tuple[int, int, str]] = []
    for cells in ranges:
        covered = rows[
            bisect.bisect_left(rows, cells.min_row) : bisect.bisect_right(rows, cells.max_row)
        ]
        for number in covered:
            for column in range(cells.min_col, min(cells.max_col, width) + 1):
                if (number, column) != (cells.min_row, cells.min_col):
                    found.append((number, column, cells.coord))
        if len(found) > limits.xlsx_cells:
            raise Rejected(Issue(_TOO_LARGE))
    return [
        Issue(
            N_("This cell is part of the merged range %(range)s; unmerge it and fill every cell."),
            row=number,
            column=str(names[column - 1][0]).strip(),
            params={"range": coord},
        )
        for number, column, coord in sorted(found)
        if number > header_number and names[column - 1][0] is not None
    ]


def _xlsx_value(cell: dict[str, Any] | None, issues: list[Issue]) -> tuple[Value, str | None]:
    if cell is None:
        return None, None
    value = cell["value"]
    if cell["data_type"] == "f" or (isinstance(value, str) and value.startswith("=")):
        return None, str(getattr(value, "text", value))
    if cell["data_type"] == "e":
        return str(value), None
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            issues.append(
                Issue(
                    N_("A cell is longer than %(limit)s characters."),
                    row=cell["row"],
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
        root = yaml.compose(text, Loader=_Loader)
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
    if len(entries) > YAML_LIMITS.max_rows:
        raise _too_many_rows(YAML_LIMITS)
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
        raise Refused(len(entries), *issues)
    return Sheet(columns=columns, rows=rows)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses nesting deeper than _YAML_DEPTH, where it stands."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > _YAML_DEPTH:
                # check_event() peeks at the next event as peek_event() does, and unlike
                # it is annotated in types-PyYAML; the peeked event is current_event.
                self.check_event()
                raise yaml.composer.ComposerError(
                    problem=f"values are nested more than {_YAML_DEPTH} levels deep",
                    problem_mark=self.current_event.start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


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
    if isinstance(node, yaml.ScalarNode):
        return _yaml_scalar(node, seen)
    _visit(node, seen)
    if isinstance(node, yaml.SequenceNode) and all(
        isinstance(item, yaml.ScalarNode) and id(item) not in seen for item in node.value
    ):
        return [_yaml_scalar(item, seen) or "" for item in node.value]
    raise _Unreadable(N_("Expected a single value or a list of values here."))


def _yaml_scalar(node: yaml.ScalarNode, seen: set[int]) -> str | None:
    _visit(node, seen)
    if node.tag == "tag:yaml.org,2002:null":
        return None
    text: str = node.value  # a scalar node's value is its text
    if len(text) > MAX_CELL_CHARS:
        raise _Unreadable(
            N_("A cell is longer than %(limit)s characters."), limit=f"{MAX_CELL_CHARS:,}"
        )
    return text.strip()


def _visit(node: yaml.Node, seen: set[int]) -> None:
    # An anchor reused through aliases is the same node twice: refusing it refuses
    # "billion laughs" expansion too.
    if id(node) in seen:
        raise _Unreadable(N_("YAML anchors and aliases are not accepted; write the value."))
    seen.add(id(node))
