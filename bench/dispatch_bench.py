"""Dispatch figures: one personalised email's build time; AWS calls per delivered prompt;
the scheduler queueing 100,000 recipients of one theme."""

import statistics
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bench.machine import own_process
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
    with own_process():
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
    with own_process():
        started = time.perf_counter()
        report = dispatcher.tick(now)
        elapsed = time.perf_counter() - started
    if report.queued.get("prompt") != recipients:
        raise RuntimeError(f"queued {report.queued} of {recipients}")
    return {"seconds": elapsed, "sqs_calls": sqs.calls, "recipients": recipients}
