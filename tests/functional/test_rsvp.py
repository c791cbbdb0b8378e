"""A live session's invitation, answered from the email (issue 11): Yes / Maybe / No links
that a mail scanner may open without recording anything, a page that records by POST and
stays changeable until the session starts, seats counted under a condition with a waiting
list past them, and the first one waiting told by email when a seat frees."""

import re
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar

import palabre.aws
from palabre.core.models import member_id
from palabre.wiring import Adapters, override
from sam_moto.stack import LocalStack
from tests.doubles import Intercepted
from tests.functional.conftest import PARIS_MORNING, dynamodb_item, handlers_table, sent, tick
from tests.functional.test_answers import get, post

# A circle that reads English (the pages' text is the catalogue's English), in Paris
CAMILLE = "camille@builders.example"  # the admin
HUGO = "hugo@builders.example"
LEA = "lea@builders.example"
LUCAS = "lucas@builders.example"
CHLOE = "chloe@builders.example"
ROSTER = "email;first_name;last_name;circle;team;locale;timezone;role\n" + "".join(
    f"{a};{a.split('@')[0].title()};Builder;Builders;Ops;en;Europe/Paris;{role}\n"
    for a, role in (
        (CAMILLE, "admin"),
        (HUGO, "member"),
        (LEA, "member"),
        (LUCAS, "member"),
        (CHLOE, "member"),
    )
)
TITLE = "Active listening workshop"
HEADER = "id;send_on;send_at;title;prompt;audience;kind;starts_at;duration_minutes;location"
STARTS = "2026-12-03 14:00"  # Thursday, Paris
MEET = "https://meet.example.com/atelier"


def live_calendar(
    *, starts: str = STARTS, location: str = MEET, capacity: str = "2", extra: str = ""
) -> bytes:
    """One live session for Builders, sent Tuesday 1 December at 09:00."""
    row = (
        f"atelier;2026-12-01;09:00;{TITLE};Bring a real situation.;Builders;live;"
        f"{starts};60;{location}"
    )
    header, row = (f"{HEADER};capacity", f"{row};{capacity}") if capacity else (HEADER, row)
    return f"{header}\n{row}\n{extra}".encode()


@pytest.fixture
def session(stack: LocalStack) -> LocalStack:
    """A circle of five and one live session of two seats, its invitations sent."""
    stack.upload("roster", "roster.csv", ROSTER.encode())
    stack.upload("calendar", "live.csv", live_calendar())
    tick(stack, PARIS_MORNING)
    stack.drain()
    return stack


def invitation(stack: LocalStack, address: str) -> EmailMessage:
    [message] = [m for m in sent(stack) if m["To"] == address and TITLE in m["Subject"]]
    return message


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def rsvp_link(stack: LocalStack, address: str, choice: str = "yes") -> str:
    """The invitation's link for `choice`, as a path (with its `?r=`)."""
    text = text_of(invitation(stack, address))
    [path] = re.findall(rf"https://\S+?(/rsvp/\S+\?r={choice})\b", text)
    return str(path)


def respond(stack: LocalStack, address: str, choice: str) -> tuple[int, str]:
    path = rsvp_link(stack, address, choice).partition("?")[0]
    status, _, page = post(stack, path, response=choice)
    return status, page


def rsvp_item(stack: LocalStack, address: str) -> dict[str, Any]:
    return dynamodb_item(stack, "THEME#atelier", f"RSVP#{member_id(address)}")


def taken(stack: LocalStack) -> int:
    return int(dynamodb_item(stack, "THEME#atelier", "SEATS")["taken"]["N"])


def test_the_invitation_offers_yes_maybe_no_and_no_answer_form(session: LocalStack) -> None:
    message = invitation(session, LEA)
    text, html = text_of(message), html_of(message)
    # its subject says what it is, and when, in her timezone
    assert message["Subject"] == f"Invitation: {TITLE}, Thursday 3 December 2026, 14:00"
    for choice in ("yes", "maybe", "no"):
        path = rsvp_link(session, LEA, choice)
        assert path in text
        assert path.replace("&", "&amp;") in html or path in html
    # the RSVP is the action: no answer form worth points in a live invitation
    assert "/answer/" not in text
    assert "/answer/" not in html
    assert "48 hours" not in text  # the answer's points and bonus
    # the meeting link is a real link in the HTML part
    assert f'<a href="{MEET}"' in html


def test_a_get_shows_the_choice_and_records_nothing(session: LocalStack) -> None:
    # Given a mail scanner opening every link of the email
    for choice in ("yes", "maybe", "no"):
        status, _, page = get(session, rsvp_link(session, LEA, choice))
        assert status == 200
        assert f'name="response" value="{choice}" checked' in page
        assert '<html lang="en">' in page

    # Then nothing is recorded
    assert rsvp_item(session, LEA) == {}
    assert dynamodb_item(session, "THEME#atelier", "SEATS") == {}


