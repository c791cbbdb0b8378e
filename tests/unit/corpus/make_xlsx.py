"""Writes the .xlsx files of the corpus with openpyxl: `python make_xlsx.py`, then commit.

Real date, time and formula cells, merged ranges and empty rows are what a text file
cannot show, so each workbook here holds one of them.
"""

import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).parent
PROMPT = "Racontez une conversation où vous avez vraiment écouté.\n\n- Qu'avez-vous remarqué ?"


def workbook(
    rows: dict[int, Sequence[Any]], shape: Callable[[Worksheet], None] | None = None
) -> bytes:
    """`rows` maps the sheet's row number to its cells, so gaps are empty rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Feuil1"
    for number, cells in rows.items():
        for column, value in enumerate(cells, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    if shape:
        shape(sheet)
    # A second sheet the import must ignore: only the first one is read.
    book.create_sheet("Notes").append(["not a roster", "=1/0"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster() -> bytes:
    header = ["E-Mail", "First Name", "LAST_NAME", "Circle", "TEAM", "Language", "Time Zone"]
    return workbook(
        {
            1: [*header, "Role"],
            2: ["helene.martin@exemple.org", "Hélène", "Martin", "Cercle Été", "Équipe Lyon",
                "FR", "Europe/Paris", "Membre"],
            3: ["zoe.dupont@exemple.org", "Zoé", "Dupont", "Cercle Été", "Équipe Paris", "en",
                "America/Montreal", "admin"],
            # rows 4 and 5 left empty, as admins leave them
            6: ["marc.leroy@exemple.org", "Marc", "Leroy", "Cercle Hiver", "Équipe Lyon"],
            7: ["ines.benali@exemple.org", "Inès", "Benali", None, None, "English",
                "Asia/Tokyo", "observer"],
        }
    )  # fmt: skip


def calendar() -> bytes:
    def eight_as_fraction(sheet: Worksheet) -> None:
        # A time typed in a cell left in the General format: Excel stores a day fraction.
        sheet["C4"] = 8 / 24
        sheet["C4"].number_format = "General"

    header = [
        "ID",
        "Send On",
        "Send At",
        "Title",
        "Prompt",
        "Deadline (days)",
        "Reminder",
        "Audience",
        "Competency",
        "Kind",
        "Points",
        "Starts At",
        "Duration",
        "Location",
    ]
    return workbook(
        {
            1: header,
            2: ["ecoute-active", date(2027, 3, 8), None, "Écoute active", PROMPT, None, None,
                "Tout le monde", "écoute"],
            3: [None, date(2027, 3, 15), time(9, 30), "Donner du feedback",
                "Quel feedback avez-vous donné cette semaine ?", 5, 1,
                "Cercle Été; Équipe Lyon", "feedback", "Question", 15],
            4: ["atelier-mars", datetime(2027, 3, 22), None, "Atelier en direct",
                "Rejoignez l'atelier.", None, None, "Cercle Hiver", None, "live", None,
                datetime(2027, 3, 24, 14, 0), 90, "Salle Lumière"],
        },
        eight_as_fraction,
    )  # fmt: skip


def rewritten(data: bytes, part: str, content: bytes) -> bytes:
    """The workbook with one of its parts replaced."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, content if info.filename == part else source.read(info))
    return out.getvalue()


def header_only() -> bytes:
    return workbook({1: ["email", "circle", "team"]})


VALID = {"roster.xlsx": roster, "calendar.xlsx": calendar}

MALFORMED = {
    "roster_empty_rows_and_formula.xlsx": lambda: workbook(
        {
            1: ["E-mail", "Circle", "Team"],
            2: ["helene.martin@exemple.org", "Cercle Été", "Équipe Lyon"],
            5: ["pas-une-adresse", "Cercle Été", "Équipe Paris"],
            7: ["marc.leroy@exemple.org", "Cercle Hiver", '=UPPER("lyon")'],
        }
    ),
    "roster_merged_cells.xlsx": lambda: workbook(
        {
            1: ["email", "first_name", "Circle", "team"],
            2: ["helene.martin@exemple.org", "Hélène", "Cercle Été", "Équipe Lyon"],
            3: ["zoe.dupont@exemple.org", "Zoé", "Cercle Été", "Équipe Paris"],
            4: ["marc.leroy@exemple.org", "Marc", None, "Équipe Lyon"],
        },
        lambda sheet: sheet.merge_cells("C3:C4"),
    ),
    "roster_header_only.xlsx": lambda: workbook({1: ["email", "circle", "team"]}),
    "roster_not_a_workbook.xlsx": lambda: b"email,circle,team\n",
    # A sheet cut short, as an interrupted copy leaves it.
    "roster_broken_sheet_xml.xlsx": lambda: rewritten(
        header_only(),
        "xl/worksheets/sheet1.xml",
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is>',
    ),
    "roster_no_worksheet.xlsx": lambda: rewritten(
        header_only(),
        "xl/workbook.xml",
        b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheets/></workbook>',
    ),
    "roster_xlsx_renamed.csv": roster,
    "calendar_formula_cells.xlsx": lambda: workbook(
        {
            1: ["send_on", "title", "prompt"],
            2: ["=DATE(2027,3,10)", "Écoute", "Racontez."],
            # a row made only of formulas: refused like the others, never skipped as empty
            3: ["=A2+7", "=B2", "=C2"],
        }
    ),
    "calendar_date_cells.xlsx": lambda: workbook(
        {
            1: ["send_on", "send_at", "title", "prompt", "kind", "starts_at", "location"],
            2: [datetime(2027, 3, 10, 10, 30), time(9, 0), "Un", "Racontez."],
            3: [date(2027, 2, 1), time(9, 0), "Deux", "Racontez."],
            4: [
                date(2027, 3, 12),
                time(9, 0),
                "Trois",
                "Venez.",
                "live",
                datetime(2027, 3, 11, 14, 0),
                "Salle 2",
            ],
            5: [
                date(2027, 3, 14),
                time(9, 0),
                "Quatre",
                "Venez.",
                "live",
                datetime(2027, 3, 15, 14, 0),
                "Salle 2",
            ],
        }
    ),
    "calendar_merged_cells.xlsx": lambda: workbook(
        {
            1: ["send_on", "Title", "Prompt", "audience"],
            2: [date(2027, 3, 10), "Un long titre sur deux colonnes", None, "all"],
            3: [date(2027, 3, 11), "Deux", "Racontez.", "Cercle Été"],
            4: [date(2027, 3, 12), "Trois", "Racontez.", None],
        },
        lambda sheet: (sheet.merge_cells("B2:C2"), sheet.merge_cells("D3:D4")),
    ),
    "calendar_empty_rows.xlsx": lambda: workbook(
        {
            1: ["Send On", "TITLE", "Prompt"],
            2: [date(2027, 3, 10), "Un", "Racontez."],
            6: ["31/02/2027", "Deux", "Racontez."],
            9: [date(2027, 3, 12), None, "Racontez."],
        }
    ),
}


def main() -> None:
    for folder, files in (("valid", VALID), ("malformed", MALFORMED)):
        (HERE / folder).mkdir(exist_ok=True)
        for name, make in files.items():
            (HERE / folder / name).write_bytes(make())


if __name__ == "__main__":
    main()
