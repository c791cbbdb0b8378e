"""Members' questions ("Comment fais-tu pour … ?") against moto: asked from the space, sent
to the asker's circle (not to the asker) the next working day at 09:00 in each peer's
timezone, open seven days, worth QuestionPoints an answer; one open question per member;
a calendar upload leaves it alone; an admin cancels it from the weekly report."""

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

import palabre.aws
from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre.questions.asking import AlreadyAsking, Asking, QuestionForm
from palabre.store.questions import QuestionStore
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import dynamodb_item, sent, table_items, tick
from tests.functional.test_answers import FORM, get, post, signer
from tests.functional.test_dispatch import GABRIEL, HUGO, LEA, OBSERVER
from tests.functional.test_weekly_details import LUCAS

FRIDAY = datetime.fromisoformat("2026-12-04T15:00:00+01:00")
MONDAY_PARIS = datetime.fromisoformat("2026-12-07T09:00:00+01:00")
MONDAY_MONTREAL = datetime.fromisoformat("2026-12-07T09:00:00-05:00")
# Léa's circle, the Bâtisseurs: four more in Paris, Gabriel in Montreal
PARIS_PEERS = {
    demo.ADMIN,
    HUGO,
    "lucas.thomas@demo.palabre.example",
    "chloe.robert@demo.palabre.example",
}
MANON = "manon.petit@demo.palabre.example"  # Éclaireurs
SARAH = "sarah.simon@demo.palabre.example"  # Éclaireurs, in English
TITLE = "Comment fais-tu pour dire non ?"
SHOWN = "Comment fais-tu pour dire non\u202f?"  # as French readers read it
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@pytest.fixture
def roster(stack: LocalStack) -> LocalStack:
    """The demo roster, no calendar: the only theme is the one a member asks."""
    assert stack.upload("roster", "demo-roster.csv", demo.roster())["ok"]
    stack.clear_mail()
    return stack


def ask_path(stack: LocalStack, address: str) -> str:
    token = signer(stack).sign(
        Purpose.SPACE, [member_id(address)], stack.clock() + timedelta(days=30)
    )
    return f"/space/{token}/ask"


def ask(
    stack: LocalStack, address: str, title: str = TITLE, question: str = "Ma trame ?", **kw: Any
) -> tuple[int, dict[str, str], str]:
    return post(stack, ask_path(stack, address), title=title, question=question, **kw)


def question_themes(stack: LocalStack) -> list[dict[str, Any]]:
    return [
        i
        for i in table_items(stack)
        if i["SK"]["S"] == "THEME" and i["PK"]["S"].startswith("THEME#q_")
    ]


def the_question(stack: LocalStack) -> dict[str, Any]:
    [theme] = question_themes(stack)
    return theme


def question_link(stack: LocalStack, address: str) -> str:
    """The answer link of the question's email to `address`."""
    message = next(m for m in sent(stack) if m["To"] == address and SHOWN in m["Subject"])
    [link] = re.findall(r"https://\S+?(/answer/\S+)", message.get_body(("plain",)).get_content())
    return link


def received(stack: LocalStack, title: str = SHOWN) -> Counter[str]:
    return Counter(m["To"] for m in sent(stack) if title in m["Subject"])