def test_a_post_records_the_response_and_the_page_says_so(session: LocalStack) -> None:
    status, page = respond(session, LEA, "yes")

    assert status == 200
    assert "Your response is recorded" in page
    assert "You are coming" in page
    item = rsvp_item(session, LEA)
    assert item["response"] == {"S": "yes"}
    assert item["first_name"] == {"S": "Lea"}
    assert taken(session) == 1

    # …and it can be changed until the session starts: a seat given back
    status, page = respond(session, LEA, "maybe")
    assert status == 200
    assert rsvp_item(session, LEA)["response"] == {"S": "maybe"}
    assert taken(session) == 0


def test_a_yes_past_the_capacity_joins_the_waiting_list_with_its_position(
    session: LocalStack,
) -> None:
    respond(session, LEA, "yes")
    respond(session, HUGO, "yes")

    status, page = respond(session, LUCAS, "yes")
    assert status == 200
    assert "waiting list, number 1." in page
    _, page = respond(session, CHLOE, "yes")
    assert "waiting list, number 2." in page

    assert rsvp_item(session, LUCAS)["response"] == {"S": "waiting"}
    assert taken(session) == 2
    # the page a full session shows says where a yes would go
    _, _, page = get(session, rsvp_link(session, CAMILLE, "yes"))
    assert "The session is full: a yes puts you on the waiting list" in page


def test_a_freed_seat_goes_to_the_first_waiting_who_is_emailed_once(
    session: LocalStack,
) -> None:
    for address in (LEA, HUGO, LUCAS, CHLOE):
        respond(session, address, "yes")
    chloes_page = rsvp_link(session, CHLOE, "yes").partition("?")[0]
    leas_page = rsvp_link(session, LEA, "no").partition("?")[0]
    session.clear_mail()

    # When Lea gives up her seat
    post(session, leas_page, response="no")

    # Then Lucas, first on the list, has it, in the same write; Chloé moves up
    assert rsvp_item(session, LUCAS)["response"] == {"S": "yes"}
    assert taken(session) == 2
    _, _, page = get(session, chloes_page)
    assert "waiting list, number 1." in page

    # …and the next ticks send him one email, with the invitation
    tick(session, datetime.fromisoformat("2026-12-01T11:00:00+01:00"))
    session.drain()
    tick(session, datetime.fromisoformat("2026-12-01T11:05:00+01:00"))
    session.drain()
    told = [m for m in sent(session) if m["Subject"].startswith("A seat is yours")]
    assert Counter(m["To"] for m in told) == Counter({LUCAS: 1})
    assert "promotion_sent_at" in rsvp_item(session, LUCAS)
    [ics] = list(told[0].iter_attachments())
    event = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["UID"]) == "atelier@example.com"


def test_two_last_seat_yeses_at_once_get_one_seat(session: LocalStack) -> None:
    from palabre.core.models import Member, Theme
    from palabre.store.rsvps import RsvpStore
    from tests.functional.conftest import handlers_table

    respond(session, LEA, "yes")
    table = handlers_table(session)
    store = RsvpStore(table)
    theme = Theme.model_validate(  # as the page read it, one seat left
        {
            "id": "atelier",
            "send_on": "2026-12-01",
            "title": TITLE,
            "prompt": "x",
            "audience": {"circles": ["Builders"]},
            "kind": "live",
            "starts_at": "2026-12-03T14:00:00+01:00",
            "capacity": 2,
        }
    )
    hugo = Member(email=HUGO, first_name="Hugo", locale="en", timezone="Europe/Paris")
    lucas = Member(email=LUCAS, first_name="Lucas", locale="en", timezone="Europe/Paris")
    now = datetime.fromisoformat("2026-12-01T10:00:00+01:00")

    # When both read one seat left and write at once (the second after the first)
    first = store.take_seat(theme, hugo, None, now)
    second = store.take_seat(theme, lucas, None, now)

    # Then only one has it: the other waits
    assert [first.response.value, second.response.value] == ["yes", "waiting"]
    assert taken(session) == 2


def test_after_the_start_the_page_only_reads(session: LocalStack) -> None:
    respond(session, LEA, "yes")
    session.clock.move_to(datetime.fromisoformat("2026-12-03T14:10:00+01:00"))

    status, _, page = get(session, rsvp_link(session, LEA, "no"))
    assert status == 200
    assert "This session has started" in page
    assert 'name="response"' not in page

    status, page = respond(session, LEA, "no")
    assert status == 409
    assert rsvp_item(session, LEA)["response"] == {"S": "yes"}


def test_a_member_who_left_the_roster_changes_nothing(session: LocalStack) -> None:
    without = "".join(line for line in ROSTER.splitlines(True) if not line.startswith(LEA))
    session.upload("roster", "roster.csv", without.encode())

    status, _ = respond(session, LEA, "yes")

    assert status == 404
    assert rsvp_item(session, LEA) == {}


