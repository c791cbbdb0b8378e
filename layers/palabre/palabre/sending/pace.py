"""Sending at SES's rate: one pace shared by every invocation of the sender.

SES refuses what goes faster than the account's maximum send rate. A cap on the sender's
concurrency only guesses at that rate; the pace reads it from SES (`GetSendQuota`, at most
every five minutes per container) and hands out instants to send at, one email apart, from
one item of the table: `next_us`, when the next email may go (the "theoretical arrival
time" of the generic cell rate algorithm). Taking an instant is one conditional
UpdateItem, with no read before it:

- busy (the item's instant is ahead of now): `next_us += interval` if it is no further
  ahead than the sender may wait; the instant taken is the one before, and the sender
  sleeps until it;
- idle (the instant has passed, or no item yet): `next_us = now + interval`, and the email
  goes at once.

An invocation that knows how many emails it has (`expect`) takes the instants of up to
`LOT` of them in that one update (`next_us += k * interval`) and sends at each in turn:
one write for a batch's emails, not one each. A container remembers the last instant it saw,
to try the right one first. An instant
further ahead than the invocation may wait raises Postponed: the job goes back to the
queue with a delay (sending/batch.py), never counted as a failure.

Why not a token bucket refilled by a clock: its refill needs the time of the last refill
and a read-modify-write; here the one number is both the bucket and its clock.
"""

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from palabre.store import keys
from palabre.store.table import ConditionFailed, Table

MARGIN = 0.9
"""of SES's rate: room for the latency between an instant and SES receiving the email"""
HORIZON = 10.0
"""seconds ahead an invocation may reserve an instant; further, the job is postponed"""
RATE_TTL = 300.0
"""seconds a container keeps SES's rate before asking again"""
THROTTLE_PAUSE = 1.0
"""seconds every sender waits after SES refused one email for its rate"""
MAX_DELAY = 900
"""SQS's longest DelaySeconds"""
LOT = 20
"""instants one update takes at most (a batch of ten messages, two jobs each)"""


class Postponed(Exception):
    """The email may not go within this invocation: its job comes back after `delay`
    seconds (a new message; see sending/batch.py)."""

    def __init__(self, delay: float, why: str) -> None:
        super().__init__(f"{why}: back in {delay:.0f} s")
        self.delay = max(1, min(MAX_DELAY, math.ceil(delay)))
        self.why = why


class QuotaReader(Protocol):
    """SES (v1) `GetSendQuota`: the one figure sesv2 has no moto for (GetAccount)."""

    def get_send_quota(self) -> Mapping[str, Any]: ...


class SendRate:
    """This stack's part of the account's maximum send rate, emails per second."""

    def __init__(
        self,
        ses: QuotaReader,
        share: float = 1.0,
        *,
        ttl: float = RATE_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ses = ses
        self.share = share
        self.ttl = ttl
        self.monotonic = monotonic
        self._rate = 0.0
        self._read_at = -math.inf

    def per_second(self) -> float:
        if self.monotonic() - self._read_at >= self.ttl:
            quota = self.ses.get_send_quota()
            self._rate = float(quota["MaxSendRate"]) * self.share * MARGIN
            self._read_at = self.monotonic()
        return self._rate


class Pace:
    """Instants to send at, at most `rate` a second across every invocation."""

    def __init__(
        self,
        table: Table,
        rate: SendRate,
        *,
        now: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.table = table
        self.rate = rate
        self.now = now
        """seconds since the epoch, on the clock every sender reads"""
        self.sleep = sleep
        self.budget: Callable[[], float] = lambda: HORIZON
        """how long this invocation may still wait for an instant (its handler sets it)"""
        self._seen = 0
        """the last `next_us` this container saw: busy or idle, which to try first"""
        self._expected = 0
        """emails this invocation still means to send (expect)"""
        self._slots: list[int] = []
        """instants taken and not yet used, soonest first"""

    def expect(self, emails: int) -> None:
        """This invocation has up to `emails` to send: instants are taken for several at
        once. Instants an earlier invocation left unused are let go (a short gap)."""
        self._expected = max(0, emails)
        self._slots.clear()

    def wait(self) -> None:
        """Returns when the next email may go; raises Postponed if that is further ahead
        than this invocation may wait."""
        now = _us(self.now())
        if not self._slots:
            interval = max(1, round(1_000_000 / self.rate.per_second()))
            ahead = _us(max(0.0, min(HORIZON, self.budget())))
            lot = min(LOT, max(1, self._expected))
            self._slots = self._reserve(now, interval, ahead, lot)
        slot = self._slots.pop(0)
        self._expected = max(0, self._expected - 1)
        if slot > now:
            self.sleep((slot - now) / 1_000_000)

    def throttled(self) -> None:
        """SES refused an email for its rate even so (another stack on the account, a
        lowered rate): every sender of this stack waits a moment."""
        later = _us(self.now() + THROTTLE_PAUSE)
        try:
            self.table.update(
                keys.PACE,
                "SET next_us = :later",
                {":later": later},
                condition="attribute_not_exists(next_us) OR next_us < :later",
            )
        except ConditionFailed:
            return  # already further ahead
        finally:
            self._slots.clear()  # taken before SES said so: too close together
        self._seen = later

    def _reserve(self, now: int, interval: int, ahead: int, lot: int) -> list[int]:
        """`lot` instants one interval apart, the first as soon as the pace allows (one
        fewer each time the pace is too far ahead for the last of them to fit)."""
        busy = self._seen > now
        for _ in range(4):
            if busy:
                span = (lot - 1) * interval
                try:
                    taken = self.table.update(
                        keys.PACE,
                        "SET next_us = next_us + :i",
                        {":i": lot * interval, ":now": now, ":limit": now + ahead - span},
                        condition="next_us > :now AND next_us <= :limit",
                        returns="UPDATED_NEW",
                    )
                except ConditionFailed as failed:
                    found = int((failed.item or {}).get("next_us", 0))
                    if found > now + ahead - span and lot > 1 and found <= now + ahead:
                        lot = 1  # the pace leaves room for one more, not for all
                        continue
                    if found > now:  # further ahead than this invocation may wait
                        self._seen = found
                        raise Postponed((found - now) / 1_000_000, "sending pace") from None
                    busy = False
                    continue
                self._seen = int(taken["next_us"])
                first = self._seen - lot * interval
                return [first + n * interval for n in range(lot)]
            try:
                self.table.update(
                    keys.PACE,
                    "SET next_us = :next",
                    {":next": now + lot * interval, ":now": now},
                    condition="attribute_not_exists(next_us) OR next_us <= :now",
                )
            except ConditionFailed:
                busy = True
                continue
            self._seen = now + lot * interval
            return [now + n * interval for n in range(lot)]
        # Four writes lost to others in a row: the pace is contended, come back shortly.
        raise Postponed(1, "sending pace contended")


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)
