"""The answer form on a phone without JavaScript, and the console as a developer uses it:
its clock form, its dead-letter Replay button, the mailbox JSON of a live-session
invitation, and `POST /_local/drain` running work nothing else has run yet."""

import json
import re
from datetime import datetime, timedelta
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any

import boto3

from palabre.core.deliverability import Figures
from palabre.core.models import member_id
from palabre.store.sending import SendingHealth
from palabre.store.table import DynamoTable
from palabre_cli import demo
from palabre_cli.template import local_parameters
from tests.e2e.conftest import ARTIFACTS, Local

MANON = "manon.petit@demo.palabre.example"  # answers on her phone
LOUIS = "louis.durand@demo.palabre.example"  # his job is parked, then replayed
EMMA = "emma.laurent@demo.palabre.example"  # Europe/Paris, invited to the live session
HUGO = "hugo.bernard@demo.palabre.example"  # Europe/Paris, answers the live invitation
# Bâtisseurs and Éclaireurs, in the audience of "Installer la confiance" (demo-2)
DRAINED = [
    "lucas.thomas@demo.palabre.example",
    "chloe.robert@demo.palabre.example",
    "ines.leroy@demo.palabre.example",
    "jules.moreau@demo.palabre.example",
]
TRUST = "Installer la confiance"
LIVE = "Atelier live\u00a0: le feedback en pratique"  # as French readers read it
PHONE = {"width": 390, "height": 844}


def sqs(local: Local) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=local.moto_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def queue_url(local: Local, name: str) -> str:
    return local.request("GET", "/_local/outputs").json()[name]


def prompt_job(theme: str, email: str) -> str:
    return json.dumps({"job": "prompt", "theme": theme, "member": member_id(email)})


def mails_to(local: Local, email: str, title: str) -> list[dict[str, Any]]:
    """The emails about `title` to `email`: its prompt (a live session's invitation
    included), reminders and digests not."""
    return [m for m in local.mail() if m["to"] == [email] and _about(m["subject"], title)]


def _about(subject: str, title: str) -> bool:
    return subject.removeprefix("Invitation\u00a0: ").removeprefix("Invitation: ").startswith(title)


def test_the_answer_form_works_on_a_phone_without_javascript(local: Local, browser: Any) -> None:
    local.move_clock(now="2026-12-01T09:00:00+01:00")
    [email] = mails_to(local, MANON, "Nos rituels d'équipe —")
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/answer/\S+", email["text"])

    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(link)
        viewport = page.locator('meta[name="viewport"]')
        assert viewport.get_attribute("content") == "width=device-width, initial-scale=1"
        # Nothing wider than the phone: no horizontal scrolling, every field on screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        fields = [
            page.get_by_label("Votre réponse"),
            page.get_by_label("Mon cercle (Éclaireurs)"),
            page.get_by_label("Toute l'organisation"),
            page.get_by_role("button", name="Envoyer ma réponse"),
        ]
        for field in fields:
            assert field.is_visible()
            box = field.bounding_box()
            assert box is not None
            assert box["x"] >= 0, box
            assert box["x"] + box["width"] <= PHONE["width"], box
        page.screenshot(path=str(ARTIFACTS / "answer-form-phone.png"), full_page=True)

        fields[0].fill("Un café debout de 15 minutes chaque matin, caméras allumées.")
        fields[2].check()
        with page.expect_navigation():
            fields[3].click()
        assert page.locator("h1").inner_text() == "Merci, Manon\u202f!"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Stored: the link opens on her answer, ready to edit
        page.goto(link)
        box = page.get_by_label("Votre réponse")
        assert box.input_value() == "Un café debout de 15 minutes chaque matin, caméras allumées."
        assert page.get_by_label("Toute l'organisation").is_checked()
        assert page.get_by_role("button", name="Enregistrer mes modifications").is_visible()

        # Her space, from the same email: on the phone too, and its link leads to her answer
        [space] = re.findall(r"http://127\.0\.0\.1:\d+/space/\S+", email["text"])
        page.goto(space)
        assert page.locator("h1").inner_text() == "Bonjour Manon"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "space-phone.png"), full_page=True)
        # her history, on the phone too, and back to her space
        with page.expect_navigation():
            page.get_by_role(
                "link", name="Mon historique : tous mes thèmes et mes réponses"
            ).click()
        assert page.locator("h1").inner_text() == "Mon historique"
        assert "Un café debout" in page.locator(".answer-text").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(ARTIFACTS / "history-phone.png"), full_page=True)
        with page.expect_navigation():
            page.get_by_role("link", name="Votre espace").click()
        assert page.url == space
        with page.expect_navigation():
            page.get_by_role("link", name="Voir ou modifier ma réponse").click()
        assert page.url == link
        assert page.get_by_label("Votre réponse").input_value().startswith("Un café debout")
    finally:
        context.close()