def test_a_bad_choice_gets_a_clear_message_and_nothing_changes(session: LocalStack) -> None:
    path = rsvp_link(session, LEA, "yes").partition("?")[0]
    status, _, page = post(session, path, response="peut-être-pas")

    assert status == 400
    assert "Choose yes, no or maybe." in page
    assert rsvp_item(session, LEA) == {}


def test_every_bad_rsvp_link_gets_the_plain_404(session: LocalStack) -> None:
    path = rsvp_link(session, LEA, "yes").partition("?")[0]
    token = path.rsplit("/", 1)[1]
    answer_token = re.findall(r"/answer/(\S+)", text_of(invitation(session, LEA)))
    for bad in (path[:-2] + "xx", "/rsvp/nope", *(f"/rsvp/{t}" for t in answer_token)):
        status, _, _ = get(session, bad)
        assert status == 404, bad
    assert token


def test_a_post_writes_in_one_transaction_without_a_scan(session: LocalStack) -> None:
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", count)
    try:
        respond(session, LEA, "yes")
    finally:
        events.unregister("before-call.dynamodb.*", count)
    assert calls["TransactWriteItems"] == 1
    assert calls["Scan"] == 0


# ---------------------------------------------------------------- changes and cancellation
OTHER = "other;2026-12-15;09:00;Another theme;What did you try?;Builders;practice;;;"


def ics_of(message: EmailMessage) -> tuple[Calendar, Any]:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(attachment.get_payload(decode=True))
    return calendar, calendar.walk("VEVENT")[0]


def ticks(stack: LocalStack, *times: str) -> None:
    """The scheduler's runs at these Paris times of Tuesday 1 December, each drained."""
    for at in times:
        tick(stack, datetime.fromisoformat(f"2026-12-01T{at}:00+01:00"))
        stack.drain()


def test_a_changed_session_sends_everyone_invited_but_the_nos_its_new_ics_once(
    session: LocalStack,
) -> None:
    respond(session, LEA, "yes")
    respond(session, HUGO, "no")
    session.clear_mail()

    # When the animators move the session an hour later
    session.upload("calendar", "live.csv", live_calendar(starts="2026-12-03 15:00"))
    ticks(session, "10:00", "10:05")
    session.upload("calendar", "live.csv", live_calendar(starts="2026-12-03 15:00"))  # again
    ticks(session, "10:10")

    # Then each invitee but Hugo gets one update, its .ics the same event, one later
    changed = [m for m in sent(session) if m["Subject"].startswith("Changed: ")]
    assert Counter(m["To"] for m in changed) == Counter({CAMILLE: 1, LEA: 1, LUCAS: 1, CHLOE: 1})
    assert dynamodb_item(session, "THEME#atelier", "THEME")["sequence"] == {"N": "1"}
    calendar, event = ics_of(next(m for m in changed if m["To"] == LEA))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == "atelier@example.com"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART").isoformat() == "2026-12-03T14:00:00+00:00"
    assert "You said you would come" in text_of(next(m for m in changed if m["To"] == LEA))
    assert "/rsvp/" in text_of(next(m for m in changed if m["To"] == LEA))
    # …and the response stays what it was
    assert rsvp_item(session, LEA)["response"] == {"S": "yes"}


def test_a_change_before_any_invitation_went_out_sends_nothing(stack: LocalStack) -> None:
    stack.upload("roster", "roster.csv", ROSTER.encode())
    stack.upload("calendar", "live.csv", live_calendar())

    stack.upload("calendar", "live.csv", live_calendar(location="Salle Lumière"))
    tick(stack, PARIS_MORNING)
    stack.drain()

    assert "sequence" not in dynamodb_item(stack, "THEME#atelier", "THEME")
    _, event = ics_of(invitation(stack, LEA))
    assert event["SEQUENCE"] == 0
    assert str(event["LOCATION"]) == "Salle Lumière"
    assert "URL" not in event  # a room is no link
    assert not [m for m in sent(stack) if m["Subject"].startswith("Changed: ")]


def test_a_session_removed_from_the_calendar_is_cancelled_in_every_calendar(
    session: LocalStack,
) -> None:
    """Given Lea coming and Hugo who said no (his mail client added the invitation to
    his calendar all the same), When the next calendar no longer lists the session, Then
    everyone it was sent to, Hugo included, gets its cancellation."""
    respond(session, LEA, "yes")
    respond(session, HUGO, "no")
    path = rsvp_link(session, LEA, "yes")
    session.clear_mail()

    # When the next calendar no longer lists it
    session.upload("calendar", "calendar.csv", f"{HEADER}\n{OTHER}\n".encode())
    ticks(session, "10:00", "10:05")

    cancelled = [m for m in sent(session) if m["Subject"].startswith("Cancelled: ")]
    assert Counter(m["To"] for m in cancelled) == Counter(
        {CAMILLE: 1, HUGO: 1, LEA: 1, LUCAS: 1, CHLOE: 1}
    )
    calendar, event = ics_of(next(m for m in cancelled if m["To"] == LEA))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "atelier@example.com"
    assert event["SEQUENCE"] == 1
    assert "/rsvp/" not in text_of(cancelled[0])
    # …and its page says so, taking no more responses
    status, _, page = get(session, path)
    assert status == 200
    assert "This session is cancelled." in page
    assert 'name="response"' not in page


