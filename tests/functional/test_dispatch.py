"""Dispatch against moto: the scheduler queues each (theme, member) once, at 09:00 in the
member's timezone; the sender turns each job into one email, recorded exactly once."""

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from icalendar import Calendar

import palabre.aws
import palabre.dispatch.dispatcher
from palabre.core.models import member_id
from palabre.store.dispatch import DispatchStore, iso
from palabre.store.table import DynamoTable
from palabre.wiring import Adapters, override
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.doubles import Intercepted, aws_error, failing
from tests.functional.conftest import (
    PARIS_MORNING,
    START,
    demo_with_more_managers,
    dynamodb_item,
    handlers_table,
    put_member_item,
    sent,
    tick,
)

TOKYO_MORNING = datetime.fromisoformat("2026-12-01T09:00:00+09:00")
MONTREAL_MORNING = datetime.fromisoformat("2026-12-01T09:00:00-05:00")
LEA = "lea.dubois@demo.palabre.example"
HUGO = "hugo.bernard@demo.palabre.example"
MONTREAL = "gabriel.richard@demo.palabre.example"
KENJI = "kenji.sato@demo.palabre.example"
GABRIEL = "gabriel.richard@demo.palabre.example"  # America/Montreal
SARAH = "sarah.simon@demo.palabre.example"  # Europe/London
OBSERVER = "nathalie.vincent@demo.palabre.example"
PARIS = 16  # members and admins in Europe/Paris
VISIBILITY = timedelta(minutes=3, seconds=5)  # the send queue's, in template.yaml


@pytest.fixture
def org(stack: LocalStack) -> LocalStack:
    """The demo organisation, imported as an admin would, nothing sent yet (first theme:
    Tuesday 1 December)."""
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    stack.clear_mail()
    return stack


def queued(stack: LocalStack) -> list[dict[str, str]]:
    """Every job waiting in the send queue (received, then made visible again)."""
    sqs = stack.client("sqs")
    url = stack.provisioned.queues["SendQueue"].url
    received = []
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages"):
        received.extend(messages)
    for start in range(0, len(received), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(received[start : start + 10])
            ],
        )
    # A message carries one job, or two (the last messages of a call, palabre.queue)
    bodies = [json.loads(m["Body"]) for m in received]
    return [job for body in bodies for job in (body if isinstance(body, list) else [body])]


def recipients(stack: LocalStack) -> Counter[str]:
    return Counter(m["To"] for m in sent(stack))


def prompt_record(stack: LocalStack, address: str, theme: str = "demo-1") -> dict[str, Any]:
    return dynamodb_item(stack, f"THEME#{theme}", f"PROMPT#{member_id(address)}")


