"""Live sessions after the invitation (issue 11), on the local stack and its clock: the
reminders the day before (each member's local day, at the theme's send time) and the hour
before, only to those who said yes or maybe, never after the session starts, never twice;
none of the ordinary "you have not answered" reminder; after the session, one attendance
list per admin, whose page records who came, which earns points and streaks as an answer.

demo-6, "Atelier live", is sent on Tuesday 5 January 2027 at 09:00 in each timezone; its
session is Thursday 7 January, 14:00-15:00 in Paris (13:00 UTC)."""

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from palabre.core.links import Links
from palabre.core.models import Response, member_id
from palabre.core.retention import expires_at
from palabre.core.streaks import StreakState
from palabre.core.typography import french
from palabre.store.members import MemberStore
from palabre.store.rsvps import RsvpStore
from palabre.store.sends import SendRecords
from palabre.store.themes import ThemeStore
from palabre_cli import demo
from palabre_cli.local import make_stack as palabre_stack
from sam_moto.clock import LocalClock
from sam_moto.stack import LocalStack
from tests.conftest import EXERCISED
from tests.functional.conftest import START, dynamodb_item, handlers_table, sent, tick
from tests.functional.test_answers import FORM, get, signer
from tests.functional.test_dispatch import GABRIEL, HUGO, KENJI, LEA, SARAH
from tests.functional.test_weekly_details import export

THEME = "demo-6"
TITLE = "Atelier live : le feedback en pratique"
CAMILLE, ALICE = demo.ADMIN, "alice.david@demo.palabre.example"  # the two admins
MORNING = datetime.fromisoformat("2027-01-05T06:00:00+00:00")
SENT = datetime.fromisoformat("2027-01-05T16:00:00+00:00")  # Montreal's 09:00 is past
EVE = {
    KENJI: datetime.fromisoformat("2027-01-06T09:00:00+09:00"),
    LEA: datetime.fromisoformat("2027-01-06T09:00:00+01:00"),
    SARAH: datetime.fromisoformat("2027-01-06T09:00:00+00:00"),
    GABRIEL: datetime.fromisoformat("2027-01-06T09:00:00-05:00"),
}
SOON = datetime.fromisoformat("2027-01-07T12:00:00+00:00")
STARTS = datetime.fromisoformat("2027-01-07T13:00:00+00:00")
ENDS = datetime.fromisoformat("2027-01-07T14:00:00+00:00")


def at(moment: datetime, minutes: int = 5) -> datetime:
    return moment + timedelta(minutes=minutes)


def live_calendar() -> bytes:
    """The demo calendar's live session alone (the demo's other themes come before it)."""
    themes = yaml.safe_load(demo.calendar(START.date()))["themes"]
    return yaml.safe_dump({"themes": [t for t in themes if t["id"] == THEME]}).encode()


def new_live_stack() -> LocalStack:
    """The demo organisation with demo-6 sent to everyone, nothing else going on: the
    stack's clock starts that Tuesday morning (AWS mocked by the caller)."""
    stack = palabre_stack(endpoint=None, clock=LocalClock(MORNING), parameters=None)
    EXERCISED.watch(stack)
    stack.upload("roster", "demo-roster.csv", demo.roster())
    stack.upload("calendar", "live.yaml", live_calendar())
    stack.advance_to(SENT)
    stack.clear_mail()
    return stack


@pytest.fixture
def live(aws: None) -> LocalStack:
    return new_live_stack()


def respond(stack: LocalStack, address: str, response: str, **fields: Any) -> None:
    """A member's response to the invitation, as the RSVP page writes it."""
    prompt = dynamodb_item(stack, f"THEME#{THEME}", f"PROMPT#{member_id(address)}")
    item = {
        "PK": {"S": f"THEME#{THEME}"},
        "SK": {"S": f"RSVP#{member_id(address)}"},
        "theme_id": {"S": THEME},
        "member_id": {"S": member_id(address)},
        "response": {"S": response},
        "at": {"S": stack.clock().isoformat()},
        "first_name": prompt["first_name"],
        "last_name": {"S": fields.get("last_name", "Nom")},
        "locale": prompt["locale"],
        "timezone": prompt["timezone"],
    }
    stack.client("dynamodb").put_item(TableName=stack.provisioned.tables["PalabreTable"], Item=item)


