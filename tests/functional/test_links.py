"""Votes, unsubscribing, bounces and dead letters, against moto."""

import json
import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlparse

import pytest

from palabre.core.deliverability import Figures
from palabre.core.links import Links
from palabre.core.models import member_id
from palabre.core.tokens import Purpose, Signer, keys_from_secret
from palabre.store.members import MemberStore
from palabre.store.sending import SendingHealth
from palabre.store.table import DynamoTable
from palabre.wiring import Adapters, override
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.doubles import Intercepted, aws_error, failing
from tests.functional.conftest import (
    PARIS_MORNING,
    dynamodb_item,
    handlers_table,
    sent,
    table_items,
    tick,
)
from tests.functional.test_dispatch import LEA, ses_refusing
from tests.functional.test_scores import HUGO, answer, score

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GABRIEL = "gabriel.richard@demo.palabre.example"
SARAH = "sarah.simon@demo.palabre.example"  # Europe/London


def signer(stack: LocalStack) -> Signer:
    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    return Signer(keys_from_secret(json.loads(secret["SecretString"])))


def vote_path(stack: LocalStack, author: str, voter: str) -> str:
    token = signer(stack).sign(
        Purpose.VOTE,
        ["demo-1", member_id(author), member_id(voter)],
        stack.clock() + timedelta(days=30),
    )
    return f"/vote/{token}"


def unsubscribe_path(stack: LocalStack, address: str, scope: str = "nothing") -> str:
    token = signer(stack).sign(
        Purpose.UNSUBSCRIBE, [member_id(address), scope], stack.clock() + timedelta(days=30)
    )
    return f"/unsubscribe/{token}"


def call(stack: LocalStack, method: str, path: str, body: bytes = b"") -> tuple[int, str]:
    status, _, data = stack.api(
        method=method, path=path, query="", headers=FORM if body else {}, body=body
    )
    return status, data.decode()


def subscription(stack: LocalStack, address: str) -> str | None:
    prefs = dynamodb_item(stack, f"MEMBER#{member_id(address)}", "PREFS")
    return prefs.get("subscription", {}).get("S")


# ---------------------------------------------------------------------------- votes
def test_opening_a_vote_link_changes_nothing_posting_votes_once(org: LocalStack) -> None:
    answer(org, LEA, "Tour de table du lundi.", visibility="organisation")
    org.drain()
    path = vote_path(org, LEA, HUGO)
    before = table_items(org)

    status, page = call(org, "GET", path)  # a mail scanner, or Hugo reading
    assert status == 200
    assert "Tour de table du lundi." in page
    assert "<button" in page
    org.drain()
    assert table_items(org) == before

    status, page = call(org, "POST", path)
    assert status == 200
    assert "Merci\u00a0: votre vote est compté." in page
    status, page = call(org, "POST", path)
    assert "votre vote a été compté une fois" in page
    org.drain()
    assert score(org, LEA)["points"] == {"N": "17"}


def test_voting_for_ones_own_answer_is_refused_politely(org: LocalStack) -> None:
    answer(org, LEA, "Tour de table.")
    org.drain()
    status, page = call(org, "POST", vote_path(org, LEA, LEA))
    assert status == 200
    assert "C&#39;est votre propre réponse" in page or "C'est votre propre réponse" in page
    org.drain()
    assert score(org, LEA)["points"] == {"N": "15"}


def test_an_answer_narrowed_to_its_circle_is_no_longer_shown_outside_it(org: LocalStack) -> None:
    manon = "manon.petit@demo.palabre.example"  # Éclaireurs; Léa and Hugo are Bâtisseurs
    observer = "nathalie.vincent@demo.palabre.example"
    answer(org, LEA, "Tour de table du lundi.", visibility="organisation")
    org.drain()
    assert call(org, "GET", vote_path(org, LEA, manon))[0] == 200
    assert call(org, "GET", vote_path(org, LEA, observer))[0] == 200

    # Léa edits her answer, now for her circle only, while the theme is open
    answer(org, LEA, "Tour de table du lundi, entre nous.", visibility="circle")
    org.drain()

    # The digest link Manon holds shows nothing, and counts nothing; the observer's too
    for outsider in (manon, observer):
        for method in ("GET", "POST"):
            status, page = call(org, method, vote_path(org, LEA, outsider))
            assert status == 404
            assert "entre nous" not in page
    org.drain()
    assert score(org, LEA)["points"] == {"N": "15"}
    # Hugo, in her circle, still reads it and may vote
    status, page = call(org, "GET", vote_path(org, LEA, HUGO))
    assert (status, "entre nous" in page) == (200, True)


