"""Moving the local stack's clock from its console streams what runs, over real HTTP: a
chunked response of server-sent events, one per step as it ends, then the summary; a
reader who leaves does not stop time, and a second move waits for none. (And the one
console test that changes the roster: each test here has its own stack.)"""

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from http.client import HTTPResponse
from typing import Any

import pytest

from palabre_cli import demo
from sam_moto.runtime import Invocation
from sam_moto.server import LocalServer
from sam_moto.stack import LocalStack
from tests.functional.conftest import make_stack
from tests.functional.console_http import (
    BROWSER,
    FORM,
    browser_post,
    call,
    connect,
    served,
    upload,
)

STREAM = {"Content-Type": FORM, "Accept": "text/event-stream"}
TUESDAY_NINE = "Tuesday 1 December 2026, 09:00"


@pytest.fixture
def console(aws: None) -> Iterator[LocalServer]:
    """The demo organisation, nothing sent yet, on Monday 30 November 08:00 in Paris."""
    stack = make_stack()
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    with served(stack) as server:
        yield server


def hold(stack: LocalStack, monkeypatch: pytest.MonkeyPatch, function: str) -> threading.Event:
    """`function`'s next runs wait until the returned event is set (at most a minute)."""
    gate = threading.Event()
    invoke = stack.runtime.invoke

    def held(name: str, event: Any) -> Invocation:
        if name == function:
            assert gate.wait(timeout=60), "the test never let the move go on"
        return invoke(name, event)

    monkeypatch.setattr(stack.runtime, "invoke", held)
    return gate


def events(response: HTTPResponse) -> Iterator[dict[str, Any]]:
    """The events of a text/event-stream response, as they arrive."""
    name = ""
    for raw in response:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = json.loads(line.removeprefix("data: "))
            assert data["event"] == name
            yield data


