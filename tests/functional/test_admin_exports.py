"""The animators' exports (issue 12 §4): answers, scores and participation as .xlsx and
CSV, built on a click through the HTTP API, downloaded from the presigned URL the click
redirects to, and read back as a spreadsheet would (openpyxl; the CSV with its BOM and
the organisation's separator)."""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import requests

from palabre.core.models import member_id
from palabre.store.activity import Action, ActivityLog
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.admin import HOST, admin_get, admin_path
from tests.functional.conftest import demo_organisation, make_stack, mocked_aws
from tests.functional.test_answers import answer_item
from tests.functional.test_digest import JADE, monday
from tests.functional.test_dispatch import LEA
from tests.functional.test_scores import HUGO, MANON, answer, vote

EMMA = "emma.laurent@demo.palabre.example"  # Passeurs
HOSTILE = "=cmd|' /C calc'!A0\n\"cité\" ; 2,5 <b>gras</b>"
LONE = "Seul anonyme, encore."
SECRETS = {HUGO: "Une pratique secrète, la première.", MANON: "Une autre pratique secrète."}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def french() -> Iterator[dict[str, Any]]:
    """The demo organisation (French): Hugo answers anonymously alone (an export is taken
    then), then Manon anonymously too, Léa signs a hostile answer shared with everyone
    (stored with bidi controls, as an older version kept them), Jade signs hers; Jade and
    Emma find Léa's useful; the week's digest settles everyone's streak."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = demo_organisation(make_stack())
        answer(stack, HUGO, SECRETS[HUGO], "organisation", "anonymous")
        stack.drain()
        alone = download(stack, "answers.csv")
        answer(stack, MANON, SECRETS[MANON], "circle", "anonymous")
        answer(stack, LEA, "placeholder", "organisation")
        table = stack.provisioned.tables["PalabreTable"]
        item = answer_item(stack, LEA)
        item["text"] = {"S": HOSTILE + " \u202eevil\u202c"}
        stack.client("dynamodb").put_item(TableName=table, Item=item)
        answer(stack, JADE, "Pratique signée de Jade.", "organisation")
        stack.drain()
        vote(stack, author=LEA, voter=JADE)
        vote(stack, author=LEA, voter=EMMA)
        stack.drain()
        monday(stack)
        yield {"stack": stack, "alone": alone}


@pytest.fixture(autouse=True)
def _watched(french: dict[str, Any]) -> None:
    """Each test forgets the clock and the clients' hooks (IAM) when it ends: again."""
    stack = french["stack"]
    stack.hooks.use_clock(stack.clock)
    stack.runtime.watch()


@pytest.fixture(autouse=True)
def _stack_clock(french: dict[str, Any]) -> None:
    """The handlers read the stack's clock again (each test's teardown resets it)."""
    stack = french["stack"]
    stack.hooks.use_clock(stack.clock)


def download(stack: LocalStack, name: str, admin: str = demo.ADMIN) -> tuple[str, bytes]:
    """Click an export's link: the redirect, then the file from its presigned URL (its
    Content-Disposition file name, its bytes)."""
    path = f"{admin_path(stack, admin)}/exports/{name}"
    status, headers, body = stack.api(
        method="GET", path=path, query="", headers={"Host": HOST}, body=b""
    )
    assert status == 302, body
    location = dict(headers)["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    response = requests.get(location, timeout=10)
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="palabre-')
    return disposition.split('filename="')[1].rstrip('"'), response.content


def read_csv(data: bytes, separator: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 as such
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator))


