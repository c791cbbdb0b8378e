"""The local stack driven as a user drives it: `palabre local` in its own process, its
console and API over HTTP, its moto endpoint for what an outside client would write.

- one theme to a 2,000-member organisation in 3 timezones: emails per second, end to end
  (queued, rendered, sent, recorded, and counted by the score stream);
- the whole path of one delivered prompt, counted at moto's door (its request recorder):
  every call, by service and operation, per prompt delivered;
- an idle tick, and an answer POST with 2,000 members and 8 weeks of history;
- the demo organisation, 8 weeks of time travel, one week at a time;
- the stack's peak memory.
"""

import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.config import Config

from palabre.core.local_time import iso_week
from palabre.core.models import Audience, Member, Theme, Visibility
from palabre.store.answers import AnswerStore, NewText
from palabre.store.sends import SendRecords
from palabre.store.table import DynamoTable
from palabre.store.themes import ThemeStore
from tests.fakes import FakeTable

ROOT = Path(__file__).resolve().parents[1]
ZONES = ("Europe/Paris", "Europe/London", "America/Montreal")
START = "2026-11-30T08:00:00+01:00"  # a Monday; the first theme goes out on Tuesday
THEME_DAY = "2026-12-01"
ACROSS_09_00 = ("2026-12-01T08:55:00+01:00", "2026-12-01T09:01:00-05:00")
"""08:55 in Paris (07:55 in London, 02:55 in Montreal) to 09:01 in Montreal"""
TICK = timedelta(minutes=5)
WRITERS = 4
"""clients writing the history side by side"""

GOALS = {
    "emails_per_second": 100.0,
    "ses_per_prompt": 1.0,
    "writes_per_prompt": 1.2,
    "sqs_sends_per_prompt": 0.1,
    "idle_tick_ms": 10.0,
    "answer_ms": 30.0,
    "demo_seconds": 60.0,
    "last_week_ratio": 1.3,
}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
POLLING = "Lambda's poller (the event source mapping), not a function"
WHY = {
    "sesv2:SendEmail": "sender: the prompt itself",
    "dynamodb:BatchGetItem": "sender: the prompt's send state and its recipient, one read",
    "dynamodb:PutItem": "sender: the send record, written once (the exactly-once mark)",
    "dynamodb:TransactWriteItems": "score stream: member, team and circle totals, one "
    "transaction per batch of send records",
    "dynamodb:Query": "scheduler: what is due (each tick), then a due group's members",
    "dynamodb:GetItem": "scheduler: the theme, on each tick that finds it due; sender: "
    "whether sending is paused, once a minute per container",
    "dynamodb:UpdateItem": "scheduler: each audience group's claim and cursor; sender: the "
    "pace's instants, once per batch of emails, and the hour's count of sends, once a "
    "minute per container (both in the SendingTable)",
    "ses:GetSendQuota": "sender: SES's sending rate, once per container every five minutes",
    "sqs:SendMessageBatch": "scheduler: ten messages a call, across groups and themes; a "
    "tick's last few jobs ride two to a message in its last call",
    "secretsmanager:GetSecretValue": "sender: the link-signing keys, once per container",
    "sqs:ReceiveMessage": POLLING,
    "sqs:DeleteMessageBatch": POLLING,
    "sqs:DeleteMessage": POLLING,
    "sqs:ChangeMessageVisibility": POLLING,
    # moto's recorder names CloudWatch by its service's internal name
    "GraniteServiceVersion20100801:PutMetricData": "the local stack, not Palabre: the "
    "metrics AWS publishes by itself (the send queue's depth and age, each stack minute)",
}
"""why each call of a delivered prompt's whole path is made"""


