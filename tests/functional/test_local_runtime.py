"""What the local stack and the handlers promise about their runtime, against moto: SQS
partial batch failures, the stack's clock in imports, the scheduler's cost following the
work due, SendMessageBatch batching and retries, link keys (cache and rotation), and
replaying the schedule and score dead-letter queues, the score stream's batching window."""

import itertools
import json
import re
import threading
import warnings
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

import palabre.aws
import palabre.wiring
from palabre.core.jobs import JobKind, ThemeJob
from palabre.core.models import member_id
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.queue import BATCH, JobQueue, QueueError
from palabre.wiring import Adapters, override
from palabre_cli import demo
from sam_moto.iam import Policy
from sam_moto.stack import LocalStack
from tests.doubles import Intercepted, SendQuota, failing
from tests.functional.conftest import (
    PARIS_MORNING,
    demo_with_more_managers,
    handlers_table,
    make_stack,
    organisation_items,
    sent,
    tick,
)
from tests.functional.test_answers import get
from tests.functional.test_dispatch import (
    GABRIEL,
    KENJI,
    LEA,
    MONTREAL_MORNING,
    TOKYO_MORNING,
    VISIBILITY,
    _ses_error,
    queued,
)
from tests.functional.test_scores import HUGO, answer, kept_causes, score, stream_batch


@pytest.fixture
def imported(stack: LocalStack) -> LocalStack:
    """The demo organisation imported, nothing sent yet (first theme: 1 December)."""
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    stack.clear_mail()
    return stack


def send_jobs(stack: LocalStack, *addresses: str) -> None:
    url = stack.provisioned.queues["SendQueue"].url
    stack.client("sqs").send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(n),
                "MessageBody": ThemeJob(
                    job=JobKind.PROMPT, theme="demo-1", member=member_id(a)
                ).body(),
            }
            for n, a in enumerate(addresses)
        ],
    )


def answer_path(message: EmailMessage) -> str:
    [path] = re.findall(r"https://\S+?(/answer/\S+)", message.get_body(("plain",)).get_content())
    return path


# ---------------------------------------------------------------------------- SQS trigger
def test_a_partial_batch_failure_retries_only_the_failed_job(imported: LocalStack) -> None:
    tried: list[str] = []

    def failing_for_lea(**request: Any) -> None:
        [recipient] = request["Destination"]["ToAddresses"]
        tried.append(recipient)
        if recipient == LEA and tried.count(LEA) == 1:  # her first try
            # (Not a throttling: that one goes back as a new message, test_pacing.py.)
            raise _ses_error("InternalFailure", "An internal error occurred.")

    ses = Intercepted(palabre.aws.client("sesv2"), send_email=failing_for_lea)
    send_jobs(imported, LEA, HUGO)

    with override(Adapters(sesv2=ses)):
        [first] = [r for r in imported.drain() if r.function == "SendEmailFunction"]
        assert first.error is None, first.error
        assert len(first.result["batchItemFailures"]) == 1  # one batch of two, one failed
        assert Counter(m["To"] for m in sent(imported)) == Counter({HUGO: 1})

        # After the visibility timeout only Léa's job comes back: Hugo's was deleted
        imported.advance_to(imported.clock() + VISIBILITY)
    assert Counter(tried) == Counter({LEA: 2, HUGO: 1})
    assert Counter(m["To"] for m in sent(imported)) == Counter({LEA: 1, HUGO: 1})
    assert queued(imported) == []


# ---------------------------------------------------------------------------- import
def test_the_import_judges_past_dates_by_the_stacks_clock(stack: LocalStack) -> None:
    stack.upload("roster", "demo-roster.csv", demo.roster())
    calendar = demo.calendar(stack.clock().date())  # demo-1 on 1 December, demo-2 on the 8th
    stack.clock.move_to(datetime.fromisoformat("2026-12-05T12:00:00+01:00"))
    before = organisation_items(stack)

    report = stack.upload("calendar", "demo-calendar.yaml", calendar)

    assert report["ok"] is False
    [error] = report["errors"]
    assert error["column"] == "send_on"
    assert error["value"] == demo.first_tuesday_after(datetime(2026, 11, 30).date()).isoformat()
    assert "2026-12-05" in error["message"]  # "today" is the stack's
    assert organisation_items(stack) == before