def test_the_console_clock_form_moves_the_clock(local: Local, page: Any) -> None:
    page.goto(f"{local.url}/_local/")
    page.fill("#move-to", "2026-12-01T10:00")  # on the organisation's clock, as it shows
    with page.expect_navigation():
        page.get_by_role("button", name="Move", exact=True).click()
    assert page.url == f"{local.url}/_local/#clock"
    now = datetime.fromisoformat(local.request("GET", "/_local/clock").json()["now"])
    target = datetime.fromisoformat("2026-12-01T10:00:00+01:00")
    assert target <= now < target + timedelta(minutes=5)
    # The console shows the organisation's wall clock (Europe/Paris), as typed
    assert re.fullmatch(r"Tuesday 1 December 2026, 10:0\d", page.locator("#now").inner_text())
    shown = page.locator("#now").get_attribute("datetime") or ""
    assert re.fullmatch(r"2026-12-01T10:0\d:\d\d\+01:00", shown)


def test_the_console_replays_a_dead_letter(local: Local, page: Any) -> None:
    # A send job parked in the dead-letter queue, as after its last failed receive
    sqs(local).send_message(
        QueueUrl=queue_url(local, "SendDeadLetterQueueUrl"), MessageBody=prompt_job("demo-2", LOUIS)
    )
    page.goto(f"{local.url}/_local/")
    row = page.locator("tr", has=page.get_by_role("link", name="SendDeadLetterQueue"))
    assert row.locator("td").nth(1).inner_text() == "1"
    assert mails_to(local, LOUIS, TRUST) == []
    with page.expect_navigation():
        row.get_by_role("button", name="Replay").click()

    # Back on the console: the queue is empty, and the job ran: Louis has his email
    assert page.url == f"{local.url}/_local/"
    assert row.locator("td").nth(1).inner_text() == "0"
    assert row.get_by_role("button", name="Replay").count() == 0
    assert local.request("GET", "/_local/dlq/SendDeadLetterQueue").json() == []
    assert len(mails_to(local, LOUIS, TRUST)) == 1


def test_drain_runs_a_queued_send_job(local: Local) -> None:
    # The stack's own ticker also drains, once a second: a job it picks up first leaves
    # nothing for our drain, so try the next member (each one's job is distinct).
    url = queue_url(local, "SendQueueUrl")
    for email in DRAINED:
        sqs(local).send_message(QueueUrl=url, MessageBody=prompt_job("demo-2", email))
        response = local.request("POST", "/_local/drain")
        assert response.status == 200
        ran = [(r["function"], r["result"]) for r in response.json()["ran"]]
        if ran:
            break
    # The job, then the score function reading the send record from the table's stream
    assert ran[0] == ("SendEmailFunction", {"batchItemFailures": []})
    assert {function for function, _ in ran} == {"SendEmailFunction", "ScoreStreamFunction"}
    assert len(mails_to(local, email, TRUST)) == 1
    assert local.request("POST", "/_local/drain").json() == {"ran": []}


def test_a_live_session_prompt_in_the_mailbox_json(local: Local) -> None:
    # The sixth demo theme is the live one: sent five weeks after the first, at 09:00
    local.move_clock(now="2027-01-05T09:05:00+01:00")
    [mail] = mails_to(local, EMMA, LIVE)
    assert [{**a, "size": a["size"] > 0} for a in mail["attachments"]] == [
        {"filename": "invitation.ics", "content_type": "text/calendar", "size": True}
    ]
    defaults = local_parameters()
    assert parseaddr(mail["from"]) == (defaults["OrganisationName"], defaults["SenderAddress"])
    assert mail["headers"]["From"] == mail["from"]
    assert mail["headers"]["Date"] == mail["date"]
    sent = parsedate_to_datetime(mail["date"])
    nine = datetime.fromisoformat("2027-01-05T09:00:00+01:00")
    assert nine <= sent < nine + timedelta(minutes=5)


