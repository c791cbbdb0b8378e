"""What the console says of time: wall-clock instants in words, a typed local time read
on the organisation's clocks (the spring gap refused, the autumn repeat taken once), and
a move's steps and summary, failures included."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sam_moto.moves import BadRequest, Move, local_instant, wall_clock
from sam_moto.runtime import Invocation

PARIS = ZoneInfo("Europe/Paris")
NAMES = {"SchedulePromptsFunction": "themes and reminders due", "SendEmailFunction": "sending"}


def test_an_instant_is_said_on_the_zones_clock_in_english_words() -> None:
    moment = datetime(2026, 12, 1, 8, 5, tzinfo=UTC)
    assert wall_clock(moment, PARIS) == "Tuesday 1 December 2026, 09:05"
    assert wall_clock(datetime(2027, 7, 4, 23, 30, tzinfo=UTC), PARIS) == (
        "Monday 5 July 2027, 01:30"
    )


def test_a_typed_local_time_is_read_on_the_organisations_clock() -> None:
    assert local_instant("2026-12-01T09:05", PARIS) == datetime(2026, 12, 1, 8, 5, tzinfo=UTC)
    # the hour the clocks repeat in October: the first of the two, as people mean it
    assert local_instant("2027-10-31T02:30", PARIS) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("", "Give the date and time to move the clock to."),
        ("  ", "Give the date and time to move the clock to."),
        (
            "1er décembre",
            "“1er décembre” is not a date and time: pick one, e.g. 2026-12-01 at 09:00.",
        ),
        (
            "2027-03-28T02:30",
            "Sunday 28 March 2027, 02:30 does not exist in Europe/Paris: the clocks go "
            "forward that night; pick a time an hour later.",
        ),
    ],
)
def test_a_local_time_that_cannot_be_is_one_sentence(typed: str, sentence: str) -> None:
    with pytest.raises(BadRequest) as refused:
        local_instant(typed, PARIS)
    assert refused.value.sentence == sentence
    assert refused.value.status == 400


def _run(function: str, failed: bool = False) -> Invocation:
    error: dict[str, Any] | None = {"errorType": "X", "errorMessage": "x"} if failed else None
    return Invocation(function=function, at=datetime(2026, 12, 1, tzinfo=UTC), error=error)


def test_a_moves_steps_and_summary_count_emails_and_failures() -> None:
    sent = [2]  # the two import reports, before the move
    told: list[dict[str, Any]] = []
    move = Move(
        zone=PARIS,
        names=NAMES,
        emails_sent=lambda: sent[0],
        function_of={"dispatch": "SchedulePromptsFunction"},
        tell=told.append,
    )
    quiet = [_run("SchedulePromptsFunction")]
    busy = [_run("SchedulePromptsFunction"), _run("SendEmailFunction", failed=True)]

    move.step(datetime(2026, 12, 1, 7, 55, tzinfo=UTC), "dispatch", quiet)
    sent[0] = 18
    move.step(datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "dispatch", busy)
    sent[0] = 19  # what the last drain sent, after the last firing
    summary = move.summary(datetime(2026, 12, 1, 8, 5, tzinfo=UTC), quiet + busy)

    assert [(e["text"], e["notable"]) for e in told] == [
        ("Tuesday 1 December 2026, 08:55 — themes and reminders due: nothing to do", False),
        (
            "Tuesday 1 December 2026, 09:00 — themes and reminders due: 16 emails sent, "
            "1 run failed (sending: retried, then parked in a dead-letter queue)",
            True,
        ),
    ]
    assert told[1]["at"] == "2026-12-01T09:00:00+01:00"
    assert summary["text"] == (
        "The clock shows Tuesday 1 December 2026, 09:05: 2 scheduled runs, 17 emails sent, "
        "1 run failed (see the dead-letter queues and recent invocations)."
    )
    assert summary["steps"] == [told[1]["text"]]