# ---------------------------------------------------------------------------- scheduler
def _count_reads(counts: Counter[str]) -> None:
    def count(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        counts["calls"] += 1
        if model.name in ("Query", "Scan"):
            counts["items"] += parsed.get("ScannedCount", parsed.get("Count", 0))
        elif model.name == "GetItem":
            counts["items"] += "Item" in parsed
        elif model.name == "BatchGetItem":
            counts["items"] += sum(len(v) for v in parsed.get("Responses", {}).values())

    palabre.aws.client("dynamodb").meta.events.register("after-call.dynamodb.*", count)


def test_a_due_tick_reads_what_is_due_not_the_roster(stack: LocalStack) -> None:
    # Given the demo roster and a hundred more managers in Paris
    demo_with_more_managers(stack, 100, "manager")
    reads: Counter[str] = Counter()
    _count_reads(reads)

    # When 09:00 comes in Tokyo, only Kenji is due
    assert tick(stack, TOKYO_MORNING)["queued"] == {"prompt": 1}
    tokyo = Counter(reads)
    reads.clear()
    assert tick(stack, PARIS_MORNING)["queued"]["prompt"] > 100
    paris = Counter(reads)

    # Then Tokyo's tick reads a few items (due themes, directory, theme, cursors, Kenji)
    # while Paris's reads its hundred-odd members: the cost follows the work due
    assert tokyo["items"] <= 6, tokyo
    assert tokyo["calls"] <= 10, tokyo
    assert paris["items"] > 100, paris


# ---------------------------------------------------------------------------- SQS batches
class StubSqs:
    """send_message_batch only; refuses the listed entry ids on the first call it sees."""

    def __init__(self, refuse_first: set[str] = frozenset(), always: bool = False) -> None:
        self.calls: list[list[dict[str, str]]] = []
        self.refuse_first = set(refuse_first)
        self.always = always
        self.lock = threading.Lock()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict:
        assert QueueUrl == "queue-url"
        with self.lock:
            first = not self.calls
            self.calls.append(Entries)
        refused = {e["Id"] for e in Entries} if self.always else set()
        if first:
            refused |= self.refuse_first & {e["Id"] for e in Entries}
        return {
            "Successful": [{"Id": e["Id"]} for e in Entries if e["Id"] not in refused],
            "Failed": [
                {"Id": i, "SenderFault": False, "Code": "InternalError"} for i in sorted(refused)
            ],
        }


def _jobs(count: int) -> list[ThemeJob]:
    return [ThemeJob(job=JobKind.PROMPT, theme="t", member=f"m{n:03d}") for n in range(count)]


def test_jobs_are_sent_a_call_per_ten() -> None:
    sqs = StubSqs()
    assert JobQueue(sqs, "queue-url").send(_jobs(25)) == 25
    # ten messages a call; the last five ride two to a message rather than in a third call
    assert sorted(len(c) for c in sqs.calls) == [BATCH, BATCH]
    assert BATCH == 10
    bodies = sorted(e["MessageBody"] for c in sqs.calls for e in c)
    singles = [j.body() for j in _jobs(25)[:15]]
    pairs = [f"[{a.body()},{b.body()}]" for a, b in itertools.batched(_jobs(25)[15:], 2)]
    assert bodies == sorted(singles + pairs)


def test_refused_entries_are_sent_again_alone() -> None:
    sqs = StubSqs(refuse_first={"3", "7"})
    jobs = _jobs(8)
    JobQueue(sqs, "queue-url").send(jobs)
    first, retry = sqs.calls
    assert len(first) == 8
    assert retry == [
        {"Id": "3", "MessageBody": jobs[3].body()},
        {"Id": "7", "MessageBody": jobs[7].body()},
    ]


def test_entries_refused_every_time_raise() -> None:
    sqs = StubSqs(always=True)
    with pytest.raises(QueueError):
        JobQueue(sqs, "queue-url").send(_jobs(2))
    assert len(sqs.calls) == 3


# ---------------------------------------------------------------------------- link keys
def test_link_keys_are_read_once_and_rotate(org: LocalStack) -> None:
    secrets = org.client("secretsmanager")
    secret_id = org.provisioned.physical["LinkSigningSecret"]
    old = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])["current"]
    reads: Counter[str] = Counter()
    palabre.aws.client("secretsmanager").meta.events.register(
        "before-call.secretsmanager.GetSecretValue", lambda **_: reads.update(["get"])
    )
    palabre.wiring.reset()  # a fresh container
    lea_link = answer_path(next(m for m in sent(org) if m["To"] == LEA))

    for _ in range(5):
        assert get(org, lea_link)[0] == 200
    assert reads["get"] == 1  # cached for the next requests

    # When the key is rotated (and the cache has expired)
    new = "n" * 64
    secrets.put_secret_value(
        SecretId=secret_id, SecretString=json.dumps({"current": new, "previous": [old]})
    )
    palabre.wiring.reset()

    # Then links already sent still open, and new ones are signed with the new key
    assert get(org, lea_link)[0] == 200
    tick(org, MONTREAL_MORNING)
    org.drain()
    gabriel_link = answer_path(next(m for m in sent(org) if m["To"] == GABRIEL))
    token = gabriel_link.removeprefix("/answer/")
    fresh = Signer([new])
    theme, member = fresh.verify(Purpose.ANSWER, token, org.clock()).ids
    assert fresh.member(member, Purpose.ANSWER, theme) == member_id(GABRIEL)
    with pytest.raises(InvalidToken):
        Signer([old]).verify(Purpose.ANSWER, token, org.clock())
    assert get(org, gabriel_link)[0] == 200