def session_mail(stack: LocalStack) -> list[EmailMessage]:
    """A live session's emails, their subjects spaced the French way or not."""
    return [m for m in sent(stack) if TITLE in m["Subject"].replace("\u00a0", " ")]


def reminded(stack: LocalStack) -> Counter[str]:
    return Counter(
        m["To"] for m in session_mail(stack) if m["Subject"].startswith(EVE_SUBJECT + HOUR_SUBJECT)
    )


def by_subject(stack: LocalStack, start: str) -> Counter[str]:
    return Counter(m["To"] for m in session_mail(stack) if m["Subject"].startswith(start))


def queue_job(stack: LocalStack, job: str, address: str, times: int = 1) -> None:
    url = stack.provisioned.queues["SendQueue"].url
    body = json.dumps({"job": job, "theme": THEME, "member": member_id(address)})
    for _ in range(times):
        stack.client("sqs").send_message(QueueUrl=url, MessageBody=body)
    stack.drain()


def record(stack: LocalStack, job: str, address: str) -> dict[str, Any]:
    return dynamodb_item(stack, f"THEME#{THEME}", f"LIVE#{job}#{member_id(address)}")


EVE_SUBJECT = ("Demain à ", "Tomorrow at ")
HOUR_SUBJECT = ("Dans une heure", "In one hour")


# ---------------------------------------------------------------------------- reminders
def test_reminders_come_the_day_before_in_each_timezone_and_the_hour_before(
    live: LocalStack,
) -> None:
    # Given Kenji (Tokyo) maybe, Léa (Paris) and Sarah (London) yes, Hugo no
    respond(live, KENJI, "maybe")
    respond(live, LEA, "yes")
    respond(live, SARAH, "yes")
    respond(live, HUGO, "no")

    # When the clock reaches 09:00 on Wednesday in Tokyo, then in Paris, then in London
    live.advance_to(at(EVE[KENJI]))
    # Then Kenji alone is reminded the day before, in English, at 22:00 his time
    assert by_subject(live, EVE_SUBJECT) == Counter({KENJI: 1})
    [kenji] = session_mail(live)
    assert kenji["Subject"] == f"Tomorrow at 22:00: {TITLE}"
    live.advance_to(at(EVE[LEA]))
    assert by_subject(live, EVE_SUBJECT) == Counter({KENJI: 1, LEA: 1})
    live.advance_to(at(EVE[SARAH]))
    assert by_subject(live, EVE_SUBJECT) == Counter({KENJI: 1, LEA: 1, SARAH: 1})
    [lea] = [m for m in session_mail(live) if m["To"] == LEA]
    # (in French once the lead merges the catalogue: "Demain à 14:00 : …")
    assert "14:00" in lea["Subject"]
    assert lea["Subject"].replace("\u00a0", " ").endswith(TITLE)

    # When the hour before comes
    live.advance_to(at(SOON))
    # Then the three coming are reminded once more, Hugo never
    assert by_subject(live, HOUR_SUBJECT) == Counter({KENJI: 1, LEA: 1, SARAH: 1})
    assert HUGO not in reminded(live)
    assert record(live, "session-eve", LEA)["status"] == {"S": "sent"}
    assert record(live, "session-hour", LEA)["status"] == {"S": "sent"}

    # And no "you have not answered" reminder ever comes for the session
    live.clear_mail()
    live.advance_to(datetime.fromisoformat("2027-01-10T10:00:00+01:00"))
    assert not reminded(live)
    assert not [m for m in sent(live) if m["Subject"].startswith(("Rappel", "Reminder"))]
    cursors = {
        i["SK"]["S"]
        for i in live.client("dynamodb").query(
            TableName=live.provisioned.tables["PalabreTable"],
            KeyConditionExpression="PK = :pk AND begins_with(SK, :c)",
            ExpressionAttributeValues={":pk": {"S": f"THEME#{THEME}"}, ":c": {"S": "CURSOR#"}},
        )["Items"]
    }
    assert not [c for c in cursors if c.startswith("CURSOR#reminder#")]


