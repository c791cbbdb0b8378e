"""The animators' space's deliverability page (issue 12 §4): suppressed addresses with
their reason and 'allow emails again', the last seven days' bounce and complaint rates,
and the work parked in dead-letter queues said in words with a Retry that sends it back
where it came from — through the HTTP API, on moto's queues and the table's stream."""

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from babel.numbers import format_decimal

import palabre.aws
from palabre.admin.deliverability_pages import percent
from palabre.core.deliverability import Figures
from palabre.core.models import Member, member_id
from palabre.store.activity import ActivityLog
from palabre.store.members import MemberStore
from palabre.store.sending import SendingHealth
from palabre.store.table import DynamoTable
from palabre.wiring import Adapters, override
from palabre_cli import demo
from sam_moto import events
from sam_moto.stack import LocalStack
from tests.conftest import load_event
from tests.doubles import Intercepted, failing
from tests.functional.admin import admin_get, admin_path, admin_post
from tests.functional.conftest import (
    demo_organisation,
    dynamodb_item,
    handlers_table,
    make_stack,
    mocked_aws,
    s3_event,
    sent,
)
from tests.functional.test_dispatch import LEA, SARAH
from tests.functional.test_iam import delete, receive, refused, scan, send_to
from tests.functional.test_scores import HUGO, answer, score

HOSTILE = '<script>alert("x")</script> & Zoë'
SPOOF = "\u202e\u200b\u2066"
BOUNCED = "bounced@demo.palabre.example"
COMPLAINED = "complained@demo.palabre.example"


