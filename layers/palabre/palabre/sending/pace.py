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

A container remembers the last instant it saw, to try the right one first. An instant
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

    def wait(self) -> None:
        """Returns when the next email may go; raises Postponed if that is further ahead
        than this invocation may wait."""
        now = _us(self.now())
        interval = max(1, round(1_000_000 / self.rate.per_second()))
        ahead = _us(max(0.0, min(HORIZON, self.budget())))
        slot = self._reserve(now, interval, ahead)
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
        self._seen = later

    def _reserve(self, now: int, interval: int, ahead: int) -> int:
        busy = self._seen > now
        for _ in range(4):
            if busy:
                try:
                    taken = self.table.update(
                        keys.PACE,
                        "SET next_us = next_us + :i",
                        {":i": interval, ":now": now, ":limit": now + ahead},
                        condition="next_us > :now AND next_us <= :limit",
                        returns="UPDATED_NEW",
                    )
                except ConditionFailed as failed:
                    found = int((failed.item or {}).get("next_us", 0))
                    if found > now:  # further ahead than this invocation may wait
                        self._seen = found
                        raise Postponed((found - now) / 1_000_000, "sending pace") from None
                    busy = False
                    continue
                self._seen = int(taken["next_us"])
                return self._seen - interval
            try:
                self.table.update(
                    keys.PACE,
                    "SET next_us = :next",
                    {":next": now + interval, ":now": now},
                    condition="attribute_not_exists(next_us) OR next_us <= :now",
                )
            except ConditionFailed:
                busy = True
                continue
            self._seen = now + interval
            return now
        # Four writes lost to others in a row: the pace is contended, come back shortly.
        raise Postponed(1, "sending pace contended")


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)