def test_the_reminder_email_says_when_where_and_how_to_change(live: LocalStack) -> None:
    respond(live, LEA, "yes")
    live.advance_to(at(EVE[LEA]))
    [message] = [m for m in session_mail(live) if m["To"] == LEA]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Léa," in text
    assert "jeudi 7 janvier 2027, 14:00 (heure\u00a0: France)" in text
    assert 'href="https://meet.example.com/palabre-atelier"' in html
    [change] = re.findall(r"https://\S+/rsvp/\S+", text.split("\n-- \n")[0])
    assert f'href="{change}"' in html
    assert re.fullmatch(
        rf"<session_reminder\.{THEME}\.session-eve\.[a-z2-7]{{26}}@example\.com>",
        message["Message-ID"],
    )
    assert message["List-Unsubscribe"]


def test_a_member_who_says_yes_after_the_day_before_gets_only_the_hour_before(
    live: LocalStack,
) -> None:
    live.advance_to(at(EVE[GABRIEL]))
    assert not session_mail(live)
    # Gabriel (Montreal) says yes once his day-before reminder's time has passed
    respond(live, GABRIEL, "yes")
    live.advance_to(at(SOON))
    assert by_subject(live, EVE_SUBJECT) == Counter()
    assert by_subject(live, HOUR_SUBJECT) == Counter({GABRIEL: 1})


def test_no_reminder_to_a_member_who_changed_to_no_once_queued(live: LocalStack) -> None:
    # Given Léa's hour-before reminder queued while she was coming
    respond(live, LEA, "yes")
    live.clock.move_to(at(SOON))
    respond(live, LEA, "no")
    # When it reaches the sender after she changed her mind
    queue_job(live, "session-hour", LEA)
    # Then nothing is sent, and why is recorded
    assert not session_mail(live)
    assert record(live, "session-hour", LEA)["skip_reason"] == {"S": "not-coming"}


def test_no_reminder_once_the_session_has_started(live: LocalStack) -> None:
    # Given Léa coming, and a scheduler that stalled until the session had started
    respond(live, LEA, "yes")
    tick(live, at(STARTS, 10))
    live.drain()
    # Then nothing was queued for her: the groups closed unsent
    assert not reminded(live)
    # And a late job (a replay from the dead-letter queue) is skipped and recorded
    queue_job(live, "session-hour", LEA)
    queue_job(live, "session-eve", LEA)
    assert not reminded(live)
    assert record(live, "session-hour", LEA)["skip_reason"] == {"S": "session-started"}
    assert record(live, "session-eve", LEA)["skip_reason"] == {"S": "session-started"}


def test_a_day_before_reminder_reaching_the_sender_within_the_last_hour_is_skipped(
    live: LocalStack,
) -> None:
    respond(live, LEA, "yes")
    live.clock.move_to(at(SOON))
    queue_job(live, "session-eve", LEA)
    assert not reminded(live)
    assert record(live, "session-eve", LEA)["skip_reason"] == {"S": "too-late"}


def test_a_day_before_reminder_reaching_the_sender_on_the_session_day_is_skipped(
    live: LocalStack,
) -> None:
    """Given Léa coming, When her day-before reminder reaches the sender just after
    midnight on the session's day in Paris (hours before the hour before), Then nothing
    is sent — it would say "tomorrow" — and why is recorded."""
    respond(live, LEA, "yes")
    live.clock.move_to(datetime.fromisoformat("2027-01-07T00:30:00+01:00"))
    queue_job(live, "session-eve", LEA)
    assert not reminded(live)
    assert record(live, "session-eve", LEA)["skip_reason"] == {"S": "too-late"}


def moved_calendar(starts: str) -> bytes:
    """The live session alone, starting at `starts` (Paris) instead."""
    themes = yaml.safe_load(live_calendar())["themes"]
    themes[0]["starts_at"] = starts
    return yaml.safe_dump({"themes": themes}).encode()