def wednesday(stack: LocalStack, at: str = "10:00") -> None:
    """The clock on Wednesday 2 December (Paris), the day after the invitations."""
    stack.clock.move_to(datetime.fromisoformat(f"2026-12-02T{at}:00+01:00"))


def wednesday_ticks(stack: LocalStack, *times: str) -> None:
    for at in times:
        tick(stack, datetime.fromisoformat(f"2026-12-02T{at}:00+01:00"))
        stack.drain()


def sequence(stack: LocalStack) -> int:
    item = dynamodb_item(stack, "THEME#atelier", "THEME")
    return int(item.get("sequence", {"N": "0"})["N"])


def test_a_changed_session_listed_again_as_it_is_the_next_day_is_accepted(
    session: LocalStack,
) -> None:
    """Given the session moved an hour later on Tuesday, its update sent, When Wednesday's
    upload lists it as Tuesday's did, Then the file is accepted, nothing changes and
    nobody is emailed again (the sequence is the import's, not the file's)."""
    moved = live_calendar(starts="2026-12-03 15:00")
    session.upload("calendar", "live.csv", moved)
    ticks(session, "10:00")
    assert sequence(session) == 1
    session.clear_mail()

    wednesday(session)
    report = session.upload("calendar", "live.csv", moved)
    wednesday_ticks(session, "10:05")

    assert report["ok"] is True, report["errors"]
    assert (report["updated"], report["unchanged"]) == (0, 1)
    assert sequence(session) == 1
    assert not [m for m in sent(session) if TITLE in m["Subject"]]


def test_a_sent_session_moved_days_after_its_invitation_is_updated_in_every_calendar(
    session: LocalStack,
) -> None:
    """Given Lea coming and Hugo who said no, When Wednesday's upload moves Thursday's
    session to the next Thursday, Then everyone invited but Hugo gets its update: the same
    event, its new start, SEQUENCE one more."""
    respond(session, LEA, "yes")
    respond(session, HUGO, "no")
    session.clear_mail()

    wednesday(session)
    report = session.upload("calendar", "live.csv", live_calendar(starts="2026-12-10 14:00"))
    wednesday_ticks(session, "10:05")

    assert report["ok"] is True, report["errors"]
    changed = [m for m in sent(session) if m["Subject"].startswith("Changed: ")]
    assert Counter(m["To"] for m in changed) == Counter({CAMILLE: 1, LEA: 1, LUCAS: 1, CHLOE: 1})
    calendar, event = ics_of(next(m for m in changed if m["To"] == LEA))
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == "atelier@example.com"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART").isoformat() == "2026-12-10T13:00:00+00:00"


def test_a_sent_session_keeps_its_title_prompt_and_send_date_once_past(
    session: LocalStack,
) -> None:
    """Given the invitations sent on Tuesday, When Wednesday's upload also renames the
    session, Then the row is refused as before (its send date is past), nothing written."""
    wednesday(session)
    renamed = live_calendar(starts="2026-12-10 14:00").replace(TITLE.encode(), b"Renamed")

    report = session.upload("calendar", "live.csv", renamed)

    assert report["ok"] is False
    assert [e["column"] for e in report["errors"]] == ["send_on"]
    assert "This date is in the past" in report["errors"][0]["message"]
    assert sequence(session) == 0


def test_a_cancelled_session_listed_again_is_sent_again_to_those_not_saying_no(
    session: LocalStack,
) -> None:
    """Given the session cancelled on Tuesday (every calendar holds it cancelled), Lea
    coming and Hugo who said no, When Wednesday's upload lists it again, Then everyone
    invited but Hugo gets it published again, SEQUENCE one more, and its page takes
    responses again."""
    respond(session, LEA, "yes")
    respond(session, HUGO, "no")
    session.upload("calendar", "calendar.csv", f"{HEADER}\n{OTHER}\n".encode())
    ticks(session, "10:00")
    assert sequence(session) == 1
    session.clear_mail()

    wednesday(session)
    report = session.upload("calendar", "live.csv", live_calendar())
    wednesday_ticks(session, "10:05")

    assert report["ok"] is True, report["errors"]
    assert sequence(session) == 2
    again = [m for m in sent(session) if m["Subject"].startswith("Changed: ")]
    assert Counter(m["To"] for m in again) == Counter({CAMILLE: 1, LEA: 1, LUCAS: 1, CHLOE: 1})
    again_to_lea = next(m for m in again if m["To"] == LEA)
    calendar, event = ics_of(again_to_lea)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 2
    [path] = re.findall(r"https://\S+?(/rsvp/\S+)\?r=maybe", text_of(again_to_lea))
    status, _, page = get(session, path)
    assert status == 200
    assert 'name="response"' in page
    assert "cancelled" not in page