# ---------------------------------------------------------------------------- unsubscribe
def test_the_unsubscribe_page_shows_the_choices_and_applies_one(org: LocalStack) -> None:
    path = unsubscribe_path(org, LEA)
    status, page = call(org, "GET", path)
    assert status == 200
    for choice in ("all", "no_digest", "nothing"):
        assert f'value="{choice}"' in page
    assert subscription(org, LEA) is None  # looking changes nothing

    status, page = call(org, "POST", path, b"choice=no_digest")
    assert status == 200
    assert "plus de digest" in page
    assert subscription(org, LEA) == "no_digest"

    # …and the same page subscribes again
    call(org, "POST", path, b"choice=all")
    assert subscription(org, LEA) == "all"


def test_one_click_unsubscribe_needs_no_page(org: LocalStack) -> None:
    status, body = call(
        org, "POST", unsubscribe_path(org, LEA, "no_digest"), b"List-Unsubscribe=One-Click"
    )
    assert (status, body) == (200, "unsubscribed")
    assert subscription(org, LEA) == "no_digest"

    call(org, "POST", unsubscribe_path(org, HUGO), b"List-Unsubscribe=One-Click")
    assert subscription(org, HUGO) == "nothing"


def test_one_click_unsubscribe_sent_as_multipart_form_data_works(org: LocalStack) -> None:
    # RFC 8058 §3.1: mail providers SHOULD send the one-click POST as multipart/form-data
    boundary = "----palabre-test-7MA4YWxkTrZu0gW"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="List-Unsubscribe"\r\n'
        "\r\n"
        "One-Click\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    status, _, data = org.api(
        method="POST",
        path=unsubscribe_path(org, LEA, "no_digest"),
        query="",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )

    assert (status, data) == (200, b"unsubscribed")
    assert subscription(org, LEA) == "no_digest"


def test_an_older_digests_one_click_never_turns_the_themes_back_on(org: LocalStack) -> None:
    # Léa stopped everything; then her mail client's button on an old digest is pressed
    call(org, "POST", unsubscribe_path(org, LEA), b"List-Unsubscribe=One-Click")
    assert subscription(org, LEA) == "nothing"
    status, _ = call(
        org, "POST", unsubscribe_path(org, LEA, "no_digest"), b"List-Unsubscribe=One-Click"
    )
    assert status == 200
    assert subscription(org, LEA) == "nothing"


def test_the_unsubscribe_link_in_a_prompt_stops_the_next_theme(org: LocalStack) -> None:
    [message] = [m for m in sent(org) if m["To"] == LEA]
    https = message["List-Unsubscribe"].split(",")[0].strip("<> ")
    path = https.split(".com", 1)[1]
    assert call(org, "POST", path, b"List-Unsubscribe=One-Click")[0] == 200
    org.clear_mail()

    tick(org, PARIS_MORNING + timedelta(days=7))  # the next theme, for Léa's circle too
    org.drain()

    assert LEA not in {m["To"] for m in sent(org)}
    assert dynamodb_item(org, "THEME#demo-2", f"PROMPT#{member_id(LEA)}")["skip_reason"] == {
        "S": "unsubscribed"
    }


# ---------------------------------------------------------------------------- bounces
def _publish(stack: LocalStack, event: dict[str, Any]) -> None:
    topic = stack.outputs["MailFeedbackTopicArn"]
    stack.client("sns").publish(TopicArn=topic, Message=json.dumps(event))
    stack.drain()


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (
            {
                "eventType": "Bounce",
                "bounce": {
                    "bounceType": "Permanent",
                    "bouncedRecipients": [
                        {
                            "emailAddress": "Gabriel.Richard@demo.palabre.example",
                            "diagnosticCode": "smtp; 550 user unknown",
                        }
                    ],
                },
            },
            "bounce",
        ),
        (
            {
                "eventType": "Complaint",
                "complaint": {
                    "complainedRecipients": [{"emailAddress": GABRIEL}],
                    "complaintFeedbackType": "abuse",
                },
            },
            "complaint",
        ),
    ],
    ids=["permanent-bounce", "complaint"],
)
def test_a_bounce_or_complaint_suppresses_the_address(
    org: LocalStack, event: dict[str, Any], reason: str
) -> None:
    _publish(org, event)

    suppressed = dynamodb_item(org, f"MEMBER#{member_id(GABRIEL)}", "SUPPRESSED")
    assert suppressed["reason"] == {"S": reason}
    # The sender skips him from then on: Montreal's morning brings him nothing
    tick(org, PARIS_MORNING + timedelta(hours=6))
    org.drain()
    assert GABRIEL not in {m["To"] for m in sent(org)}
    record = dynamodb_item(org, "THEME#demo-1", f"PROMPT#{member_id(GABRIEL)}")
    assert record["skip_reason"] == {"S": "suppressed"}


