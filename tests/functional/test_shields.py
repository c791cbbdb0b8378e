"""Streak shields against moto (issue 9 §4): a theme sent on a day the member declared
themself away is not sent, nor reminded of, and never breaks the streak; a digest whose
working week they are away for pauses; one miss per calendar quarter is forgiven (a
joker); the digest and the space show the streak, the best one and the jokers left."""

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

import palabre.aws
from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import dynamodb_item, sent, tick
from tests.functional.test_answers import FORM, get, post, signer
from tests.functional.test_dispatch import (
    GABRIEL,
    HUGO,
    KENJI,
    LEA,
    SARAH,
    TOKYO_MORNING,
    prompt_record,
    recipients,
)
from tests.functional.test_scores import MANON

DIGEST = ("Ce que vos pairs", "What your peers")
LUCAS = "lucas.thomas@demo.palabre.example"  # Paris, Bâtisseurs


def space(stack: LocalStack, address: str) -> str:
    token = signer(stack).sign(
        Purpose.SPACE, [member_id(address)], stack.clock() + timedelta(days=90)
    )
    return f"/space/{token}"


def declare(stack: LocalStack, address: str, start: str, end: str) -> None:
    """An absence, declared on the member's preferences page."""
    status, _, _ = post(
        stack, f"{space(stack, address)}/preferences", action="add", **{"from": start, "to": end}
    )
    assert status == 200


def streak_line(stack: LocalStack, address: str) -> str:
    """The space home's line of points and streak figures."""
    [line] = re.findall(r'<p class="points">(.*?)</p>', get(stack, space(stack, address))[2])
    return line.split(" · ", 1)[1]


def answer_to(stack: LocalStack, address: str, title: str, text: str) -> None:
    """The member answers the theme `title` through its email's link."""
    prompt = next(
        m
        for m in reversed(sent(stack))
        if m["To"] == address and title in m["Subject"] and not m["Subject"].startswith("Rappel")
    )
    [path] = re.findall(r"https://\S+?(/answer/\S+)", prompt.get_body(("plain",)).get_content())
    status, _, _ = stack.api(
        method="POST",
        path=path,
        query="",
        headers=FORM,
        body=urlencode({"answer": text, "visibility": "circle"}).encode(),
    )
    assert status == 303


def digest_to(stack: LocalStack, address: str) -> str:
    [message] = [m for m in sent(stack) if m["To"] == address and m["Subject"].startswith(DIGEST)]
    return str(message.get_body(("plain",)).get_content())


def weekly_record(stack: LocalStack, address: str, week: str) -> dict[str, Any]:
    return dynamodb_item(stack, f"DIGEST#{week}", f"MEMBER#{member_id(address)}")


@pytest.fixture
def unsent(stack: LocalStack) -> LocalStack:
    """The demo organisation, nothing sent yet: Monday 30 November, first theme Tuesday."""
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    stack.clear_mail()
    return stack


# ---------------------------------------------------------------------------- absences
def test_a_theme_sent_on_a_day_of_absence_is_skipped_in_each_members_own_timezone(
    unsent: LocalStack,
) -> None:
    # Given absences around Tuesday 1 December, each read in the member's local days
    declare(unsent, KENJI, "2026-12-01", "2026-12-01")  # Tokyo: that day alone
    declare(unsent, GABRIEL, "2026-11-24", "2026-11-30")  # Montreal: ends the day before
    declare(unsent, LEA, "2026-12-01", "2026-12-10")  # Paris: starts that day
    declare(unsent, HUGO, "2026-12-02", "2026-12-05")  # Paris: starts the day after
    declare(unsent, SARAH, "2026-11-28", "2026-12-01")  # London: ends that day

    # When 09:00 comes in Tokyo (Tuesday 00:00 UTC), the sender skips Kenji, and costs
    # what any skip costs: the one read of the member's state, the one skip record (the
    # sender's own table, its pace and pause, aside)
    tick(unsent, TOKYO_MORNING)
    calls: Counter[str] = Counter()
    sending = unsent.provisioned.tables["SendingTable"]

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") != sending:
            calls[model.name] += 1

    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.*", count)
    try:
        unsent.drain()
    finally:
        events.unregister("before-parameter-build.dynamodb.*", count)
    assert calls == Counter({"BatchGetItem": 1, "PutItem": 1})

    # …and then in Paris, London and Montreal
    unsent.advance_to(datetime.fromisoformat("2026-12-01T09:05:00-05:00"))
    got = recipients(unsent)
    assert (got[GABRIEL], got[HUGO]) == (1, 1)
    assert {KENJI, LEA, SARAH}.isdisjoint(got)
    for address in (KENJI, LEA, SARAH):
        record = prompt_record(unsent, address)
        assert (record["status"], record["skip_reason"]) == ({"S": "skipped"}, {"S": "absent"})
    assert prompt_record(unsent, HUGO)["status"] == {"S": "sent"}

    # Then no reminder reaches those away on Tuesday; the others get theirs (Sunday)
    unsent.clear_mail()
    unsent.advance_to(datetime.fromisoformat("2026-12-06T09:05:00-05:00"))
    reminded = {m["To"] for m in sent(unsent) if m["Subject"].startswith("Rappel")}
    assert {GABRIEL, HUGO} <= reminded
    assert {KENJI, LEA, SARAH}.isdisjoint(reminded)