@pytest.fixture(scope="module")
def shared() -> Iterator[LocalStack]:
    """The demo organisation, its first theme sent on Tuesday morning in Paris."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        yield demo_organisation(make_stack())


@pytest.fixture
def org(shared: LocalStack) -> LocalStack:
    # each test forgets the clock and the clients' hooks (IAM, Lambda) when it ends
    shared.hooks.use_clock(shared.clock)
    shared.runtime.watch()
    return shared


def table(stack: LocalStack) -> DynamoTable:
    return DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])


def members(stack: LocalStack) -> MemberStore:
    return MemberStore(table(stack))


def health(stack: LocalStack) -> SendingHealth:
    sending = stack.provisioned.tables["SendingTable"]
    return SendingHealth(DynamoTable(stack.client("dynamodb"), sending))


def page_of(stack: LocalStack) -> tuple[str, str]:
    path = admin_path(stack, demo.ADMIN)
    status, page = admin_get(stack, f"{path}/deliverability")
    assert status == 200
    return path, page


def activity(stack: LocalStack) -> list[tuple[str, dict[str, Any]]]:
    actions, _ = ActivityLog(table(stack)).recent()
    return [(a.action.value, dict(a.detail)) for a in actions]


def queue_url(stack: LocalStack, logical_id: str) -> str:
    return stack.provisioned.queues[logical_id].url


def parked(stack: LocalStack, logical_id: str) -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(stack, logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


def suppressed_at(stack: LocalStack, address: str) -> str:
    item = dynamodb_item(stack, f"MEMBER#{member_id(address)}", "SUPPRESSED")
    return str(item["at"]["S"]) if item else ""


# ------------------------------------------------------------------ the page
def test_the_page_shows_suppressed_addresses_their_reason_and_the_weeks_rates_escaped(
    org: LocalStack,
) -> None:
    """Given a member whose address bounced with a hostile diagnostic and name, an address
    that complained, and a week of sends, bounces and complaints
    When an admin opens the deliverability page
    Then each address shows with its member, reason and date, the rates of the last
    seven days in French, and every hostile text escaped, its controls gone."""
    store = members(org)
    store.save(
        [
            Member(
                email=BOUNCED,
                first_name=HOSTILE,
                last_name="Martin",
                circle="Bâtisseurs",
                team="Opérations",
                locale="fr",
                timezone="Europe/Paris",
            )
        ]
    )
    store.suppress(BOUNCED, "bounce", f"550 {HOSTILE} {SPOOF}unknown", org.clock())
    store.suppress(COMPLAINED, "complaint", "abuse", org.clock())
    counts = health(org)
    counts.count(org.clock() - timedelta(days=8), Figures(sends=5000, bounces=4000))  # too old
    counts.count(org.clock() - timedelta(days=6), Figures(sends=1000, bounces=30))
    counts.count(org.clock(), Figures(sends=1000, bounces=20, complaints=3))

    _, page = page_of(org)

    assert '<html lang="fr">' in page
    assert "<script>alert" not in page
    assert "550 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Zoë unknown" in page
    assert not set(SPOOF) & set(page)
    assert f'<strong class="address">{BOUNCED}</strong> — &lt;script&gt;' in page
    week = counts.last_week(org.clock())  # with the demo's own sends
    assert (week.bounces, week.complaints) == (50, 3)  # not the 4,000 of eight days ago
    assert f"Emails envoyés\u00a0: {format_decimal(week.sends, locale='fr')}" in page
    assert percent(week.bounce_rate, "fr") in page
    assert percent(week.complaint_rate, "fr") in page
    # a complaint needs the person's consent ticked; a bounce does not
    forms = re.findall(r"<li>.*?</li>", page.split('class="suppressed"')[1], re.S)
    [complaint] = [f for f in forms if COMPLAINED in f]
    [bounce] = [f for f in forms if BOUNCED in f]
    assert 'name="asked_again"' in complaint
    assert 'name="asked_again"' not in bounce


def test_a_bounced_address_is_allowed_again_once_recorded_and_said(org: LocalStack) -> None:
    """Given an address that bounced
    When an admin allows emails to it again from the page
    Then its suppression is gone, the page says so, the activity log records it once;
    posting again changes nothing and says there was nothing to do."""
    address = "fixed@demo.palabre.example"
    members(org).suppress(address, "bounce", "mailbox full", org.clock())
    path, page = page_of(org)
    assert address in page
    form = {"email": address, "at": suppressed_at(org, address)}

    status, _, page = admin_post(org, f"{path}/deliverability/unsuppress", form)

    assert status == 200
    assert f"Les emails partent de nouveau vers {address}." in page
    assert suppressed_at(org, address) == ""
    assert members(org).suppressed([address]) == set()
    assert activity(org)[0] == ("unsuppress", {"address": address, "reason": "bounce"})
    # Twice: nothing more
    status, _, page = admin_post(org, f"{path}/deliverability/unsuppress", form)
    assert status == 200
    assert "n'est pas (ou plus) bloquée" in page
    assert [a for a, d in activity(org) if d.get("address") == address] == ["unsuppress"]


def test_a_complaint_is_allowed_again_only_with_the_persons_consent_ticked(
    org: LocalStack,
) -> None:
    """Given an address that marked our emails as spam
    When an admin posts 'allow again' without ticking that they asked for them
    Then it is refused (400), said, and the address stays suppressed; with the tick, it
    is allowed again."""
    address = "spam@demo.palabre.example"
    members(org).suppress(address, "complaint", "abuse", org.clock())
    path = admin_path(org, demo.ADMIN)
    form = {"email": address, "at": suppressed_at(org, address)}

    status, _, page = admin_post(org, f"{path}/deliverability/unsuppress", form)

    assert status == 400
    assert "cochez" in page
    assert suppressed_at(org, address) == form["at"]

    status, _, page = admin_post(
        org, f"{path}/deliverability/unsuppress", form | {"asked_again": "yes"}
    )
    assert status == 200
    assert suppressed_at(org, address) == ""
    assert activity(org)[0] == ("unsuppress", {"address": address, "reason": "complaint"})


def test_an_address_that_bounced_again_since_the_page_stays_suppressed(org: LocalStack) -> None:
    address = "again@demo.palabre.example"
    members(org).suppress(address, "bounce", "mailbox full", org.clock() - timedelta(hours=1))
    shown = suppressed_at(org, address)
    members(org).suppress(address, "bounce", "user unknown", org.clock())  # meanwhile
    path = admin_path(org, demo.ADMIN)

    status, _, page = admin_post(
        org, f"{path}/deliverability/unsuppress", {"email": address, "at": shown}
    )

    assert status == 200
    assert "rien n'a été changé" in page
    assert suppressed_at(org, address) != ""


@pytest.mark.parametrize(
    "form",
    [{"email": "not an address", "at": "x"}, {"email": "a@b.example", "at": "x" * 400}],
)
def test_bad_input_is_refused_and_changes_nothing(org: LocalStack, form: dict[str, str]) -> None:
    before = activity(org)
    status, _, page = admin_post(
        org, f"{admin_path(org, demo.ADMIN)}/deliverability/unsuppress", form
    )
    assert status == 400
    assert 'role="alert"' in page
    assert activity(org) == before


def test_a_foreign_origin_or_a_members_link_changes_nothing(org: LocalStack) -> None:
    """Given a suppressed address and a parked email
    When a page of another site posts 'allow again' or Retry with the admin's link, or a
    member's link is used
    Then the first is refused (403), the second is the plain 404, and nothing changed."""
    address = "foreign@demo.palabre.example"
    members(org).suppress(address, "bounce", "mailbox full", org.clock())
    org.client("sqs").send_message(
        QueueUrl=queue_url(org, "SendDeadLetterQueue"), MessageBody=_prompt_job(SARAH)
    )
    admin, member = admin_path(org, demo.ADMIN), admin_path(org, LEA)
    before = activity(org)
    form = {"email": address, "at": suppressed_at(org, address)}
    try:
        for origin in ("https://evil.example", None, "null"):
            status, _, _ = admin_post(
                org, f"{admin}/deliverability/unsuppress", form, from_origin=origin
            )
            assert status == 403
            status, _, _ = admin_post(
                org, f"{admin}/deliverability/retry", {"queue": "send"}, from_origin=origin
            )
            assert status == 403
        assert admin_get(org, f"{member}/deliverability")[0] == 404
        assert admin_post(org, f"{member}/deliverability/unsuppress", form)[0] == 404
        assert admin_post(org, f"{member}/deliverability/retry", {"queue": "send"})[0] == 404

        assert suppressed_at(org, address) == form["at"]
        assert parked(org, "SendDeadLetterQueue") == 1
        assert activity(org) == before
    finally:
        org.client("sqs").purge_queue(QueueUrl=queue_url(org, "SendDeadLetterQueue"))


# ------------------------------------------------------------------ parked work
def _prompt_job(address: str) -> str:
    return json.dumps({"job": "prompt", "theme": "demo-1", "member": member_id(address)})


def test_a_parked_email_is_said_in_words_and_retry_sends_it_once(org: LocalStack) -> None:
    """Given Sarah's email of the first theme, parked after its last failed receive
    When the admin opens the page, then clicks Retry
    Then the page says '1 email is waiting', then that it was sent back; the queue is
    empty, Sarah gets her email once, the activity log says so; a second click finds
    nothing and records nothing."""
    org.client("sqs").send_message(
        QueueUrl=queue_url(org, "SendDeadLetterQueue"), MessageBody=_prompt_job(SARAH)
    )
    path, page = page_of(org)
    waiting = page.split('id="waiting"')[1].split("</section>")[0]
    assert "1 email est en attente" in waiting
    assert 'name="queue" value="send"' in waiting

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "send"})
    org.drain()

    assert status == 200
    assert "1 a été renvoyé et est de nouveau traité." in page
    assert parked(org, "SendDeadLetterQueue") == 0
    assert [m["To"] for m in sent(org)].count(SARAH) == 1
    assert activity(org)[0] == ("retry-dead-letters", {"queue": "send", "moved": 1, "failed": 0})
    # Clicked twice: nothing waits, nothing is recorded
    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "send"})
    assert "Plus rien n'attendait" in page
    assert activity(org)[0][1].get("moved") == 1
    assert len([a for a, _ in activity(org) if a == "retry-dead-letters"]) == 1


def test_a_parked_chunk_of_a_roster_goes_back_to_the_roster_queue(org: LocalStack) -> None:
    """Given a chunk of a roster apply parked after its last failed receive
    When the admin opens the page, then clicks Retry
    Then the page says it in words; the chunk goes back to the roster's queue, whose
    function takes it (a chunk of an apply no longer in flight does nothing), and the
    dead-letter queue is empty."""
    chunk = '{"version": 7, "chunk": 0, "phase": "staging"}'
    org.client("sqs").send_message(
        QueueUrl=queue_url(org, "RosterApplyDeadLetterQueue"), MessageBody=chunk
    )
    path, page = page_of(org)
    waiting = page.split('id="waiting"')[1].split("</section>")[0]
    assert "1 partie d'un annuaire en cours d'application est en attente" in waiting.replace(
        "&#39;", "'"
    )
    assert 'name="queue" value="roster"' in waiting

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "roster"})
    org.drain()

    assert status == 200
    assert "1 a été renvoyé et est de nouveau traité." in page
    assert parked(org, "RosterApplyDeadLetterQueue") == 0
    assert activity(org)[0] == ("retry-dead-letters", {"queue": "roster", "moved": 1, "failed": 0})


def test_a_parked_score_update_is_retried_from_the_stream_and_scored(org: LocalStack) -> None:
    """Given Léa's answer whose score batch failed (DynamoDB refused the score stream's
    transactions) and was parked in ScoreFailureQueue
    When the admin clicks Retry on '1 score update is waiting'
    Then the batch's records are read again from the table's stream and scored: Léa has
    her points, the queue is empty."""
    unavailable = failing(RuntimeError("DynamoDB unavailable"))
    with override(Adapters(table=Intercepted(handlers_table(org), transact=unavailable))):
        answer(org, LEA, "Un tour de table chaque lundi.")
        org.drain()  # retried, then parked
    assert "points" not in score(org, LEA)
    assert parked(org, "ScoreFailureQueue") == 1
    path, page = page_of(org)
    assert "1 mise à jour des points est en attente" in page

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "score"})

    assert status == 200
    assert "1 a été renvoyé et est de nouveau traité." in page
    assert score(org, LEA)["points"] == {"N": "15"}
    assert parked(org, "ScoreFailureQueue") == 0
    assert activity(org)[0] == ("retry-dead-letters", {"queue": "score", "moved": 1, "failed": 0})


def test_a_score_update_that_fails_again_stays_parked_and_is_said(org: LocalStack) -> None:
    """Given a parked score batch, and DynamoDB still refusing the score stream
    When the admin clicks Retry
    Then the page says it failed again and still waits; it is still parked."""
    unavailable = failing(RuntimeError("DynamoDB unavailable"))
    faulty = Adapters(table=Intercepted(handlers_table(org), transact=unavailable))
    with override(faulty):
        answer(org, HUGO, "Un point hebdomadaire.")
        org.drain()
        assert parked(org, "ScoreFailureQueue") == 1
        path = admin_path(org, demo.ADMIN)
        status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "score"})

    assert status == 200
    assert "1 a de nouveau échoué et attend encore" in page
    assert "palabre dlq list ScoreFailureQueue" in page
    assert parked(org, "ScoreFailureQueue") == 1
    # DynamoDB is back: the next click scores it
    admin_post(org, f"{path}/deliverability/retry", {"queue": "score"})
    assert parked(org, "ScoreFailureQueue") == 0
    assert score(org, HUGO)["points"] == {"N": "15"}


def test_a_malformed_parked_message_stays_parked_and_is_said(org: LocalStack) -> None:
    """Given messages in the score failure queue that are no stream batch's record
    When the admin clicks Retry
    Then nothing breaks: each failed and still waits, and the page says so."""
    url = queue_url(org, "ScoreFailureQueue")
    for body in ("[]", '{"DDBStreamBatchInfo": {}}', "not json"):
        org.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    try:
        status, _, page = admin_post(
            org, f"{admin_path(org, demo.ADMIN)}/deliverability/retry", {"queue": "score"}
        )
        assert status == 200
        assert "3 ont de nouveau échoué et attendent encore" in page
        assert parked(org, "ScoreFailureQueue") == 3
    finally:
        org.client("sqs").purge_queue(QueueUrl=url)


def test_a_parked_scheduled_task_goes_back_to_its_function_and_no_other(org: LocalStack) -> None:
    """Given a dispatch tick Lambda parked after its retries, the digest's event Scheduler
    could not deliver, and a crafted message in the same queue naming the members' pages
    function
    When the admin clicks Retry on '3 scheduled tasks are waiting'
    Then the tick and the digest run again (asynchronously) and leave the queue; the
    other is refused, still parked."""
    functions = org.provisioned.functions
    scheduler, pages = functions["SchedulePromptsFunction"], functions["PersonalLinksFunction"]
    url = queue_url(org, "ScheduleFailureQueue")
    for function in (scheduler, pages):
        record = events.async_failure(
            function_arn=function.arn,
            payload={"time": org.clock().isoformat()},
            error={"errorMessage": "DynamoDB unavailable"},
            attempts=3,
            at=org.clock(),
        )
        org.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(record))
    digest = functions["WeeklyDigestFunction"]
    org.client("sqs").send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"time": "2026-11-30T07:00:00Z"}),
        MessageAttributes={"TARGET_ARN": {"DataType": "String", "StringValue": digest.arn}},
    )

    def runs(function: str) -> list[Any]:
        return [i for i in org.runtime.history if i.function == function]

    before = {f.logical_id: len(runs(f.logical_id)) for f in (scheduler, pages, digest)}
    path, page = page_of(org)
    assert "3 tâches planifiées sont en attente" in page

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "schedule"})

    assert status == 200
    assert "2 ont été renvoyés et sont de nouveau traités." in page
    assert "1 a de nouveau échoué" in page
    for function in (scheduler, digest):
        ran = runs(function.logical_id)[before[function.logical_id] :]
        assert [r.error for r in ran] == [None]
    assert len(runs(pages.logical_id)) == before[pages.logical_id]
    assert parked(org, "ScheduleFailureQueue") == 1
    org.client("sqs").purge_queue(QueueUrl=url)


def test_a_parked_import_runs_again(org: LocalStack) -> None:
    """Given the demo roster's import, parked by Lambda after its retries
    When the admin clicks Retry on '1 file import is waiting'
    Then the import runs again with the upload's event, and the queue is empty."""
    importer = org.provisioned.functions["ImportUploadFunction"]
    event = s3_event(
        org, "import_upload/roster-uploaded.json", size=len(demo.roster()), versionId=None
    )
    record = events.async_failure(
        function_arn=importer.arn,
        payload=event,
        error={"errorMessage": "DynamoDB unavailable"},
        attempts=3,
        at=org.clock(),
    )
    org.client("sqs").send_message(
        QueueUrl=queue_url(org, "ImportFailureQueue"), MessageBody=json.dumps(record)
    )
    before = len([i for i in org.runtime.history if i.function == importer.logical_id])
    path, page = page_of(org)
    assert "1 import de fichier est en attente" in page

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "import"})

    assert status == 200
    assert "1 a été renvoyé" in page
    ran = [i for i in org.runtime.history if i.function == importer.logical_id][before:]
    assert [r.error for r in ran] == [None]
    assert parked(org, "ImportFailureQueue") == 0


