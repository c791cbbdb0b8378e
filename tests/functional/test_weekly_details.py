"""The weekly loop over several weeks, against moto: streaks settled digest after digest,
a theme's own points, digests in the reader's language with inlined CSS, the admin
report's lists and exports, and a digest whose reads follow the week, not the history."""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import yaml

import palabre.aws
import palabre.core.clock
import palabre.wiring
from palabre.core.models import group_key, member_id
from palabre.store import keys
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import (
    PARIS_MORNING,
    demo_organisation,
    dynamodb_item,
    make_stack,
    mocked_aws,
    sent,
    tick,
)
from tests.functional.test_answers import post
from tests.functional.test_digest import ADMIN, JADE, MONDAY, digest_on, text
from tests.functional.test_dispatch import KENJI, LEA, MONTREAL_MORNING, SARAH
from tests.functional.test_links import GABRIEL, _publish
from tests.functional.test_scores import HUGO, MANON, score

LUCAS = "lucas.thomas@demo.palabre.example"  # Bâtisseurs, Opérations, like Hugo
WEEK = timedelta(weeks=1)


# ---------------------------------------------------------------------------- helpers
@contextmanager
def demo_org(**parameters: str) -> Iterator[LocalStack]:
    """What the `org` fixture gives, in a moto of its own: for a fixture shared by a
    module, or two organisations compared in one test (`parameters`: the template's)."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        try:
            yield demo_organisation(make_stack(**parameters))
        finally:
            palabre.core.clock.reset()
            palabre.aws.reset()
            palabre.wiring.reset()


def reply(stack: LocalStack, address: str, theme: int, words: str) -> str:
    """Answer theme `theme` (1 = demo-1) through the link of its email; the page's text."""
    title = demo.THEMES[theme - 1]["title"]
    message = next(m for m in sent(stack) if m["To"] == address and title in m["Subject"])
    [path] = re.findall(r"https://\S+?(/answer/\S+)", text(message))
    status, _, page = post(stack, path, answer=words, visibility="circle")
    assert status == 200
    stack.drain()
    return page


def streak_line(message: EmailMessage) -> str:
    [line] = [li for li in text(message).splitlines() if "série\u00a0:" in li or "streak:" in li]
    return line


def section(message: EmailMessage, title: str) -> list[str]:
    body = text(message).split(f"## {title}\n")[1].split("\n## ")[0]
    return [line for line in body.splitlines() if line.strip()]


def export(stack: LocalStack, week: str, name: str) -> list[list[str]]:
    s3 = stack.client("s3")
    data = s3.get_object(Bucket=stack.uploads_bucket("roster"), Key=f"exports/{week}/{name}.csv")
    body = data["Body"].read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body), delimiter=";"))  # a French organisation


# ---------------------------------------------------------------------------- three weeks
def _skipped_prompt(stack: LocalStack, address: str, theme: str, at: datetime) -> None:
    """The send record of a job the sender skipped (as if from an older audience), found in
    the member's prompt index: the theme was never addressed to them."""
    mid = member_id(address)
    DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"]).put(
        {
            **keys.prompt(theme, mid),
            "type": "prompt",
            "theme_id": theme,
            "member_id": mid,
            "status": "skipped",
            "skip_reason": "not-in-audience",
            "at": at.isoformat(),
            "sent_at": at.isoformat(),
            "deadline": (at + WEEK + timedelta(hours=15)).isoformat(),  # closed by the 21st
            "GSI1PK": keys.member_partition(mid),
            "GSI1SK": f"PROMPT#{at.isoformat()}#{theme}",
        }
    )


@pytest.fixture(scope="module")
def weeks() -> dict[str, Any]:
    """Three weeks of the demo calendar, each Monday's weekly emails and exports kept:
    - demo-1 (everyone): Hugo, Lucas and Jade answer; Gabriel's address then bounces;
    - demo-2 (Bâtisseurs and Éclaireurs, not Jade's Passeurs): Hugo answers, Lucas lets
      it close; a skipped job left Jade a send record with another status than 'sent';
    - demo-3 (everyone): Jade answers."""
    with demo_org() as org:
        tick(org, MONTREAL_MORNING)  # demo-1 reaches London and Montreal
        org.drain()
        for address in (HUGO, LUCAS, JADE):
            reply(org, address, 1, f"Rituel de {address.split('.')[0]}.")
        _publish(
            org,
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [{"emailAddress": GABRIEL}],
                },
            },
        )
        mail = {"W49": digest_on(org, MONDAY)}

        tick(org, PARIS_MORNING + WEEK)  # demo-2, Paris and Tokyo
        org.drain()
        reply(org, HUGO, 2, "Tenir parole, toujours.")
        _skipped_prompt(org, JADE, "demo-2", PARIS_MORNING + WEEK)
        mail["W50"] = digest_on(org, MONDAY + WEEK)

        tick(org, PARIS_MORNING + 2 * WEEK)  # demo-3, Paris and Tokyo
        org.drain()
        reply(org, JADE, 3, "Je prépare trois phrases.")
        mail["W51"] = digest_on(org, MONDAY + 2 * WEEK)
        exports = {n: export(org, "2026-W50", n) for n in ("scores", "participation")}
        return {"mail": mail, "exports": exports}