# ---------------------------------------------------------------------------- dead letters
def test_a_parked_schedule_event_replays_to_the_scheduler(imported: LocalStack) -> None:
    unavailable = failing(RuntimeError("DynamoDB unavailable"))
    [schedule] = [
        s for s in imported.provisioned.schedules if s.function == "SchedulePromptsFunction"
    ]
    imported.clock.move_to(TOKYO_MORNING)
    with override(Adapters(table=Intercepted(handlers_table(imported), query=unavailable))):
        failed = imported.fire(schedule.name, TOKYO_MORNING.astimezone(UTC))  # retried, parked
    assert failed.error is not None
    # DynamoDB is back
    dead = imported.dead_letters()
    [parked] = dead.peek("ScheduleFailureQueue")
    assert parked["body"]["requestPayload"] == {"time": "2026-12-01T00:00:00Z"}
    assert parked["error"] == "DynamoDB unavailable"

    result = dead.replay("ScheduleFailureQueue")
    imported.drain()

    assert result["replayed"] == [parked["id"]]
    assert result["failed"] == []
    runs = [i for i in imported.runtime.history if i.function == "SchedulePromptsFunction"]
    assert runs[-1].error is None
    assert runs[-1].result["queued"] == {"prompt": 1}
    assert [m["To"] for m in sent(imported)] == [KENJI]
    assert dead.peek("ScheduleFailureQueue") == []


def test_a_failing_weekly_digest_is_retried_twice_by_lambda_then_parked_as_on_aws(
    imported: LocalStack,
) -> None:
    # Given the digest's schedule, and DynamoDB unavailable to its function
    [schedule] = [s for s in imported.provisioned.schedules if s.function == "WeeklyDigestFunction"]
    monday = datetime(2026, 12, 7, 7, tzinfo=UTC)
    unavailable = failing(RuntimeError("DynamoDB unavailable"))
    # When the schedule fires (Scheduler invokes asynchronously: Lambda takes the event)
    with override(Adapters(table=Intercepted(handlers_table(imported), query=unavailable))):
        imported.fire(schedule.name, monday)
    # Then Lambda ran it three times, as its EventInvokeConfig says, and parked the run
    # where its on-failure destination points, as Lambda's record of it
    runs = [i for i in imported.runtime.history if i.function == "WeeklyDigestFunction"]
    assert [r.error is not None for r in runs] == [True, True, True]
    [parked] = imported.dead_letters().peek("ScheduleFailureQueue")
    assert parked["body"]["requestContext"]["condition"] == "RetriesExhausted"
    assert parked["body"]["requestContext"]["approximateInvokeCount"] == 3
    assert parked["body"]["requestPayload"] == {"time": "2026-12-07T07:00:00Z"}
    assert parked["error"] == "DynamoDB unavailable"