def test_a_transient_bounce_suppresses_nothing(org: LocalStack) -> None:
    _publish(
        org,
        {
            "eventType": "Bounce",
            "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": GABRIEL}]},
        },
    )
    assert dynamodb_item(org, f"MEMBER#{member_id(GABRIEL)}", "SUPPRESSED") == {}


ALICE = "alice.david@demo.palabre.example"  # the demo's other admin
HOSTILE = '<script>alert("x")</script> Camille'


def _bounces(count: int, first: int = 0) -> dict[str, Any]:
    bounced = [{"emailAddress": f"gone{n}@example.com"} for n in range(first, first + count)]
    return {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": bounced},
    }


def _text(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())


def test_bounces_past_four_percent_pause_new_sends_tell_the_admins_who_resume_by_link(
    org: LocalStack,
) -> None:
    # Given Alice no longer an admin of the roster (inactive), Camille an admin whose name
    # is hostile text, and 1,000 emails sent this hour (as the sender counts them)
    members = MemberStore(
        DynamoTable(org.client("dynamodb"), org.provisioned.tables["PalabreTable"])
    )
    alice, camille = members.get(member_id(ALICE)), members.get(member_id(demo.ADMIN))
    assert alice is not None
    assert camille is not None
    members.save(
        [
            alice.model_copy(update={"active": False}),
            camille.model_copy(update={"first_name": HOSTILE}),
        ]
    )
    sending = DynamoTable(org.client("dynamodb"), org.provisioned.tables["SendingTable"])
    SendingHealth(sending).count(org.clock(), Figures(sends=1000))
    before = len(sent(org))

    # When 41 permanent bounces come back
    _publish(org, _bounces(41))

    # Then new sends are paused (the guard's writes pass the function's IAM policy)...
    pause = SendingHealth(sending).last_pause()
    assert pause is not None
    assert pause.active
    assert pause.figures.bounces == 41
    assert pause.figures.sends >= 1000  # (with what the sender counted itself today)
    assert pause.figures.bounce_rate > 0.04
    # ... and the one active admin is emailed, in French, once: not Alice, no member
    [told] = sent(org)[before:]
    assert told["To"] == demo.ADMIN
    assert "suspendu" in told["Subject"]
    text, html = _text(told, "plain"), _text(told, "html")
    for body in (text, html):
        # (French puts a no-break space before : and %, and between thousands)
        spaced = re.sub(r"\s", " ", body)
        assert "Rejetés : 41 (" in spaced
        assert f"Emails envoyés : {pause.figures.sends:,}".replace(",", " ") in spaced
        # the limits, and SES's
        assert "4 %" in spaced
        assert "5 %" in spaced
        assert "0,1 %" in spaced
    assert HOSTILE in text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    [link] = re.findall(r"https?://\S+/resume/[A-Za-z0-9_.~-]+", text)
    path = urlparse(link).path
    assert f'href="{link}"' in html

    # ... while London's and Montreal's morning prompts wait in the queue, delayed, as new
    # messages: none sent, none parked
    told_at = len(sent(org))
    tick(org, PARIS_MORNING + timedelta(hours=6))
    org.drain()
    assert len(sent(org)) == told_at
    queue = org.provisioned.queues["SendQueue"].url
    attributes = org.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "2"
    assert org.dead_letters().peek("SendDeadLetterQueue") == []

    # A second bounce while paused tells nobody again
    _publish(org, _bounces(3, first=41))
    assert len(sent(org)) == told_at

    # Opening the link (Camille, or her mail scanner) shows the pause and changes nothing
    status, page = call(org, "GET", path)
    assert status == 200
    assert "Reprendre les envois" in page
    assert '<form method="post"' in page
    assert "Rejetés : 41 (" in re.sub(r"\s", " ", page)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert SendingHealth(sending).last_pause() == pause

    # A member's, a forged or an expired link gets the plain 404, and resumes nothing
    links = Links("https://palabre.example", signer(org))
    refused = [
        urlparse(links.resume(pause.since, member_id(LEA), org.clock())).path,
        urlparse(links.resume(pause.since, member_id(ALICE), org.clock())).path,
        path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
        urlparse(links.resume(pause.since, camille.id, org.clock() - timedelta(days=8))).path,
    ]
    for bad in refused:
        assert call(org, "POST", bad)[0] == 404
    assert SendingHealth(sending).last_pause() == pause

    # When Camille resumes from the link's page, sending resumes in her name...
    status, page = call(org, "POST", path)
    assert status == 200
    assert "Envois repris" in page
    resumed = SendingHealth(sending).last_pause()
    assert resumed is not None
    assert not resumed.active
    assert resumed.resumed_by == camille.id
    # ... the held prompts go out within their 15 minutes...
    org.advance_to(org.clock() + timedelta(minutes=16))
    assert {m["To"] for m in sent(org)[told_at:]} == {GABRIEL, SARAH}
    # ... and the link, used again, says so and changes nothing
    status, page = call(org, "POST", path)
    assert status == 200
    assert "Les envois ne sont pas suspendus" in page
    assert SendingHealth(sending).last_pause() == resumed