def test_a_postponed_session_is_reminded_at_its_new_date_never_at_its_old_one(
    live: LocalStack,
) -> None:
    """Given Léa coming, reminded the day before, When on that Wednesday the session is
    moved a week later, Then a reminder queued for the old time is not sent, nothing
    comes at the old hour before, and she is reminded the day before and the hour before
    the new date."""
    respond(live, LEA, "yes")
    live.advance_to(at(EVE[LEA]))
    assert by_subject(live, EVE_SUBJECT) == Counter({LEA: 1})

    report = live.upload("calendar", "live.yaml", moved_calendar("2027-01-14 14:00"))
    assert report["ok"] is True, report["errors"]
    live.advance_to(at(EVE[LEA], 30))  # its update goes out
    live.clear_mail()
    queue_job(live, "session-hour", LEA)  # queued before the move, delivered after it
    assert not session_mail(live)
    assert record(live, "session-hour", LEA)["skip_reason"] == {"S": "session-changed"}

    live.advance_to(at(ENDS))
    assert not session_mail(live)
    live.advance_to(at(EVE[LEA] + timedelta(days=7)))
    assert by_subject(live, EVE_SUBJECT) == Counter({LEA: 1})
    live.advance_to(at(SOON + timedelta(days=7)))
    assert by_subject(live, HOUR_SUBJECT) == Counter({LEA: 1})
    again = dynamodb_item(live, f"THEME#{THEME}", f"LIVE#session-eve#{member_id(LEA)}#1")
    assert again["status"] == {"S": "sent"}
    [eve] = [m for m in session_mail(live) if m["Subject"].startswith(EVE_SUBJECT)]
    assert "14 janvier 2027" in eve.get_body(("plain",)).get_content()


def test_a_reminder_delivered_three_times_sends_one_email(live: LocalStack) -> None:
    respond(live, LEA, "yes")
    live.clock.move_to(at(SOON))
    queue_job(live, "session-hour", LEA, times=3)
    assert reminded(live) == Counter({LEA: 1})
    queue_job(live, "session-hour", LEA)
    assert reminded(live) == Counter({LEA: 1})


def test_an_ordinary_reminder_queued_for_a_live_theme_is_skipped_with_its_reason(
    live: LocalStack,
) -> None:
    # Given a reminder job queued by an older plan
    queue_job(live, "reminder", LEA)
    # Then nothing is sent, and the skip is on her send record
    assert not sent(live)
    prompt = dynamodb_item(live, f"THEME#{THEME}", f"PROMPT#{member_id(LEA)}")
    assert prompt["reminder_skipped"] == {"S": "live-session"}


# ---------------------------------------------------------------------------- attendance
HOSTILE = "<b>Dubois</b>\u202e\u200b & co"
ATTENDANCE_SUBJECT = ("Qui est venu", "Who came to")


@pytest.fixture
def ended(live: LocalStack) -> LocalStack:
    """Léa yes (a hostile last name), Kenji maybe, Hugo no; the session just ended."""
    respond(live, LEA, "yes", last_name=HOSTILE)
    respond(live, KENJI, "maybe", last_name="Sato")
    respond(live, HUGO, "no", last_name="Bernard")
    live.advance_to(at(ENDS))
    return live


def attendance_link(stack: LocalStack, address: str = CAMILLE) -> str:
    [message] = [
        m
        for m in session_mail(stack)
        if m["To"] == address and m["Subject"].startswith(ATTENDANCE_SUBJECT)
    ]
    [link] = re.findall(r"https://\S+(/attendance/\S+)", message.get_body(("plain",)).get_content())
    return str(link)


def tick_present(
    stack: LocalStack, path: str, listed: list[str], present: list[str], email: str = ""
) -> tuple[int, str]:
    fields = [("listed", member_id(a)) for a in listed] + [
        ("present", member_id(a)) for a in present
    ]
    if email:
        fields.append(("email", email))
    status, headers, body = stack.api(
        method="POST", path=path, query="", headers=FORM, body=urlencode(fields).encode()
    )
    stack.drain()  # the score stream
    if status == 303:
        assert dict(headers)["Location"] == f"{path}?saved=1"
    return status, body.decode()


def score(stack: LocalStack, address: str) -> tuple[int, int]:
    item = dynamodb_item(stack, f"MEMBER#{member_id(address)}", "SCORE")
    return int(item.get("points", {"N": "0"})["N"]), int(item.get("answers", {"N": "0"})["N"])


