"""Sending at SES's rate: 10,000 jobs through the sender's own code (SendBatch, the
Outbox, the Pace over a table) on a virtual clock, against an SES that refuses what goes
faster than its rate and a queue that parks a message received five times.

The workers are threads, but only one runs at a time and time moves only when each one
waits (VirtualTime): several invocations interleave at every wait (SES's latency, the
pace), deterministically, and a day of sending takes a second or two."""

import heapq
import itertools
import random
import threading
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from palabre.core.deliverability import Figures
from palabre.core.jobs import (
    Delivery,
    JobKind,
    JobMessage,
    Outcome,
    ThemeJob,
    jobs_in,
    message_body,
)
from palabre.mail.mime import build_message
from palabre.mail.outbox import Outbox
from palabre.sending.batch import THROTTLES, PauseCheck, SendBatch
from palabre.sending.pace import Pace, SendRate
from palabre.sending.sender import JobSender
from palabre.store.sending import SendingHealth
from palabre.store.table import ConditionFailed, Table
from tests.doubles import SendQuota, aws_error
from tests.fakes import FakeQueue, FakeTable

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC).timestamp()
RATE = 14  # SES's default maximum send rate
INVOCATION_SECONDS = 30  # the sender's timeout (Globals)
SPARE = 5  # what the handler keeps after its last wait (send_email/app.py)