def test_a_parked_bounce_notice_runs_again_and_suppresses_the_address(org: LocalStack) -> None:
    """Given a permanent bounce's notification, parked by Lambda after its retries in
    FeedbackFailureQueue (the feedback function is named, not referenced: a cycle)
    When the admin clicks Retry on '1 bounce or complaint notice is waiting'
    Then the feedback function runs again with it, the address is suppressed, and the
    queue is empty."""
    feedback = org.provisioned.functions["SesFeedbackFunction"]
    event = load_event("ses_feedback/permanent-bounce.json")
    notice = json.loads(event["Records"][0]["Sns"]["Message"])
    [bounced] = [r["emailAddress"] for r in notice["bounce"]["bouncedRecipients"]]
    record = events.async_failure(
        function_arn=feedback.arn,
        payload=event,
        error={"errorMessage": "DynamoDB unavailable"},
        attempts=3,
        at=org.clock(),
    )
    org.client("sqs").send_message(
        QueueUrl=queue_url(org, "FeedbackFailureQueue"), MessageBody=json.dumps(record)
    )
    before = len([i for i in org.runtime.history if i.function == feedback.logical_id])
    path, page = page_of(org)
    waiting = page.split('id="waiting"')[1].split("</section>")[0]
    assert "1 avis de rejet ou de signalement est en attente" in waiting
    assert 'value="feedback"' in waiting

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "feedback"})

    assert status == 200
    assert "1 a été renvoyé" in page
    ran = [i for i in org.runtime.history if i.function == feedback.logical_id][before:]
    assert [r.error for r in ran] == [None]
    assert parked(org, "FeedbackFailureQueue") == 0
    assert dynamodb_item(org, f"MEMBER#{member_id(bounced)}", "SUPPRESSED")