def streak_counts(stack: LocalStack, address: str) -> bool:
    [fact] = SendRecords(handlers_table(stack)).prompts_since(member_id(address), StreakState())
    return fact.answered


def test_each_admin_gets_the_attendance_list_once_after_the_session(ended: LocalStack) -> None:
    # Then the two admins, and only they, got the list once the session ended
    lists = Counter(
        m["To"] for m in session_mail(ended) if m["Subject"].startswith(ATTENDANCE_SUBJECT)
    )
    assert lists == Counter({CAMILLE: 1, ALICE: 1})
    [message] = [
        m
        for m in session_mail(ended)
        if m["To"] == CAMILLE and m["Subject"].startswith(ATTENDANCE_SUBJECT)
    ]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # those coming, by name (the hostile one escaped, its controls gone); not Hugo
    assert "Kenji Sato" in text
    assert "Léa <b>Dubois</b> & co" in text
    assert "Léa &lt;b&gt;Dubois&lt;/b&gt; &amp; co" in html
    assert "<b>Dubois" not in html
    assert "\u202e" not in text + html
    assert "Hugo" not in text
    # one person per line, the link on its own
    listed = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(listed) == 2
    assert not [line for line in listed if "http" in line]
    # When the job comes back (a redelivery, a replay), nothing more is sent
    queue_job(ended, "attendance", CAMILLE, times=2)
    assert len([m for m in session_mail(ended) if m["To"] == CAMILLE]) == 1
    # And a job naming a member who is not an admin sends nothing, recorded
    queue_job(ended, "attendance", LEA)
    assert not [
        m
        for m in session_mail(ended)
        if m["To"] == LEA and m["Subject"].startswith(ATTENDANCE_SUBJECT)
    ]
    assert record(ended, "attendance", LEA)["skip_reason"] == {"S": "not-admin"}


def test_the_attendance_page_lists_those_coming_escaped(ended: LocalStack) -> None:
    status, headers, page = get(ended, attendance_link(ended))
    assert status == 200
    assert "script-src" not in headers["Content-Security-Policy"]
    assert f'value="{member_id(LEA)}"' in page
    assert f'value="{member_id(KENJI)}"' in page
    assert member_id(HUGO) not in page
    assert "&lt;b&gt;Dubois&lt;/b&gt; &amp; co" in page
    assert "<b>Dubois" not in page
    assert "\u202e" not in page
    assert 'type="email"' in page


def test_ticking_earns_points_and_the_streak_once_and_unticking_withdraws_them(
    ended: LocalStack,
) -> None:
    path = attendance_link(ended)
    assert score(ended, LEA) == (0, 0)

    # When Camille ticks Léa present (Kenji did not come)
    status, _ = tick_present(ended, path, [LEA, KENJI], [LEA])
    # Then Léa earns the theme's points and an answer, her streak counts it
    assert status == 303
    assert score(ended, LEA) == (10, 1)
    assert score(ended, KENJI) == (0, 0)
    assert streak_counts(ended, LEA)
    rsvp = dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{member_id(LEA)}")
    assert rsvp["attended"] == {"BOOL": True}
    assert rsvp["response"] == {"S": "yes"}

    # When the same form is sent again (a second tab, a double click)
    tick_present(ended, path, [LEA, KENJI], [LEA])
    # Then nothing more is earned
    assert score(ended, LEA) == (10, 1)

    # When she is unticked, then ticked again
    tick_present(ended, path, [LEA, KENJI], [])
    assert score(ended, LEA) == (0, 0)
    assert not streak_counts(ended, LEA)
    tick_present(ended, path, [LEA, KENJI], [LEA])
    assert score(ended, LEA) == (10, 1)

    # And the page shows her ticked
    _, _, page = get(ended, path + "?saved=1")
    assert f'value="{member_id(LEA)}" checked' in page