def test_a_streak_grows_with_each_theme_answered_and_a_first_miss_spends_the_joker(
    weeks: dict[str, Any],
) -> None:
    mail = weeks["mail"]
    assert streak_line(mail["W49"][HUGO]) == (
        "Vos points\u00a0: 15 · votre série\u00a0: 1 thème répondu d'affilée · record\u00a0: 1"
        " · 1 joker restant ce trimestre"
    )
    assert streak_line(mail["W50"][HUGO]) == (
        "Vos points\u00a0: 30 · votre série\u00a0: 2 thèmes répondus d'affilée · record\u00a0: 2"
        " · 1 joker restant ce trimestre"
    )
    # Lucas lets demo-2 pass: still open on 14 December (nothing spent), closed by the
    # 21st: the quarter's joker forgives it (a second miss would break the streak:
    # test_shields.py), and that digest says so
    assert streak_line(mail["W50"][LUCAS]).endswith(
        "votre série\u00a0: 1 thème répondu d'affilée · record\u00a0: 1 · "
        "1 joker restant ce trimestre"
    )
    assert streak_line(mail["W51"][LUCAS]).endswith(
        "votre série\u00a0: 1 thème répondu d'affilée · record\u00a0: 1 · "
        "0 joker restant ce trimestre"
    )
    assert "Joker utilisé" in text(mail["W51"][LUCAS])
    assert "Joker utilisé" not in text(mail["W50"][LUCAS])
    # …and demo-3, still open on the 21st, neither counts nor breaks Hugo's
    assert "votre série\u00a0: 2 thèmes répondus d'affilée · record\u00a0: 2" in streak_line(
        mail["W51"][HUGO]
    )


def test_a_theme_not_addressed_to_a_member_never_breaks_their_streak(
    weeks: dict[str, Any],
) -> None:
    # demo-2 was not for Jade (Passeurs); her skipped record for it closed on the 15th.
    # Her circle had nothing to read that week (no theme, no answer it may see): no digest
    mail = weeks["mail"]
    assert JADE not in mail["W50"]
    jade = streak_line(mail["W51"][JADE])
    assert "votre série\u00a0: 2 thèmes répondus d'affilée · record\u00a0: 2 · 1 joker" in jade


def test_the_report_lists_who_let_a_theme_close_and_the_suppressed_addresses(
    weeks: dict[str, Any],
) -> None:
    mail = weeks["mail"]
    silent = "N'ont pas répondu à un thème clos cette semaine"
    # Nothing closed in the week of 30 November; demo-1 closed on 8 December (week 50)
    assert section(mail["W49"][f"report:{ADMIN}"], silent) == ["Tout le monde a répondu."]
    w50 = section(mail["W50"][f"report:{ADMIN}"], silent)
    assert "- Léa (lea.dubois@demo.palabre.example), Bâtisseurs\u00a0: Nos rituels d'équipe" in w50
    assert f"- Gabriel ({GABRIEL}), Bâtisseurs\u00a0: Nos rituels d'équipe" in w50
    assert len(w50) == 19 - 3  # everyone sent demo-1 but Hugo, Lucas and Jade
    assert not [line for line in w50 if HUGO in line or LUCAS in line or JADE in line]
    # demo-2 closed on 15 December: Lucas is listed, Jade (never sent it) is not
    w51 = section(mail["W51"][f"report:{ADMIN}"], silent)
    assert f"- Lucas ({LUCAS}), Bâtisseurs\u00a0: Installer la confiance" in w51
    assert not [line for line in w51 if HUGO in line or JADE in line]

    for week in ("W49", "W50"):
        suppressed = section(mail[week][f"report:{ADMIN}"], "Adresses bloquées")
        assert [line for line in suppressed if line.startswith("- ")] == [f"- {GABRIEL}: rejetée"]
    assert GABRIEL not in mail["W50"]  # and he gets no digest


