"""The admin space's home, the dashboard (issue 12 §4), through the stack's HTTP API: the
demo organisation nine days in, its first theme closed (final figures) and its second
open (so far), the leaderboard, the themes to come with each zone's send time, who has
not answered the open theme — and what a view costs."""

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from html import unescape
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest

import palabre.aws
from palabre_cli import demo
from palabre_cli.main import main
from sam_moto.stack import LocalStack
from tests.functional.admin import admin_get, admin_path
from tests.functional.conftest import dynamodb_item, make_stack, mocked_aws, sent
from tests.functional.test_dispatch import GABRIEL, KENJI, LEA, SARAH
from tests.functional.test_scores import FORM, HUGO, MANON

FIRST_SENT = datetime.fromisoformat("2026-12-01T16:00:00+01:00")  # every zone has demo-1
SECOND_SENT = datetime.fromisoformat("2026-12-08T16:00:00+01:00")  # every zone has demo-2
VIEWED = datetime.fromisoformat("2026-12-09T10:00:00+01:00")  # demo-1 closed in Montreal too
RITUALS, TRUST = "Nos rituels d'équipe", "Installer la confiance"
LUCAS = "lucas.thomas@demo.palabre.example"
CHLOE = "chloe.robert@demo.palabre.example"
BATISSEURS = {demo.ADMIN, HUGO, LEA, LUCAS, CHLOE, GABRIEL}
ECLAIREURS = {
    MANON,
    "louis.durand@demo.palabre.example",
    "ines.leroy@demo.palabre.example",
    "jules.moreau@demo.palabre.example",
    SARAH,
    KENJI,
}


def answer_to(stack: LocalStack, address: str, title: str, text: str) -> None:
    """The member answers the theme whose email (subject) names `title`."""
    message = next(m for m in sent(stack) if m["To"] == address and title in m["Subject"])
    body = message.get_body(("plain",))
    assert body is not None
    [path] = re.findall(r"https://\S+?(/answer/\S+)", body.get_content())
    status, _, _ = stack.api(
        method="POST",
        path=path,
        query="",
        headers=FORM,
        body=urlencode({"answer": text, "visibility": "circle", "attribution": "named"}).encode(),
    )
    assert status == 303


def viewed_organisation(stack: LocalStack) -> LocalStack:
    """The demo on `stack`, up to VIEWED: demo-1 (everyone) answered by Léa, Hugo
    (Bâtisseurs) and Manon (Éclaireurs), closed; demo-2 (Bâtisseurs and Éclaireurs)
    answered by Léa, open until the 15th."""
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    stack.advance_to(FIRST_SENT)
    for address in (LEA, HUGO, MANON):
        answer_to(stack, address, RITUALS, "Un tour de table le lundi.")
    stack.advance_to(SECOND_SENT)
    answer_to(stack, LEA, TRUST, "Je tiens ce que je promets.")
    stack.advance_to(VIEWED)
    stack.drain()
    return stack


@pytest.fixture(scope="module")
def viewed() -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        yield viewed_organisation(make_stack())


@pytest.fixture
def org(viewed: LocalStack) -> LocalStack:
    # each test forgets the clock and the clients' hooks (IAM) when it ends
    viewed.hooks.use_clock(viewed.clock)
    viewed.runtime.watch()
    return viewed


def dashboard(stack: LocalStack, query: str = "", who: str = demo.ADMIN) -> tuple[int, str]:
    return admin_get(stack, admin_path(stack, who), query)


def figures(page: str) -> dict[str, tuple[str, str, str]]:
    """The chart's table: theme -> (participation, answers, prompts sent); an open
    theme's figure marked " (so far)" whatever the words of the page's language."""
    [table] = re.findall(r"<caption[^>]*>.*?</caption>(.*?)</table>", page, re.S)
    table = re.sub(r' <span class="muted so-far">[^<]+</span>', " (so far)", table)
    rows = re.findall(
        r"<tr><td>[^<]*</td><td[^>]*>(.*?)</td><td class=\"num\">(.*?)</td>"
        r"<td class=\"num\">(.*?)</td><td class=\"num\">(.*?)</td></tr>",
        table,
    )
    return {title: (rate, answers, prompts) for title, rate, answers, prompts in rows}


