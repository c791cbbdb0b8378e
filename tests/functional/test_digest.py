"""The weekly digest and the admin report against moto: who reads what."""

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from palabre.core.models import member_id
from palabre.store.members import MemberStore
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.admin import admin_get
from tests.functional.conftest import dynamodb_item, put_member_item, sent, tick
from tests.functional.test_dispatch import LEA, MONTREAL_MORNING, queued
from tests.functional.test_scores import HUGO, MANON, answer, vote

MONDAY = datetime.fromisoformat("2026-12-07T08:00:00+01:00")
OBSERVER = "nathalie.vincent@demo.palabre.example"
ADMIN = demo.ADMIN  # Camille, Bâtisseurs
JADE = "jade.michel@demo.palabre.example"  # Passeurs


DIGEST = ("Ce que vos pairs", "What your peers")


def monday(stack: LocalStack) -> None:
    """The digest schedule's Monday 08:00 (its target invoked as the schedule would)."""
    stack.clock.move_to(MONDAY)
    invocation = stack.runtime.invoke("WeeklyDigestFunction", {"time": "2026-12-07T07:00:00Z"})
    assert invocation.error is None, invocation.error
    stack.drain()


def digest_of(stack: LocalStack, address: str) -> EmailMessage:
    [message] = [m for m in sent(stack) if m["To"] == address and m["Subject"].startswith(DIGEST)]
    return message