def test_a_week_of_time_travel_streams_each_step_as_it_runs_then_its_summary(
    console: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the demo organisation, its first theme due Tuesday 09:00, its digest Monday
    When the console moves the clock a week, asking for the stream
    Then the steps arrive while the move still runs (held at the digest), each said on
    the organisation's wall clock, and the summary counts what the mailbox holds."""
    stack = console.stack
    digest = hold(stack, monkeypatch, "WeeklyDigestFunction")
    before = stack.mailbox.count()
    connection = connect(console)
    connection.request("POST", "/_local/clock", body=b"advance=P7DT5M", headers=STREAM)
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert response.getheader("Transfer-Encoding") == "chunked"
    stream = events(response)

    start = next(stream)
    assert start == {"event": "start", "text": "Moving the clock to Monday 7 December 2026, 08:05…"}
    steps = []
    for event in stream:
        steps.append(event)
        if event["text"].startswith(TUESDAY_NINE):
            break
    # The theme went out on Tuesday at 09:00 in Paris, said as such, while the clock
    # still stands before the digest (which waits for us): the stream is live
    assert re.fullmatch(
        TUESDAY_NINE + r" — themes and reminders due: \d+ emails sent", steps[-1]["text"]
    )
    assert steps[-1]["notable"] is True
    now = datetime.fromisoformat(call(console, "GET", "/_local/clock").json()["now"])
    assert now < datetime.fromisoformat("2026-12-07T08:00:00+01:00")
    assert [e["at"] for e in steps] == sorted(e["at"] for e in steps)
    assert all(e["at"].endswith("+01:00") for e in steps)  # the organisation's clock

    digest.set()
    *rest, done = list(stream)
    steps += rest
    assert [e["event"] for e in steps] == ["step"] * len(steps)
    [monday] = [e for e in steps if "weekly digests" in e["text"]]
    assert re.fullmatch(
        r"Monday 7 December 2026, 08:00 — weekly digests: \d+ emails sent", monday["text"]
    )
    emails = stack.mailbox.count() - before
    assert sum(e["emails"] for e in steps) == emails
    assert done["event"] == "done"
    assert done["text"] == (
        f"The clock shows Monday 7 December 2026, 08:05: {len(steps):,} scheduled runs, "
        f"{emails} emails sent, nothing failed."
    )
    assert done["steps"] == [e["text"] for e in steps if e["notable"]]
    assert response.read() == b""  # the last chunk: the stream is over, cleanly
    for event in (start, *steps, done):
        assert "UTC" not in event["text"]

    # The console's page, as the browser loads it once the stream is over, says it too
    page = call(console, "GET", "/_local/", headers={"Accept": BROWSER}).text
    assert f'<p id="last-move">{done["text"]}</p>' in page
    connection.close()


def test_a_reader_who_leaves_the_stream_does_not_stop_the_move(
    console: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a move past the first theme (Tuesday 09:00), streamed
    When its reader goes away after its first step
    Then the move runs to its end all the same: the theme is sent, the clock there."""
    stack = console.stack
    tick = hold(stack, monkeypatch, "SchedulePromptsFunction")
    connection = connect(console)
    connection.request("POST", "/_local/clock", body=b"advance=P1DT2H", headers=STREAM)
    response = connection.getresponse()
    assert next(events(response))["event"] == "start"  # the move holds the clock now
    connection.close()
    tick.set()

    # When the move is over (it lets go of the clock), it went all the way
    assert console.moving.acquire(timeout=120)
    console.moving.release()
    assert stack.clock() >= datetime.fromisoformat("2026-12-01T10:00:00+01:00")
    assert stack.mailbox.count() > 10  # the import reports, and the first theme


def test_a_second_move_while_one_runs_is_told_the_clock_is_busy(
    console: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = console.stack
    tick = hold(stack, monkeypatch, "SchedulePromptsFunction")
    first = connect(console)
    first.request("POST", "/_local/clock", body=b"advance=PT1H", headers=STREAM)
    response = first.getresponse()
    assert next(events(response))["event"] == "start"

    program = call(
        console,
        "POST",
        "/_local/clock",
        b'{"advance": "P1D"}',
        {"Content-Type": "application/json"},
    )
    page = browser_post(console, "/_local/clock", advance="P1D")
    streamed = call(console, "POST", "/_local/clock", b"advance=P1D", STREAM)

    busy = (
        r"The clock is already moving \(it shows Monday 30 November 2026, 08:0\d\): wait for "
        r"that move to end, then try again\."
    )
    assert program.status == page.status == streamed.status == 409
    assert re.fullmatch(busy, program.json()["message"])
    [alert] = page.alerts()
    assert re.fullmatch(busy, alert)
    assert re.fullmatch(busy, streamed.json()["message"])
    tick.set()
    assert list(events(response))[-1]["event"] == "done"
    first.close()
    assert stack.clock() < datetime.fromisoformat("2026-11-30T10:00:00+01:00")  # only the hour


def test_without_script_the_form_moves_the_clock_and_the_console_tells_the_move(
    console: LocalServer,
) -> None:
    moved = browser_post(console, "/_local/clock", local="2026-12-01T09:05")

    assert moved.status == 303
    assert moved.headers["Location"] == "/_local/#clock"
    page = call(console, "GET", "/_local/", headers={"Accept": BROWSER}).text
    [told] = re.findall(r'<p id="last-move">(.*?)</p>', page)
    assert re.fullmatch(
        r"The clock shows Tuesday 1 December 2026, 09:05: \d+ scheduled runs, \d+ emails "
        r"sent, nothing failed\.",
        told,
    )
    assert re.search(TUESDAY_NINE + r" — themes and reminders due: \d+ emails sent</li>", page), (
        "the move's notable steps are listed"
    )


def test_a_hostile_admin_name_stays_text_on_the_console(console: LocalServer) -> None:
    """Given the demo's admin renamed, in the roster, to a piece of HTML
    Then the console's way into her space shows the name as text."""
    hostile = '<img src=x onerror="alert(1)">'
    roster = demo.roster().replace(b";Camille;", f";{hostile};".encode())
    assert console.stack.upload("roster", "demo-roster.csv", roster)["updated"] == 1

    page = call(console, "GET", "/_local/", headers={"Accept": BROWSER}).text

    assert hostile not in page
    assert "as &lt;img src=x onerror=&#34;alert(1)&#34;&gt; Martin (camille.martin@" in page


def test_an_english_speaking_admins_upload_reads_in_english(console: LocalServer) -> None:
    """Given Alice, an admin, now reading English (the organisation reads French)
    When she uploads a roster with a faulty row
    Then the console tells her report in English, as its email and its messages are."""
    alice = "alice.david@demo.palabre.example"
    english = demo.roster().replace(
        b";David;Passeurs;Op\xc3\xa9rations;fr;", b";David;Passeurs;Op\xc3\xa9rations;en;"
    )
    assert english != demo.roster()
    assert console.stack.upload("roster", "demo-roster.csv", english)["updated"] == 1
    zoe = "zoe.blanc@demo.palabre.example;Zoé;Blanc;Passeurs;Produit;en;Mars/Olympus;member"
    faulty = english + f"{zoe}\n".encode()

    answer = upload(console, "roster", "roster.csv", faulty, uploader=alice)

    assert answer.status == 200
    assert '<div lang="en">' in answer.text
    assert "<strong>Nothing was changed: the file has 1 error.</strong>" in answer.text
    where = "Row 22 · column Fuseau horaire · “Mars/Olympus”"  # the file's own header
    assert f'<span class="where">{where}</span>' in answer.text