def test_a_parked_reply_goes_back_to_the_inbound_function_and_no_other(org: LocalStack) -> None:
    """Given a received reply's run parked by Lambda in InboundFailureQueue, and a crafted
    record in the same queue naming the members' pages function
    When the admin clicks Retry on '2 replies received by email are waiting'
    Then the reply goes back to the inbound function (named, as the feedback one) and
    leaves the queue; the other is refused and still waits."""
    functions = org.provisioned.functions
    url = queue_url(org, "InboundFailureQueue")
    for function in (functions["InboundReplyFunction"], functions["PersonalLinksFunction"]):
        record = events.async_failure(
            function_arn=function.arn,
            payload={"Records": []},
            error={"errorMessage": "DynamoDB unavailable"},
            attempts=3,
            at=org.clock(),
        )
        org.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(record))
    before = len([i for i in org.runtime.history if i.function == "InboundReplyFunction"])
    path, page = page_of(org)
    assert 'value="inbound"' in page.split('id="waiting"')[1].split("</section>")[0]

    status, _, page = admin_post(org, f"{path}/deliverability/retry", {"queue": "inbound"})

    assert status == 200
    assert "1 a été renvoyé" in page
    assert "1 a de nouveau échoué" in page
    ran = [i for i in org.runtime.history if i.function == "InboundReplyFunction"][before:]
    assert [r.error for r in ran] == [None]
    assert parked(org, "InboundFailureQueue") == 1
    org.client("sqs").purge_queue(QueueUrl=url)


# ------------------------------------------------------------------ least privilege
def invoke(logical_id: str) -> Callable[[LocalStack], Any]:
    def call(stack: LocalStack) -> Any:
        return palabre.aws.client("lambda").invoke(
            FunctionName=stack.provisioned.functions[logical_id].name,
            InvocationType="Event",
            Payload=b"{}",
        )

    return call


@pytest.mark.parametrize(
    ("what", "call"),
    [
        ("scan the table", scan),
        ("delete a theme", delete("THEME#t")),
        ("receive the send queue's messages", receive("SendQueue")),
        ("take the roster's queue", receive("RosterApplyQueue")),
        ("park a message", send_to("ScoreFailureQueue")),
        ("invoke the members' pages", invoke("PersonalLinksFunction")),
        ("invoke the sender", invoke("SendEmailFunction")),
        ("invoke itself", invoke("AdminSpaceFunction")),
    ],
)
def test_the_admin_space_reaches_only_its_queues_and_functions(
    org: LocalStack, what: str, call: Callable[[LocalStack], Any]
) -> None:
    assert "is not authorized to perform" in refused(org, "AdminSpaceFunction", call)