def text(message: EmailMessage) -> str:
    """The plain-text part, its CRLF line ends (as sent) read as newlines."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


@pytest.fixture
def week(org: LocalStack) -> LocalStack:
    """A week: Léa shares with everyone, Hugo with his circle, Manon (Éclaireurs) with her
    circle, and a formula-looking answer to check the exports."""
    answer(org, LEA, "Tour de table du lundi.", visibility="organisation")
    answer(org, HUGO, "Café du vendredi.")
    answer(org, MANON, '=HYPERLINK("http://evil")')
    tick(org, MONTREAL_MORNING)  # the rest of Tuesday's prompts: London, then Montreal
    org.drain()
    org.clear_mail()
    monday(org)
    return org


def test_each_circle_reads_its_own_answers_and_those_shared_with_everyone(
    week: LocalStack,
) -> None:
    hugo = text(digest_of(week, HUGO))  # Bâtisseurs, like Léa
    assert "Café du vendredi." in hugo
    assert "Tour de table du lundi." in hugo
    assert "HYPERLINK" not in hugo  # Manon's answer stays in Éclaireurs

    manon = text(digest_of(week, MANON))
    assert "HYPERLINK" in manon
    assert "Tour de table du lundi." in manon  # Léa's, shared with everyone
    assert "Café du vendredi." not in manon

    jade = text(digest_of(week, JADE))  # Passeurs: nobody answered there
    assert "Tour de table du lundi." in jade
    assert "Café du vendredi." not in jade
    assert "HYPERLINK" not in jade


def test_observers_get_the_organisations_edition(week: LocalStack) -> None:
    nathalie = text(digest_of(week, OBSERVER))
    assert "Voici ce que l'organisation a partagé cette semaine." in nathalie
    assert "Tour de table du lundi." in nathalie
    assert "Café du vendredi." not in nathalie
    assert "Vos points" not in nathalie


def test_a_digest_carries_the_readers_points_streak_and_useful_links(week: LocalStack) -> None:
    message = digest_of(week, HUGO)
    body = text(message)
    assert message["Subject"] == "Ce que vos pairs ont essayé, semaine du 30 novembre"
    assert "Vos points\u00a0: 15 · votre série\u00a0: 1 thème répondu d'affilée" in body
    assert "Participation de votre cercle cette semaine\u00a0: 2/6 (33 %)." in body
    # A "useful" link for Léa's answer, none for his own
    links = re.findall(r"Utile\s?: (\S+)", body)
    assert len(links) == 1
    html = message.get_body(("html",)).get_content()
    assert html.count('class="useful"') == 1
    assert "Votre réponse" in html
    # The leaderboard, by participation
    assert "1. Produit — 22 % · 30 points" in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_member_text_is_escaped_in_the_html(week: LocalStack) -> None:
    html = digest_of(week, MANON).get_body(("html",)).get_content()
    assert "=HYPERLINK(&#34;http://evil&#34;)" in html or "=HYPERLINK(&quot;" in html
    assert '<a href="http://evil"' not in html


def test_an_unsubscribed_reader_gets_no_digest_and_the_skip_is_recorded(
    org: LocalStack,
) -> None:
    put_member_item(org, HUGO, "PREFS", subscription="no_digest")
    org.clear_mail()
    monday(org)

    assert HUGO not in {m["To"] for m in sent(org) if m["Subject"].startswith(DIGEST)}
    record = dynamodb_item(org, "DIGEST#2026-W49", f"MEMBER#{member_id(HUGO)}")
    assert record["skip_reason"] == {"S": "unsubscribed"}


def test_a_rerun_while_the_first_runs_jobs_wait_queues_none_again(org: LocalStack) -> None:
    # The schedule's target retried at once (say its first invocation timed out late),
    # while every job of the first run is still in the queue
    org.clock.move_to(MONDAY)
    runs = [
        org.runtime.invoke("WeeklyDigestFunction", {"time": "2026-12-07T07:00:00Z"})
        for _ in range(2)
    ]

    first, again = (run.result for run in runs)
    assert first["digests"] > 0
    assert first["reports"] > 0
    assert again["digests"] == again["reports"] == 0
    # every job in the queue once (a message carries one or two)
    jobs = Counter((j["job"], j["member"]) for j in queued(org))
    assert sum(jobs.values()) == len(jobs) == first["digests"] + first["reports"]


def test_the_digest_is_sent_once_whatever_reruns(week: LocalStack) -> None:
    # The schedule's target invoked again for the same Monday (a retry)
    invocation = week.runtime.invoke("WeeklyDigestFunction", {"time": "2026-12-07T07:00:00Z"})
    assert invocation.error is None
    week.drain()
    counts: dict[str, int] = {}
    for message in sent(week):
        counts[message["To"] + message["Subject"]] = (
            counts.get(message["To"] + message["Subject"], 0) + 1
        )
    assert set(counts.values()) == {1}
    assert len([m for m in sent(week) if m["Subject"].startswith(DIGEST)]) == 20


def test_answers_voted_useful_lead_the_digest_and_the_report(org: LocalStack) -> None:
    answer(org, LEA, "Tour de table du lundi.", visibility="organisation")
    answer(org, HUGO, "Café du vendredi.")
    org.drain()
    vote(org, author=LEA, voter=HUGO)
    vote(org, author=LEA, voter=MANON)
    org.drain()  # the votes reach the answer's count
    monday(org)

    [report] = [m for m in sent(org) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    for message in (digest_of(org, MANON), report):
        body = text(message)
        top = body.split("## Les pratiques les plus utiles")[1].split("##")[0]
        first = top.strip().splitlines()[0]
        assert first == "- Léa D. · Bâtisseurs, jugée utile par 2\u00a0: Tour de table du lundi."
        # the admins' report carries the library star beside a practice shared with all
        assert ("Garder dans la bibliothèque\u00a0: https://" in top) is (message is report)
        html = message.get_body(("html",)).get_content()
        assert "Les pratiques les plus utiles</h2>" in html  # styles are inlined on the tag
        assert ">Léa D. · Bâtisseurs · jugée utile par 2</p>" in html


def digest_on(stack: LocalStack, moment: datetime) -> dict[str, EmailMessage]:
    """The digest schedule firing at `moment`: the weekly emails it sent, by reader (the
    admins' reports under "report:<address>")."""
    before = len(stack.raw_mail())
    stack.clock.move_to(moment)
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    invocation = stack.runtime.invoke("WeeklyDigestFunction", {"time": stamp})
    assert invocation.error is None, invocation.error
    stack.drain()
    weekly: dict[str, EmailMessage] = {}
    for message in sent(stack)[before:]:
        if message["Subject"].startswith(DIGEST):
            weekly[message["To"]] = message
        elif message["Subject"].startswith(("Rapport", "Palabre weekly report")):
            weekly[f"report:{message['To']}"] = message
    return weekly


def test_most_useful_practices_are_the_answers_voted_useful_during_the_week(
    org: LocalStack,
) -> None:
    answer(org, LEA, "Tour de table du lundi.", visibility="organisation")
    org.drain()
    first = digest_on(org, MONDAY)
    assert all("Les pratiques les plus utiles" not in text(m) for m in first.values())

    # Votes come from that digest's links, during the next week
    org.clock.move_to(MONDAY + timedelta(days=2))
    vote(org, author=LEA, voter=HUGO)
    vote(org, author=LEA, voter=MANON)
    org.drain()
    second = digest_on(org, MONDAY + timedelta(days=7))
    top = text(second[MANON]).split("## Les pratiques les plus utiles")[1].split("##")[0]
    assert top.strip().splitlines()[0] == (
        "- Léa D. · Bâtisseurs, jugée utile par 2\u00a0: Tour de table du lundi."
    )

    # A week later, nobody voted: the practice is not "most useful" forever
    third = digest_on(org, MONDAY + timedelta(days=14))
    assert third
    assert all("Les pratiques les plus utiles" not in text(m) for m in third.values())


def test_admins_get_the_report_with_safe_csv_exports(week: LocalStack) -> None:
    [report] = [m for m in sent(week) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    body = text(report)
    assert "- Bâtisseurs\u00a0: participation 2/6 (33 %)" in body
    assert "- Éclaireurs\u00a0: participation 1/6 (17 %)" in body
    assert "Adresses bloquées" in body
    [answers_link] = re.findall(r"answers\.csv\s?: (\S+)", body)
    assert "/export/" in answers_link

    # The link mints a short presigned URL when it is clicked, not when the report is sent
    status, location = download(week, answers_link)
    assert status == 302
    assert "/exports/2026-W49/answers.csv?" in location
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
    data = requests.get(location, timeout=10).content
    bucket = week.uploads_bucket("roster")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "theme",
        "title",
        "circle",
        "first_name",
        "last_initial",
        "attribution",
        "visibility",
        "useful",
        "answer",
    ]
    cells = {row[-1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in cells  # shown as text, never evaluated
    assert "Tour de table du lundi." in cells
    keys = {
        o["Key"]
        for o in week.client("s3").list_objects_v2(Bucket=bucket, Prefix="exports/2026-W49/")[
            "Contents"
        ]
    }
    assert keys == {
        *(f"exports/2026-W49/{n}.csv" for n in ("answers", "scores", "participation", "library")),
        "exports/2026-W49/library.html",
    }
    # ... and it opens the animators' space, in both parts
    [space_link] = re.findall(r"https?://\S+/admin/[A-Za-z0-9_.~-]+", body)
    assert f'href="{space_link}"' in html_of(report)
    status, page = admin_get(week, urlsplit(space_link).path)
    assert status == 200
    assert "Espace des animateurs" in page


def download(stack: LocalStack, link: str) -> tuple[int, str]:
    """GET an export link as a browser would: the status and where it redirects."""
    status, headers, _ = stack.api(
        method="GET", path=urlsplit(link).path, query="", headers={}, body=b""
    )
    return status, dict(headers).get("Location", "")


def test_an_export_link_serves_only_its_admin_only_while_they_are_one(
    week: LocalStack,
) -> None:
    [report] = [m for m in sent(week) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    [link] = re.findall(r"scores\.csv\s?: (\S+)", text(report))
    assert download(week, link)[0] == 302
    token = urlsplit(link).path.rsplit("/", 1)[1]

    # Tampered, or its token used for another purpose: the plain 404
    assert download(week, link[:-2] + ("AA" if not link.endswith("AA") else "BB"))[0] == 404
    assert download(week, f"/vote/{token}")[0] == 404
    # Expired, 90 days on
    week.clock.move_to(week.clock() + timedelta(days=91))
    assert download(week, link)[0] == 404


def test_an_export_link_stops_when_its_reader_is_no_longer_an_admin(week: LocalStack) -> None:
    [report] = [m for m in sent(week) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    [link] = re.findall(r"participation\.csv\s?: (\S+)", text(report))
    lines = [
        line.replace(";admin", ";member") if line.startswith(ADMIN) else line
        for line in demo.roster().decode().splitlines()
    ]
    assert week.upload("roster", "demo-roster.csv", "\n".join(lines).encode())["updated"] == 1

    assert download(week, link)[0] == 404


def test_circles_and_teams_count_the_same_answers_in_the_report(org: LocalStack) -> None:
    # Léa answers on Tuesday; Hugo on Monday morning, after the week ended but before
    # the digest: his answer is to a theme of that week, so both breakdowns count it.
    answer(org, LEA, "Tour de table du lundi.")
    tick(org, MONTREAL_MORNING)
    org.drain()
    org.clock.move_to(MONDAY - timedelta(minutes=30))
    answer(org, HUGO, "Café du vendredi.")
    org.drain()
    monday(org)

    [report] = [m for m in sent(org) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    body = text(report)
    circles = body.split("## Participation par cercle")[1].split("##")[0]
    teams = body.split("## Participation par équipe")[1].split("##")[0]

    def totals(section: str) -> tuple[int, int]:
        pairs = re.findall(r"participation (\d+)/(\d+)", section)
        return sum(int(a) for a, _ in pairs), sum(int(p) for _, p in pairs)

    assert totals(circles) == totals(teams)
    assert totals(teams)[0] == 2


def test_the_report_says_what_is_parked_in_words_with_a_link_to_retry_it(
    org: LocalStack,
) -> None:
    """Given a job parked in the send dead-letter queue and two score batches in the
    score failure queue
    When the admins' report goes out
    Then it says it in words, per kind ("1 email is waiting", "2 score updates are
    waiting"), in the admin's language, with a link to Retry in their space."""
    sqs = org.client("sqs")
    sqs.send_message(
        QueueUrl=org.provisioned.queues["SendDeadLetterQueue"].url,
        MessageBody='{"job": "prompt", "theme": "demo-1", "member": "mgone"}',
    )
    for _ in range(2):
        sqs.send_message(QueueUrl=org.provisioned.queues["ScoreFailureQueue"].url, MessageBody="{}")
    # ... and an address that bounced, one marked our email as spam
    members = MemberStore(
        DynamoTable(org.client("dynamodb"), org.provisioned.tables["PalabreTable"])
    )
    members.suppress("gone@client.example", "bounce", "550 5.1.1", org.clock())
    members.suppress("angry@client.example", "complaint", "abuse", org.clock())
    monday(org)
    [report] = [m for m in sent(org) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    body = text(report)
    assert "!! 1 email est en attente\n!! 2 mises à jour des points sont en attente\n" in body
    # suppressed addresses in words, with where to allow them again
    # (no French space after an address: typography leaves addresses alone)
    assert "- gone@client.example: rejetée" in body
    assert "- angry@client.example: a signalé nos emails comme indésirables" in body
    assert "bounce\n" not in body
    assert "depuis votre espace des animateurs\u00a0: http" in body
    assert "palabre dlq" not in body
    [retry] = re.findall(r"Réessayer depuis votre espace des animateurs\u00a0: (\S+)", body)
    assert urlsplit(retry).path.endswith("/deliverability")
    status, page = admin_get(org, urlsplit(retry).path)
    assert status == 200
    assert "1 email est en attente" in page
    html = report.get_body(("html",))
    assert html is not None
    assert "1 email est en attente<br>2 mises à jour des points sont en attente" in (
        html.get_content()
    )


def test_a_theme_sent_that_week_is_listed_even_before_any_answer(org: LocalStack) -> None:
    tick(org, MONTREAL_MORNING)
    org.drain()
    monday(org)

    jade = text(digest_of(org, JADE))
    assert "## Nos rituels d'équipe" in jade
    assert "Pas encore de réponse partagée\u00a0: il est encore temps." in jade
    assert "Participation de votre cercle cette semaine\u00a0: 0/7 (0 %)." in jade


# ------------------------------------------------------------------ nothing to read
def weekly_record(stack: LocalStack, address: str, kind: str = "digest") -> dict[str, Any]:
    return dynamodb_item(stack, f"{kind.upper()}#2026-W49", f"MEMBER#{member_id(address)}")


def test_a_week_before_any_theme_sends_no_digest_and_no_report(stack: LocalStack) -> None:
    # The roster is in, no calendar yet: the first Monday has nothing to tell anyone
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.clear_mail()
    monday(stack)

    assert sent(stack) == []
    assert weekly_record(stack, LEA)["skip_reason"] == {"S": "nothing-to-read"}
    assert weekly_record(stack, OBSERVER)["skip_reason"] == {"S": "nothing-to-read"}
    assert weekly_record(stack, ADMIN, "report")["skip_reason"] == {"S": "nothing-to-read"}


CIRCLE_CALENDAR = (
    "id;send_on;send_at;title;prompt;audience\n"
    "eclaireurs-1;2026-12-01;09:00;Les rituels des Éclaireurs;Quel rituel ?;Éclaireurs\n"
)


def test_only_the_readers_with_something_to_read_get_the_digest(stack: LocalStack) -> None:
    # A theme for the Éclaireurs only, answered by Manon for her circle
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "circle.csv", CIRCLE_CALENDAR.encode())
    tick(stack, MONTREAL_MORNING)
    stack.drain()
    answer(stack, MANON, "Un point le lundi.")  # through her email's link: a 303 to thanks
    stack.clear_mail()
    monday(stack)

    readers = {m["To"] for m in sent(stack) if m["Subject"].startswith(DIGEST)}
    assert MANON in readers  # her circle's theme and answer
    assert OBSERVER in readers  # the organisation's edition lists the week's theme
    assert LEA not in readers  # Bâtisseurs: no theme, no answer it may see
    assert JADE not in readers
    assert weekly_record(stack, LEA)["skip_reason"] == {"S": "nothing-to-read"}
    # A theme was open: the admin gets the report, though not the digest of her circle
    assert [m for m in sent(stack) if m["To"] == ADMIN and "Rapport" in m["Subject"]]
    assert ADMIN not in readers


def test_a_week_without_a_theme_still_reports_parked_messages(stack: LocalStack) -> None:
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.client("sqs").send_message(
        QueueUrl=stack.provisioned.queues["SendDeadLetterQueue"].url,
        MessageBody='{"job": "prompt", "theme": "demo-1", "member": "mgone"}',
    )
    stack.clear_mail()
    monday(stack)

    reports = sent(stack)  # to the two admins, and no digest
    assert {m["To"] for m in reports} == {ADMIN, "alice.david@demo.palabre.example"}
    assert all(m["Subject"].startswith("Rapport hebdomadaire") for m in reports)
    report = next(m for m in reports if m["To"] == ADMIN)
    assert "!! 1 email est en attente" in text(report)


def test_each_theme_comes_with_its_question_above_its_answers(week: LocalStack) -> None:
    message = digest_of(week, HUGO)
    html = message.get_body(("html",)).get_content()
    title = html.index("Nos rituels d&#39;équipe</h2>")
    question = html.index("<p>Quel <strong>rituel d'équipe</strong> vous aide")
    assert title < question < html.index("Café du vendredi.")
    # the CSS inlined, the question's language marked
    assert '<div class="question" lang="fr" style="' in html[title:question]
    assert "<li>Quand a-t-il lieu, combien de temps dure-t-il\u202f?</li>" in html
    plain = text(message)
    # The plain text keeps the calendar's Markdown as written
    assert "Quel **rituel d'équipe** vous aide le plus à garder le lien\u202f?" in plain
    assert plain.index("## Nos rituels d'équipe") < plain.index("Quel **rituel")


def test_a_theme_still_open_for_the_reader_comes_first_with_its_answer_button(
    week: LocalStack,
) -> None:
    # Monday 7 December: demo-1 closes on the 8th; Jade has not answered, Hugo has
    jade = digest_of(week, JADE)
    html = jade.get_body(("html",)).get_content()
    waiting = html.index("Un thème attend votre réponse")
    assert waiting < html.index("Voici ce que votre cercle")
    assert "Ouvert jusqu'au mardi 8 décembre 2026 inclus." in html[waiting:]
    [link] = re.findall(r'<a class="button"[^>]*href="https://[^/]+(/answer/[^"]+)"', html)
    status, _, page = week.api(method="GET", path=link, query="", headers={}, body=b"")
    assert status == 200
    assert '<form method="post"' in page.decode()
    plain = text(jade)
    assert "\nRépondre\u00a0: https://" in plain  # French spacing, the URL intact
    assert "Un thème attend votre réponse" not in text(digest_of(week, HUGO))