def sheet_rows(data: bytes) -> tuple[Any, list[list[Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    [sheet] = book.worksheets
    return sheet, [[c.value for c in row] for row in sheet.iter_rows()]


# ---------------------------------------------------------------------------- the page
def test_the_exports_page_says_what_each_file_holds_and_links_both_formats(
    french: dict[str, Any],
) -> None:
    """Given the demo's admin, When she opens the exports page, Then it is in French,
    names each export and links its .xlsx and its .csv."""
    stack = french["stack"]
    path = admin_path(stack, demo.ADMIN)

    status, page = admin_get(stack, f"{path}/exports")

    assert status == 200
    assert "<h1>Exports</h1>" in page
    assert 'aria-current="page">Exports</a>' in page
    for name in ("answers", "scores", "participation"):
        assert f'href="{path}/exports/{name}.xlsx"' in page
        assert f'href="{path}/exports/{name}.csv"' in page
    assert "points-virgules" in page  # how the CSV is separated, for French Excel


def test_a_bad_link_or_an_unknown_file_is_the_plain_404_and_records_nothing(
    french: dict[str, Any],
) -> None:
    """Given a member's link, a forged one, or a file the page does not offer, Then the
    plain 404, no file built, nothing recorded."""
    stack = french["stack"]
    before = ActivityLog(table(stack)).recent()[0]
    good = admin_path(stack, demo.ADMIN)
    for bad in (
        f"{admin_path(stack, LEA)}/exports",
        f"{admin_path(stack, LEA)}/exports/answers.xlsx",
        f"{good[:-2]}{'AA' if not good.endswith('AA') else 'BB'}/exports/scores.csv",
        f"{good}/exports/answers.pdf",
        f"{good}/exports/secrets.csv",
        f"{good}/exports/answers",
    ):
        assert admin_get(stack, bad)[0] == 404, bad
    assert ActivityLog(table(stack)).recent()[0] == before


def table(stack: LocalStack) -> DynamoTable:
    return DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])


# ---------------------------------------------------------------------------- answers
def test_the_answers_xlsx_holds_each_answer_as_attributed_with_its_votes_to_date(
    french: dict[str, Any],
) -> None:
    """When the admin downloads answers.xlsx, Then each answer to the recent themes is a
    row: the theme, its author as signed (Anonymous for an anonymous one, with no circle
    nor team), who could read it, its useful votes counted to date, when, its text — a
    date a date, a number a number, a formula-looking text plain text."""
    stack = french["stack"]

    name, data = download(stack, "answers.xlsx")

    assert name == "palabre-answers-2026-12-07.xlsx"
    sheet, rows = sheet_rows(data)
    assert sheet.title == "Réponses"
    assert sheet.freeze_panes == "A2"
    assert rows[0] == [
        "Thème (id)",
        "Envoyé le",
        "Thème",
        "Auteur",
        "Cercle",
        "Équipe",
        "Lisible par",
        "Votes «\u00a0utile\u00a0»",
        "Répondu le",
        "Réponse",
    ]
    by_text = {row[-1]: row for row in rows[1:]}
    lea = by_text[HOSTILE + " evil"]  # the bidi controls gone, the rest as written
    assert lea[:8] == [
        "demo-1",
        datetime(2026, 12, 1),
        "Nos rituels d'équipe",
        "Léa D.",
        "Bâtisseurs",
        "Produit",
        "Tout le monde",
        2,
    ]
    assert isinstance(lea[8], datetime)
    [cell] = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == lea[-1]]
    assert cell.data_type == "s"
    assert cell.quotePrefix  # shown as text, kept text when edited
    for secret in SECRETS.values():
        assert by_text[secret][3:6] == ["Anonyme", None, None]
        # its day, never its minute: beside who answered when, a minute names its author
        answered = by_text[secret][8]
        assert isinstance(answered, datetime)
        assert (answered.hour, answered.minute, answered.second) == (0, 0, 0)
    assert by_text[SECRETS[MANON]][6] == "Son cercle"
    assert by_text["Pratique signée de Jade."][3:5] == ["Jade M.", "Passeurs"]
    # Named answers first, then anonymous ones: a row's place tells no author
    assert [row[3] for row in rows[1:]][-2:] == ["Anonyme", "Anonyme"]


def test_the_answers_csv_opens_in_columns_in_french_excel_with_formulas_inert(
    french: dict[str, Any],
) -> None:
    """When the admin downloads answers.csv, Then a BOM, `;` between cells (French Excel's
    columns), each cell whole (quotes, line breaks, `;` inside), every piece that would
    start a formula behind an apostrophe, no bidi control."""
    stack = french["stack"]

    name, data = download(stack, "answers.csv")

    assert name == "palabre-answers-2026-12-07.csv"
    rows = read_csv(data, ";")
    assert all(len(row) == 10 for row in rows)
    [lea] = [row for row in rows if row[3] == "Léa D."]
    assert lea[-1] == "'=cmd|' /C calc'!A0\n\"cité\" ; 2,5 <b>gras</b> evil"
    assert lea[1] == "2026-12-01"
    assert lea[7] == "2"
    assert not set("\u202e\u202c") & set(data.decode("utf-8-sig"))


def test_an_anonymous_answer_is_never_tied_to_its_author_in_any_export(
    french: dict[str, Any],
) -> None:
    """Given Hugo's and Manon's anonymous answers, Then no export names them beside their
    words; and while Hugo's was the only one, it was not in the file at all."""
    stack = french["stack"]
    files = {n: download(stack, n)[1] for n in ("answers.xlsx", "answers.csv")}
    text = read_csv(files["answers.csv"], ";")
    _, rows = sheet_rows(files["answers.xlsx"])
    for address, secret in SECRETS.items():
        first = address.split(".")[0].capitalize()
        for row in [r for r in text if secret in r] + [r for r in rows if secret in r]:
            assert not [c for c in row if isinstance(c, str) and first in c], row
            assert "Bâtisseurs" not in row
            assert "Éclaireurs" not in row
    # Alone, it is held back: not shown, not counted, not mentioned
    _, alone = french["alone"]
    assert SECRETS[HUGO] not in alone.decode("utf-8-sig")
    assert read_csv(alone, ";")[1:] == []