def test_a_member_given_a_seat_twice_gets_two_distinct_emails(session: LocalStack) -> None:
    """Given Lucas promoted from the waiting list once (and told), who gave the seat up,
    waited again and is promoted again, Then his second email has a Message-ID of its
    own (a mail client drops a message whose Message-ID it already holds)."""
    pages = {a: rsvp_link(session, a).partition("?")[0] for a in (LEA, HUGO, LUCAS, CHLOE)}
    for address in (LEA, HUGO, LUCAS, CHLOE):
        post(session, pages[address], response="yes")  # Lucas, then Chloé, wait
    post(session, pages[LEA], response="no")  # Lucas promoted
    ticks(session, "11:00")
    post(session, pages[LUCAS], response="no")  # Chloé promoted
    ticks(session, "11:05")
    post(session, pages[LUCAS], response="yes")  # Lucas waits again
    assert rsvp_item(session, LUCAS)["response"] == {"S": "waiting"}
    post(session, pages[HUGO], response="no")  # Lucas promoted again
    ticks(session, "11:10")

    told = [
        m for m in sent(session) if m["To"] == LUCAS and m["Subject"].startswith("A seat is yours")
    ]
    assert len(told) == 2
    assert told[0]["Message-ID"] != told[1]["Message-ID"]


def test_a_promoted_member_changing_their_answer_as_the_tick_runs_stops_nothing(
    session: LocalStack,
) -> None:
    """Given Lucas promoted to a seat, When he answers again while the scheduler's tick
    queues his email (before it marks it queued), Then the tick goes on (no error, the
    theme's other work done) and the email queued for a seat no longer his is not sent."""
    for address in (LEA, HUGO, LUCAS):
        respond(session, address, "yes")
    respond(session, LEA, "no")  # Lucas promoted
    session.clear_mail()

    def lucas_answers(key: dict[str, str], expression: str, *_: Any, **__: Any) -> None:
        if key["SK"] == f"RSVP#{member_id(LUCAS)}" and "promotion_queued" in expression:
            # his page writes his new response whole, without the promotion
            item = rsvp_item(session, LUCAS)
            item["response"] = {"S": "maybe"}
            del item["promoted_at"]
            session.client("dynamodb").put_item(
                TableName=session.provisioned.tables["PalabreTable"], Item=item
            )

    table = Intercepted(handlers_table(session), update=lucas_answers)
    with override(Adapters(table=table)):
        tick(session, datetime.fromisoformat("2026-12-01T11:00:00+01:00"))  # no error
    session.drain()

    assert not [m for m in sent(session) if m["Subject"].startswith("A seat is yours")]
    assert rsvp_item(session, LUCAS)["response"] == {"S": "maybe"}


# ---------------------------------------------------------------- the space, hostile text
def test_the_space_shows_the_response_and_the_waiting_position_with_a_link_to_change_it(
    session: LocalStack,
) -> None:
    for address in (LEA, HUGO, LUCAS):
        respond(session, address, "yes")
    [space] = re.findall(r"https://\S+?(/space/\S+)", text_of(invitation(session, LUCAS)))

    status, _, page = get(session, space)

    assert status == 200
    assert TITLE in page
    assert "waiting list, number 1." in page
    token = rsvp_link(session, LUCAS).partition("?")[0].rsplit("/", 1)[1]
    assert f'href="../rsvp/{token}"' in page
    assert "/answer/" not in page  # a session takes a response, not an answer
    # …and once it has started, the response shows without the link
    session.clock.move_to(datetime.fromisoformat("2026-12-03T14:05:00+01:00"))
    _, _, page = get(session, space)
    assert f"../rsvp/{token}" not in page


HOSTILE_TITLE = 'Atelier <script>alert("t")</script> \u202eevil'
HOSTILE_URL = 'https://meet.example.com/a"><script>alert(1)</script>'