def assert_unsubscribe_headers(message: EmailMessage) -> None:
    """RFC 8058 one-click through the https link, first; then the address of the inbound
    domain a mail client may write to instead (the stack reads replies: palabre.inbound),
    never Palabre's own address, which nothing reads."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (v.strip("<> ") for v in message["List-Unsubscribe"].split(","))
    assert https.startswith("https://")
    assert "/unsubscribe/" in https
    assert re.fullmatch(
        r"mailto:unsubscribe\+[a-z2-7]{48}@inbound\.palabre\.localhost\?subject=unsubscribe", mailto
    )


# ---------------------------------------------------------------------------- scheduler
def test_each_member_is_queued_at_nine_in_their_own_timezone(org: LocalStack) -> None:
    # 09:00 in Tokyo is Tuesday 00:00 UTC: only Kenji is due
    report = tick(org, TOKYO_MORNING)
    assert report["queued"] == {"prompt": 1}
    assert [j["member"] for j in queued(org)] == [member_id(KENJI)]

    # 09:00 in Paris: the Paris members, not London (08:00 there) nor Montreal (03:00)
    tick(org, PARIS_MORNING)
    jobs = queued(org)
    assert len(jobs) == 1 + PARIS
    assert member_id(SARAH) not in {j["member"] for j in jobs}
    assert member_id(GABRIEL) not in {j["member"] for j in jobs}
    assert member_id(OBSERVER) not in {j["member"] for j in jobs}  # observers get digests only

    # 09:00 in Montreal: Gabriel (London came at 10:00 Paris)
    tick(org, MONTREAL_MORNING)
    members = Counter(j["member"] for j in queued(org))
    assert members[member_id(GABRIEL)] == 1
    assert members[member_id(SARAH)] == 1
    assert sum(members.values()) == 19  # everyone who takes part, once each


def test_the_tick_reads_its_time_from_the_event_not_the_clock(org: LocalStack) -> None:
    # The clock still reads Monday; the schedule's event says Tuesday 09:00 in Tokyo
    assert org.clock() < TOKYO_MORNING
    invocation = org.runtime.invoke("SchedulePromptsFunction", {"time": TOKYO_MORNING.isoformat()})
    assert invocation.error is None, invocation.error
    assert invocation.result["queued"] == {"prompt": 1}
    assert [j["member"] for j in queued(org)] == [member_id(KENJI)]


def test_one_long_jump_of_the_clock_runs_every_day_as_it_comes(org: LocalStack) -> None:
    # From Monday straight to the Wednesday after the deadline (end of Tuesday 8 December)
    ran = org.advance_to(datetime.fromisoformat("2026-12-09T12:00:00+01:00"))

    # Each schedule ran at its own time, in order, with the clock standing there
    fired = [r for r in ran if r.function == "SchedulePromptsFunction"]
    assert [r.at for r in fired] == sorted(r.at for r in fired)
    # (the stack's clock runs on from each firing time: allow for a busy machine)
    for r in fired:
        firing = r.at.replace(minute=r.at.minute - r.at.minute % 5, second=0, microsecond=0)
        assert r.at - firing < timedelta(seconds=30)
    # London's prompt left at 09:00 London on Tuesday (the first tick at or after it)
    london = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    prompt = dynamodb_item(org, "THEME#demo-1", f"PROMPT#{member_id(SARAH)}")
    sent_at = datetime.fromisoformat(prompt["sent_at"]["S"])
    assert london <= sent_at < london + timedelta(minutes=5)
    # and her reminder two days before the deadline, a Sunday: on the Friday before, at
    # 09:00 London (reminders fall on working days)
    reminded_at = datetime.fromisoformat(prompt["reminded_at"]["S"])
    friday = datetime.fromisoformat("2026-12-04T09:00:00+00:00")
    assert friday <= reminded_at < friday + timedelta(minutes=5)
    assert Counter(m["To"] for m in sent(org) if m["Subject"].startswith("Reminder")) == {
        SARAH: 1,
        KENJI: 1,
    }


def test_a_tick_retried_or_repeated_never_queues_anyone_twice(org: LocalStack) -> None:
    tick(org, PARIS_MORNING)
    again = tick(org, PARIS_MORNING)
    later = tick(org, MONTREAL_MORNING)

    assert again["queued"] == {}
    assert later["queued"] == {"prompt": 2}  # London and Montreal, the only ones left
    members = Counter(j["member"] for j in queued(org))
    assert len(members) == 19
    assert set(members.values()) == {1}


def test_an_overlapping_tick_leaves_a_claimed_group_to_its_owner(org: LocalStack) -> None:
    # Given another tick holds the Paris group of everyone's theme (its lease runs)
    table = org.provisioned.tables["PalabreTable"]
    org.client("dynamodb").put_item(
        TableName=table,
        Item={
            "PK": {"S": "THEME#demo-1"},
            "SK": {"S": "CURSOR#prompt#role:member#Europe/Paris"},
            "owner": {"S": "another-tick"},
            "lease_until": {"S": "2026-12-01T08:01:00Z"},
        },
    )
    # When this tick runs meanwhile, it queues the admins but not the members of Paris
    tick(org, PARIS_MORNING)
    first = Counter(j["member"] for j in queued(org))
    assert member_id(LEA) not in first
    assert member_id(demo.ADMIN) in first
    # And once the lease is over, the next tick takes the group over, from the start
    tick(org, datetime.fromisoformat("2026-12-01T09:05:00+01:00"))
    members = Counter(j["member"] for j in queued(org))
    assert members[member_id(LEA)] == 1
    assert set(members.values()) == {1}


@pytest.fixture
def larger_org(stack: LocalStack) -> LocalStack:
    """The demo organisation and 20 more managers in Paris: 37 jobs at 09:00 in Paris."""
    demo_with_more_managers(stack, 20)
    return stack


def test_a_tick_that_fails_mid_group_resumes_where_it_stopped(
    larger_org: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of 5: 37 jobs in three groups (1, 2, then 34 in pages of 5), a call per ten
    monkeypatch.setattr(palabre.dispatch.dispatcher, "PAGE", 5)
    calls = {"n": 0}

    def second_call_refused(*_: Any, **__: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise aws_error("ServiceUnavailable", "SQS unavailable", "SendMessageBatch")

    sqs = Intercepted(palabre.aws.client("sqs"), send_message_batch=second_call_refused)

    larger_org.clock.move_to(PARIS_MORNING)
    with override(Adapters(sqs=sqs)):
        failed = larger_org.runtime.invoke(
            "SchedulePromptsFunction", {"time": PARIS_MORNING.isoformat()}
        )
    assert failed.error["errorType"] == "ClientError"
    first = Counter(j["member"] for j in queued(larger_org))
    assert sum(first.values()) == 10  # the first call went through
    tick(larger_org, datetime.fromisoformat("2026-12-01T09:05:00+01:00"))  # after the lease

    members = Counter(j["member"] for j in queued(larger_org))
    assert len(members) == 1 + PARIS + 20
    # Saved cursors were only those whose pages were wholly queued: the retry queues again
    # at most the one page the first call cut in two (the send record absorbs it)
    assert sum(members.values()) - len(members) <= 4


def test_jobs_share_calls_across_groups_and_cursors_move_once_queued(org: LocalStack) -> None:
    sizes: list[int] = []
    sqs = palabre.aws.client("sqs")
    counting = Intercepted(
        sqs,
        send_message_batch=lambda **kw: (
            sizes.append(len(kw["Entries"])) or sqs.send_message_batch(**kw)
        ),
    )
    org.clock.move_to(PARIS_MORNING)
    with override(Adapters(sqs=counting)):
        done = org.runtime.invoke("SchedulePromptsFunction", {"time": PARIS_MORNING.isoformat()})
    assert done.error is None
    # Three groups of 1, 2 and 14: 17 jobs in one call of ten messages (the last seven
    # carry two jobs each), not three calls, nor two
    assert sizes == [10]
    cursors = list(handlers_table(org).query("THEME#demo-1", prefix="CURSOR#"))
    queued_by_group = {c["SK"].split("#", 2)[2]: int(c["queued"]) for c in cursors if c["done"]}
    assert queued_by_group == {
        "role:admin#Europe/Paris": 2,
        "role:member#Asia/Tokyo": 1,  # 09:00 came in Tokyo first
        "role:member#Europe/Paris": 14,
    }


def test_a_tick_costs_what_is_due_not_the_roster(org: LocalStack) -> None:
    calls: Counter[str] = Counter()
    import palabre.aws

    palabre.aws.client("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.update([model.name])
    )
    # Monday noon: nothing is due anywhere (Tuesday 09:00 first comes in UTC+14, at 19:00 UTC)
    tick(org, datetime.fromisoformat("2026-11-30T12:00:00+01:00"))
    assert calls == Counter({"Query": 1})  # the open-themes index, nothing else


# ---------------------------------------------------------------------------- sender
def test_the_prompt_email_is_complete(org: LocalStack) -> None:
    org.advance_to(PARIS_MORNING)
    [message] = [m for m in sent(org) if m["To"] == LEA]

    assert message["Subject"] == "Nos rituels d'équipe — votre thème de la semaine"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Léa," in text
    assert (
        "<strong>rituel d&#39;équipe</strong>" in html or "<strong>rituel d'équipe</strong>" in html
    )
    assert "mardi 8 décembre 2026" in text  # deadline, in Léa's language
    [answer_link] = re.findall(r"https://\S+/answer/\S+", text)
    assert f'href="{answer_link}"' in html
    # Stable for every attempt (test_same_email_again.py), and no member id in it
    assert re.fullmatch(r"<prompt\.demo-1\.[a-z2-7]{26}@example\.com>", message["Message-ID"])
    assert member_id(LEA) not in message["Message-ID"]
    assert_unsubscribe_headers(message)
    # The link works: it opens Léa's answer form
    status, _, body = org.api(
        method="GET", path=answer_link.split(".com", 1)[1], query="", headers={}, body=b""
    )
    assert status == 200
    assert b'<textarea id="answer" name="answer"' in body


def test_english_members_read_english(org: LocalStack) -> None:
    org.advance_to(datetime.fromisoformat("2026-12-01T09:00:00+00:00"))  # London morning
    [message] = [m for m in sent(org) if m["To"] == SARAH]
    assert message["Subject"] == "Nos rituels d'équipe — your theme this week"
    assert "Hello Sarah," in message.get_body(("plain",)).get_content()


def test_emails_go_through_the_configuration_set(org: LocalStack) -> None:
    requests: list[dict[str, Any]] = []
    ses = Intercepted(
        palabre.aws.client("sesv2"), send_email=lambda **request: requests.append(request)
    )

    with override(Adapters(sesv2=ses)):
        org.advance_to(TOKYO_MORNING)

    expected = org.provisioned.physical["MailConfigurationSet"]
    assert [(r["ConfigurationSetName"], r["EmailTags"]) for r in requests] == [
        (expected, [{"Name": "kind", "Value": "prompt"}, {"Name": "theme", "Value": "demo-1"}])
    ]


def test_a_job_delivered_twice_sends_one_email(org: LocalStack) -> None:
    url = org.provisioned.queues["SendQueue"].url
    body = json.dumps({"job": "prompt", "theme": "demo-1", "member": member_id(LEA)})
    for _ in range(3):  # SQS delivers at least once: here, three times
        org.client("sqs").send_message(QueueUrl=url, MessageBody=body)

    org.drain()

    assert recipients(org) == Counter({LEA: 1})
    assert prompt_record(org, LEA)["status"] == {"S": "sent"}


def test_a_crash_between_ses_and_the_record_sends_the_same_email_again_once(
    org: LocalStack,
) -> None:
    # Given the function dies right after SES accepted the message, as it writes the record
    killed = failing(
        RuntimeError("the container was killed"),
        times=1,
        when=lambda item, **_: item["SK"].startswith("PROMPT#"),
    )
    table = Intercepted(handlers_table(org), put=killed)
    url = org.provisioned.queues["SendQueue"].url
    body = json.dumps({"job": "prompt", "theme": "demo-1", "member": member_id(LEA)})
    org.client("sqs").send_message(QueueUrl=url, MessageBody=body)

    with override(Adapters(table=table)):
        org.drain()
    # Léa has the email; no record says so, and the job is still in the queue, hidden
    assert recipients(org)[LEA] == 1
    assert prompt_record(org, LEA) == {}

    # When the queue delivers the job again, once its visibility timeout is over
    org.advance_to(org.clock() + VISIBILITY)

    # Then Léa has the email twice, identical down to its Message-ID, and it is recorded
    copies = [m for m in sent(org) if m["To"] == LEA]
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert (
        copies[0].get_body(("plain",)).get_content() == copies[1].get_body(("plain",)).get_content()
    )
    assert prompt_record(org, LEA)["status"] == {"S": "sent"}

    # And never a third time: a later duplicate of the job finds the record
    org.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    org.advance_to(org.clock() + VISIBILITY)
    assert recipients(org)[LEA] == 2


def test_a_message_of_two_jobs_sends_both_and_a_failure_of_one_holds_up_only_its_retry(
    org: LocalStack,
) -> None:
    # A call's last messages carry two jobs (palabre.queue.messages): Léa's, then Hugo's
    url = org.provisioned.queues["SendQueue"].url
    pair = [
        {"job": "prompt", "theme": "demo-1", "member": member_id(address)}
        for address in (LEA, HUGO)
    ]
    # Léa's send fails once: Hugo's is tried all the same, and the message comes back
    with override(ses_refusing(aws_error("InternalFailure", "SES had a moment"), times=1)):
        org.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(pair))
        org.drain()
        assert recipients(org) == Counter({HUGO: 1})
        org.advance_to(org.clock() + VISIBILITY)

    # Then each has one email: Hugo's job came back already sent
    assert recipients(org) == Counter({LEA: 1, HUGO: 1})
    assert prompt_record(org, LEA)["status"] == {"S": "sent"}
    dlq = org.provisioned.queues["SendDeadLetterQueue"].url
    assert "Messages" not in org.client("sqs").receive_message(QueueUrl=dlq)


@pytest.mark.parametrize(
    "body",
    [
        "[]",  # no job
        json.dumps([{"job": "prompt", "theme": "demo-1", "member": "m"}]),  # one, as a list
        json.dumps([{"job": "prompt", "theme": "demo-1", "member": f"m{n}"} for n in range(3)]),
    ],
)
def test_a_message_of_no_jobs_or_too_many_is_parked_and_sends_nothing(
    org: LocalStack, body: str
) -> None:
    url = org.provisioned.queues["SendQueue"].url
    org.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    for _ in range(6):  # maxReceiveCount is 5
        org.advance_to(org.clock() + VISIBILITY)
    assert sent(org) == []
    dlq = org.provisioned.queues["SendDeadLetterQueue"].url
    [parked] = org.client("sqs").receive_message(QueueUrl=dlq)["Messages"]
    assert parked["Body"] == body


_ses_error = aws_error
THROTTLED = aws_error("TooManyRequestsException", "Maximum sending rate exceeded.")


def ses_refusing(error: ClientError, times: int | None = None) -> Adapters:
    """The handlers' SES client, refusing the first `times` sends (or every one)."""
    return Adapters(
        sesv2=Intercepted(palabre.aws.client("sesv2"), send_email=failing(error, times))
    )