# ---------------------------------------------------------------------------- scores
def test_the_scores_export_holds_each_persons_points_votes_and_streak(
    french: dict[str, Any],
) -> None:
    """When the admin downloads scores.xlsx and scores.csv, Then one row per member and
    admin taking part (observers left out), highest points first, ranked, with their
    streak as the last digest settled it."""
    stack = french["stack"]

    _, data = download(stack, "scores.xlsx")

    sheet, rows = sheet_rows(data)
    assert sheet.title == "Scores"
    assert rows[0] == [
        "Prénom",
        "Nom",
        "Courriel",
        "Cercle",
        "Équipe",
        "Rôle",
        "Points",
        "Réponses",
        "Rang",
        "Série",
        "Meilleure série",
    ]
    people = {row[2]: row for row in rows[1:]}
    assert "nathalie.vincent@demo.palabre.example" not in people  # the observer
    assert demo.ADMIN in people
    assert people[demo.ADMIN][5] == "Animateur"
    lea = people[LEA]
    # her answer's points and its two "useful" votes (2 each), first of all
    assert lea[:9] == ["Léa", "Dubois", LEA, "Bâtisseurs", "Produit", "Membre", 19, 1, 1]
    assert lea[9:] == [1, 1]
    assert rows[1][2] == LEA
    assert all(isinstance(row[6], int) for row in rows[1:])
    silent = [row for row in rows[1:] if row[7] == 0]
    assert silent
    assert {row[9] for row in silent} == {0}

    csv_rows = read_csv(download(stack, "scores.csv")[1], ";")
    assert csv_rows[1][:9] == [
        "Léa",
        "Dubois",
        LEA,
        "Bâtisseurs",
        "Produit",
        "Membre",
        "19",
        "1",
        "1",
    ]


# ---------------------------------------------------------------------------- participation
def test_the_participation_export_counts_each_theme_in_all_by_circle_and_by_team(
    french: dict[str, Any],
) -> None:
    """When the admin downloads participation.xlsx and .csv, Then per theme sent: the
    whole organisation, each circle, each team — sent, answered, and the rate as a number
    (a decimal comma in the French CSV)."""
    stack = french["stack"]

    _, data = download(stack, "participation.xlsx")

    _, rows = sheet_rows(data)
    assert rows[0] == [
        "Thème (id)",
        "Envoyé le",
        "Thème",
        "Statut",
        "Par",
        "Nom",
        "Envoyés",
        "Réponses",
        "Participation (%)",
    ]
    demo1 = [row for row in rows[1:] if row[0] == "demo-1"]
    assert demo1[0][1] == datetime(2026, 12, 1)
    # sent in Paris and Tokyo so far (17 of 19); Hugo, Manon, Léa and Jade answered
    assert demo1[0][3:] == ["Ouvert", "Organisation", None, 17, 4, 23.5]
    assert ["Cercle", "Bâtisseurs", 5, 2, 40] in [row[4:] for row in demo1]
    assert ["Équipe", "Produit", 9, 2, 22.2] in [row[4:] for row in demo1]
    assert [row[4] for row in demo1] == ["Organisation"] + ["Cercle"] * 3 + ["Équipe"] * 2

    csv_rows = read_csv(download(stack, "participation.csv")[1], ";")
    assert csv_rows[1][3:] == ["Ouvert", "Organisation", "", "17", "4", "23,5"]

    # The figures come from each theme's tally; a theme sent before tallies were kept is
    # counted from its send records, to the same figures
    dynamodb, table = stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"]
    key = {"PK": {"S": "THEME#demo-1"}, "SK": {"S": "TALLY"}}
    tally = dynamodb.get_item(TableName=table, Key=key)["Item"]
    dynamodb.delete_item(TableName=table, Key=key)
    try:
        _, rows_again = sheet_rows(download(stack, "participation.xlsx")[1])
    finally:
        dynamodb.put_item(TableName=table, Item=tally)
    assert [row for row in rows_again[1:] if row[0] == "demo-1"] == demo1


# ---------------------------------------------------------------------------- activity
def test_every_download_is_recorded_in_the_activity_with_its_file(
    french: dict[str, Any],
) -> None:
    """When the admin downloads a file, Then the activity names it, her, and the rows."""
    stack = french["stack"]

    download(stack, "participation.csv")

    [latest], _ = ActivityLog(table(stack)).recent(limit=1)
    assert latest.action is Action.EXPORT
    assert latest.admin_id == member_id(demo.ADMIN)
    assert latest.detail["file"] == "palabre-participation-2026-12-07.csv"
    assert latest.detail["rows"] > 0
    status, page = admin_get(stack, f"{admin_path(stack, demo.ADMIN)}/activity")
    assert status == 200
    assert "A téléchargé palabre-participation-2026-12-07.csv" in page