@pytest.mark.parametrize(
    ("location", "linked"),
    [(HOSTILE_URL, True), ("javascript:alert(1)", False), ("Salle <b>2</b>", False)],
    ids=["url-breaking-out", "javascript", "markup"],
)
def test_hostile_session_text_is_inert_in_the_email_and_the_page(
    stack: LocalStack, location: str, linked: bool
) -> None:
    stack.upload("roster", "roster.csv", ROSTER.encode())
    calendar = live_calendar(location=location).decode().replace(TITLE, HOSTILE_TITLE)
    stack.upload("calendar", "live.csv", calendar.encode())
    tick(stack, PARIS_MORNING)
    stack.drain()
    [message] = [m for m in sent(stack) if m["To"] == LEA]
    [path] = re.findall(r"https://\S+?(/rsvp/\S+)\?r=yes", text_of(message))
    _, _, page = get(stack, path)
    # …and the change's email, once the session moves
    stack.upload("calendar", "live.csv", calendar.replace(STARTS, "2026-12-03 16:00").encode())
    ticks(stack, "10:00")
    [changed] = [m for m in sent(stack) if m["To"] == LEA and m["Subject"].startswith("Changed")]

    for html in (html_of(message), page, html_of(changed)):
        assert "<script>" not in html
        assert "\u202e" not in html
        assert 'href="javascript' not in html
        if linked:
            assert 'href="https://meet.example.com/a&#34;&gt;&lt;script&gt;' in html
        else:
            assert "Salle &lt;b&gt;2&lt;/b&gt;" in html or "javascript:alert(1)" in html
    _, event = ics_of(message)
    assert ("URL" in event) is linked


def test_an_answer_link_of_a_live_session_already_sent_leads_to_the_response(
    session: LocalStack,
) -> None:
    from palabre.core.links import Links
    from tests.functional.test_answers import signer

    # Given an answer link to the session, as invitations carried it before
    links = Links("https://x.example", signer(session))
    url = links.answer("atelier", member_id(LEA), datetime.fromisoformat("2026-12-09T00:00Z"))
    path = url.removeprefix("https://x.example")

    status, _, page = get(session, path)
    assert status == 200
    assert "no written answer is expected" in page
    assert 'href="../rsvp/' in page
    assert "<textarea" not in page

    # …and a form posted to it anyway saves nothing
    status, _, _ = post(session, path, answer="Je viendrai.")
    assert status == 409
    assert dynamodb_item(session, "THEME#atelier", f"ANSWER#{member_id(LEA)}") == {}


# ---------------------------------------------------------------- a capacity changed by an upload
LEASE_OF_A_TICK = timedelta(minutes=2)


def wait_in_turn(stack: LocalStack, *addresses: str, start: int = 10) -> None:
    """Each says yes a minute after the one before (Tuesday from 09:`start`, Paris)."""
    for n, address in enumerate(addresses, start):
        stack.clock.move_to(datetime.fromisoformat(f"2026-12-01T09:{n:02d}:00+01:00"))
        respond(stack, address, "yes")


def seats_told(stack: LocalStack) -> Counter[str]:
    return Counter(m["To"] for m in sent(stack) if m["Subject"].startswith("A seat is yours"))


def responses(stack: LocalStack, *addresses: str) -> list[str]:
    return [rsvp_item(stack, a)["response"]["S"] for a in addresses]


def test_a_raised_capacity_gives_the_new_seats_to_the_first_waiting_each_emailed_once(
    session: LocalStack,
) -> None:
    # Given two seats taken and three waiting, Lucas first, Chloé, then Camille
    wait_in_turn(session, LEA, HUGO, LUCAS, CHLOE, CAMILLE)
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["waiting"] * 3

    # When an upload raises the capacity to four
    report = session.upload("calendar", "live.csv", live_calendar(capacity="4"))

    # Then the import itself promotes no one (the list may be long): the scheduler does
    assert (report["ok"], report["updated"], report["warnings"]) == (True, 1, [])
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["waiting"] * 3
    ticks(session, "10:00", "10:05")

    # …the first two waiting have the two new seats, each told once; Camille still waits
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["yes", "yes", "waiting"]
    assert taken(session) == 4
    assert seats_told(session) == Counter({LUCAS: 1, CHLOE: 1})
    _, _, page = get(session, rsvp_link(session, CAMILLE, "yes"))
    assert "waiting list, number 1." in page


def test_a_raise_uploaded_twice_and_ticked_again_promotes_and_tells_no_one_twice(
    session: LocalStack,
) -> None:
    from palabre.store.dispatch import DispatchStore
    from tests.functional.conftest import handlers_table

    wait_in_turn(session, LEA, HUGO, LUCAS, CHLOE, CAMILLE)

    # When the raise is uploaded twice, the scheduler runs, and the file comes again
    for _ in range(2):
        session.upload("calendar", "live.csv", live_calendar(capacity="3"))
    ticks(session, "10:00")
    again = session.upload("calendar", "live.csv", live_calendar(capacity="3"))
    # …and the session is made due again, as a retried tick would find it
    DispatchStore(handlers_table(session)).open("atelier", session.clock())
    ticks(session, "10:05", "10:10")

    # Then the one new seat went once, to the first waiting, told once
    assert again["unchanged"] == 1
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["yes", "waiting", "waiting"]
    assert taken(session) == 3
    assert seats_told(session) == Counter({LUCAS: 1})