def test_a_parked_score_batch_replays_and_is_scored(org: LocalStack) -> None:
    # Only the score stream writes transactions: it alone finds DynamoDB unavailable
    unavailable = failing(RuntimeError("DynamoDB unavailable"))
    with override(Adapters(table=Intercepted(handlers_table(org), transact=unavailable))):
        answer(org, LEA, "Un tour de table chaque lundi.")
        org.drain()  # retried, then parked
    cause = f"answer#demo-1#{member_id(LEA)}"
    assert cause not in kept_causes(org, "batisseurs")
    assert "points" not in score(org, LEA)  # nothing counted yet
    dead = org.dead_letters()
    assert len(dead.peek("ScoreFailureQueue")) == 1

    result = dead.replay("ScoreFailureQueue")

    assert result["source"] == "ScoreStreamFunction"
    assert (len(result["replayed"]), result["failed"]) == (1, [])
    assert score(org, LEA)["points"] == {"N": "15"}
    assert cause in kept_causes(org, "batisseurs")
    assert dead.peek("ScoreFailureQueue") == []


def test_disabled_metrics_never_pile_up_across_invocations(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    from palabre.observability import metrics

    stack.runtime.overrides["POWERTOOLS_METRICS_DISABLED"] = "true"
    for minute in range(0, 5 * 120, 5):  # 120 idle ticks: each adds one value to "Ticks"
        tick(stack, datetime(2026, 11, 30, 8, tzinfo=UTC) + timedelta(minutes=minute))
    assert metrics.metric_set == {}
    assert "CloudWatchMetrics" not in capsys.readouterr().out


def test_idle_ticks_api_requests_and_ignored_uploads_publish_a_metric(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.runtime.overrides["POWERTOOLS_METRICS_DISABLED"] = "false"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tick(stack, datetime(2026, 11, 30, 8, tzinfo=UTC))  # nothing is due
        assert (
            stack.api(method="GET", path="/answer/nope", query="", headers={}, body=b"")[0] == 404
        )
        stack.upload("roster", "demo-roster.csv", demo.roster())  # and its report files
    assert [str(w.message) for w in caught if "No application metrics" in str(w.message)] == []
    published = {
        name
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"_aws"')
        for name in json.loads(line)
        if name not in ("_aws", "service")
    }
    assert {"Ticks", "Responses4xx", "ImportAccepted", "UploadsIgnored"} <= published


@pytest.mark.parametrize(("address", "subscribed"), [("ops@client.example", True), ("", False)])
def test_an_alert_address_subscribes_to_the_alerts_topic_only_when_given(
    aws: None, address: str, subscribed: bool
) -> None:
    # Locally an email subscription has nobody to email: it is named, not wired
    physical = make_stack(AlertAddress=address).provisioned.physical
    assert "AlertsTopic" in physical
    assert ("AlertsEmail" in physical) is subscribed


@pytest.mark.parametrize(
    ("domain", "links"),
    [("palabre.example.com", "https://palabre.example.com"), ("", "https://local")],
)
def test_personal_links_use_the_custom_domain_when_one_is_given(
    aws: None, domain: str, links: str
) -> None:
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/abc" if domain else ""
    stack = make_stack(DomainName=domain, CertificateArn=certificate)
    base = stack.provisioned.functions["SendEmailFunction"].environment["PUBLIC_BASE_URL"]
    assert base.startswith(links)
    assert stack.outputs["ApiUrl"] == base
    assert ("ApiDomainTarget" in stack.outputs) is bool(domain)


def test_a_dynamodb_call_the_functions_role_does_not_allow_is_refused(
    org: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The digest's role, without the PutItem statement its queueing marker needs
    function = org.provisioned.functions["WeeklyDigestFunction"]
    assert function.policy is not None
    statements = tuple(
        replace(s, actions=tuple(a for a in s.actions if a != "dynamodb:putitem"))
        for s in function.policy.statements
    )
    monkeypatch.setattr(function, "policy", Policy(statements))

    invocation = org.runtime.invoke("WeeklyDigestFunction", {"time": "2026-12-07T07:00:00Z"})

    assert invocation.error is not None
    assert "AccessDeniedException" in invocation.error["errorMessage"]
    assert "dynamodb:PutItem" in invocation.error["errorMessage"]


# ------------------------------------------------------------------ stream batching window
def score_batches(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch the score stream function is given from now on."""
    batches: list[int] = []
    invoke = stack.runtime.invoke

    def counted(function: str, event: Any) -> Any:
        if function == "ScoreStreamFunction":
            batches.append(len(event["Records"]))
        return invoke(function, event)

    monkeypatch.setattr(stack.runtime, "invoke", counted)
    return batches


def test_the_score_stream_waits_for_full_batches_while_sends_go_on_and_loses_none(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the demo roster and 250 more managers in Paris
    demo_with_more_managers(stack, 250, "batch")

    # When 09:00 comes in Paris and every prompt is sent
    queued = tick(stack, PARIS_MORNING)["queued"]["prompt"]
    batches = score_batches(stack, monkeypatch)
    # (on an account that sends 1,000 emails a second: at 14, each window of 5 s on the
    # stack's clock, which the sender's pace moves, would hold fewer than 100 sends)
    with override(Adapters(ses=SendQuota(1000))):
        stack.drain()

    # Then, while the sender kept writing, the score stream waited for full batches of
    # 100 records (MaximumBatchingWindowInSeconds; the scheduler's own records are
    # filtered out of them), and took the rest once the work stopped: every send record
    # scored once, in a few batches rather than one per send batch of ten
    assert queued > 250
    assert sum(batches) == queued
    assert len(batches) <= -(-queued // 100) + 1, batches


def test_as_real_time_goes_the_score_stream_waits_its_batching_window_then_takes_the_rest(
    imported: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = score_batches(imported, monkeypatch)
    # Given the Paris prompts sent as real time goes (the stack's own ticks are patient)
    queued = tick(imported, PARIS_MORNING)["queued"]["prompt"]
    imported.pollers.drain(patient=True)
    assert imported.raw_mail()
    assert batches == []  # fewer than 100: the window waits

    # When the window (5 s on the stack's clock) has passed
    imported.clock.move_to(imported.clock() + timedelta(seconds=4))
    imported.pollers.drain(patient=True)
    assert batches == []
    imported.clock.move_to(imported.clock() + timedelta(seconds=2))
    imported.pollers.drain(patient=True)

    # Then the stream takes them all at once, and nothing is left
    assert batches == [queued]
    imported.drain()
    assert batches == [queued]


def test_stream_records_reach_the_function_as_getrecords_gives_them_and_as_its_own_copy(
    org: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stack reads records where moto keeps them: what the function gets must be what
    # GetRecords returns (shaped as Lambda delivers it), and its changes stay its own
    given: list[dict[str, Any]] = []
    invoke = org.runtime.invoke

    def spoiling(function: str, event: Any) -> Any:
        if function == "ScoreStreamFunction":
            given.extend(json.loads(json.dumps(event["Records"])))
            result = invoke(function, event)
            for record in event["Records"]:  # (the poller still reads its sequence number)
                record["dynamodb"]["Keys"].clear()
                record["dynamodb"]["NewImage"]["SK"] = {"S": "spoilt"}
                record["eventName"] = "REMOVE"
            return result
        return invoke(function, event)

    monkeypatch.setattr(org.runtime, "invoke", spoiling)
    answer(org, LEA, "Un tour de table chaque lundi.")
    org.drain()

    through_api = {r["dynamodb"]["SequenceNumber"]: r for r in stream_batch(org)}
    assert given, "the answer's record reached the score stream"
    for record in given:
        expected = through_api[record["dynamodb"]["SequenceNumber"]]
        assert record == expected
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert score(org, LEA)["points"] == {"N": "15"}
