"""Dispatch figures: one personalised email's build time; AWS calls per delivered prompt;
the scheduler queueing 100,000 recipients of one theme."""

import gc
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory
from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.local_time import send_instant
from palabre.core.models import Audience, Member, Theme
from palabre.core.tokens import Signer
from palabre.mail.personal import Letterhead
from palabre.queue import JobQueue
from palabre.sending.prompt_mail import compose
from palabre.store.members import directory_items, member_item
from palabre.store.themes import theme_item

if TYPE_CHECKING:
    from types_boto3_sqs.type_defs import (
        ResponseMetadataTypeDef,
        SendMessageBatchRequestEntryTypeDef,
        SendMessageBatchResultTypeDef,
    )

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
ZONES = ["Europe/Paris"] * 6 + ["Europe/London", "America/Montreal", "Asia/Tokyo", "Europe/Berlin"]
THEME = Theme(
    id="bench-rituals",
    send_on=date(2026, 12, 1),
    send_at=clock_time(9, 0),
    title="Nos rituels d'équipe",
    prompt="Quel **rituel d'équipe** vous aide à garder le lien ?\n\n- Quand ?\n- Comment ?",
    audience=Audience(everyone=True),
)


def _members(count: int) -> list[Member]:
    return [
        Member(
            email=f"manager{n:06d}@bench.palabre.example",
            first_name=f"Prénom{n}",
            last_name=f"Nom{n}",
            circle=f"Cercle {n // 10:05d}",
            team=f"Équipe {n % 40:02d}",
            locale="fr" if n % 3 else "en",
            timezone=ZONES[n % len(ZONES)],
        )
        for n in range(count)
    ]


def email_build_seconds(runs: int = 400) -> float:
    """Render (Jinja2, CSS already inlined in the template) + sign the links + MIME bytes."""
    links = Links("https://palabre.example.com", Signer(["k" * 64]))
    sender = Letterhead("Bench", "palabre@example.com", TEMPLATES)
    members = _members(runs)
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    compose(JobKind.PROMPT, THEME, members[0], links, sender, now)  # warm caches
    samples = []
    for member in members:
        started = time.perf_counter()
        compose(JobKind.PROMPT, THEME, member, links, sender, now)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


_OK: "ResponseMetadataTypeDef" = {
    "RequestId": "bench",
    "HTTPStatusCode": 200,
    "HTTPHeaders": {},
    "RetryAttempts": 0,
}


class CountingSqs:
    """SendMessageBatch that only counts: the bench measures the scheduler's own work."""

    def __init__(self) -> None:
        self.calls = 0
        self.messages = 0

    def send_message_batch(
        self, *, QueueUrl: str, Entries: Sequence["SendMessageBatchRequestEntryTypeDef"]
    ) -> "SendMessageBatchResultTypeDef":
        self.calls += 1
        self.messages += len(Entries)
        return {
            "Successful": [
                {"Id": e["Id"], "MessageId": e["Id"], "MD5OfMessageBody": ""} for e in Entries
            ],
            "Failed": [],
            "ResponseMetadata": _OK,
        }


def scheduler_queue(recipients: int = 100_000) -> dict[str, float]:
    from palabre.dispatch.dispatcher import Dispatcher
    from palabre.store.dispatch import DispatchStore
    from tests.fakes import FakeTable

    members = _members(recipients)
    directory = Directory.of(members)
    items = [member_item(m) for m in members]
    items.extend(directory_items(directory, "bench"))
    items.append(theme_item(THEME))
    table = FakeTable(items)
    sqs = CountingSqs()
    DispatchStore(table).open(THEME.id, datetime(2026, 11, 30, tzinfo=UTC))
    dispatcher = Dispatcher(table, JobQueue(sqs, "bench-queue"))
    # The latest morning of the audience (Montreal): every group is due at once.
    now = max(send_instant(THEME, ZoneInfo(z)) for z in set(ZONES))
    # A Lambda runs the scheduler in its own process: the heap earlier measurements left
    # (moto's tables) must not make the collector's passes slower here.
    gc.collect()
    gc.freeze()
    try:
        started = time.perf_counter()
        report = dispatcher.tick(now)
        elapsed = time.perf_counter() - started
    finally:
        gc.unfreeze()
    if report.queued.get("prompt") != recipients:
        raise RuntimeError(f"queued {report.queued} of {recipients}")
    return {"seconds": elapsed, "sqs_calls": sqs.calls, "recipients": recipients}


def calls_per_prompt(recipients: int = 1000) -> dict[str, Any]:
    """The whole pipeline against in-process moto: every call our code makes, by service."""
    import palabre.aws
    from bench.roster_import import in_process_moto
    from palabre_cli.local import make_stack
    from sam_moto.clock import LocalClock

    members = _members(recipients)
    roster = "email;first_name;circle;team;locale;timezone\n" + "\n".join(
        f"{m.email};{m.first_name};{m.circle};{m.team};{m.locale};{m.timezone}" for m in members
    )
    calendar = (
        "id;send_on;send_at;title;prompt;audience;reminder_days\n"
        f"{THEME.id};{THEME.send_on.isoformat()};09:00;{THEME.title};Comment ?;all;0\n"
    )
    with in_process_moto():
        palabre.aws.reset()
        stack = make_stack(
            endpoint=None,
            clock=LocalClock(datetime(2026, 11, 30, 7, tzinfo=UTC)),
            log_level="ERROR",
        )
        stack.upload("roster", "bench.csv", roster.encode())
        stack.upload("calendar", "bench.csv", calendar.encode())
        stack.clear_mail()
        calls: Counter[str] = Counter()
        # The delivery path only: the scheduler and the sender (the score stream, which
        # counts participation afterwards, is the scores' bench).
        delivery = ("SchedulePromptsFunction", "SendEmailFunction")

        def count(model: Any, service: str, **_: Any) -> None:
            if stack.runtime.current in delivery:
                calls.update([f"{service}:{model.name}"])

        for service in ("dynamodb", "sqs", "sesv2"):
            palabre.aws.client(service).meta.events.register(
                f"before-call.{service}.*",
                lambda model, service=service, **kwargs: count(model, service, **kwargs),
            )
        stack.advance_to(datetime(2026, 12, 2, 8, tzinfo=UTC))
        delivered = len(stack.raw_mail())
        palabre.aws.reset()
    writes = sum(
        n
        for name, n in calls.items()
        if name.split(":")[1]
        in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
    )
    return {
        "delivered": delivered,
        "ses": calls["sesv2:SendEmail"] / delivered,
        "dynamodb_writes": writes / delivered,
        # one send record per prompt; the rest is the scheduler's leases and cursors
        "bookkeeping_writes": writes - delivered,
        "sqs": sum(n for name, n in calls.items() if name.startswith("sqs:")) / delivered,
        "calls": dict(calls),
    }
