"""The weekly loop on the local stack: a week of answers, Monday's digests, votes clicked
in Chromium, a one-click unsubscribe, and a mail scanner opening every link."""

import html
import re
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

from tests.e2e.conftest import ARTIFACTS, Local

LEA = "lea.dubois@demo.palabre.example"  # Bâtisseurs, Produit
HUGO = "hugo.bernard@demo.palabre.example"  # Bâtisseurs, Opérations
MANON = "manon.petit@demo.palabre.example"  # Éclaireurs, Produit
JADE = "jade.michel@demo.palabre.example"  # Passeurs
DIGEST = ("Ce que vos pairs", "What your peers")
LINK = re.compile(r"""https?://[^\s"'<>]+""")


def digests(local: Local, week_of: tuple[str, str]) -> dict[str, dict[str, Any]]:
    """The digests of one week, by reader (`week_of`: its Monday in French and English)."""
    return {
        m["to"][0]: m
        for m in local.mail()
        if m["subject"].startswith(DIGEST) and m["subject"].endswith(week_of)
    }


def answer(local: Local, address: str, text: str, visibility: str) -> None:
    [prompt] = [
        m for m in local.mail() if m["to"] == [address] and m["subject"].startswith("Nos rituels")
    ]
    [path] = re.findall(r"http://127\.0\.0\.1:\d+(/answer/\S+)", prompt["text"])
    body = f"answer={urllib.request.quote(text)}&visibility={visibility}".encode()
    response = local.request(
        "POST", path, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 200


def table_snapshot(local: Local) -> list[dict[str, Any]]:
    """Everything in the table, read straight from moto (a Scan: fine in a test)."""
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=local.moto_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(account_id_endpoint_mode="disabled"),
    )
    # the data's table (the sender's pace, in its own, moves as it sends)
    [table] = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-PalabreTable")]
    items = [
        i
        for page in dynamodb.get_paginator("scan").paginate(TableName=table)
        for i in page["Items"]
    ]
    # Locks come and go with imports; nothing else may change when a link is only opened
    return sorted(
        (i for i in items if not i["SK"]["S"].startswith("LOCK#")),
        key=lambda i: (i["PK"]["S"], i["SK"]["S"]),
    )


def test_a_week_of_answers_votes_and_digests(local: Local, page: Any) -> None:
    # Tuesday: every member has the first theme by 15:05 in Paris (09:05 in Montreal)
    local.move_clock(now="2026-12-01T15:05:00+01:00")
    answer(local, LEA, "Un tour de table de 10 minutes chaque lundi.", "organisation")
    answer(local, HUGO, "Un café le vendredi, sans ordre du jour.", "circle")
    answer(local, MANON, "Une rétro mensuelle avec l'équipe.", "circle")

    # Monday 08:00 in Paris: each circle's digest
    local.move_clock(now="2026-12-07T08:05:00+01:00")
    first = digests(local, ("30 novembre", "30 November"))
    assert len(first) == 20  # members, admins and the observer
    assert "Un café le vendredi" in first[HUGO]["text"]
    assert "Un tour de table" in first[HUGO]["text"]  # Léa, same circle
    assert "Une rétro mensuelle" not in first[HUGO]["text"]  # Éclaireurs only
    assert "Une rétro mensuelle" in first[MANON]["text"]
    assert "Un tour de table" in first[MANON]["text"]  # shared with everyone
    assert "Un café le vendredi" not in first[JADE]["text"]
    assert "Vos points\u00a0: 15" in first[HUGO]["text"]
    assert "Vos points\u00a0: 0" in first[JADE]["text"]

    # Hugo and Manon find Léa's practice useful, in the browser
    for reader in (HUGO, MANON):
        page.goto(f"{local.url}/_local/mail/{first[reader]['id']}")
        if reader == HUGO:
            page.screenshot(path=str(ARTIFACTS / "digest-email.png"), full_page=True)
        with page.expect_navigation():
            page.locator("a.useful").first.click()
        assert "Tour de table" in page.locator(".answer-text").inner_text() or (
            "tour de table" in page.locator(".answer-text").inner_text()
        )
        with page.expect_navigation():
            page.get_by_role("button", name="Oui, utile").click()
        assert "Merci\u00a0: votre vote est compté." in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "vote-counted.png"), full_page=True)
    local.request("POST", "/_local/drain")

    # A mail scanner opens every link of every email: nothing changes
    before = table_snapshot(local)
    links = {
        html.unescape(link).rstrip(".,;)")
        for mail in local.mail()
        for link in LINK.findall(mail["text"] + mail["html"])
        if "127.0.0.1" in link
    }
    assert len([link for link in links if "/vote/" in link]) >= 10
    for link in links:
        try:
            with urllib.request.urlopen(link, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # a 404 for a link that expired is fine: it is the writes that matter
    local.request("POST", "/_local/drain")
    assert table_snapshot(local) == before

    # Jade stops the digest with her mail client's one-click button (RFC 8058)
    unsubscribe = first[JADE]["headers"]["List-Unsubscribe"].split(",")[0].strip("<> ")
    request = urllib.request.Request(
        unsubscribe,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200

    # The next Monday: Léa's two useful votes count, and Jade gets no digest
    local.move_clock(now="2026-12-14T08:05:00+01:00")
    second = digests(local, ("7 décembre", "7 December"))
    assert JADE not in second
    assert len(second) == 19
    assert "Vos points\u00a0: 19" in second[LEA]["text"]  # 15 for her answer, 2 per vote
    assert "Vos points\u00a0: 15" in second[HUGO]["text"]
    # Last week's answer voted useful this week leads both circles' "most useful practices"
    for reader in (HUGO, MANON):
        top = second[reader]["text"].split("Les pratiques les plus utiles", 1)[1]
        assert "Léa D. · Bâtisseurs, jugée utile par 2\u00a0: Un tour de table" in top
    sent_twice = [
        k for k, n in Counter((m["to"][0], m["subject"]) for m in local.mail()).items() if n > 1
    ]
    assert sent_twice == []