def test_ses_throttling_sends_the_job_back_as_a_new_message_never_one_more_receive(
    org: LocalStack,
) -> None:
    url = org.provisioned.queues["SendQueue"].url
    body = json.dumps({"job": "prompt", "theme": "demo-1", "member": member_id(LEA)})
    org.client("sqs").send_message(QueueUrl=url, MessageBody=body)

    again: list[dict[str, Any]] = []
    sqs = Intercepted(palabre.aws.client("sqs"), send_message=lambda **m: again.append(m))

    with override(ses_refusing(THROTTLED, times=2)), override(Adapters(sqs=sqs)):
        ran = org.drain()
        assert sent(org) == []  # refused: the job waits, as a new message, a few seconds
        for _ in range(2):
            ran += org.advance_to(org.clock() + timedelta(seconds=5))

    assert recipients(org) == Counter({LEA: 1})
    # No invocation failed and no record was reported failed (which would have brought
    # the same message back, one receive nearer the dead-letter queue): each refused job
    # went back as a new message, its wait doubling, with jitter
    runs = [r for r in ran if r.function == "SendEmailFunction"]
    assert [(r.error, r.result["batchItemFailures"]) for r in runs] == [(None, [])] * 3
    assert [json.loads(m["MessageBody"]) for m in again] == [json.loads(body)] * 2
    assert [m["MessageAttributes"]["throttles"]["StringValue"] for m in again] == ["1", "2"]
    assert 1 <= again[0]["DelaySeconds"] <= 2
    assert 2 <= again[1]["DelaySeconds"] <= 4
    dlq = org.provisioned.queues["SendDeadLetterQueue"].url
    assert "Messages" not in org.client("sqs").receive_message(QueueUrl=dlq)