def plain(html: str) -> str:
    text = unescape(re.sub(r"<[^>]+>", "", html))
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_the_closed_theme_shows_its_final_figure_and_the_open_one_its_figure_so_far(
    org: LocalStack,
) -> None:
    # When Camille, an admin, opens her space
    status, page = dashboard(org)

    # Then the chart's figures: demo-1 final (3 of the 19 who take part), demo-2 so far
    assert status == 200
    assert figures(page) == {
        "Nos rituels d&#39;équipe": ("16\u00a0%", "3", "19"),
        "Installer la confiance": ("8\u00a0% (so far)", "1", "12"),
    }
    # ... drawn inline: one well-formed SVG, a bar per theme, the open one marked
    [svg] = re.findall(r"<svg.*?</svg>", page, re.S)
    chart = ET.fromstring(svg)
    bars = chart.findall("{http://www.w3.org/2000/svg}rect")
    assert [b.get("class") for b in bars] == ["bar final", "bar so-far"]
    titles = [plain(b.findtext("{http://www.w3.org/2000/svg}title") or "") for b in bars]
    assert titles[0].startswith("Nos rituels d'équipe : 16 %")
    assert titles[1].startswith("Installer la confiance : 8 %")
    assert titles[0] != titles[1].replace("8 %", "16 %")  # the open one says "so far"


def section(page: str, id_: str) -> str:
    [found] = re.findall(rf'<section id="{id_}">(.*?)</section>', page, re.S)
    return found