def test_the_reports_score_and_participation_exports(weeks: dict[str, Any]) -> None:
    scores, participation = weeks["exports"]["scores"], weeks["exports"]["participation"]
    assert scores[0] == ["kind", "name", "points", "answers", "prompts", "participation"]
    # Standings since the start: demo-1 to 6 Bâtisseurs, demo-2 to the 5 in Paris;
    # Hugo's two answers (15 each) and Lucas's one
    assert ["circle", "Bâtisseurs", "45", "3", "11", "0,27"] in scores
    assert ["circle", "Passeurs", "15", "1", "7", "0,14"] in scores
    assert {row[0] for row in scores[1:]} == {"team", "circle"}
    # One row per theme and circle or team: demo-1 closed on 8 December with its final
    # figure (19 sent, Hugo, Lucas and Jade answered), demo-2 (sent to Paris and Tokyo that
    # week) as it stands
    # (yes, maybe and attended: a live session's row, none this week)
    assert participation[0] == [
        "theme", "title", "status", "kind", "name", "prompts", "answers", "rate",
        "yes", "maybe", "attended",
    ]  # fmt: skip
    rituels, confiance = "Nos rituels d'équipe", "Installer la confiance"
    assert [row[:8] for row in participation[1:]] == [
        ["demo-1", rituels, "closed", "circle", "Bâtisseurs", "6", "2", "33%"],
        ["demo-1", rituels, "closed", "circle", "Passeurs", "7", "1", "14%"],
        ["demo-1", rituels, "closed", "circle", "Éclaireurs", "6", "0", "0%"],
        ["demo-1", rituels, "closed", "team", "Opérations", "10", "3", "30%"],
        ["demo-1", rituels, "closed", "team", "Produit", "9", "0", "0%"],
        ["demo-2", confiance, "open", "circle", "Bâtisseurs", "5", "1", "20%"],
        ["demo-2", confiance, "open", "circle", "Éclaireurs", "5", "0", "0%"],
        ["demo-2", confiance, "open", "team", "Opérations", "4", "1", "25%"],
        ["demo-2", confiance, "open", "team", "Produit", "6", "0", "0%"],
    ]


def test_the_report_gives_each_theme_closed_that_week_its_final_participation(
    weeks: dict[str, Any],
) -> None:
    mail = weeks["mail"]
    heading = "Thèmes clos cette semaine\u00a0: participation finale"
    assert heading not in text(mail["W49"][f"report:{ADMIN}"])  # nothing closed yet
    w50 = text(mail["W50"][f"report:{ADMIN}"])
    closed = w50[w50.index(heading) : w50.index("## Participation par cercle")]
    assert "Nos rituels d'équipe — clos le 8 décembre · participation 3/19 (16 %)" in closed
    assert "- Cercle Bâtisseurs\u00a0: 2/6 (33 %)" in closed
    assert "- Équipe Produit\u00a0: 0/9 (0 %)" in closed
    assert "Installer la confiance" not in closed  # still open


# ---------------------------------------------------------------------------- one week
def test_a_themes_own_points_are_earned_and_stored(org: LocalStack) -> None:
    # The admin uploads the calendar again, demo-2 now worth 20 points
    calendar = yaml.safe_load(demo.calendar(datetime(2026, 11, 30).date()))
    [demo_2] = [t for t in calendar["themes"] if t["id"] == "demo-2"]
    demo_2["points"] = 20
    report = org.upload("calendar", "demo-calendar.yaml", yaml.safe_dump(calendar).encode())
    assert report["ok"]
    assert report["updated"] == 1
    tick(org, PARIS_MORNING + WEEK)
    org.drain()

    page = reply(org, HUGO, 2, "Tenir parole.")
    assert "Cette réponse vous rapporte 25 points." in page  # 20, +5 within 48 hours
    assert score(org, HUGO)["points"] == {"N": "25"}

    org.clock.move_to(PARIS_MORNING + WEEK + timedelta(hours=49))
    reply(org, LUCAS, 2, "Dire ce que je ne sais pas.")
    assert score(org, LUCAS)["points"] == {"N": "20"}
    stored = dynamodb_item(org, "THEME#demo-2", f"ANSWER#{member_id(LUCAS)}")
    assert stored["points"] == {"N": "20"}
    assert dynamodb_item(org, "BOARD#circle", group_key("Bâtisseurs"))["points"] == {"N": "45"}


def test_english_readers_get_an_english_digest(org: LocalStack) -> None:
    tick(org, MONTREAL_MORNING)
    org.drain()
    reply(org, KENJI, 1, "A stand-up on Mondays.")
    mail = digest_on(org, MONDAY)

    for address, greeting, stats in (
        (KENJI, "Hello Kenji,", "Your points: 15 · your streak: 1 theme answered in a row"),
        (SARAH, "Hello Sarah,", "Your points: 0 · your streak: 0 themes answered in a row"),
    ):
        message = mail[address]
        assert message["Subject"] == "What your peers tried, week of 30 November"
        body = text(message)
        assert body.startswith("Week of 30 November\n\n" + greeting)
        assert stats in body
        assert "Here is what your circle, Éclaireurs, and the organisation tried this week." in body
        assert "## Team leaderboard" in body
        html = message.get_body(("html",)).get_content()
        assert '<html lang="en">' in html
        assert ">Team leaderboard</h2>" in html
        for french in ("Bonjour", "Vos points", "semaine", "Classement"):
            assert french not in body
            assert french not in html
    assert mail[LEA]["Subject"] == "Ce que vos pairs ont essayé, semaine du 30 novembre"