def test_an_absence_declared_after_the_email_stops_its_reminder(org: LocalStack) -> None:
    # demo-1 went out on Tuesday; on Wednesday Lucas declares she was away since Tuesday
    org.clock.move_to(datetime.fromisoformat("2026-12-02T12:00:00+01:00"))
    declare(org, LUCAS, "2026-12-01", "2026-12-04")

    org.clear_mail()
    org.advance_to(datetime.fromisoformat("2026-12-06T09:30:00+01:00"))

    reminded = {m["To"] for m in sent(org) if m["Subject"].startswith("Rappel")}
    assert HUGO in reminded
    assert LUCAS not in reminded
    record = prompt_record(org, LUCAS)
    assert record["reminder_skipped"] == {"S": "absent"}
    assert "reminded_at" not in record


def test_an_absence_keeps_the_streak_without_a_joker_and_pauses_a_whole_weeks_digest(
    org: LocalStack,
) -> None:
    # Given Léa and Hugo answered the first theme
    answer_to(org, LEA, "Nos rituels", "Un tour de table.")
    answer_to(org, HUGO, "Nos rituels", "Un café.")
    # Léa is away Monday 7 to Friday 11 December, Manon Monday to Thursday only
    declare(org, LEA, "2026-12-07", "2026-12-11")
    declare(org, MANON, "2026-12-07", "2026-12-10")

    # When the second theme (Tuesday 8) has come and closed (end of Tuesday 15)
    org.advance_to(datetime.fromisoformat("2026-12-16T09:30:00+01:00"))

    # Then Léa was not sent it; Hugo was, and missed it
    assert prompt_record(org, LEA, "demo-2")["skip_reason"] == {"S": "absent"}
    assert prompt_record(org, HUGO, "demo-2")["status"] == {"S": "sent"}
    # Monday 7's digest pauses for Léa, away its whole working week, not for Manon; the
    # next Monday's reaches Léa back
    assert weekly_record(org, LEA, "2026-W49")["skip_reason"] == {"S": "absent"}
    assert weekly_record(org, MANON, "2026-W49")["status"] == {"S": "sent"}
    assert weekly_record(org, LEA, "2026-W50")["status"] == {"S": "sent"}
    # Both keep their streak of one: Léa's absence broke nothing, Hugo's miss took the
    # quarter's joker
    assert streak_line(org, LEA) == (
        "une série de 1 thème · record\u00a0: 1 · 1 joker restant ce trimestre"
    )
    assert streak_line(org, HUGO) == (
        "une série de 1 thème · record\u00a0: 1 · 0 joker restant ce trimestre"
    )


# ---------------------------------------------------------------------------- jokers
def test_one_miss_a_quarter_is_forgiven_and_the_digest_says_so_the_week_it_is_used(
    org: LocalStack,
) -> None:
    # Léa (team Produit) and Manon (Produit too) receive all six themes: five in
    # December (2026-Q4), the last on Tuesday 5 January (2027-Q1)
    def week_of(tuesday: str, *answering: str) -> None:
        org.advance_to(datetime.fromisoformat(f"{tuesday}T09:05:00+01:00"))
        title = {
            "2026-12-01": "Nos rituels",
            "2026-12-08": "Installer la confiance",
            "2026-12-15": "Le feedback qui fait grandir",
            "2026-12-22": "Vos one-to-ones",
            "2026-12-29": "Réussir une arrivée",
        }[tuesday]
        for address in answering:
            answer_to(org, address, title, "Une pratique.")

    week_of("2026-12-01", LEA, MANON)
    week_of("2026-12-08")  # both miss the second theme: each uses the Q4 joker
    week_of("2026-12-15", LEA, MANON)
    org.clear_mail()

    # Monday 21 December: the second theme closed last week; the joker is news
    org.advance_to(datetime.fromisoformat("2026-12-21T08:30:00+01:00"))
    lea = digest_to(org, LEA)
    assert "votre série\u00a0: 2 thèmes répondus d'affilée · record\u00a0: 2" in lea
    assert "0 joker restant ce trimestre" in lea
    assert "Joker utilisé\u00a0: un thème manqué vous est pardonné" in lea
    assert streak_line(org, LEA) == (
        "une série de 2 thèmes · record\u00a0: 2 · 0 joker restant ce trimestre"
    )

    week_of("2026-12-22", LEA)  # Manon misses a second theme this quarter
    org.clear_mail()
    week_of("2026-12-29", LEA, MANON)
    # Monday 28's digest told of no joker: Léa's was used two weeks before
    assert "Joker" not in digest_to(org, LEA)

    # Tuesday 5 January, a new quarter: the live session, which both miss
    org.advance_to(datetime.fromisoformat("2027-01-13T09:00:00+01:00"))
    # Léa: both misses forgiven, one per quarter; Manon's second miss of December broke
    # her streak, and the new quarter's joker keeps what she rebuilt
    assert streak_line(org, LEA) == (
        "une série de 4 thèmes · record\u00a0: 4 · 0 joker restant ce trimestre"
    )
    assert streak_line(org, MANON) == (
        "une série de 1 thème · record\u00a0: 2 · 0 joker restant ce trimestre"
    )
    stored = dynamodb_item(org, f"MEMBER#{member_id(MANON)}", "STREAK")
    assert (stored["best"], stored["joker_quarter"]) == ({"N": "2"}, {"S": "2026-Q4"})