class VirtualTime:
    """Workers that take turns: the one whose wait ends first runs until it waits again
    (or ends), and the clock stands at the end of that wait meanwhile."""

    def __init__(self, start: float) -> None:
        self.now = start
        self._waits: list[tuple[float, int, int]] = []
        self._order = itertools.count()
        self._turns: list[threading.Event] = []
        self._local = threading.local()
        self._lock = threading.Lock()
        self._over = threading.Event()

    def sleep(self, seconds: float) -> None:
        me = self._local.worker
        with self._lock:
            heapq.heappush(self._waits, (self.now + max(0.0, seconds), next(self._order), me))
            following = self._next()
        if following != me:
            self._turns[following].set()
            self._turns[me].wait()
            self._turns[me].clear()

    def run(self, workers: Sequence[Callable[[], None]]) -> None:
        self._turns = [threading.Event() for _ in workers]
        for index in range(len(workers)):
            heapq.heappush(self._waits, (self.now, next(self._order), index))
        threads = [
            threading.Thread(target=self._worker, args=(i, w), daemon=True)
            for i, w in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        with self._lock:
            first = self._next()
        self._turns[first].set()
        assert self._over.wait(timeout=60), "the workers never finished"
        for thread in threads:
            thread.join()

    def _worker(self, index: int, work: Callable[[], None]) -> None:
        self._local.worker = index
        self._turns[index].wait()
        self._turns[index].clear()
        try:
            work()
        finally:
            with self._lock:
                following = self._next() if self._waits else None
            if following is None:
                self._over.set()
            else:
                self._turns[following].set()

    def _next(self) -> int:
        at, _, worker = heapq.heappop(self._waits)
        self.now = max(self.now, at)
        return worker


class RateLimitedSes:
    """SES refusing an email when `rate` were accepted in the second before it (what it
    answers: TooManyRequestsException, "Maximum sending rate exceeded."), after a network
    latency of 20 to 60 ms."""

    def __init__(self, time: VirtualTime, rate: int, rng: random.Random) -> None:
        self.time = time
        self.rate = rate
        self.rng = rng
        self.accepted: list[tuple[float, str]] = []
        self.refused = 0
        self._last_second: deque[float] = deque()

    def send_email(self, **request: Any) -> dict[str, str]:
        self.time.sleep(self.rng.uniform(0.02, 0.06))
        now = self.time.now
        while self._last_second and self._last_second[0] <= now - 1:
            self._last_second.popleft()
        if len(self._last_second) >= self.rate:
            self.refused += 1
            raise aws_error("TooManyRequestsException", "Maximum sending rate exceeded.")
        self._last_second.append(now)
        [recipient] = request["Destination"]["ToAddresses"]
        self.accepted.append((now, recipient))
        return {"MessageId": f"ses-{len(self.accepted)}"}


class RecordedPrompts:
    """The prompt journey's promise, without its templates: a send record read strongly
    consistent before sending and written with a condition after SES accepted, so that a
    job delivered twice sends once (sending/prompts.py does the same, with the email)."""

    def __init__(self, table: Table, outbox: Outbox) -> None:
        self.table = table
        self.outbox = outbox

    def deliver(self, job: ThemeJob, now: datetime) -> Delivery:
        key = {"PK": f"THEME#{job.theme}", "SK": f"PROMPT#{job.member}"}
        if self.table.get(key, consistent=True) is not None:
            return Delivery(Outcome.ALREADY_SENT)
        address = f"{job.member}@example.com"
        mail = build_message(
            sender=("Palabre", "palabre@example.com"),
            to=[address],
            subject=job.theme,
            text="t",
            html="<p>t</p>",
            date=now,
            message_id=f"<prompt.{job.theme}.{job.member}@example.com>",
        )
        ses_id = self.outbox.send(mail)
        try:
            self.table.put({**key, "ses": ses_id}, condition="attribute_not_exists(PK)")
        except ConditionFailed:
            return Delivery(Outcome.ALREADY_SENT)
        return Delivery(Outcome.SENT)


@dataclass
class Stack:
    """One deployment: its queue and its table, which holds its pace; `share` of SES's
    rate (its SendRateShare)."""

    name: str
    time: VirtualTime
    ses: RateLimitedSes
    share: float
    seed: int
    table: FakeTable = field(default_factory=FakeTable)
    queue: FakeQueue = field(init=False)
    failures: list[str] = field(default_factory=list)
    batches: list[SendBatch] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.queue = FakeQueue(lambda: self.time.now)

    def poller(self, number: int) -> Callable[[], None]:
        """One of Lambda's pollers of the send queue, with its container (its own Pace
        object, reading the table's): a batch of ten, an invocation each, the records
        that succeeded deleted, the others left to come back."""
        time = self.time
        pace = Pace(
            self.table,
            SendRate(SendQuota(RATE), self.share),
            now=lambda: time.now,
            sleep=time.sleep,
        )
        outbox = Outbox(self.ses, "palabre", pace)  # type: ignore[arg-type]
        batch = SendBatch(
            JobSender(RecordedPrompts(self.table, outbox)),
            self.queue,
            f"https://sqs/{self.name}",
            pace=pace,
            pause=PauseCheck(SendingHealth(self.table), lambda: time.now),
            health=SendingHealth(self.table),
            jitter=random.Random(f"{self.seed}-{number}").random,
        )
        self.batches.append(batch)
        deadline = {"at": time.now}
        pace.budget = lambda: deadline["at"] - SPARE - time.now

        def poll() -> None:
            while not self.queue.empty:
                records = self.queue.receive(10)
                if not records:
                    time.sleep(1.0)  # long polling, then again
                    continue
                deadline["at"] = time.now + INVOCATION_SECONDS
                pace.expect(sum(jobs_in(r["body"]) for r in records))
                for record in records:
                    attribute = record["messageAttributes"].get(THROTTLES)
                    throttles = int(attribute["stringValue"]) if attribute else 0
                    jobs = JobMessage.model_validate_json(record["body"]).jobs
                    try:
                        batch.deliver(
                            jobs, lambda: datetime.fromtimestamp(time.now, UTC), throttles
                        )
                    except Exception as error:  # noqa: BLE001 - as Powertools reports a record
                        self.failures.append(repr(error))
                        continue
                    self.queue.delete(record["receiptHandle"])
                batch.count(datetime.fromtimestamp(time.now, UTC))

        return poll

    def queue_jobs(self, count: int) -> None:
        """The 09:00 burst, two jobs a message (as the last messages of a call carry them)."""
        jobs = [
            ThemeJob(job=JobKind.PROMPT, theme="t1", member=f"{self.name}-{n}")
            for n in range(count)
        ]
        for start in range(0, count, 2):
            self.queue.send_message(QueueUrl="q", MessageBody=message_body(jobs[start : start + 2]))


def busiest_second(moments: Sequence[float]) -> int:
    """The most sends in any second, (t - 1, t]."""
    ordered = sorted(moments)
    busiest, first = 0, 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - 1:
            first += 1
        busiest = max(busiest, last - first + 1)
    return busiest


def test_ten_thousand_jobs_go_at_the_account_rate_none_parked_none_twice() -> None:
    # Given 10,000 jobs queued at once and five concurrent invocations sharing one pace,
    # against an SES that refuses what goes faster than 14 a second
    time = VirtualTime(START)
    ses = RateLimitedSes(time, RATE, random.Random(1))
    stack = Stack("org", time, ses, share=1.0, seed=2)
    stack.queue_jobs(10_000)

    # When they are sent
    time.run([stack.poller(n) for n in range(5)])

    # Then every job was sent once, none parked, none failed, and the pace alone kept the
    # rate: SES never had to refuse one
    sent = Counter(recipient for _, recipient in ses.accepted)
    assert len(sent) == 10_000
    assert set(sent.values()) == {1}
    assert stack.queue.parked == []
    assert stack.failures == []
    assert ses.refused == 0
    assert busiest_second([at for at, _ in ses.accepted]) <= RATE
    # ... at nearly the rate allowed (90 % of SES's, for the latency): about 13 minutes
    duration = ses.accepted[-1][0] - START
    assert 10_000 / RATE < duration < 10_000 / (0.85 * RATE)


@pytest.mark.parametrize("share", [1.0, 0.5], ids=["each-takes-all", "each-takes-half"])
def test_two_stacks_on_one_account_park_nothing_and_send_nothing_twice(share: float) -> None:
    # Given two stacks of one account sending 1,000 emails each at the same time: each
    # configured for the whole rate (SendRateShare 100, as by default), or for half
    time = VirtualTime(START)
    ses = RateLimitedSes(time, RATE, random.Random(3))
    stacks = [Stack(name, time, ses, share, seed) for seed, name in enumerate(("a", "b"))]
    for stack in stacks:
        stack.queue_jobs(1_000)

    time.run([stack.poller(n) for stack in stacks for n in range(5)])

    # Then SES refused emails only where both took the whole rate; either way every job
    # was sent once, none parked, none failed: a throttled job came back as a new message
    sent = Counter(recipient for _, recipient in ses.accepted)
    assert len(sent) == 2_000
    assert set(sent.values()) == {1}
    for stack in stacks:
        assert stack.queue.parked == []
        assert stack.failures == []
    assert busiest_second([at for at, _ in ses.accepted]) <= RATE
    if share == 1.0:
        assert ses.refused > 0
    else:
        assert ses.refused == 0


def test_paused_sends_wait_in_the_queue_and_go_once_resumed_none_parked() -> None:
    # Given new sends paused by the deliverability guard, and 200 jobs queued
    time = VirtualTime(START)
    ses = RateLimitedSes(time, RATE, random.Random(4))
    stack = Stack("org", time, ses, share=1.0, seed=5)
    health = SendingHealth(stack.table)
    now = datetime.fromtimestamp(START, UTC)
    assert health.pause(now, "bounces", Figures(sends=1000, bounces=50))
    stack.queue_jobs(200)
    resumed_at: list[float] = []

    def admin() -> None:
        time.sleep(3 * 3600)  # three hours later, an admin resumes
        assert health.resume(datetime.fromtimestamp(time.now, UTC), "admin@example.com")
        resumed_at.append(time.now)

    # When the pollers run meanwhile
    time.run([admin, *(stack.poller(n) for n in range(5))])

    # Then nothing went out while paused, nothing was parked though each job came back a
    # dozen times (more than the five receives that park a retried message), and once
    # resumed every job went out once, within the held jobs' 15-minute wait
    [resumed] = resumed_at
    assert min(at for at, _ in ses.accepted) >= resumed
    assert max(at for at, _ in ses.accepted) < resumed + 15 * 60 + 60
    assert set(Counter(r for _, r in ses.accepted).values()) == {1}
    assert len(ses.accepted) == 200
    assert stack.queue.parked == []
    assert stack.failures == []
    assert stack.queue.sent > 100 * 12  # 100 messages, each sent again every 15 minutes
    # ... and the sends were counted for the guard, once a minute per container: those of
    # each container's last minute wait for its next count
    counted = health.last_day(datetime.fromtimestamp(time.now, UTC)).sends
    uncounted = sum(batch.tally.pending for batch in stack.batches)
    assert counted + uncounted == 200
    assert uncounted < counted