def test_a_removed_capacity_gives_everyone_waiting_a_seat(session: LocalStack) -> None:
    wait_in_turn(session, LEA, HUGO, LUCAS, CHLOE, CAMILLE)

    # When an upload leaves the capacity out: no limit
    session.upload("calendar", "live.csv", live_calendar(capacity=""))
    ticks(session, "10:00", "10:05")

    # Then everyone waiting has a seat, each told once
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["yes"] * 3
    assert taken(session) == 5
    assert seats_told(session) == Counter({LUCAS: 1, CHLOE: 1, CAMILLE: 1})


def test_a_lowered_capacity_keeps_the_seats_held_and_frees_one_only_below_it(
    session: LocalStack,
) -> None:
    # Given four seats of four taken
    session.upload("calendar", "live.csv", live_calendar(capacity="4"))
    wait_in_turn(session, LEA, HUGO, LUCAS, CHLOE)
    assert taken(session) == 4

    # When an upload lowers the capacity to two
    report = session.upload("calendar", "live.csv", live_calendar(capacity="2"))

    # Then the report says so, by row and column, and those who hold seats keep them
    [warning] = report["warnings"]
    assert (warning["row"], warning["column"], warning["value"]) == (2, "capacity", "2")
    quoted = f"4 seats are taken at “{TITLE}” (December 3, 2026), more than the new capacity 2:"
    assert warning["message"].startswith(quoted)
    emailed = [m for m in sent(session) if "Palabre import of" in m["Subject"]][-1]
    assert "1 thing to know:" in text_of(emailed)
    assert quoted in text_of(emailed)
    assert "4 seats are taken at" in html_of(emailed)
    assert responses(session, LEA, HUGO, LUCAS, CHLOE) == ["yes"] * 4
    # …a new yes waits, and the scheduler gives it nothing while the session is full
    wait_in_turn(session, CAMILLE, start=30)
    ticks(session, "10:00")
    assert responses(session, CAMILLE) == ["waiting"]

    # When seats free while as many are still taken as the capacity allows
    respond(session, LEA, "no")
    assert (taken(session), responses(session, CAMILLE)) == (3, ["waiting"])
    respond(session, HUGO, "maybe")
    ticks(session, "10:05")
    assert (taken(session), responses(session, CAMILLE)) == (2, ["waiting"])

    # Then only a seat freed below the capacity goes to the waiting list, told once
    respond(session, LUCAS, "no")
    assert (taken(session), responses(session, CAMILLE)) == (2, ["yes"])
    ticks(session, "10:10", "10:15")
    assert seats_told(session) == Counter({CAMILLE: 1})


def test_a_tick_while_another_holds_the_seats_promotes_no_one_and_comes_back(
    session: LocalStack,
) -> None:
    from palabre.store.dispatch import DispatchStore
    from tests.functional.conftest import handlers_table

    wait_in_turn(session, LEA, HUGO, LUCAS, CHLOE, CAMILLE)
    session.upload("calendar", "live.csv", live_calendar(capacity=""))
    # Given another tick holding the session's seats (a two-minute lease)
    store = DispatchStore(handlers_table(session))
    now = datetime.fromisoformat("2026-12-01T10:00:00+01:00")
    session.clock.move_to(now)
    assert store.claim("atelier", "seats", "another-tick", now + LEASE_OF_A_TICK, now)

    # When a tick runs meanwhile
    ticks(session, "10:00")

    # Then it promotes no one, and the session stays due
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["waiting"] * 3
    assert [theme for theme, _ in store.due(session.clock())] == ["atelier"]
    # …so the first tick once the lease is over gives the seats, each told once
    ticks(session, "10:05", "10:10")
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["yes"] * 3
    assert seats_told(session) == Counter({LUCAS: 1, CHLOE: 1, CAMILLE: 1})


def test_a_tick_short_of_time_promotes_in_order_and_the_next_goes_on(
    session: LocalStack,
) -> None:
    from palabre.dispatch.dispatcher import Dispatcher
    from palabre.store.dispatch import DispatchStore
    from palabre.wiring import queue
    from tests.functional.conftest import handlers_table

    wait_in_turn(session, LEA, HUGO, LUCAS, CHLOE, CAMILLE)
    session.upload("calendar", "live.csv", live_calendar(capacity=""))
    now = datetime.fromisoformat("2026-12-01T10:00:00+01:00")
    session.clock.move_to(now)

    # When a tick has time for one promotion only (then less than its ten seconds)
    left = iter([60.0])
    table = handlers_table(session)
    jobs = queue(session.provisioned.queues["SendQueue"].url)
    Dispatcher(table, jobs, time_left=lambda: next(left, 5.0)).tick(now)
    session.drain()

    # Then the first waiting has a seat and is told; the session stays due for the rest
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["yes", "waiting", "waiting"]
    assert seats_told(session) == Counter({LUCAS: 1})
    assert [theme for theme, _ in DispatchStore(table).due(session.clock())] == ["atelier"]
    ticks(session, "10:05")
    assert responses(session, LUCAS, CHLOE, CAMILLE) == ["yes"] * 3
    assert seats_told(session) == Counter({LUCAS: 1, CHLOE: 1, CAMILLE: 1})