def test_throttling_longer_than_the_queue_allows_receives_parks_nothing(
    org: LocalStack,
) -> None:
    # Given SES refusing the email for its rate eight times: more than maxReceiveCount (5)
    url = org.provisioned.queues["SendQueue"].url
    body = json.dumps({"job": "prompt", "theme": "demo-1", "member": member_id(LEA)})
    org.client("sqs").send_message(QueueUrl=url, MessageBody=body)

    with override(ses_refusing(THROTTLED, times=8)):
        # When time passes (the job's waits double: 2, 4, 8 s... with jitter; each step
        # of the clock brings it back once)
        for _ in range(10):
            org.advance_to(org.clock() + VISIBILITY)

    # Then nothing was parked, nothing lost: the email went out once, and was recorded
    dlq = org.provisioned.queues["SendDeadLetterQueue"].url
    assert "Messages" not in org.client("sqs").receive_message(QueueUrl=dlq)
    assert recipients(org) == Counter({LEA: 1})
    assert prompt_record(org, LEA)["status"] == {"S": "sent"}


@pytest.mark.parametrize(
    "refusal",
    [
        # What SES documents: a throttling error whose message names the quota
        _ses_error("ThrottlingException", "Daily message quota exceeded."),
        _ses_error("LimitExceededException", "Daily message quota exceeded."),
    ],
    ids=["throttling-code", "limit-code"],
)
def test_a_spent_daily_quota_leaves_the_rest_queued_for_hours(
    org: LocalStack, refusal: ClientError
) -> None:
    attempts = {"n": 0}

    def quota(**_: Any) -> None:
        attempts["n"] += 1
        if attempts["n"] <= 1:
            raise refusal

    ses = Intercepted(palabre.aws.client("sesv2"), send_email=quota)
    tick(org, PARIS_MORNING)  # 17 jobs queued, in ten messages (seven carry two)

    with override(Adapters(sesv2=ses)):
        org.drain()

        # SES was asked once, and every job still waits in the queue, hidden: the first
        # job refused, its partner and the other messages untried
        assert attempts["n"] == 1
        queue = org.provisioned.queues["SendQueue"].url
        attributes = org.client("sqs").get_queue_attributes(
            QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "10"
        # ... for hours, not for the queue's visibility timeout: nothing is tried meanwhile
        for _ in range(10):
            org.advance_to(org.clock() + VISIBILITY)
        assert attempts["n"] == 1
        dlq = org.provisioned.queues["SendDeadLetterQueue"].url
        assert "Messages" not in org.client("sqs").receive_message(QueueUrl=dlq)
        assert sent(org) == []

        # Once the postponement is over, every job goes out, once: none was lost (later
        # timezones' groups have come due meanwhile, hence "at least")
        org.advance_to(org.clock() + timedelta(hours=6))
    everyone = recipients(org)
    assert len(everyone) >= 17
    assert everyone[LEA] == 1
    assert set(everyone.values()) == {1}


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"SK": "PREFS", "subscription": "nothing"}, "unsubscribed"),
        ({"SK": "SUPPRESSED", "reason": "bounce"}, "suppressed"),
    ],
)
def test_unsubscribed_and_suppressed_members_are_skipped_and_recorded(
    org: LocalStack, given: dict[str, str], reason: str
) -> None:
    fields = dict(given)
    put_member_item(org, LEA, fields.pop("SK"), **fields)

    org.advance_to(PARIS_MORNING)

    assert LEA not in recipients(org)
    record = prompt_record(org, LEA)
    assert (record["status"], record["skip_reason"]) == ({"S": "skipped"}, {"S": reason})
    assert recipients(org)["hugo.bernard@demo.palabre.example"] == 1