def test_a_pause_email_that_ses_refuses_goes_on_lambdas_retry_once(org: LocalStack) -> None:
    # Given 1,000 sends this hour and SES refusing the first email handed to it
    sending = DynamoTable(org.client("dynamodb"), org.provisioned.tables["SendingTable"])
    SendingHealth(sending).count(org.clock(), Figures(sends=1000))
    before = len(sent(org))
    refused = aws_error("MessageRejected", "Email address is not verified.")

    # When 41 bounces pause sending (Lambda retries the failed invocation)
    with override(ses_refusing(refused, times=1)):
        _publish(org, _bounces(41))
        org.advance_to(org.clock() + timedelta(minutes=5))

    # Then each active admin got the email once all the same, and nothing was parked
    admins = sorted(m["To"] for m in sent(org)[before:])
    assert admins == sorted([demo.ADMIN, ALICE])
    assert org.dead_letters().peek("FeedbackFailureQueue") == []
    pause = SendingHealth(sending).last_pause()
    assert pause is not None
    assert pause.noticed


def test_a_bounce_that_fails_to_record_is_parked_then_replayed(org: LocalStack) -> None:
    complaint = {
        "eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": GABRIEL}]},
    }
    unavailable = failing(RuntimeError("DynamoDB is unavailable"))
    with override(Adapters(table=Intercepted(handlers_table(org), put=unavailable))):
        _publish(org, complaint)
    tries = [r for r in org.runtime.history if r.function == "SesFeedbackFunction"]
    assert [r.error is not None for r in tries] == [True, True, True]  # Lambda retries twice
    assert dynamodb_item(org, f"MEMBER#{member_id(GABRIEL)}", "SUPPRESSED") == {}

    result = org.dead_letters().replay("FeedbackFailureQueue")
    assert result["source"] == "SesFeedbackFunction"
    assert len(result["replayed"]) == 1
    org.drain()
    assert dynamodb_item(org, f"MEMBER#{member_id(GABRIEL)}", "SUPPRESSED")["reason"] == {
        "S": "complaint"
    }


# ---------------------------------------------------------------------------- dead letters
def test_parked_jobs_are_listed_and_replayed_to_their_queue(org: LocalStack) -> None:
    # (SES failing, not throttling: a throttled job is never parked, test_dispatch.py)
    with override(ses_refusing(aws_error("InternalFailure", "An internal error occurred."))):
        tick(org, PARIS_MORNING + timedelta(hours=6))  # London's morning, then Montreal's
        for _ in range(6):  # five receives, then the dead-letter queue
            org.advance_to(org.clock() + timedelta(minutes=4))
    dead = org.dead_letters()
    parked = dead.peek("SendDeadLetterQueue")
    assert sorted(p["body"]["member"] for p in parked) == sorted(
        member_id(a) for a in (GABRIEL, "sarah.simon@demo.palabre.example")
    )
    # Listing leaves them parked (SQS counts one more receive, nothing else changes)
    again = dead.peek("SendDeadLetterQueue")
    assert [(p["id"], p["body"]) for p in again] == [(p["id"], p["body"]) for p in parked]

    result = dead.replay("SendDeadLetterQueue")  # SES is back
    org.drain()

    assert sorted(result["replayed"]) == sorted(p["id"] for p in parked)
    assert result["source"] == "SendQueue"
    assert GABRIEL in {m["To"] for m in sent(org)}
    assert dead.peek("SendDeadLetterQueue") == []


def test_a_failed_import_is_replayed_to_its_function(org: LocalStack) -> None:
    record = {
        "version": "1.0",
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": {"Records": []},
    }
    org.client("sqs").send_message(
        QueueUrl=org.provisioned.queues["ImportFailureQueue"].url, MessageBody=json.dumps(record)
    )
    result = org.dead_letters().replay("ImportFailureQueue")
    assert result["source"] == "ImportUploadFunction"
    assert len(result["replayed"]) == 1
    assert org.runtime.history[-1].function == "ImportUploadFunction"
