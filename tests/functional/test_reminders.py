"""Reminders and weekly emails against moto, job by job through the send queue: one
reminder per (theme, member) whatever the deliveries, none after the member's deadline,
none to the suppressed, the unsubscribed or those who answered; a complete reminder
email; digests and reports that skip a suppressed address and record the skip."""

import json
import re
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import palabre.aws
from palabre.core.models import member_id
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import (
    demo_organisation,
    dynamodb_item,
    make_stack,
    put_member_item,
    sent,
)
from tests.functional.test_digest import DIGEST, monday
from tests.functional.test_dispatch import KENJI, LEA, assert_unsubscribe_headers, prompt_record
from tests.functional.test_scores import HUGO, answer

ALICE = "alice.david@demo.palabre.example"  # the other admin
REMINDER = ("Rappel\u00a0: ", "Reminder: ")


def remind(stack: LocalStack, *addresses: str, times: int = 1) -> None:
    """Queue the reminder job of demo-1 for each address (`times` deliveries), then drain."""
    url = stack.provisioned.queues["SendQueue"].url
    for address in addresses:
        body = json.dumps({"job": "reminder", "theme": "demo-1", "member": member_id(address)})
        for _ in range(times):
            stack.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    stack.drain()


def reminded(stack: LocalStack) -> Counter[str]:
    return Counter(m["To"] for m in sent(stack) if m["Subject"].startswith(REMINDER))


# The `org` fixture (conftest): demo-1's prompt went out on Tuesday 09:00 in Paris and
# Tokyo; the deadline is the end of Tuesday 8 December in each member's timezone.


def test_a_reminder_delivered_three_times_sends_one_email(org: LocalStack) -> None:
    org.clear_mail()
    remind(org, LEA, times=3)

    assert reminded(org) == Counter({LEA: 1})
    record = prompt_record(org, LEA)
    assert "reminded_at" in record
    assert "reminder_ses_message_id" in record

    remind(org, LEA)  # and a late redelivery, once the record is there
    assert reminded(org) == Counter({LEA: 1})


def test_no_reminder_after_the_members_own_deadline(org: LocalStack) -> None:
    # 18:00 in Paris on the last day: Tokyo's deadline (midnight there) has passed
    org.clock.move_to(datetime.fromisoformat("2026-12-08T18:00:00+01:00"))
    org.clear_mail()

    remind(org, KENJI, LEA)

    assert reminded(org) == Counter({LEA: 1})
    kenji = prompt_record(org, KENJI)
    assert "reminded_at" not in kenji
    assert kenji["reminder_skipped"] == {"S": "deadline-passed"}


@pytest.mark.parametrize(
    ("sk", "fields", "reason"),
    [
        ("SUPPRESSED", {"reason": "bounce"}, "suppressed"),
        ("PREFS", {"subscription": "nothing"}, "unsubscribed"),
    ],
    ids=["suppressed", "unsubscribed"],
)
def test_no_reminder_to_a_suppressed_or_unsubscribed_member(
    org: LocalStack, sk: str, fields: dict[str, str], reason: str
) -> None:
    put_member_item(org, LEA, sk, **fields)
    org.clear_mail()

    remind(org, LEA, HUGO)

    assert reminded(org) == Counter({HUGO: 1})
    lea = prompt_record(org, LEA)
    assert "reminded_at" not in lea
    assert lea["reminder_skipped"] == {"S": reason}

    # A redelivery finds the recorded skip; lifting the block later changes nothing
    org.client("dynamodb").delete_item(
        TableName=org.provisioned.tables["PalabreTable"],
        Key={"PK": {"S": f"MEMBER#{member_id(LEA)}"}, "SK": {"S": sk}},
    )
    remind(org, LEA)
    assert reminded(org) == Counter({HUGO: 1})