def test_a_member_answers_the_live_invitation_on_a_phone_without_javascript(
    local: Local, browser: Any
) -> None:
    # Hugo's invitation to the live session: its "yes" link, on a phone with no script
    [mail] = mails_to(local, HUGO, LIVE)
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/rsvp/\S+\?r=yes", mail["text"])
    assert "/answer/" not in mail["text"]  # the response is the invitation's action
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(link)
        yes = page.locator('input[name="response"][value="yes"]')
        assert yes.is_checked()  # what the email proposed, nothing recorded yet
        assert page.locator('p[role="status"]').count() == 0
        submit = page.locator('button[type="submit"]')
        for field in (yes, submit):
            box = field.bounding_box()
            assert box is not None
            assert box["x"] >= 0, box
            assert box["x"] + box["width"] <= 375, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(ARTIFACTS / "rsvp-phone.png"), full_page=True)

        # He changes his mind to maybe, and sends it: recorded, shown as his
        page.locator('input[name="response"][value="maybe"]').check()
        with page.expect_navigation():
            submit.click()
        assert page.url.endswith("?done=1")
        assert page.locator('p[role="status"]').is_visible()
        assert page.locator('input[name="response"][value="maybe"]').is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(ARTIFACTS / "rsvp-recorded-phone.png"), full_page=True)
    finally:
        context.close()


def test_a_member_who_left_reads_their_invitation_on_a_phone_and_answers_nothing(
    local: Local, browser: Any
) -> None:
    # Emma's live-session invitation is open; then the admin's roster no longer lists her
    [mail] = mails_to(local, EMMA, LIVE)
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/rsvp/\S+\?r=yes", mail["text"])
    without = b"".join(
        line for line in demo.roster().splitlines(keepends=True) if not line.startswith(b"emma.")
    )
    assert local.upload("roster", "demo-roster.csv", without).json()["deactivated"] == 1

    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(link)
        assert page.locator(".notice").is_visible()
        assert page.locator('input[name="response"]').count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(ARTIFACTS / "rsvp-after-leaving-phone.png"), full_page=True)
    finally:
        context.close()
    # and a POST through the link (a form kept open in another tab) is the plain 404
    path = "/" + link.split("/", 3)[3].partition("?")[0]
    response = local.request(
        "POST",
        path,
        body=b"response=yes",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 404


def test_an_admin_resumes_paused_sending_from_the_pause_email_on_a_phone(
    local: Local, browser: Any
) -> None:
    # Given 1,000 emails sent this hour (as the sender counts them), then 41 bounces:
    # sending pauses and the admin is emailed (last in this module: nothing goes meanwhile)
    now = datetime.fromisoformat("2027-01-05T10:00:00+01:00")
    local.move_clock(now=now.isoformat())
    outputs = local.request("GET", "/_local/outputs").json()
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=local.moto_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    SendingHealth(DynamoTable(dynamodb, outputs["SendingTableName"])).count(
        now, Figures(sends=1000)
    )
    bounced = [{"emailAddress": f"gone{n}@example.com"} for n in range(41)]
    event = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": bounced},
    }
    boto3.client(
        "sns",
        endpoint_url=local.moto_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).publish(TopicArn=outputs["MailFeedbackTopicArn"], Message=json.dumps(event))
    local.request("POST", "/_local/drain")
    [mail] = [m for m in mails_to(local, demo.ADMIN, "") if "suspendu" in m["subject"]]
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/resume/\S+", mail["text"])

    # When the admin opens the link on a phone, and resumes
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(link)
        assert "Rejetés\u00a0: 41" in page.locator("main").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(ARTIFACTS / "resume-sending-phone.png"), full_page=True)
        page.get_by_role("button", name="Reprendre les envois").click()
        # Then sending resumes, and the page says so
        assert page.locator("h1").inner_text() == "Envois repris"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()
    pause = SendingHealth(DynamoTable(dynamodb, outputs["SendingTableName"])).last_pause()
    assert pause is not None
    assert pause.resumed_by == member_id(demo.ADMIN)
