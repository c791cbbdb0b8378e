"""The scheduler's outbox: ten jobs a call across pages, each page's bookkeeping done only
once its jobs are all queued."""

import json
from collections.abc import Sequence
from typing import Any

import pytest

from palabre.core.jobs import JobKind, ThemeJob
from palabre.queue import JobQueue, Outbox


class Sqs:
    def __init__(self, refuse_call: int | None = None) -> None:
        self.calls: list[list[str]] = []
        self.refuse_call = refuse_call

    def send_message_batch(self, *, QueueUrl: str, Entries: Sequence[Any]) -> Any:
        if len(self.calls) + 1 == self.refuse_call:
            raise RuntimeError("SQS unavailable")
        self.calls.append([e["MessageBody"] for e in Entries])
        return {"Successful": [], "Failed": []}


def jobs(page: str, n: int) -> list[ThemeJob]:
    return [ThemeJob(job=JobKind.PROMPT, theme="t", member=f"{page}{i}") for i in range(n)]


def carried(call: list[str]) -> list[str]:
    """The members whose jobs a call carried, in order (a message carries one or two)."""
    found = []
    for body in call:
        value = json.loads(body)
        found.extend(job["member"] for job in (value if isinstance(value, list) else [value]))
    return found


def test_pages_share_calls_and_each_is_recorded_once_wholly_queued() -> None:
    sqs, done = Sqs(), []
    outbox = Outbox(JobQueue(sqs, "q"))

    outbox.put(jobs("a", 4), then=lambda: done.append("a"))
    assert (sqs.calls, done) == ([], [])  # four jobs wait for company
    outbox.put(jobs("b", 9), then=lambda: done.append("b"))
    # thirteen: three would part-fill a call, and the ten before may carry them at the end
    assert (sqs.calls, done) == ([], [])
    outbox.after(lambda: done.append("theme"))
    outbox.put(jobs("c", 7), then=lambda: done.append("c"))
    assert [len(c) for c in sqs.calls] == [10, 10]  # twenty: two full calls
    assert done == ["a", "b", "theme", "c"]
    outbox.after(lambda: done.append("end"))
    assert done[-1] == "end"  # nothing waits: at once
    outbox.flush()
    assert [len(c) for c in sqs.calls] == [10, 10]  # nothing left to send


def test_the_last_few_jobs_ride_two_to_a_message_in_the_last_call() -> None:
    sqs, done = Sqs(), []
    outbox = Outbox(JobQueue(sqs, "q"))
    outbox.put(jobs("a", 23), then=lambda: done.append("a"))
    assert [len(c) for c in sqs.calls] == [10]  # thirteen held: a call's worth and three
    assert done == []
    outbox.flush()
    # 23 jobs in two calls (not three): the last call's ten messages, three with two jobs
    assert [len(c) for c in sqs.calls] == [10, 10]
    assert [len(json.loads(b)) if b.startswith("[") else 1 for b in sqs.calls[1]] == [1] * 7 + [
        2
    ] * 3
    assert [m for c in sqs.calls for m in carried(c)] == [f"a{i}" for i in range(23)]
    assert done == ["a"]


@pytest.mark.parametrize("count", [1, 9, 10, 11, 19, 20, 21, 29, 99, 101, 667])
def test_every_job_is_sent_once_in_order_in_a_call_per_ten(count: int) -> None:
    sqs = Sqs()
    assert JobQueue(sqs, "q").send(jobs("m", count)) == count
    assert [m for c in sqs.calls for m in carried(c)] == [f"m{i}" for i in range(count)]
    assert len(sqs.calls) == max(1, count // 10)
    assert all(len(c) <= 10 for c in sqs.calls)


def test_flush_sends_the_rest_then_records_it() -> None:
    sqs, done = Sqs(), []
    outbox = Outbox(JobQueue(sqs, "q"))
    outbox.put(jobs("a", 3), then=lambda: done.append("a"))
    outbox.put([], then=lambda: done.append("empty page"))
    outbox.after(lambda: done.append("theme"))
    assert done == []
    outbox.flush()
    assert [len(c) for c in sqs.calls] == [3]
    assert done == ["a", "empty page", "theme"]


def test_a_refused_call_records_nothing_it_carried() -> None:
    sqs, done = Sqs(refuse_call=2), []
    outbox = Outbox(JobQueue(sqs, "q"))
    outbox.put(jobs("a", 12), then=lambda: done.append("a"))
    outbox.put(jobs("b", 13), then=lambda: done.append("b"))
    assert [len(c) for c in sqs.calls] == [10]  # a's first ten
    with pytest.raises(RuntimeError):
        outbox.flush()
    assert done == []  # a's last two were in the refused call: its cursor stays put


def patient_outbox() -> tuple[Sqs, list[str], list[float], Outbox]:
    """An outbox with a minute's patience, on a clock the test moves (now[0])."""
    sqs, now = Sqs(), [0.0]
    return sqs, [], now, Outbox(JobQueue(sqs, "q"), patience=60, clock=lambda: now[0])


def test_held_jobs_go_out_before_a_held_cursor_save_could_let_its_lease_lapse() -> None:
    sqs, done, now, outbox = patient_outbox()
    outbox.put(jobs("a", 3), then=lambda: done.append("a"))
    now[0] = 59.0
    outbox.put(jobs("b", 3), then=lambda: done.append("b"))
    assert (sqs.calls, done) == ([], [])  # still within patience: held together
    now[0] = 61.0
    outbox.put(jobs("c", 3), then=lambda: done.append("c"))
    # a's save waited a minute: the six held jobs went out, a and b were saved
    assert [len(c) for c in sqs.calls] == [6]
    assert done == ["a", "b"]
    outbox.flush()
    assert done == ["a", "b", "c"]


def test_patience_counts_from_the_oldest_action_still_waiting() -> None:
    sqs, done, now, outbox = patient_outbox()
    outbox.put(jobs("a", 5), then=lambda: done.append("a"))
    now[0] = 50.0
    outbox.put(jobs("b", 20), then=lambda: done.append("b"))
    # twenty-five: ten went out, a's five among them; b's last fifteen wait, since 50 s
    assert ([len(c) for c in sqs.calls], done) == ([10], ["a"])
    now[0] = 70.0
    outbox.put(jobs("c", 1), then=lambda: done.append("c"))
    # b has waited 20 s (a, gone, waited 70): nothing is flushed early
    assert ([len(c) for c in sqs.calls], done) == ([10], ["a"])
    now[0] = 111.0
    outbox.put(jobs("d", 1), then=lambda: done.append("d"))
    # b has now waited 61 s: everything held went out, in one call of ten messages
    assert [len(c) for c in sqs.calls] == [10, 10]
    assert done == ["a", "b", "c"]
    outbox.flush()
    assert done == ["a", "b", "c", "d"]