def writes(stack: LocalStack, method: str, path: str) -> tuple[int, str, Counter[str]]:
    """One request's status, page and the DynamoDB writes it made."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        if model.name in WRITES:
            calls[model.name] += 1

    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", count)
    try:
        if method == "GET":
            status, _, page = get(stack, path)
        else:
            status, _, page = post(stack, path, follow=False)
    finally:
        events.unregister("before-call.dynamodb.*", count)
    return status, page, calls


# ---------------------------------------------------------------------------- asking
def test_a_question_asked_on_friday_reaches_the_circle_on_monday_in_each_timezone(
    roster: LocalStack,
) -> None:
    roster.clock.move_to(FRIDAY)
    status, headers, page = ask(roster, LEA, question="Quand tu **dois** refuser une demande.")

    # the POST redirected (303) to the confirmation, which says when it goes
    assert status == 200
    assert "Votre question est en route." in page
    assert "lundi 7 décembre 2026 à 09:00" in page
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    theme = the_question(roster)
    assert theme["kind"]["S"] == "question"
    assert theme["send_on"]["S"] == "2026-12-07"
    assert theme["deadline_days"]["N"] == "7"
    assert theme["points"]["N"] == "5"  # QuestionPoints' default
    assert [c["S"] for c in theme["audience"]["M"]["circles"]["L"]] == ["Bâtisseurs"]
    assert theme["asker"]["S"] == member_id(LEA)

    # nothing over the weekend
    assert tick(roster, datetime.fromisoformat("2026-12-06T09:00:00+01:00"))["queued"] == {}
    # Monday 09:00 in Paris: her Paris peers, not her, not Montreal yet, no other circle
    tick(roster, MONDAY_PARIS)
    roster.drain()
    assert received(roster) == Counter(PARIS_PEERS)
    # 09:00 in Montreal: Gabriel
    tick(roster, MONDAY_MONTREAL)
    roster.drain()
    assert received(roster) == Counter(PARIS_PEERS | {GABRIEL})
    hugo = next(m for m in sent(roster) if m["To"] == HUGO)
    assert hugo["Subject"] == f"Léa demande à votre cercle\u00a0: {SHOWN}"
    html = hugo.get_body(("html",)).get_content()
    assert "<strong>dois</strong>" in html
    assert "Léa, de votre cercle, vous pose cette question." in html


def test_an_answer_earns_the_question_points_until_seven_days_after(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    tick(roster, MONDAY_PARIS)
    roster.drain()
    link = question_link(roster, HUGO)

    _, _, page = get(roster, link)
    assert "Une question de Léa, de votre cercle" in page
    assert "Ouvert jusqu'au lundi 14 décembre 2026 inclus" in page
    # past the 48 hours' bonus: the question's points alone
    roster.clock.move_to(datetime.fromisoformat("2026-12-10T10:00:00+01:00"))
    status, _, _ = post(roster, link, follow=False, answer="Je dis non, puis je propose.")
    assert status == 303
    theme_id = the_question(roster)["theme_id"]["S"]
    answer = dynamodb_item(roster, f"THEME#{theme_id}", f"ANSWER#{member_id(HUGO)}")
    assert answer["points"]["N"] == "5"


def test_the_question_points_follow_the_template_parameter(aws: None) -> None:
    from tests.functional.conftest import make_stack

    stack = make_stack(QuestionPoints="12")
    assert stack.upload("roster", "demo-roster.csv", demo.roster())["ok"]
    stack.clock.move_to(FRIDAY)
    ask(stack, LEA)
    assert the_question(stack)["points"]["N"] == "12"


def test_a_question_asked_on_friday_goes_out_on_the_organisations_next_working_day(
    aws: None,
) -> None:
    """Given WorkingDays Sun–Thu, when Léa asks on Friday, then the question is sent on
    Sunday (the next working day), not on Monday."""
    from tests.functional.conftest import make_stack

    stack = make_stack(WorkingDays="Sun,Mon,Tue,Wed,Thu")
    assert stack.upload("roster", "demo-roster.csv", demo.roster())["ok"]
    stack.clock.move_to(FRIDAY)
    ask(stack, LEA)
    assert the_question(stack)["send_on"]["S"] == "2026-12-06"
    stack.clear_mail()
    tick(stack, datetime.fromisoformat("2026-12-06T09:00:00+01:00"))
    stack.drain()
    assert received(stack) == Counter(PARIS_PEERS)


def test_a_question_is_read_in_its_askers_language_marked_for_the_others(
    roster: LocalStack,
) -> None:
    """Given Sarah (English) and Manon (French) in one circle, when Sarah asks, then the
    question is stored in English and Manon's email, and the French admin's cancel page,
    mark its title and prompt lang="en"."""
    roster.clock.move_to(FRIDAY)
    ask(roster, SARAH, title="How do you say no?", question="When you **must** refuse.")
    theme = the_question(roster)
    assert theme["lang"]["S"] == "en"

    tick(roster, MONDAY_PARIS)
    roster.drain()
    manon = next(m for m in sent(roster) if m["To"] == MANON)
    html = manon.get_body(("html",)).get_content()
    assert re.search(r'<h1 lang="en"[^>]*>How do you say no\?</h1>', html)
    assert re.search(r'<div class="prompt" lang="en"[^>]*>\s*<p[^>]*>When you <strong', html)
    # French spacing stays out of the English words
    assert "How do you say no?" in manon["Subject"]

    _, _, page = get(roster, cancel_path(roster, theme["theme_id"]["S"]))
    assert '<h1 lang="en">How do you say no?</h1>' in page
    assert '<div class="prompt" lang="en">' in page


def test_a_second_open_question_is_refused_until_the_first_closes(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    assert ask(roster, LEA, follow=False)[0] == 303
    before = table_items(roster)

    status, _, page = ask(roster, LEA, title="Une autre ?", follow=False)
    assert status == 409
    assert "Vous pourrez poser une nouvelle question une fois celle-ci close." in page
    assert SHOWN in page.replace("&#39;", "'")
    assert table_items(roster) == before

    # Monday 14 December is its last day (in Paris): from Tuesday she may ask again
    roster.clock.move_to(datetime.fromisoformat("2026-12-14T23:00:00+01:00"))
    assert ask(roster, LEA, title="Une autre ?", follow=False)[0] == 409
    roster.clock.move_to(datetime.fromisoformat("2026-12-15T00:00:00+01:00"))
    assert ask(roster, LEA, title="Une autre ?", follow=False)[0] == 303
    assert len(question_themes(roster)) == 2


def test_two_questions_asked_at_once_make_one(roster: LocalStack) -> None:
    """The refusal is the write's condition, not a read before it: of two requests that
    both found no open question, one writes and the other is refused."""
    roster.clock.move_to(FRIDAY)
    table = DynamoTable(roster.client("dynamodb"), roster.provisioned.tables["PalabreTable"])
    asking = Asking(table, signer(roster), question_points=5)
    token = ask_path(roster, LEA).split("/")[2]
    first = asking.open(token, FRIDAY)
    second = asking.open(token, FRIDAY)  # both read before either writes
    asking.ask(first, QuestionForm(title="Un", question="Q"), FRIDAY)
    with pytest.raises(AlreadyAsking):
        asking.ask(second, QuestionForm(title="Deux", question="Q"), FRIDAY)
    assert [t["title"]["S"] for t in question_themes(roster)] == ["Un"]


@pytest.mark.parametrize(
    ("title", "question", "error"),
    [
        ("x" * 121, "Q", "Le titre fait 121 caractères\u202f; la limite est de 120."),
        (
            "T",
            "y" * 2001,
            "Votre question fait 2\u202f001 caractères\u202f; la limite est de 2\u202f000.",
        ),
        ("", "Q", "Donnez un titre à votre question."),
        ("T", "  \r\n ", "Écrivez votre question avant de l&#39;envoyer."),
        ("T\x00", "Q", "caractères de contrôle invisibles"),
    ],
)
def test_bad_input_is_a_400_that_writes_nothing(
    roster: LocalStack, title: str, question: str, error: str
) -> None:
    roster.clock.move_to(FRIDAY)
    before = table_items(roster)
    status, _, page = ask(roster, LEA, title=title, question=question, follow=False)
    assert status == 400
    assert error in page
    assert 'role="alert"' in page
    assert table_items(roster) == before


def test_the_limits_hold_at_their_edge(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    assert ask(roster, LEA, title="é" * 120, question="ü" * 2000, follow=False)[0] == 303


def test_hostile_markdown_is_sanitised_everywhere(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    hostile = (
        "**Gras** <script>alert(1)</script> <img src=x onerror=alert(1)> "
        "[lien](javascript:alert(1)) & « fin »"
    )
    ask(roster, LEA, title="<b>Titre</b> & co", question=hostile)
    rendered = the_question(roster)["prompt_html"]["S"]
    assert "<strong>Gras</strong>" in rendered
    assert "<script" not in rendered
    assert "href" not in rendered  # a javascript: link stays text
    assert "<img" not in rendered
    tick(roster, MONDAY_PARIS)
    roster.drain()
    hugo = next(m for m in sent(roster) if m["To"] == HUGO)
    html = hugo.get_body(("html",)).get_content()
    assert "&lt;b&gt;Titre&lt;/b&gt; &amp; co" in html
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript:' not in html


def test_the_ask_page_is_a_form_and_a_scanner_get_writes_nothing(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    path = ask_path(roster, LEA)
    status, page, calls = writes(roster, "GET", path)
    assert status == 200
    assert calls == Counter()
    assert '<html lang="fr">' in page
    assert '<label for="title">Titre</label>' in page
    assert re.search(r'<input type="text" id="title" name="title"[^>]*maxlength="120"', page)
    assert re.search(r'<textarea id="question" name="question"[^>]*maxlength="2000"', page)
    assert "Bâtisseurs" in page
    assert "<script" not in page
    # the confirmation's URL, opened by a scanner before anything was asked, writes nothing
    status, page, calls = writes(roster, "GET", f"{path}?asked=1")
    assert (status, calls) == (200, Counter())
    assert "en route" not in page
    # the space's home links to it
    _, _, home = get(roster, path.removesuffix("/ask"))
    assert 'href="' + path.split("/")[2] + '/ask"' in home


def test_who_does_not_take_part_cannot_ask(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    before = table_items(roster)
    status, _, page = get(roster, ask_path(roster, OBSERVER))
    assert status == 403
    assert "ne peuvent pas poser de question" in page
    assert "<form" not in page
    assert ask(roster, OBSERVER, follow=False)[0] == 403

    # Léa leaves the roster: her space link still opens, and says so
    path = ask_path(roster, LEA)
    without_lea = b"".join(
        line for line in demo.roster().splitlines(keepends=True) if b"lea." not in line
    )
    assert roster.upload("roster", "demo-roster.csv", without_lea)["ok"]
    before = table_items(roster)
    status, _, page = get(roster, path)
    assert status == 403
    assert "Vous ne faites plus partie" in page
    # and writing through it is the plain page of any bad link (core.links.writer)
    assert post(roster, path, follow=False, title="T", question="Q")[0] == 404
    assert table_items(roster) == before
    assert question_themes(roster) == []


def test_every_bad_ask_link_is_the_same_plain_404(roster: LocalStack) -> None:
    keys, later = signer(roster), roster.clock() + timedelta(days=3)
    bad = {
        "forged": ask_path(roster, LEA).replace("/ask", "x/ask"),
        "unknown": "/space/" + keys.sign(Purpose.SPACE, ["mnobody"], later) + "/ask",
        "answer-token": "/space/"
        + keys.sign(Purpose.ANSWER, ["t", member_id(LEA)], later)
        + "/ask",
    }
    for path in bad.values():
        for method in ("GET", "POST"):
            status, _, page = roster.api(
                method=method, path=path, query="", headers=FORM, body=b"title=T&question=Q"
            )
            assert status == 404
            assert "Ce lien n'est pas valide ou a expiré." in page.decode()
    assert question_themes(roster) == []


# ---------------------------------------------------------------------------- the calendar
def test_a_calendar_upload_never_cancels_a_members_question(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    # the animators' calendar, uploaded after: it does not list the question
    report = roster.upload("calendar", "demo-calendar.yaml", demo.calendar(FRIDAY.date()))
    assert report["ok"]
    assert report["deactivated"] == 0
    theme = the_question(roster)
    assert theme["active"]["BOOL"] is True
    assert dynamodb_item(roster, theme["PK"]["S"], "DISPATCH")
    # ... and uploaded again: still there, and sent on Monday
    roster.upload("calendar", "demo-calendar.yaml", demo.calendar(FRIDAY.date()))
    tick(roster, MONDAY_PARIS)
    roster.drain()
    assert received(roster) == Counter(PARIS_PEERS)


# ---------------------------------------------------------------------------- cancelling
def cancel_path(stack: LocalStack, theme_id: str, admin: str = demo.ADMIN) -> str:
    later = stack.clock() + timedelta(days=10)
    return "/cancel/" + signer(stack).sign(Purpose.CANCEL, [theme_id, member_id(admin)], later)


def test_an_admin_cancels_a_question_by_post_never_by_get(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    theme_id = the_question(roster)["theme_id"]["S"]
    path = cancel_path(roster, theme_id)

    status, page, calls = writes(roster, "GET", path)
    assert (status, calls) == (200, Counter())
    assert SHOWN in page.replace("&#39;", "'")
    assert "Une question de Léa (Bâtisseurs)" in page
    assert '<form method="post"' in page

    status, page, _ = writes(roster, "POST", path)
    assert status == 200
    assert "La question est annulée" in page
    assert the_question(roster)["active"]["BOOL"] is False
    assert "annulée déjà" in post(roster, path, follow=False)[2]

    # nothing is sent for it, and Léa may ask again at once
    tick(roster, MONDAY_PARIS)
    roster.drain()
    tick(roster, MONDAY_MONTREAL)
    roster.drain()
    assert received(roster) == Counter()
    _, _, page = get(roster, ask_path(roster, LEA))
    assert "Un animateur a annulé cette question" in page
    assert ask(roster, LEA, title="Autre chose", follow=False)[0] == 303


def test_cancelling_stops_the_reminders_of_a_question_already_sent(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    tick(roster, MONDAY_PARIS)
    roster.drain()
    assert len(received(roster)) == 4
    post(roster, cancel_path(roster, the_question(roster)["theme_id"]["S"]), follow=False)
    roster.clear_mail()
    # Saturday 12 December, 09:00: the reminders' day (two days before the deadline)
    roster.advance_to(datetime.fromisoformat("2026-12-12T09:30:00+01:00"))
    assert [m["Subject"] for m in sent(roster)] == []


def test_only_an_active_admin_may_cancel(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    theme_id = the_question(roster)["theme_id"]["S"]
    for path in (
        cancel_path(roster, theme_id, admin=HUGO),  # a member, not an admin
        cancel_path(roster, "demo-1"),  # not a member's question
        cancel_path(roster, theme_id).replace("/cancel/", "/cancel/x"),
        "/cancel/"
        + signer(roster).sign(
            Purpose.VOTE, [theme_id, member_id(demo.ADMIN)], FRIDAY + timedelta(days=3)
        ),
    ):
        assert get(roster, path)[0] == 404
        assert post(roster, path, follow=False)[0] == 404
    assert the_question(roster)["active"]["BOOL"] is True


# ---------------------------------------------------------------------------- digest, report
def test_the_answers_reach_the_askers_digest_and_the_report_lists_the_question(
    org: LocalStack,
) -> None:
    # Wednesday 2 December: Léa asks; it goes out on Thursday; Hugo answers on Thursday
    org.advance_to(datetime.fromisoformat("2026-12-02T10:00:00+01:00"))
    ask(org, LEA)
    org.advance_to(datetime.fromisoformat("2026-12-03T09:30:00+01:00"))
    link = question_link(org, HUGO)
    assert post(org, link, follow=False, answer="Je dis non <b>poliment</b>.")[0] == 303
    # Manon, of another circle, is not asked
    assert not [m for m in sent(org) if m["To"] == MANON and SHOWN in m["Subject"]]
    # her space's ask page shows the answer
    _, _, page = get(org, ask_path(org, LEA))
    assert "1 réponse" in page
    assert "Je dis non &lt;b&gt;poliment&lt;/b&gt;." in page

    # Monday 7 December: the digest of the week
    org.advance_to(datetime.fromisoformat("2026-12-07T08:30:00+01:00"))
    [digest] = [m for m in sent(org) if m["To"] == LEA and "Ce que vos pairs" in m["Subject"]]
    html = digest.get_body(("html",)).get_content()
    assert "Votre question à votre cercle" in html
    assert "Je dis non &lt;b&gt;poliment&lt;/b&gt;." in html
    [peer] = [m for m in sent(org) if m["To"] == HUGO and "Ce que vos pairs" in m["Subject"]]
    assert "Une question de Léa, de votre cercle" in peer.get_body(("html",)).get_content()
    # an observer's (the organisation's edition) does not list another circle's question
    observer = [m for m in sent(org) if m["To"] == OBSERVER and "Ce que vos pairs" in m["Subject"]]
    assert all(SHOWN not in m.get_body(("html",)).get_content() for m in observer)

    [report] = [m for m in sent(org) if m["To"] == demo.ADMIN and "Rapport" in m["Subject"]]
    text = report.get_body(("plain",)).get_content()
    assert "Questions des membres à leur cercle" in text
    assert f"{SHOWN} — Léa, Bâtisseurs\u00a0: posée le 2 décembre, 1 réponse, ouverte" in text
    [cancel] = re.findall(r"https://\S+?(/cancel/\S+)", text)
    assert get(org, cancel)[0] == 200
    assert the_question(org)["active"]["BOOL"] is True  # the report's GET changed nothing
    assert post(org, cancel, follow=False)[0] == 200
    assert the_question(org)["active"]["BOOL"] is False


def test_a_members_recent_questions_come_newest_first_with_their_answers_counted(
    roster: LocalStack,
) -> None:
    """What the space's home shows of the member's questions (QuestionStore.recent)."""
    table = DynamoTable(roster.client("dynamodb"), roster.provisioned.tables["PalabreTable"])
    questions = QuestionStore(table)
    assert questions.recent(member_id(LEA)) == []
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    tick(roster, MONDAY_PARIS)
    roster.drain()
    link = question_link(roster, HUGO)
    post(roster, link, follow=False, answer="Je dis non.")
    roster.clock.move_to(datetime.fromisoformat("2026-12-15T10:00:00+01:00"))
    ask(roster, LEA, title="Et ensuite ?")

    now = roster.clock()
    recent = questions.recent(member_id(LEA))
    assert [(q.title, q.answers, q.open(now)) for q in recent] == [
        ("Et ensuite ?", 0, True),
        (TITLE, 1, False),
    ]
    assert recent[0].send_on.isoformat() == "2026-12-16"
    assert recent[1].circle == "Bâtisseurs"
    assert [q.title for q in questions.recent(member_id(LEA), limit=1)] == ["Et ensuite ?"]
    assert questions.recent(member_id(HUGO)) == []


def test_a_question_has_its_page_in_the_space_for_its_circle_only(roster: LocalStack) -> None:
    roster.clock.move_to(FRIDAY)
    ask(roster, LEA)
    roster.advance_to(MONDAY_PARIS + timedelta(minutes=10))
    theme_id = the_question(roster)["PK"]["S"].removeprefix("THEME#")
    post(roster, question_link(roster, HUGO), answer="Je propose une autre date.")
    roster.drain()

    def page_of(address: str) -> tuple[int, str]:
        status, _, page = get(
            roster, ask_path(roster, address).replace("/ask", f"/themes/{theme_id}")
        )
        return status, page

    status, page = page_of(LUCAS)  # a peer, who has not answered yet: give to get
    assert status == 200
    assert SHOWN.replace("'", "&#39;") in page
    assert "1 collègue a répondu" in page
    # a day later, another circle still cannot read it (a calendar theme it could)
    roster.advance_to(MONDAY_PARIS + timedelta(days=1, hours=1))
    assert page_of(MANON)[0] == 404