def test_a_member_who_left_after_being_queued_is_skipped(org: LocalStack) -> None:
    tick(org, PARIS_MORNING)
    lines = demo.roster().decode().splitlines()
    org.upload(
        "roster",
        "demo-roster.csv",
        "\n".join(line for line in lines if not line.startswith("lea.")).encode(),
    )
    org.clear_mail()

    org.drain()

    assert LEA not in recipients(org)
    assert prompt_record(org, LEA)["skip_reason"] == {"S": "inactive"}


def test_a_prompt_job_that_comes_after_the_deadline_sends_nothing(org: LocalStack) -> None:
    # Given a job for demo-1 that reaches the sender only once Léa's deadline (8 December,
    # the end of her day in Paris) has passed: a replay from the dead-letter queue, or a
    # scheduler that stalled for days
    org.clock.move_to(datetime.fromisoformat("2026-12-09T00:00:30+01:00"))
    url = org.provisioned.queues["SendQueue"].url
    body = json.dumps({"job": "prompt", "theme": "demo-1", "member": member_id(LEA)})
    org.client("sqs").send_message(QueueUrl=url, MessageBody=body)

    org.drain()

    # Then nothing is sent, and the skip is recorded
    assert LEA not in recipients(org)
    record = prompt_record(org, LEA)
    assert (record["status"], record["skip_reason"]) == ({"S": "skipped"}, {"S": "deadline-passed"})


