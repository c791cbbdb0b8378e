"""The spreadsheets Palabre writes for admins: CSV as the organisation's Excel opens it,
and .xlsx (Office Open XML, SpreadsheetML).

CSV has no way to say its separator or its decimal mark: Excel takes both from the
computer's regional settings. French Excel splits on `;` and reads `0,5` as a number (a
comma-separated file opens as one column); English Excel splits on `,` and reads `0.5`.
So a French organisation's files are `;` and decimal comma, others `,` and decimal point;
both UTF-8 with a BOM (without it, Excel reads UTF-8 as Windows-1252 and breaks accents).

The .xlsx is written here, with zipfile and a few XML parts, rather than with openpyxl:
only the importer may load openpyxl (import-linter), so that no other function's cold
start pays for it. Text is typed as text (an inline string), so a spreadsheet never
evaluates it; one that starts like a formula is also marked `quotePrefix`, as Excel marks
a cell typed with a leading apostrophe, so editing it keeps it text.
"""

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from palabre.core.text import inert_cell, without_spoofing

Cell = str | int | float | Decimal | date | None
"""a value of a row: text, a number, a date or a datetime (written as its wall time), or
nothing"""


@dataclass(frozen=True)
class Sheet:
    """One table: its name (an .xlsx tab), its header and its rows."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]


# ---------------------------------------------------------------------------- CSV
@dataclass(frozen=True)
class CsvStyle:
    separator: str
    decimal: str


FRENCH = CsvStyle(separator=";", decimal=",")
ENGLISH = CsvStyle(separator=",", decimal=".")


def csv_style(locale: str) -> CsvStyle:
    """How the organisation's Excel reads a CSV file (its language stands for its
    regional settings)."""
    return FRENCH if locale == "fr" else ENGLISH


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, locale: str) -> bytes:
    """A CSV file for the organisation whose language is `locale`: its separator and
    decimal mark, UTF-8 with a BOM, CRLF line ends; every text cell made inert
    (core.text.inert_cell) and rid of bidi controls."""
    style = csv_style(locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.separator, lineterminator="\r\n")
    writer.writerow([_csv_cell(h, style) for h in header])
    for row in rows:
        writer.writerow([_csv_cell(v, style) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: Cell, style: CsvStyle) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return _number(value).replace(".", style.decimal)
    return inert_cell(without_spoofing(value) if isinstance(value, str) else value)


def _number(value: int | float | Decimal) -> str:
    """A number as written in a cell: no exponent, no trailing zeros (0.5, 12, -3.25)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a number a spreadsheet holds")
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---------------------------------------------------------------------------- .xlsx
MAX_CELL = 32_767
"""characters Excel holds in a cell: longer text is cut (an answer is far shorter)"""
_SHEET_NAME_LIMIT = 31
_NOT_IN_SHEET_NAMES = str.maketrans({c: " " for c in "[]:*?/\\"})
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0, as its 1900 leap-year bug leaves it

# The cell formats of styles.xml, by index (`s` of a cell).
HEADER, DAY, MOMENT, QUOTED, WRAPPED, QUOTED_WRAPPED = 1, 2, 3, 4, 5, 6
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")

_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    f'<Override PartName="/xl/worksheets/sheet{{n}}.xml" ContentType="{_OFFICE}.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/>'
    "</numFmts>"
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment wrapText="1" vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" '
    'applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of one tab per sheet: a bold header row that stays in view, numbers as
    numbers, dates as dates, text as text."""
    if not sheets:
        raise ValueError("a workbook needs a sheet")
    names = _sheet_names([s.name for s in sheets])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def write(name: str, text: str) -> None:
            # A fixed date: the same content makes the same file.
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text.encode(), 8)

        write(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))
            ),
        )
        write("_rels/.rels", _ROOT_RELS)
        write("xl/workbook.xml", _workbook(names))
        write("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        write("xl/styles.xml", _STYLES)
        for n, sheet in enumerate(sheets, start=1):
            write(f"xl/worksheets/sheet{n}.xml", _worksheet(sheet))
    return buffer.getvalue()


def _sheet_names(wanted: Sequence[str]) -> list[str]:
    """Names Excel accepts: at most 31 characters, none of []:*?/\\, distinct."""
    names: list[str] = []
    for n, name in enumerate(wanted, start=1):
        clean = " ".join(_xml_text(name).translate(_NOT_IN_SHEET_NAMES).split()).strip("'")
        clean = clean[:_SHEET_NAME_LIMIT] or f"Sheet{n}"
        if clean.casefold() in {x.casefold() for x in names}:
            clean = f"{clean[: _SHEET_NAME_LIMIT - 4]} ({n})"
        names.append(clean)
    return names


def _workbook(names: Sequence[str]) -> str:
    tabs = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><sheets>{tabs}</sheets></workbook>'
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PKG_REL}">{sheets}{styles}</Relationships>'
    )


def _worksheet(sheet: Sheet) -> str:
    width = max([len(sheet.header), *(len(row) for row in sheet.rows)], default=0)
    letters = [column_letter(n) for n in range(1, width + 1)]
    widths = [min(max(len(h), 10) + 2, 60) for h in sheet.header]
    rows = [_row(1, sheet.header, letters, header=True)]
    for n, row in enumerate(sheet.rows, start=2):
        rows.append(_row(n, row, letters))
        for c, value in enumerate(row[: len(widths)]):
            if isinstance(value, str) and widths[c] < 60:
                widths[c] = min(max(widths[c], len(value) + 2), 60)
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{w}" customWidth="1"/>'
        for n, w in enumerate(widths, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        f"{f'<cols>{columns}</cols>' if columns else ''}"
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def _row(
    number: int, values: Sequence[Cell], letters: Sequence[str], *, header: bool = False
) -> str:
    cells = "".join(
        _cell(f"{letter}{number}", value, header=header)
        for letter, value in zip(letters, values, strict=False)
    )
    return f'<row r="{number}">{cells}</row>'


def _cell(ref: str, value: Cell, *, header: bool) -> str:
    if isinstance(value, str):  # the common case first
        text = _xml_text(without_spoofing(value))[:MAX_CELL]
        if not text:
            return ""  # nothing a cell can hold was left
        style = HEADER if header else _text_style(text)
        styled = f' s="{style}"' if style else ""
        return (
            f'<c r="{ref}"{styled} t="inlineStr">'
            f'<is><t xml:space="preserve">{escape(text)}</t></is></c>'
        )
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{MOMENT}"><v>{_serial(value)}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{DAY}"><v>{_serial(value)}</v></c>'
    return f'<c r="{ref}"><v>{_number(value)}</v></c>'


def _text_style(text: str) -> int:
    formula = text.lstrip(" ")[:1] in _FORMULA_START
    lines = "\n" in text
    if formula:
        return QUOTED_WRAPPED if lines else QUOTED
    return WRAPPED if lines else 0


def _serial(value: date) -> str:
    """Excel's serial number of a day (days since its day 0) or of a moment (with the
    fraction of its day), in its wall time."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return _number(round(delta.total_seconds() / 86400, 8))
    return str((value - _EPOCH.date()).days)


def column_letter(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml_text(value: str) -> str:
    """`value` without what XML 1.0 cannot hold (controls other than tab and line
    breaks, lone surrogates, U+FFFE and U+FFFF); CR LF read as one line break."""
    return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
