"""A send-queue message's jobs, delivered; those that may not go now come back later as a
new message, never as the same one.

Why a new message: SQS counts every receive of a message (ApproximateReceiveCount), and
past the queue's maxReceiveCount it parks the message in the dead-letter queue. A message
made invisible (ChangeMessageVisibility) or reported failed (a partial batch failure)
comes back as the same message with one receive more, so five refusals for SES's rate
would park a job that never failed. A job that SES throttled, that the pace cannot fit in
this invocation, or that the deliverability guard holds is therefore sent to the queue
again as a new message (receive count 0) with a delay and jitter, carrying the same jobs
(their send records are the idempotency key), and only then does its message succeed,
which deletes it.

If the invocation dies between the two (a timeout), the original comes back after the
visibility timeout beside its copy: whichever comes second finds the send record and
sends nothing. Both could send only if delivered within the same instant, the crash
window docs/journeys.md describes for any redelivery.
"""

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from palabre.core.deliverability import Figures
from palabre.core.jobs import Delivery, Job, Outcome, message_body
from palabre.mail.outbox import QuotaExhausted, Throttled
from palabre.sending.pace import MAX_DELAY, Pace, Postponed
from palabre.sending.sender import JobSender
from palabre.store.sending import SendingHealth

if TYPE_CHECKING:
    from types_boto3_sqs.type_defs import MessageAttributeValueTypeDef, SendMessageResultTypeDef

THROTTLES = "throttles"
"""message attribute: how many times SES throttled these jobs (the backoff grows with it)"""
PAUSE_CHECK_SECONDS = 60.0
"""how long a container trusts what it read of the pause"""
PAUSED_DELAY = 720
"""seconds a held job waits before it looks again (up to 15 minutes with its jitter)"""


class MessageSender(Protocol):
    """What SendBatch asks of SQS: an SQSClient is one (the tests' fake queue another)."""

    def send_message(
        self,
        *,
        QueueUrl: str,
        MessageBody: str,
        DelaySeconds: int = ...,
        MessageAttributes: dict[str, "MessageAttributeValueTypeDef"] = ...,
    ) -> "SendMessageResultTypeDef": ...


class PauseCheck:
    """Whether new sends are paused, read at most once a minute per container (a pause
    needs no faster reaction: SES reviews an account over days, not seconds)."""

    def __init__(self, health: SendingHealth, monotonic: Callable[[], float]) -> None:
        self.health = health
        self.monotonic = monotonic
        self._paused = False
        self._read_at: float | None = None

    def paused(self) -> bool:
        now = self.monotonic()
        if self._read_at is None or now - self._read_at >= PAUSE_CHECK_SECONDS:
            pause = self.health.last_pause()
            self._paused = pause is not None and pause.active
            self._read_at = now
        return self._paused


@dataclass
class Delivered:
    """What became of one message's jobs."""

    deliveries: list[Delivery] = field(default_factory=list)
    requeued: int = 0
    why: str | None = None
    """why the jobs requeued went back: "throttled", "sending pace", "paused"..."""


COUNT_EVERY = 60.0
"""seconds a container may keep its sends uncounted"""
COUNT_AT = 100
"""sends a container counts at once, whenever they come"""


@dataclass
class SendTally:
    """The sends a container made and has not added to the hour's count yet: counted
    once a minute (or every hundred), not once per invocation — an invocation of ten
    emails would otherwise pay a write for its count beside its pace's. A container that
    ends with some uncounted leaves the guard's rate slightly high (a pause comes
    sooner, never later)."""

    pending: int = 0
    counted_at: float = -math.inf


class SendBatch:
    def __init__(
        self,
        sender: JobSender,
        sqs: MessageSender,
        queue_url: str,
        *,
        pace: Pace | None = None,
        pause: PauseCheck | None = None,
        health: SendingHealth | None = None,
        jitter: Callable[[], float] = random.random,
        tally: SendTally | None = None,
    ) -> None:
        self.sender = sender
        self.sqs = sqs
        self.queue_url = queue_url
        self.pace = pace
        """the pace the sender's outbox waits for (its handler sets how long it may)"""
        self.pause = pause
        self.health = health
        self.sent = 0
        """emails sent since the last count()"""
        self.jitter = jitter
        """uniform in [0, 1): spreads the returns of jobs held back together"""
        self.tally = tally or SendTally()
        """the container's sends not yet counted (kept between invocations)"""

    def deliver(
        self, jobs: Sequence[Job], now: Callable[[], datetime], throttles: int = 0
    ) -> Delivered:
        """Delivers the message's jobs in order. A job that fails raises once its partner
        was tried (the message comes back whole; a job sent is then already sent), as
        does a spent daily quota at once. A job that may not go now goes back to the
        queue with those after it."""
        done = Delivered()
        failed: Exception | None = None
        for index, job in enumerate(jobs):
            try:
                if self.pause is not None and self.pause.paused():
                    raise Postponed(PAUSED_DELAY, "paused")
                delivery = self.sender.deliver(job, now())
                done.deliveries.append(delivery)
                self.sent += delivery.outcome is Outcome.SENT
            except QuotaExhausted:
                raise
            except Postponed as held:
                if failed is None:
                    self._again(jobs[index:], held.delay * (1 + self.jitter() / 4), throttles)
                    done.requeued, done.why = len(jobs) - index, held.why
                break
            except Throttled:
                if failed is None:
                    self._again(jobs[index:], self._backoff(throttles), throttles + 1)
                    done.requeued, done.why = len(jobs) - index, "throttled"
                break
            except Exception as error:  # noqa: BLE001 - its partner is tried all the same
                failed = failed or error
        if failed is not None:
            # The whole message comes back (with a job held back, if any: no copy is made
            # of a message that is retried anyway).
            raise failed
        return done

    def count(self, now: datetime) -> None:
        """Adds the emails sent to the hour's count, the deliverability guard's
        denominator: one update a minute per container (SendTally), not one per email."""
        tally = self.tally
        tally.pending += self.sent
        self.sent = 0
        at = now.timestamp()
        due = tally.pending >= COUNT_AT or at - tally.counted_at >= COUNT_EVERY
        if self.health is not None and tally.pending and due:
            self.health.count(now, Figures(sends=tally.pending))
            tally.pending, tally.counted_at = 0, at

    def _backoff(self, throttles: int) -> float:
        """Full jitter over a ceiling that doubles with each refusal: 2, 4, 8 s... 15 min."""
        ceiling = min(float(MAX_DELAY), 2.0 ** min(throttles + 1, 10))
        return ceiling / 2 + self.jitter() * ceiling / 2

    def _again(self, jobs: Sequence[Job], delay: float, throttles: int) -> None:
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=message_body(jobs),
            DelaySeconds=max(1, min(MAX_DELAY, round(delay))),
            MessageAttributes={THROTTLES: {"DataType": "Number", "StringValue": str(throttles)}},
        )