@dataclass
class Local:
    """A running `palabre local`: its console's URL, moto's, its process."""

    process: subprocess.Popen[str]
    url: str
    moto: str

    def request(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if body is not None and "Content-Type" not in headers:
            request.add_header("Content-Type", "application/json")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        with urllib.request.urlopen(request, timeout=3600) as response:
            payload = response.read()
        return json.loads(payload) if payload[:1] in (b"{", b"[") else payload

    def moto_call(self, path: str, method: str = "POST") -> bytes:
        request = urllib.request.Request(self.moto + path, method=method, data=b"")
        with urllib.request.urlopen(request, timeout=600) as response:
            data: bytes = response.read()
            return data

    def upload(self, kind: str, name: str, data: bytes) -> Any:
        boundary = uuid.uuid4().hex
        parts = b""
        for field, value, filename in (("kind", kind.encode(), None), ("file", data, name)):
            disposition = f'form-data; name="{field}"' + (
                f'; filename="{filename}"' if filename else ""
            )
            parts += (
                f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
                + value
                + b"\r\n"
            )
        body = parts + f"--{boundary}--\r\n".encode()
        return self.request(
            "POST", "/_local/upload", body, Content_Type=f"multipart/form-data; boundary={boundary}"
        )

    def move(self, **target: str) -> float:
        """Moves the clock (all the work it brings runs before the answer): seconds."""
        started = time.perf_counter()
        self.request("POST", "/_local/clock", target)
        return time.perf_counter() - started

    def peak_megabytes(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextmanager
def running(*, demo: bool, start: str = START) -> Iterator[Local]:
    recording = tempfile.mkdtemp(prefix="palabre-bench-")
    environment = {
        "MOTO_RECORDER_FILEPATH": f"{recording}/moto_recording",
        **os.environ,
        "PORT": "0",
        "DEMO": "1" if demo else "0",
        "CLOCK_START": start,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    # Its output goes to a file: a pipe nobody reads would stop the stack once full.
    log = Path(recording) / "stack.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "palabre_cli.main", "local"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
    deadline = time.monotonic() + 120
    banner = ""
    listening = re.compile(r"^\s*clock\s.*\n", re.MULTILINE)
    while not listening.search(banner) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the stack's banner, printed once it listens
        banner = log.read_text()
    console = re.search(r"console\s+(\S+)/_local/", banner)
    moto = re.search(r"AWS \(moto\)\s+(\S+)", banner)
    if console is None or moto is None:
        process.kill()
        raise RuntimeError(f"palabre local did not start:\n{banner}")
    try:
        yield Local(process, console.group(1), moto.group(1))
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(recording, ignore_errors=True)


def _roster(members: int) -> bytes:
    rows = [
        f"{m.email};{m.first_name};{m.circle};{m.team};{m.locale};{m.timezone};"
        f"{'admin' if n == 0 else 'member'}"
        for n in range(members)
        for m in [_member(n)]
    ]
    return ("email;first_name;circle;team;locale;timezone;role\n" + "\n".join(rows)).encode()


def _calendar(*themes: tuple[str, str]) -> bytes:
    rows = [f"{theme};{day};09:00;Rituel {theme};Quel rituel ?;all" for theme, day in themes]
    return ("id;send_on;send_at;title;prompt;audience\n" + "\n".join(rows)).encode()


def _prompts(local: Local, title: str) -> int:
    return sum(1 for m in local.request("GET", "/_local/mail") if m["subject"].startswith(title))


def _recorded_calls(local: Local) -> tuple[Counter[str], list[tuple[int, int]]]:
    """service:operation for every request moto received while recording, and how many
    messages and jobs each SendMessageBatch carried."""
    calls: Counter[str] = Counter()
    batches: list[tuple[int, int]] = []
    for line in local.moto_call("/moto-api/recorder/download-recording", "GET").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
        target = headers.get("x-amz-target", "")
        host = urllib.parse.urlsplit(entry.get("url", "")).hostname or headers.get("host", "")
        if target:  # JSON protocols: DynamoDB, Streams, SQS, Secrets Manager
            prefix, _, operation = target.partition(".")
            service = {
                "DynamoDB_20120810": "dynamodb",
                "DynamoDBStreams_20120810": "dynamodbstreams",
                "AmazonSQS": "sqs",
                "secretsmanager": "secretsmanager",
            }.get(prefix, prefix)
        elif "/v2/email/outbound-emails" in entry.get("url", ""):
            service, operation = "sesv2", "SendEmail"
        elif action := _query_action(entry):  # query protocol: SES v1
            service = {"email": "ses"}.get(host.split(".")[0], host.split(".")[0])
            operation = action
        elif host.startswith("s3") or ".s3." in host or "s3." in host:
            service, operation = "s3", f"{entry.get('method')} object"
        else:
            service, operation = host.split(".")[0] or "?", entry.get("method", "?")
        if service == "sqs" and operation.startswith("Send"):
            body = entry.get("body") or "{}"
            if entry.get("body_encoded"):
                body = base64.b64decode(body)
            request = json.loads(body)
            queue = request.get("QueueUrl", "")
            operation += f" {queue.rsplit('/', 1)[-1]}"
            bodies = [json.loads(e["MessageBody"]) for e in request.get("Entries", [])]
            batches.append((len(bodies), sum(len(b) if isinstance(b, list) else 1 for b in bodies)))
        calls[f"{service}:{operation}"] += 1
    return calls, batches


def organisation(members: int = 2000) -> dict[str, Any]:
    """Everything measured on one organisation of `members`, in one stack."""
    figures: dict[str, Any] = {"members": members}
    with running(demo=False) as local:
        assert local.upload("roster", "bench.csv", _roster(members))["ok"]
        assert local.upload("calendar", "bench.csv", _calendar(("t1", THEME_DAY)))["ok"]
        local.request("DELETE", "/_local/mail")
        figures["send"] = whole_path(local, "Rituel t1")

        # An idle tick: the scheduler's five minutes with nothing due
        idle = [local.move(advance="PT5M") for _ in range(15)]
        figures["idle_tick_ms"] = statistics.median(idle) * 1000

        # Answers to the theme, with 8 weeks of history behind them
        links = _answer_links(local, "Rituel t1", samples=40)
        started = time.perf_counter()
        figures["history_items"] = _history(local, members, weeks=8)
        figures["history_seconds"] = time.perf_counter() - started
        figures["answer_ms"] = _answers(local, links)
        figures["peak_mb"] = local.peak_megabytes()
    return figures


def whole_path(local: Local, title: str) -> dict[str, Any]:
    """The clock moved across 09:00 in the three timezones, with moto's request recorder
    on: the prompts delivered, how fast, and every call it took (scheduler, sender, and
    what the send records' stream then caused), by service and operation."""
    before, after = (datetime.fromisoformat(t) for t in ACROSS_09_00)
    local.move(now=ACROSS_09_00[0])
    local.moto_call("/moto-api/recorder/reset-recording")
    local.moto_call("/moto-api/recorder/start-recording")
    seconds = local.move(now=ACROSS_09_00[1])
    local.moto_call("/moto-api/recorder/stop-recording")
    delivered = _prompts(local, title)
    calls, batches = _recorded_calls(local)
    per = max(delivered, 1)
    return {
        "delivered": delivered,
        "seconds": seconds,
        "emails_per_second": delivered / seconds,
        "ticks": (after - before) // TICK,
        "calls": calls,
        "ses_per_prompt": calls["sesv2:SendEmail"] / per,
        "writes_per_prompt": sum(n for c, n in calls.items() if _operation(c) in WRITES) / per,
        "sqs_sends_per_prompt": sum(n for c, n in calls.items() if c.startswith("sqs:Send")) / per,
        "sqs_part_filled": sum(1 for messages, _ in batches if messages < 10),
        "sqs_pairs": sum(jobs - messages for messages, jobs in batches),
        "unexplained": sorted(c for c in calls if why(c) is None),
    }


def _query_action(entry: dict[str, Any]) -> str:
    """The Action of a query-protocol request (SES v1's), from its form body."""
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    if "Action=" not in body:
        return ""
    return str(urllib.parse.parse_qs(body).get("Action", [""])[0])


def why(call: str) -> str | None:
    """Why a recorded call is made (None: nobody knows, the bench says so)."""
    return WHY.get(call.split(" ")[0])


def _operation(call: str) -> str:
    return call.split(" ")[0].partition(":")[2] or "?"


def _history(local: Local, members: int, weeks: int) -> int:
    """`weeks` weeks of themes before these, each sent to everyone and answered by half of
    them: the items the handlers' own stores write (made in memory, then put through
    moto's endpoint in batches, as an outside client would), their stream records settled
    by the stack. Returns how many items were written."""
    import boto3

    memory = FakeTable()
    sends, answers = SendRecords(memory), AnswerStore(memory)
    first = datetime.fromisoformat("2026-10-06T09:00:00+01:00")
    themes = [
        Theme(
            id=f"history-{week}",
            send_on=(first + timedelta(weeks=week)).date(),
            title=f"Rituel {week}",
            prompt="Quel rituel ?",
            audience=Audience(everyone=True),
        )
        for week in range(weeks)
    ]
    ThemeStore(memory).save(themes)
    for n in range(members):
        member = _member(n)
        for week, theme in enumerate(themes):
            sent = first + timedelta(weeks=week)
            sends.prompt_sent(
                theme.id,
                member,
                now=sent,
                deadline=sent + timedelta(days=7),
                message_id=f"<{theme.id}.{n}@bench>",
                ses_message_id=f"ses-{theme.id}-{n}",
            )
            if n % 2:
                slot = answers.slot(theme.id, member.id)
                assert slot.prompt is not None
                answers.write(
                    theme,
                    slot.prompt,
                    NewText("Un tour de table le lundi.", Visibility.CIRCLE, 15),
                    expected_version=None,
                    week=iso_week(sent.date()),
                    now=sent + timedelta(hours=2),
                )
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    dynamodb = session.client(
        "dynamodb", endpoint_url=local.moto, config=Config(max_pool_connections=WRITERS)
    )
    # the data's table (the sender's pace has its own)
    [name] = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-PalabreTable")]
    table = DynamoTable(dynamodb, name)
    items = list(memory.items.values())
    # A few writers side by side: this process serialises while the stack stores.
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        written = sum(pool.map(table.put_many, [items[n::WRITERS] for n in range(WRITERS)]))
    local.request("POST", "/_local/drain")
    return written


def _member(n: int) -> Member:
    return Member(
        email=f"m{n:06d}@bench.palabre.example",
        first_name=f"Prénom{n}",
        circle=f"Cercle {n // 10:05d}",
        team=f"Équipe {n % 4}",
        locale="fr",
        timezone=ZONES[n % len(ZONES)],
    )


def _answer_links(local: Local, title: str, samples: int) -> list[str]:
    """Answer paths from the prompts in the mailbox, spread over the organisation."""
    prompts = [m for m in local.request("GET", "/_local/mail") if m["subject"].startswith(title)]
    step = max(1, len(prompts) // samples)
    return [
        match.group(1)
        for mail in prompts[::step]
        if (match := re.search(r"https?://[^/\s]+(/answer/[^\s\"'<>]+)", mail["text"]))
    ]


class _Unfollowed(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None  # the redirect is the answer: urlopen raises it as an HTTPError


def _answers(local: Local, links: list[str]) -> float:
    """Median milliseconds of a first answer's POST, as a manager's browser sends it (the
    POST alone: its redirect to the thank-you page is not followed)."""
    samples = []
    opener = urllib.request.build_opener(_Unfollowed)
    for path in links:
        body = urllib.parse.urlencode(
            {"answer": "Un tour de table le lundi.", "visibility": "circle"}
        )
        request = urllib.request.Request(
            local.url + path,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        started = time.perf_counter()
        try:
            opener.open(request, timeout=600).close()
            status = 200
        except urllib.error.HTTPError as answered:
            status = answered.code
        samples.append(time.perf_counter() - started)
        if status != 303:
            raise RuntimeError(f"an answer POST answered {status}, not a 303 to its thanks")
    return statistics.median(samples) * 1000


def demo_weeks(weeks: int = 8) -> dict[str, Any]:
    """The demo organisation, time travel one week at a time: seconds per week."""
    with running(demo=True) as local:
        seconds = [local.move(advance="P7D") for _ in range(weeks)]
        sent = len(local.request("GET", "/_local/mail"))
        return {
            "weeks": seconds,
            "total": sum(seconds),
            "last_week_ratio": seconds[-1] / seconds[0],
            "emails": sent,
            "peak_mb": local.peak_megabytes(),
        }