def test_a_response_written_again_after_a_tick_keeps_what_the_tick_earned(
    ended: LocalStack,
) -> None:
    """Given Léa ticked present, when her response is written again (the session moved
    later, so responses open again, and she says maybe), then the tick's revision and
    what it earned stay with it, and unticking her still withdraws her points."""
    path = attendance_link(ended)
    tick_present(ended, path, [LEA, KENJI], [LEA])
    assert score(ended, LEA) == (10, 1)
    table = handlers_table(ended)
    rsvps, theme = RsvpStore(table), ThemeStore(table).get(THEME)
    lea = MemberStore(table).get(member_id(LEA))
    assert theme is not None
    assert lea is not None
    before = rsvps.get(THEME, lea.id, consistent=True)
    assert before is not None
    rsvps.answer(theme, lea, before, Response.MAYBE, before.at + timedelta(seconds=1))
    again = dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{lea.id}")
    assert (again["response"]["S"], again["attended_rev"]["N"]) == ("maybe", "1")
    assert again["attended_points"] == {"N": "10"}
    tick_present(ended, path, [LEA, KENJI], [])
    assert score(ended, LEA) == (0, 0)


def label_of(page: str, address: str) -> str:
    """The attendance page's line of one person."""
    [line] = re.findall(rf'value="{member_id(address)}"[^\n]*</label>', page)
    return str(line)


def test_someone_who_came_without_answering_is_added_by_address(ended: LocalStack) -> None:
    path = attendance_link(ended)

    # When Camille adds Gabriel, who never answered the invitation
    status, _ = tick_present(ended, path, [LEA, KENJI], [], email=GABRIEL.upper())
    # Then he is present and earns the points; he is listed from now on
    assert status == 303
    assert score(ended, GABRIEL) == (10, 1)
    _, _, page = get(ended, path)
    assert f'value="{member_id(GABRIEL)}" checked' in page
    assert "venu sans répondre" in label_of(page, GABRIEL)
    # …and his response, which holds his name, expires as the others do
    walk_in = dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{member_id(GABRIEL)}")
    months = handlers_table(ended).retention_months
    assert int(walk_in["expires_at"]["N"]) == expires_at(ended.clock(), months)

    # A member on the waiting list added by address is shown as such, not as a walk-in
    respond(ended, SARAH, "waiting", last_name="Waits")
    tick_present(ended, path, [LEA, KENJI], [], email=SARAH)
    _, _, page = get(ended, path)
    assert "venu sans répondre" not in label_of(page, SARAH)
    assert re.search(
        r"\((on the waiting list|sur la liste d(&#39;|')attente)\)", label_of(page, SARAH)
    )

    # An address nobody invited is refused clearly, and nothing is recorded
    status, page = tick_present(ended, path, [LEA, KENJI], [LEA], email="inconnu@exemple.org")
    assert status == 400
    assert "inconnu@exemple.org" in page
    assert score(ended, LEA) == (0, 0)
    # So is a form naming someone the session was not sent to
    status, _ = tick_present(ended, path, [LEA, KENJI, "x@y.z"], [LEA])
    assert status == 400
    assert score(ended, LEA) == (0, 0)


def test_only_an_active_admins_link_records_attendance(ended: LocalStack) -> None:
    # Given a link minted for Léa, a member, with the stack's own key
    links = Links("https://palabre.example", signer(ended))
    forged = links.attendance(THEME, member_id(LEA), ENDS).split(".example", 1)[1]
    # Then it opens nothing and records nothing
    assert get(ended, forged)[0] == 404
    assert tick_present(ended, forged, [LEA], [LEA])[0] == 404
    assert score(ended, LEA) == (0, 0)

    # And Camille's own link stops working once she is no longer an admin
    path = attendance_link(ended)
    roster = demo.roster().replace(
        b"camille.martin@demo.palabre.example;Camille;Martin;B\xc3\xa2tisseurs;Op\xc3\xa9rations;fr;"
        b"Europe/Paris;admin",
        b"camille.martin@demo.palabre.example;Camille;Martin;B\xc3\xa2tisseurs;Op\xc3\xa9rations;fr;"
        b"Europe/Paris;member",
    )
    ended.upload("roster", "roster.csv", roster)
    assert get(ended, path)[0] == 404
    assert tick_present(ended, path, [LEA], [LEA])[0] == 404
    assert score(ended, LEA) == (0, 0)