def test_a_tick_after_a_stalled_scheduler_sends_no_closed_theme(org: LocalStack) -> None:
    # The schedule did not fire from before demo-1's send day until after its deadline
    org.clock.move_to(datetime.fromisoformat("2026-12-10T09:30:00+01:00"))

    report = tick(org, org.clock())
    org.drain()

    # demo-2 (sent 8 December, open until the 15th) goes out; demo-1's groups, closed
    # everywhere, are marked done without queueing anyone (nor its reminders)
    subjects = {m["Subject"].split(" — ")[0] for m in sent(org) if m["To"] == LEA}
    assert "Installer la confiance" in subjects
    assert not any(subject.startswith(("Nos rituels", "Rappel")) for subject in subjects)
    assert prompt_record(org, LEA) == {}
    assert prompt_record(org, LEA, "demo-2")["status"] == {"S": "sent"}
    assert report["closed"] > 0
    # and the next tick has nothing left to do for demo-1
    assert tick(org, org.clock())["closed"] == 0


def test_a_calendar_without_a_theme_sent_this_morning_keeps_it_as_history(
    org: LocalStack,
) -> None:
    # Given demo-1 went out at 09:00 in Paris this morning (Montreal's comes this afternoon)
    tick(org, PARIS_MORNING)
    org.drain()
    assert prompt_record(org, LEA)["status"] == {"S": "sent"}

    # When the admin uploads the calendar without demo-1, nor demo-2 (next week)
    calendar = yaml.safe_load(demo.calendar(START.date()))
    calendar["themes"] = [t for t in calendar["themes"] if t["id"] not in ("demo-1", "demo-2")]
    report = org.upload("calendar", "demo-calendar.yaml", yaml.safe_dump(calendar).encode())

    # Then only demo-2 is cancelled; demo-1 stays, and reaches Montreal this afternoon
    assert report["deactivated"] == 1
    assert dynamodb_item(org, "THEME#demo-2", "THEME")["active"] == {"BOOL": False}
    assert dynamodb_item(org, "THEME#demo-1", "THEME")["active"] == {"BOOL": True}
    org.advance_to(datetime.fromisoformat("2026-12-01T09:05:00-05:00"))
    assert prompt_record(org, MONTREAL)["status"] == {"S": "sent"}