def test_no_reminder_to_a_member_who_answered(org: LocalStack) -> None:
    answer(org, LEA, "Un tour de table chaque lundi.")
    org.drain()
    org.clear_mail()

    remind(org, LEA, HUGO)

    assert reminded(org) == Counter({HUGO: 1})
    lea = prompt_record(org, LEA)
    assert "reminded_at" not in lea
    assert lea["reminder_skipped"] == {"S": "answered"}
    assert "reminder_skipped" not in prompt_record(org, HUGO)


def test_the_reminder_email_is_complete(org: LocalStack) -> None:
    requests: list[dict[str, Any]] = []
    palabre.aws.client("sesv2").meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: requests.append(params)
    )
    org.clear_mail()
    remind(org, LEA)
    [message] = sent(org)

    assert message["To"] == LEA
    assert message["Subject"].startswith("Rappel\u00a0: Nos rituels d'équipe")
    assert "mardi 8 décembre 2026" in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Léa," in text
    assert "Bonjour Léa," in html
    [answer_link] = re.findall(r"https://\S+/answer/\S+", text)
    assert f'href="{answer_link}"' in html
    # Stable for every attempt (test_same_email_again.py), and no member id in it
    assert re.fullmatch(r"<reminder\.demo-1\.[a-z2-7]{26}@example\.com>", message["Message-ID"])
    assert member_id(LEA) not in message["Message-ID"]
    assert_unsubscribe_headers(message)
    # Through the configuration set (its events feed bounces and complaints), tagged
    [request] = requests
    assert request["ConfigurationSetName"] == org.provisioned.physical["MailConfigurationSet"]
    assert request["EmailTags"] == [
        {"Name": "kind", "Value": "reminder"},
        {"Name": "theme", "Value": "demo-1"},
    ]
    # The link works: it opens Léa's answer form
    status, _, body = org.api(
        method="GET", path=answer_link.split(".com", 1)[1], query="", headers={}, body=b""
    )
    assert status == 200
    assert b'<textarea id="answer" name="answer"' in body


def test_digest_and_report_skip_a_suppressed_address_and_record_it(org: LocalStack) -> None:
    put_member_item(org, HUGO, "SUPPRESSED", reason="bounce")
    put_member_item(org, demo.ADMIN, "SUPPRESSED", reason="complaint")
    org.clear_mail()

    monday(org)

    receivers = {m["To"] for m in sent(org)}
    assert HUGO not in receivers
    assert demo.ADMIN not in receivers
    digests = {m["To"] for m in sent(org) if m["Subject"].startswith(DIGEST)}
    assert LEA in digests
    assert ALICE in digests
    assert [m["To"] for m in sent(org) if "Rapport" in m["Subject"]] == [ALICE]
    for kind, address in [("DIGEST", HUGO), ("DIGEST", demo.ADMIN), ("REPORT", demo.ADMIN)]:
        record = dynamodb_item(org, f"{kind}#2026-W49", f"MEMBER#{member_id(address)}")
        assert (record["status"], record["skip_reason"]) == (
            {"S": "skipped"},
            {"S": "suppressed"},
        ), (kind, address)


def test_an_organisation_working_every_day_is_reminded_on_the_sunday(aws: None) -> None:
    """Given an organisation whose WorkingDays name every day of the week
    When the clock passes Friday 4 December (where Mon-Fri would remind) and then
    Sunday the 6th 09:00 in Paris (two days before demo-1's deadline)
    Then its Paris members are reminded on the Sunday, not on the Friday."""
    stack = demo_organisation(make_stack(WorkingDays="Mon,Tue,Wed,Thu,Fri,Sat,Sun"))
    stack.clear_mail()

    stack.advance_to(datetime.fromisoformat("2026-12-04T23:00:00+01:00"))
    assert reminded(stack) == Counter()

    stack.advance_to(datetime.fromisoformat("2026-12-06T09:30:00+01:00"))
    assert reminded(stack)[LEA] == 1
    sunday = datetime.fromisoformat(prompt_record(stack, LEA)["reminded_at"]["S"])
    assert sunday.astimezone(ZoneInfo("Europe/Paris")).date().isoformat() == "2026-12-06"