def add_guests(stack: LocalStack, count: int) -> list[str]:
    """`count` more invitees who said yes (guest000…, last names Zz000…: listed after the
    demo's), written as the sender and the RSVP page write them; their member ids."""
    table = stack.provisioned.tables["PalabreTable"]
    items, ids = [], []
    for n in range(count):
        mid = member_id(f"guest{n:03d}@demo.palabre.example")
        ids.append(mid)
        person = {
            "PK": {"S": f"THEME#{THEME}"},
            "theme_id": {"S": THEME},
            "member_id": {"S": mid},
            "first_name": {"S": "Guest"},
            "locale": {"S": "fr"},
            "timezone": {"S": "Europe/Paris"},
        }
        prompt = {"SK": {"S": f"PROMPT#{mid}"}, "status": {"S": "sent"}}
        rsvp = {
            "SK": {"S": f"RSVP#{mid}"},
            "response": {"S": "yes"},
            "at": {"S": "2027-01-06T10:00:00+00:00"},
            "last_name": {"S": f"Zz{n:03d}"},
        }
        items += [person | prompt, person | rsvp]
    client = stack.client("dynamodb")
    for first in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": i}} for i in items[first : first + 25]]
        client.batch_write_item(RequestItems={table: batch})
    return ids


def test_a_session_of_hundreds_is_recorded_a_page_at_a_time(ended: LocalStack) -> None:
    """Given 520 more invitees coming (past the 500 one form may name), When Camille
    opens the attendance page, Then it lists them 200 at a time, with links between the
    pages; a form sent from the third page records its people alone (Léa, ticked on the
    first, stays so)."""
    guests = add_guests(ended, 520)
    path = attendance_link(ended)
    tick_present(ended, path, [LEA, KENJI], [LEA])

    _, _, first = get(ended, path)
    listed = re.findall(r'name="listed" value="([^"]+)"', first)
    assert len(listed) == 200
    assert member_id(LEA) in listed
    assert 'href="?page=2"' in first
    status, _, third = get(ended, path + "?page=3")
    assert status == 200
    on_third = re.findall(r'name="listed" value="([^"]+)"', third)
    assert len(on_third) == 522 - 400
    assert 'href="?page=2"' in third
    assert 'name="page" value="3"' in third

    guest = guests[450]
    fields = [("page", "3"), *(("listed", m) for m in on_third), ("present", guest)]
    status, headers, _ = ended.api(
        method="POST", path=path, query="", headers=FORM, body=urlencode(fields).encode()
    )
    assert status == 303
    assert dict(headers)["Location"] == f"{path}?page=3&saved=1"
    rsvp = dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{guest}")
    assert rsvp["attended"] == {"BOOL": True}
    assert dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{member_id(LEA)}")["attended"] == {
        "BOOL": True
    }


# ---------------------------------------------------------------------------- reports
def test_the_weekly_report_and_participation_export_count_each_session(
    ended: LocalStack,
) -> None:
    # Given Léa ticked present (Kenji said maybe and did not come)
    tick_present(ended, attendance_link(ended), [LEA, KENJI], [LEA])

    # When the weekly report of the session's week is built, on Monday 11 January
    ended.clock.move_to(datetime.fromisoformat("2027-01-11T07:00:00+00:00"))
    invocation = ended.runtime.invoke("WeeklyDigestFunction", {"time": "2027-01-11T07:00:00Z"})
    assert invocation.error is None, invocation.error
    ended.drain()

    # Then participation.csv has the session's row: 19 invited, 1 came, 1 yes, 1 maybe
    rows = export(ended, "2027-W01", "participation")
    assert rows[0][-3:] == ["yes", "maybe", "attended"]
    [session] = [r for r in rows if r[3] == "session"]
    assert session == [THEME, TITLE, "held", "session", "", "19", "1", "5%", "1", "1", "1"]
    # …and her circle's and team's rows count her attendance as an answer
    assert [THEME, TITLE, "open", "circle", "Bâtisseurs", "6", "1", "17%", "", "", ""] in rows
    # And each admin's report lists it with the same figures
    [report] = [
        m
        for m in sent(ended)
        if m["To"] == CAMILLE and m["Subject"].startswith(("Rapport", "Palabre weekly"))
    ]
    body = report.get_body(("plain",)).get_content()
    assert french(f"- {TITLE} — jeudi 7 janvier:") in body
    assert re.search(r"\D19 · \D+1 · \D+1 · \D+1\s", body), body