def test_a_hostile_title_is_inert_in_the_reports_capacity_warning(stack: LocalStack) -> None:
    # Given a session with a hostile title, its two seats taken
    stack.upload("roster", "roster.csv", ROSTER.encode())
    calendar = live_calendar().decode().replace(TITLE, HOSTILE_TITLE)
    stack.upload("calendar", "live.csv", calendar.encode())
    tick(stack, PARIS_MORNING)
    stack.drain()
    for address in (LEA, HUGO):
        [message] = [m for m in sent(stack) if m["To"] == address]
        [path] = re.findall(r"https://\S+?(/rsvp/\S+)\?r=yes", text_of(message))
        post(stack, path, response="yes")

    # When an upload lowers the capacity to one
    stack.upload("calendar", "live.csv", calendar.replace(";2\n", ";1\n").encode())

    # Then the report's warning names the session, inert
    report = [m for m in sent(stack) if "Palabre import of" in m["Subject"]][-1]
    html, text = html_of(report), text_of(report)
    assert "2 seats are taken at" in html
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "\u202e" not in html
    assert "\u202e" not in text


class StaleWaitingList:
    """The table as a handler reaches it, but the next read of a session's responses
    misses the latest (a Query is eventually consistent): the waiting list looks empty."""

    def __init__(self, table: Any) -> None:
        self.table, self.stale = table, True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)

    def query(self, partition: str, **options: Any) -> Any:
        if self.stale and options.get("prefix") == "RSVP#":
            self.stale = False
            return iter(())
        return self.table.query(partition, **options)


def test_a_seat_freed_while_the_waiting_list_read_stale_still_goes_to_the_first_waiting(
    session: LocalStack,
) -> None:
    """Given Léa and Hugo hold both seats and Lucas waits, when Hugo says no but his
    request read the waiting list before Lucas joined it, then his seat is given back,
    and the scheduler's next tick gives it to Lucas, who is told once."""
    from palabre.wiring import Adapters, override
    from tests.functional.conftest import handlers_table

    wait_in_turn(session, LEA, HUGO, LUCAS)
    with override(Adapters(table=StaleWaitingList(handlers_table(session)))):
        status, _ = respond(session, HUGO, "no")
    assert status == 200
    assert (taken(session), responses(session, LUCAS)) == (1, ["waiting"])
    ticks(session, "10:00")
    assert (taken(session), responses(session, LUCAS)) == (2, ["yes"])
    assert seats_told(session) == Counter({LUCAS: 1})


def test_a_bilingual_session_speaks_each_invitees_language_after_the_invitation(
    stack: LocalStack,
) -> None:
    """Given a live session titled in French and in English and English invitees, when
    Léa says yes and the session is moved, then the .ics, the RSVP page, the change
    email and the day-before reminder carry the English title, marked as English."""
    english = "Listening workshop"
    stack.upload("roster", "roster.csv", ROSTER.encode())
    row = (
        "atelier;2026-12-01;09:00;Atelier d'écoute;Venez avec une situation.;Builders;live;"
        f"{STARTS};60;{MEET};{english};Bring a real situation."
    )
    calendar = f"{HEADER};title_en;prompt_en\n{row}\n"
    assert stack.upload("calendar", "live.csv", calendar.encode())["ok"]
    tick(stack, PARIS_MORNING)
    stack.drain()
    [invited] = [m for m in sent(stack) if m["To"] == LEA]
    assert invited["Subject"].startswith(f"Invitation: {english}, ")
    _, event = ics_of(invited)
    assert (str(event["SUMMARY"]), str(event["DESCRIPTION"])) == (
        english,
        "Bring a real situation.",
    )
    [path] = re.findall(r"https://\S+?(/rsvp/[^\s?]+)\?r=yes", text_of(invited))
    _, _, page = get(stack, path)
    assert f'<h1 lang="en">{english}</h1>' in page
    assert "Atelier d" not in page
    post(stack, path, response="yes")

    moved = calendar.replace(STARTS, "2026-12-03 15:00")
    assert stack.upload("calendar", "live.csv", moved.encode())["ok"]
    ticks(stack, "10:00", "10:05")
    [changed] = [m for m in sent(stack) if m["To"] == LEA and m["Subject"].startswith("Changed")]
    assert english in changed["Subject"]
    assert re.search(rf'<h1 lang="en"[^>]*>{english}</h1>', html_of(changed))
    stack.clock.move_to(datetime.fromisoformat("2026-12-02T09:05:00+01:00"))
    tick(stack, stack.clock())
    stack.drain()
    [eve] = [m for m in sent(stack) if m["To"] == LEA and m["Subject"].startswith("Tomorrow")]
    assert english in eve["Subject"]
    assert "Atelier d" not in text_of(eve)