def cells(html: str) -> list[list[str]]:
    """The rows of the tables in `html`, each cell as plain text."""
    return [
        [plain(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
    ]


def test_a_circle_or_a_team_filters_the_figures_and_an_unknown_one_is_refused(
    org: LocalStack,
) -> None:
    # When the dashboard is filtered by a circle (any case and accents), then a team
    status, page = dashboard(org, "circle=batisseurs&team=")
    assert status == 200
    assert figures(page) == {
        "Nos rituels d&#39;équipe": ("33\u00a0%", "2", "6"),
        "Installer la confiance": ("17\u00a0% (so far)", "1", "6"),
    }
    assert "<option selected>Bâtisseurs</option>" in page
    status, page = dashboard(org, "team=Produit")
    assert figures(page) == {
        "Nos rituels d&#39;équipe": ("22\u00a0%", "2", "9"),
        "Installer la confiance": ("17\u00a0% (so far)", "1", "6"),
    }

    # Then a name the roster does not hold: a 400 saying so, the figures of everyone
    status, page = dashboard(org, urlencode({"circle": "<b>Nulle part</b>"}))
    assert status == 400
    [error] = re.findall(r'<p class="error" role="alert">(.*?)</p>', page)
    assert "&lt;b&gt;Nulle part&lt;/b&gt;" in error
    assert figures(page)["Nos rituels d&#39;équipe"] == ("16\u00a0%", "3", "19")


def test_participation_per_circle_and_team_of_the_recent_themes(org: LocalStack) -> None:
    _, page = dashboard(org)

    # Then a row per circle, a column per theme sent lately: rate, answers / prompts
    circles = cells(section(page, "circles"))
    assert circles[0][1] == "Nos rituels d'équipe"
    assert circles[0][2].startswith("Installer la confiance")
    assert circles[1:] == [
        ["Bâtisseurs", "33 % 2/6", "17 % 1/6"],
        ["Éclaireurs", "17 % 1/6", "0 % 0/6"],
        ["Passeurs", "0 % 0/7", "—"],
    ]
    teams = cells(section(page, "teams"))
    assert teams[1:] == [
        ["Opérations", "10 % 1/10", "0 % 0/6"],
        ["Produit", "22 % 2/9", "17 % 1/6"],
    ]


def test_the_leaderboard_ranks_teams_and_circles_by_participation(org: LocalStack) -> None:
    _, page = dashboard(org)
    board = section(page, "leaderboard")
    teams, circles = board.split('id="circle-board"')

    # Produit: 3 answers of 15 prompts, each answered within 48 hours (15 points);
    # Opérations: 1 of 16
    assert cells(teams)[1:] == [["1", "Produit", "20 %", "45"], ["2", "Opérations", "6 %", "15"]]
    assert [row[1] for row in cells(circles)[1:]] == ["Bâtisseurs", "Éclaireurs", "Passeurs"]


def test_the_themes_to_come_with_their_audience_and_each_zones_send_time(
    org: LocalStack,
) -> None:
    _, page = dashboard(org)
    upcoming = section(page, "upcoming")

    # Then the four themes to come, in order, each in its week
    assert re.findall(r'id="theme-(demo-\d)"', upcoming) == ["demo-3", "demo-4", "demo-5", "demo-6"]
    third = plain(upcoming.split('id="theme-demo-3"')[1].split('id="theme-demo-4"')[0])
    assert "mardi 15 décembre" in third
    assert "Le feedback qui fait grandir" in third
    assert "19" in third  # everyone: the 19 who take part
    # ... each zone at 09:00 there, and when that is for Camille, in Paris
    assert re.findall(
        r"(\S+/\S+) ?: mar\. 15 déc\., (\d\d:\d\d)\D+15 déc\., (\d\d:\d\d)", third
    ) == [
        ("Asia/Tokyo", "09:00", "01:00"),
        ("Europe/Paris", "09:00", "09:00"),
        ("Europe/London", "09:00", "10:00"),
        ("America/Montreal", "09:00", "15:00"),
    ]
    fifth = plain(upcoming.split('id="theme-demo-5"')[1].split('id="theme-demo-6"')[0])
    assert re.search(r"Produit \(9 \w+\)", fifth)
    live = plain(upcoming.split('id="theme-demo-6"')[1])
    assert "jeudi 7 janvier, 14:00" in live


def test_the_open_themes_non_responders_exactly(org: LocalStack) -> None:
    _, page = dashboard(org)
    silent = section(page, "silent")

    # Then demo-2's eleven (Léa answered), by circle; demo-1 is closed: not listed
    assert 'id="silent-demo-1"' not in silent
    rows = cells(silent.split('id="silent-demo-2"')[1])[1:]
    assert {row[1] for row in rows} == (BATISSEURS | ECLAIREURS) - {LEA}
    assert [row[2] for row in rows] == ["Bâtisseurs"] * 5 + ["Éclaireurs"] * 6
    assert ["Camille", "camille.martin@demo.palabre.example", "Bâtisseurs", "Opérations"] in rows

    # ... and filtered by a circle, its own only
    _, page = dashboard(org, "circle=Éclaireurs")
    rows = cells(section(page, "silent"))[1:]
    assert {row[1] for row in rows} == ECLAIREURS


def partitions_queried(stack: LocalStack, query: str = "") -> list[tuple[str, str]]:
    """The (index, partition) of each Query one view of the dashboard makes."""
    queried: list[tuple[str, str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        queried.append(
            (params.get("IndexName", ""), params["ExpressionAttributeValues"][":pk"]["S"])
        )

    events = palabre.aws.client("dynamodb").meta.events
    events.register("provide-client-params.dynamodb.Query", record)
    try:
        assert dashboard(stack, query)[0] == 200
    finally:
        events.unregister("provide-client-params.dynamodb.Query", record)
    return queried


def test_the_non_responders_come_from_the_silent_index_never_the_themes_records(
    org: LocalStack,
) -> None:
    # When the admin views the dashboard, whole or one team's
    for query in ("", "team=Op%C3%A9rations"):
        queried = partitions_queried(org, query)
        # Then the open theme's non-responders are one Query of its silent prompts, by
        # circle (GSI2) or by team (GSI3), and no theme's records are read
        index = "GSI3" if query else "GSI2"
        assert (index, "SILENT#demo-2") in queried
        assert not [p for _, p in queried if p.startswith("THEME#")]


def test_the_silent_index_says_who_even_when_the_tally_runs_short(org: LocalStack) -> None:
    # Given demo-2's tally short of its prompts (a batch of them parked, not counted yet):
    # it counts as many answers as prompts
    client, table = org.client("dynamodb"), org.provisioned.tables["PalabreTable"]
    key = {"PK": {"S": "THEME#demo-2"}, "SK": {"S": "TALLY"}}
    tally = client.get_item(TableName=table, Key=key)["Item"]
    try:
        client.put_item(TableName=table, Item={**tally, "prompts": {"N": "1"}})
        # When the admin views the dashboard
        _, page = dashboard(org)
        # Then the eleven who have not answered are listed all the same
        rows = cells(section(page, "silent").split('id="silent-demo-2"')[1])[1:]
        assert {row[1] for row in rows} == (BATISSEURS | ECLAIREURS) - {LEA}
    finally:
        client.put_item(TableName=table, Item=tally)


def test_a_theme_sent_before_the_silent_index_lists_its_non_responders_all_the_same(
    org: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given demo-2's send records without their place among the silent (as a theme sent
    # before that index was kept)
    client, table = org.client("dynamodb"), org.provisioned.tables["PalabreTable"]
    records = client.query(
        TableName=table,
        KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
        ExpressionAttributeValues={":pk": {"S": "THEME#demo-2"}, ":p": {"S": "PROMPT#"}},
    )["Items"]
    assert [r["email"]["S"] for r in records if "GSI2PK" not in r] == [LEA]  # she answered
    try:
        for record in records:
            client.put_item(
                TableName=table,
                Item={k: v for k, v in record.items() if not k.startswith(("GSI2", "GSI3"))},
            )
        # When the admin views the dashboard
        _, page = dashboard(org)
        # Then its eleven non-responders are listed, read from the theme's records
        rows = cells(section(page, "silent").split('id="silent-demo-2"')[1])[1:]
        assert {row[1] for row in rows} == (BATISSEURS | ECLAIREURS) - {LEA}
        assert ("", "THEME#demo-2") in partitions_queried(org)

        # When an operator places them (once, after deploying the index)
        assert main(["tally", "rebuild", "--table", table, "--weeks", "4"]) == 0
        printed = capsys.readouterr().out
        assert "demo-2: still open somewhere" in printed
        assert "11 of its prompts placed among its non-responders" in printed

        # Then the same eleven are listed from the index, the records no longer read
        _, again = dashboard(org)
        assert cells(section(again, "silent").split('id="silent-demo-2"')[1])[1:] == rows
        assert not [p for _, p in partitions_queried(org) if p.startswith("THEME#")]
    finally:
        for record in records:
            client.put_item(TableName=table, Item=record)


def test_a_members_link_is_no_way_into_the_dashboard(org: LocalStack) -> None:
    assert dashboard(org, who=LEA)[0] == 404
    assert dashboard(org, "circle=B%C3%A2tisseurs", who=LEA)[0] == 404


def test_a_theme_sent_before_tallies_were_kept_is_counted_once_rebuilt(
    org: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given demo-1 without its tally, as a theme sent before tallies were kept
    table = org.provisioned.tables["PalabreTable"]
    key = {"PK": {"S": "THEME#demo-1"}, "SK": {"S": "TALLY"}}
    org.client("dynamodb").delete_item(TableName=table, Key=key)
    _, page = dashboard(org)
    assert section(page, "participation").count('class="not-counted"') == 1
    assert "palabre tally rebuild" in page

    # When an operator rebuilds the tallies of the last weeks
    assert main(["tally", "rebuild", "--table", table, "--weeks", "4"]) == 0

    # Then demo-1, closed, is counted from its records; demo-2, open, is left as it is
    assert capsys.readouterr().out.splitlines() == [
        "demo-1: counted again",
        "demo-2: still open somewhere, left as it is: run this again once it has closed; "
        "0 of its prompts placed among its non-responders",
    ]
    _, page = dashboard(org)
    assert figures(page)["Nos rituels d&#39;équipe"] == ("16\u00a0%", "3", "19")
    assert "palabre tally rebuild" not in page
    assert "rebuilt_at" in dynamodb_item(org, "THEME#demo-1", "TALLY")


def requests(stack: LocalStack, query: str = "") -> Counter[str]:
    """The DynamoDB requests one view of the dashboard makes."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", count)
    try:
        status, _ = dashboard(stack, query)
    finally:
        events.unregister("before-call.dynamodb.*", count)
    assert status == 200
    return calls


def test_a_view_costs_the_same_few_requests_whatever_the_members(org: LocalStack) -> None:
    # Given the view's cost with the demo's 19 who take part
    before = requests(org)
    # the admin and the sending pause, the directory, the calendar, the tallies, two
    # standings, the open theme
    assert before == Counter({"GetItem": 2, "Query": 5, "BatchGetItem": 1})

    # When a hundred more join Bâtisseurs and get the open theme
    extra = "".join(
        f"extra{n:03d}@demo.palabre.example;Prénom{n};Nom{n};Bâtisseurs;Opérations;fr;"
        "Europe/Paris;member\n"
        for n in range(100)
    )
    org.upload("roster", "roster.csv", demo.roster() + extra.encode())
    org.advance_to(VIEWED.replace(hour=11))
    org.drain()
    _, page = dashboard(org)
    assert figures(page)["Installer la confiance"] == ("1\u00a0% (so far)", "1", "112")

    # Then a view costs the same requests, no write
    assert requests(org) == before
    # ... and the non-responders are capped, the others counted
    rows = cells(section(page, "silent"))[1:]
    assert len(rows) == 50
    assert re.search(r"\b61\b", plain(section(page, "silent").split("</table>")[1]))