def test_a_live_session_comes_with_its_invitation(org: LocalStack) -> None:
    tick(org, datetime.fromisoformat("2027-01-05T09:00:00+01:00"))  # demo-6, a live one
    org.drain()
    [message] = [m for m in sent(org) if m["To"] == LEA and "Atelier live" in m["Subject"]]
    [invite] = list(message.iter_attachments())
    assert invite.get_content_type() == "text/calendar"
    # Published, not a request: the RSVP links answer, nothing reads replies to Palabre
    assert invite.get_param("method") == "PUBLISH"
    calendar = Calendar.from_ical(invite.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    event = calendar.walk("VEVENT")[0]
    assert str(event["UID"]) == "demo-6@example.com"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART").isoformat() == "2027-01-07T13:00:00+00:00"
    assert b"DTSTART:20270107T130000Z" in invite.get_payload(decode=True)
    assert str(event["LOCATION"]) == "https://meet.example.com/palabre-atelier"
    assert str(event["URL"]) == "https://meet.example.com/palabre-atelier"
    assert "ATTENDEE" not in event
    assert b"RSVP" not in invite.get_payload(decode=True)


# ---------------------------------------------------------------------------- reminders
def test_one_reminder_reaches_only_the_silent_two_days_before_the_deadline(
    org: LocalStack,
) -> None:
    org.advance_to(PARIS_MORNING)
    [link] = re.findall(
        r"https://\S+(/answer/\S+)",
        next(m for m in sent(org) if m["To"] == LEA).get_body(("plain",)).get_content(),
    )
    status, _, _ = org.api(
        method="POST",
        path=link,
        query="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"answer=Un+tour+de+table+chaque+lundi.&visibility=circle",
    )
    assert status == 303
    org.clear_mail()

    # Deadline: end of Tuesday 8 December; two days before is Sunday the 6th, so the
    # reminder comes on Friday the 4th at 09:00 local (reminders fall on working days)
    org.advance_to(datetime.fromisoformat("2026-12-04T00:55:00+01:00"))
    assert {m["To"] for m in sent(org)} == {SARAH, GABRIEL}  # their prompts, later Tuesday
    org.clear_mail()
    org.advance_to(datetime.fromisoformat("2026-12-04T09:00:00+09:00"))
    assert recipients(org) == Counter({KENJI: 1})  # 09:00 in Tokyo comes first
    org.advance_to(datetime.fromisoformat("2026-12-04T09:30:00+01:00"))
    reminded = recipients(org)
    assert LEA not in reminded  # she answered
    assert reminded["hugo.bernard@demo.palabre.example"] == 1
    assert len(reminded) == 1 + PARIS - 1  # Tokyo and Paris, but Léa
    org.advance_to(datetime.fromisoformat("2026-12-04T10:05:00+01:00"))
    assert recipients(org)[SARAH] == 1  # 09:00 in London
    assert all(
        m["Subject"].startswith(("Rappel\u00a0: Nos rituels", "Reminder: Nos rituels"))
        for m in sent(org)
    )

    # Never twice: the days after bring no second reminder for this theme
    org.advance_to(datetime.fromisoformat("2026-12-08T23:00:00+01:00"))
    about_rituals = Counter(m["To"] for m in sent(org) if "Nos rituels" in m["Subject"])
    assert about_rituals["hugo.bernard@demo.palabre.example"] == 1
    assert set(about_rituals.values()) == {1}
    assert "reminded_at" in prompt_record(org, "hugo.bernard@demo.palabre.example")


# ---------------------------------------------------------------------------- late arrivals
NINA = "nina.nouveau@demo.palabre.example"  # joins Bâtisseurs, in Paris
OMAR = "omar.nouveau@demo.palabre.example"  # joins Passeurs, in Montreal
LINA = "lina.nouveau@demo.palabre.example"  # joins Passeurs from Los Angeles, where nobody is
LINA_ROW = f"{LINA};Lina;Nouveau;Passeurs;Produit;en;America/Los_Angeles;member\n"
ARRIVALS = (
    f"{NINA};Nina;Nouveau;Bâtisseurs;Produit;fr;Europe/Paris;member\n"
    f"{OMAR};Omar;Nouveau;Passeurs;Opérations;fr;America/Montreal;member\n"
)


def test_a_member_who_joins_while_a_theme_is_open_gets_it_once(org: LocalStack) -> None:
    # Tuesday 10:00 in Paris: demo-1 went out at 09:00 here, Montreal's 09:00 is later
    org.clock.move_to(datetime.fromisoformat("2026-12-01T10:00:00+01:00"))
    org.clear_mail()
    report = org.upload("roster", "demo-roster.csv", demo.roster() + ARRIVALS.encode())
    assert report["created"] == 2
    org.drain()

    # Nina's 09:00 has passed: the import queued her prompt; Omar's has not
    assert [m["To"] for m in sent(org) if "Nos rituels" in m["Subject"]] == [NINA]
    assert prompt_record(org, OMAR) == {}
    # Montreal's morning: the scheduler's group now lists Omar
    tick(org, MONTREAL_MORNING)
    org.drain()
    prompted = Counter(m["To"] for m in sent(org) if "Nos rituels" in m["Subject"])
    assert prompted[NINA] == 1
    assert prompted[OMAR] == 1

    # The same roster again: nobody arrives, nothing is queued
    org.clear_mail()
    assert (
        org.upload("roster", "demo-roster.csv", demo.roster() + ARRIVALS.encode())["unchanged"]
        == 22
    )
    org.drain()
    assert [m for m in sent(org) if "Nos rituels" in m["Subject"]] == []


def test_the_first_member_of_a_new_timezone_gets_the_theme_at_her_own_nine(
    org: LocalStack,
) -> None:
    # Tuesday 16:00 in Paris: demo-1 has gone out everywhere (Montreal at 15:00), and the
    # scheduler's next work on it is the reminders, days away
    org.advance_to(datetime.fromisoformat("2026-12-01T16:00:00+01:00"))

    # Lina joins from Los Angeles, where nobody was: it is 07:00 there
    assert org.upload("roster", "demo-roster.csv", demo.roster() + LINA_ROW.encode())["created"]
    org.drain()
    assert prompt_record(org, LINA) == {}

    # At 09:00 in Los Angeles the scheduler sends her the theme, that day
    org.advance_to(datetime.fromisoformat("2026-12-01T09:10:00-08:00"))
    assert prompt_record(org, LINA)["status"] == {"S": "sent"}
    assert prompt_record(org, LINA)["sent_at"]["S"].startswith("2026-12-01T17:0")


def test_a_newcomer_west_of_everyone_still_gets_her_reminder(org: LocalStack) -> None:
    # Friday 4 December, 15:30 UTC: every timezone's reminder of demo-1 has gone (Montreal's
    # last, at 14:00 UTC), so the scheduler has nothing left planned for it
    org.advance_to(datetime.fromisoformat("2026-12-04T15:30:00+00:00"))

    # Lina joins from Los Angeles (07:30 there): her prompt goes at once ...
    org.upload("roster", "demo-roster.csv", demo.roster() + LINA_ROW.encode())
    org.drain()
    assert prompt_record(org, LINA)["status"] == {"S": "sent"}

    # ... and her reminder at 09:00 in Los Angeles, that day
    org.advance_to(datetime.fromisoformat("2026-12-04T09:10:00-08:00"))
    assert prompt_record(org, LINA)["reminded_at"]["S"].startswith("2026-12-04T17:0")


def test_a_later_newcomer_never_delays_a_group_already_due_sooner(org: LocalStack) -> None:
    # Tuesday 10:00 in Paris, Montreal's group is due at 15:00; Lina's 09:00 in Los
    # Angeles comes three hours after that
    org.advance_to(datetime.fromisoformat("2026-12-01T10:00:00+01:00"))
    org.upload("roster", "demo-roster.csv", demo.roster() + LINA_ROW.encode())

    org.advance_to(MONTREAL_MORNING + timedelta(minutes=10))

    assert prompt_record(org, MONTREAL)["status"] == {"S": "sent"}
    assert prompt_record(org, LINA) == {}


def test_a_tick_never_undoes_a_theme_made_due_again_meanwhile(org: LocalStack) -> None:
    table = DynamoTable(org.client("dynamodb"), org.provisioned.tables["PalabreTable"])
    store = DispatchStore(table)
    store.open("demo-1", PARIS_MORNING)
    # A tick reads demo-1 due; while it works, a roster import makes it due again sooner
    [seen] = [due for theme, due in store.due(PARIS_MORNING) if theme == "demo-1"]
    sooner = PARIS_MORNING - timedelta(minutes=30)
    store.due_by("demo-1", sooner)

    # The tick's end, whether it found nothing left or work for later, keeps it
    store.finish("demo-1", seen)
    store.reschedule("demo-1", PARIS_MORNING + timedelta(days=5), seen)
    assert ("demo-1", iso(sooner)) in store.due(PARIS_MORNING)

    # With nobody in between, the tick's end applies
    [seen] = [due for theme, due in store.due(PARIS_MORNING) if theme == "demo-1"]
    store.reschedule("demo-1", PARIS_MORNING + timedelta(days=5), seen)
    assert "demo-1" not in dict(store.due(PARIS_MORNING))
    [seen] = [
        due for theme, due in store.due(PARIS_MORNING + timedelta(days=5)) if theme == "demo-1"
    ]
    store.finish("demo-1", seen)
    assert "demo-1" not in dict(store.due(PARIS_MORNING + timedelta(days=6)))


def test_nobody_is_sent_a_theme_whose_deadline_has_passed(org: LocalStack) -> None:
    # Wednesday 9 December: demo-1 closed at the end of the 8th
    org.clock.move_to(datetime.fromisoformat("2026-12-09T10:00:00+01:00"))
    org.clear_mail()
    assert (
        org.upload("roster", "demo-roster.csv", demo.roster() + ARRIVALS.encode())["created"] == 2
    )
    org.drain()
    assert [m for m in sent(org) if "Nos rituels" in m["Subject"]] == []
    assert prompt_record(org, NINA) == {}