def test_the_digest_and_the_prompt_email_have_their_css_inlined(org: LocalStack) -> None:
    reply(org, LEA, 1, "Tour de table.")
    [prompt] = [m for m in sent(org) if m["To"] == HUGO]
    digest = digest_on(org, MONDAY)[HUGO]

    for message, styled in (
        (prompt, '<div class="prompt" lang="fr" style="border-left: 3px solid #7a4b2a;'),
        (digest, '<div class="answer" style="border-top: 1px solid #e4e7eb;'),
    ):
        html = message.get_body(("html",)).get_content()
        assert re.search(r'<h1 [^>]*style="font-size: 22px;[^"]*">', html)
        assert styled in html
        assert '<body style="margin: 0;' in html
        # Only the rules an attribute cannot hold (media queries) stay in a <style>
        assert "h1 {" not in html
        assert ".answer {" not in html


# ---------------------------------------------------------------------------- read cost
READS = ("Query", "Scan", "GetItem", "BatchGetItem")


def _older_answers(stack: LocalStack, weeks: int) -> int:
    """`weeks` weeks of answers before the calendar, by everyone who takes part, written as
    the answer page writes them (circle and week in GSI2, week in GSI1)."""
    roster = csv.DictReader(io.StringIO(demo.roster().decode()), delimiter=";")
    items = []
    for row in (r for r in roster if r["Rôle"] != "observer"):
        mid, circle = member_id(row["Courriel"]), group_key(row["Cercle"])
        for number in range(49 - weeks, 49):
            theme, week = f"old-{number}", f"2026-W{number}"
            items.append(
                {
                    **keys.answer(theme, mid),
                    "type": "answer",
                    "theme_id": theme,
                    "member_id": mid,
                    "text": f"Réponse ancienne, semaine {number}.",
                    "visibility": "organisation",
                    "week": week,
                    "points": 15,
                    "version": 1,
                    "circle": row["Cercle"],
                    "team": row["Équipe"],
                    "first_name": row["Prénom"],
                    "GSI1PK": keys.week_partition(week),
                    "GSI1SK": f"ANSWER#{circle}#{theme}#{mid}",
                    "GSI2PK": f"CIRCLE#{circle}",
                    "GSI2SK": f"ANSWER#{week}#{theme}#{mid}",
                }
            )
    DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"]).put_many(items)
    stack.drain()  # their scores, as the stream counted them back then
    return len(items)


def _digest_reads(older_weeks: int) -> tuple[Counter[str], str]:
    """Items and requests a Monday's digest reads (building, then every reader's email),
    after `older_weeks` weeks of older answers; and Hugo's digest."""
    with demo_org() as org:
        assert _older_answers(org, older_weeks) == 19 * older_weeks
        for address in (LEA, HUGO, MANON):
            reply(org, address, 1, f"Rituel de {address.split('.')[0]}.")
        reads: Counter[str] = Counter()

        def count(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            if model.name in ("Query", "Scan"):
                reads["items"] += parsed.get("Count", 0)
            elif model.name == "GetItem":
                reads["items"] += "Item" in parsed
            elif model.name == "BatchGetItem":
                reads["items"] += sum(len(v) for v in parsed.get("Responses", {}).values())
            reads["requests"] += model.name in READS

        palabre.aws.client("dynamodb").meta.events.register("after-call.dynamodb.*", count)
        mail = digest_on(org, MONDAY)
        return reads, text(mail[HUGO])


def test_the_digest_reads_the_week_not_the_history() -> None:
    # A week of older answers, then eight: every member has a score either way (a member
    # who never earned a point has none to read), only the history's length differs
    fresh, fresh_digest = _digest_reads(1)
    older, older_digest = _digest_reads(8)  # 152 older answers, in every circle

    assert fresh["requests"] > 0
    assert fresh["items"] > 0
    assert older["items"] <= fresh["items"] + 2
    assert older["requests"] <= fresh["requests"] + 2
    assert "Réponse ancienne" not in older_digest
    assert "Réponse ancienne" not in fresh_digest
    assert older_digest.split("Vos points")[0] == fresh_digest.split("Vos points")[0]
