"""The built templates layer's compiled templates render what the sources render: the same
environment compiles both (palabre.mail.render), hostile text included."""

import shutil
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from markupsafe import Markup, escape

from palabre.core.jobs import JobKind
from palabre.core.links import Links
from palabre.core.markdown import to_html
from palabre.core.models import Audience, Member, Theme, ThemeKind, Visibility
from palabre.core.streaks import StreakFigures
from palabre.core.tokens import Signer
from palabre.digest.editions import (
    ClosedTheme,
    DigestAnswer,
    DigestTheme,
    Edition,
    QuestionLine,
    Rate,
    Report,
)
from palabre.digest.mail import compose_digest, compose_report
from palabre.mail.personal import Letterhead
from palabre.mail.render import COMPILED, environment, precompile, render
from palabre.sending.prompt_mail import compose
from tests.unit.examples import TEMPLATES

HOSTILE = '<script>alert("x")</script> & Zoë "l\'ami" %(s)s {{ 7*7 }}'
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
LINKS = Links("https://palabre.example.com", Signer(["k" * 64]))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of templates/ with its compiled/ folder, as `make build` lays it out."""
    folder = tmp_path_factory.mktemp("layer") / "templates"
    shutil.copytree(TEMPLATES, folder, ignore=shutil.ignore_patterns("Makefile", COMPILED))
    precompile(TEMPLATES, folder / COMPILED)
    return folder


def parts(message: EmailMessage) -> list[tuple[str, str]]:
    return [
        (part.get_content_type(), part.get_content())
        for part in message.walk()
        if not part.is_multipart()
    ]


def member(locale: str) -> Member:
    return Member(
        email="zoe@exemple.org",
        first_name=HOSTILE,
        circle=HOSTILE,
        team="Équipe",
        locale=locale,
        timezone="America/Montreal",
    )


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("kind", [ThemeKind.PRACTICE, ThemeKind.LIVE])
def test_a_prompt_email_renders_the_same_from_the_compiled_templates(
    built: Path, locale: str, kind: ThemeKind
) -> None:
    theme = Theme(
        id="t1",
        send_on=date(2026, 12, 1),
        title=HOSTILE,
        prompt=f"**{HOSTILE}**",
        kind=kind,
        starts_at=datetime(2026, 12, 3, 14, tzinfo=UTC) if kind is ThemeKind.LIVE else None,
        duration_minutes=60 if kind is ThemeKind.LIVE else None,
        location=HOSTILE,
        audience=Audience(everyone=True),
    )
    theme = theme.model_copy(update={"prompt_html": str(to_html(theme.prompt))})
    mails = [
        compose(
            JobKind.PROMPT, theme, member(locale), LINKS, Letterhead(HOSTILE, "p@x.org", d), NOW
        )
        for d in (TEMPLATES, built)
    ]
    source, compiled = (parts(m.parsed()) for m in mails)
    assert compiled == source
    assert "&lt;script&gt;" in source[1][1]
    assert "<script>" not in source[1][1]


def test_a_digest_renders_the_same_from_the_compiled_templates(built: Path) -> None:
    reader = member("fr")
    answers = [
        DigestAnswer(
            theme_id="t1",
            author_id=f"m{n}",
            first_name=HOSTILE,
            circle=HOSTILE,
            text=HOSTILE,
            visibility=Visibility.ORGANISATION if n else Visibility.CIRCLE,
            useful=n,
        )
        for n in range(3)
    ]
    edition = Edition(
        week="2026-W49",
        start=date(2026, 11, 30),
        end=date(2026, 12, 6),
        scope="circle",
        circle=HOSTILE,
        themes=[
            DigestTheme(
                id="t1",
                title=HOSTILE,
                answers=answers,
                prompt=HOSTILE,
                # as a tampered item would hold it: the safe-list applies again
                prompt_html='<p>ok</p><script>alert(1)</script><img src=x onerror="alert(1)">',
                more=3,
            ),
            DigestTheme(id="q_1", title="Q", answers=[], asker="mother", asker_name=HOSTILE),
        ],
        top=answers[1:],
        participation=Rate(answers=2, prompts=3),
        teams=[Rate(name=HOSTILE, answers=1, prompts=2, points=30)],
    )
    waiting = Theme(
        id="t0",
        send_on=date(2026, 12, 1),
        title=HOSTILE,
        prompt="Q",
        audience=Audience(everyone=True),
    )
    mails = [
        compose_digest(
            edition,
            reader,
            120,
            StreakFigures(4, 9, jokers_left=0, joker_used=True),
            LINKS,
            Letterhead("Org", "p@x.org", d),
            NOW,
            [waiting],
        )
        for d in (TEMPLATES, built)
    ]
    source, compiled = (parts(m.parsed()) for m in mails)
    assert compiled == source
    html = source[1][1]
    assert "<p>ok</p>" in html
    assert "<script" not in html
    assert "onerror" not in html
    assert "Voir les 3 autres réponses dans votre espace" in html
    assert "Un thème attend votre réponse" in html  # still open for the reader, first
    assert (
        "votre série\u00a0: 4 thèmes répondus d'affilée · record\u00a0: 9 · 0 joker restant" in html
    )
    assert "Joker utilisé" in html
    assert "Une question de &lt;script&gt;" in html  # a peer's question, its asker escaped
    assert HOSTILE in source[0][1]  # the plain text keeps the question as written


def test_a_report_renders_the_same_from_the_compiled_templates(built: Path) -> None:
    hostile = Rate(name=HOSTILE, answers=1, prompts=3)
    report = Report(
        week="2026-W49",
        start=date(2026, 11, 30),
        end=date(2026, 12, 6),
        circles=[hostile],
        teams=[hostile],
        top=[],
        non_responders=[],
        suppressed=[],
        dead_letters={},
        exports={},
        closed=[
            ClosedTheme(
                id="t1",
                title=HOSTILE,
                closed_on=date(2026, 12, 1),
                total=Rate(answers=1, prompts=3),
                circles=[hostile],
                teams=[hostile],
            )
        ],
        open_themes=1,
        questions=[
            QuestionLine(
                id=f"q_{status}",
                title=HOSTILE,
                asker_name=HOSTILE,
                circle=HOSTILE,
                asked_on=date(2026, 12, 2),
                send_on=date(2026, 12, 3),
                status=status,
                answers=2,
            )
            for status in ("open", "cancelled")
        ],
    )
    mails = [
        compose_report(report, member("fr"), LINKS, Letterhead("Org", "p@x.org", d), NOW)
        for d in (TEMPLATES, built)
    ]
    source, compiled = (parts(m.parsed()) for m in mails)
    assert compiled == source
    plain, html = source[0][1], source[1][1]
    assert "Thèmes clos cette semaine\u00a0: participation finale" in html
    assert "clos le 1er décembre" in plain
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    # each question's title, asker and circle escaped; a cancel link for the open one only
    assert "Questions des membres à leur cercle" in html
    assert html.count("/cancel/") == plain.count("/cancel/") == 1
    assert "posée le 2 décembre, 2 réponses, ouverte" in plain


@pytest.mark.parametrize("page", ["web/not_found.html"])
def test_a_page_renders_the_same_from_the_compiled_templates(built: Path, page: str) -> None:
    pages = [
        render(d, page, "fr", style="", organisation=HOSTILE, subject=HOSTILE)
        for d in (TEMPLATES, built)
    ]
    assert pages[0] == pages[1]
    assert HOSTILE not in pages[0]


def test_the_compiled_templates_are_what_renders_them(built: Path) -> None:
    # Not the sources beside them: a compiled layer never inlines CSS nor compiles again
    (built / "email" / "prompt.html").write_text("broken {% if %}", encoding="utf-8")
    environment.cache_clear()
    template = environment(built, "en").get_template("email/prompt.html")  # no syntax error
    assert template.name == "email/prompt.html"
    assert type(environment(built, "en").loader).__name__ == "ModuleLoader"
    assert type(environment(TEMPLATES, "en").loader).__name__ == "InliningLoader"


def test_the_repository_templates_hold_no_compiled_output() -> None:
    # Where compiled/ or a .mo exists, they are what renders: in the repository they would
    # silently stand in for the sources the tests and the local stack must read
    assert not (TEMPLATES / COMPILED).exists()
    assert list(TEMPLATES.rglob("*.mo")) == []


def answer_page(templates: Path, saved: str | None, answered: bool) -> str:
    """The answer form (or its thanks) as the personal links function renders it."""
    from palabre.config import PersonalLinksSettings
    from palabre.core.models import Answer, Attribution, Prompt, Visibility
    from palabre.core.tokens import Purpose
    from palabre.store import keys
    from palabre.store.themes import theme_item
    from palabre.wiring import Adapters, answer_pages
    from tests.fakes import FakeTable

    theme = Theme(
        id="t1",
        send_on=date(2026, 12, 1),
        title=HOSTILE,
        prompt=f"**{HOSTILE}**",
        audience=Audience(everyone=True),
    )
    prompt = Prompt(
        theme_id="t1",
        member_id="m1",
        status="sent",
        at=NOW,
        sent_at=NOW,
        deadline=NOW + timedelta(days=6),
        first_name=HOSTILE,
        locale="fr",
        timezone="Europe/Paris",
        circle=HOSTILE,
    )
    from palabre.store.members import member_item

    # The member is in the roster (a member who left reads a page without the form)
    member = Member(
        email="m1@client.example",
        first_name=HOSTILE,
        circle=HOSTILE,
        team="T",
        locale="fr",
        timezone="Europe/Paris",
    )
    items = [
        theme_item(theme),
        {**keys.prompt("t1", "m1"), **prompt.model_dump(mode="json")},
        {**member_item(member), **keys.member("m1")},
    ]
    if answered:
        text = Answer(
            theme_id="t1",
            member_id="m1",
            text=HOSTILE,
            visibility=Visibility.ORGANISATION,
            attribution=Attribution.ANONYMOUS,
            points=15,
            created_at=NOW,
            updated_at=NOW,
        )
        items.append({**keys.answer("t1", "m1"), **text.model_dump(mode="json")})
    settings = PersonalLinksSettings.model_validate(
        {
            "TABLE_NAME": "palabre",
            "ORGANISATION_NAME": HOSTILE[:80],
            "ORGANISATION_TIMEZONE": "Europe/Paris",
            "DEFAULT_LOCALE": "fr",
            "TEMPLATES_DIR": str(templates),
            "LINK_SECRET_ARN": "arn",
            "UPLOADS_BUCKET": "bucket",
            "GIVE_TO_GET": "on",
            "ANONYMITY_THRESHOLD": "3",
            "QUESTION_POINTS": "5",
            "WORKING_DAYS": "Mon,Tue,Wed,Thu,Fri",
            "RETENTION_MONTHS": "24",
        }
    )
    signer = LINKS.signer
    pages = answer_pages(settings, Adapters(table=FakeTable(items), signer=signer))
    token = signer.sign(Purpose.ANSWER, ["t1", "m1"], NOW + timedelta(days=7))
    return pages.show(token, f"/answer/{token}", NOW + timedelta(hours=1), saved).body


@pytest.mark.parametrize(
    ("saved", "answered"), [(None, False), (None, True), ("created", True), ("edited", True)]
)
def test_the_answer_page_and_its_thanks_render_the_same_from_the_compiled_templates(
    built: Path, saved: str | None, answered: bool
) -> None:
    source, compiled = (answer_page(d, saved, answered) for d in (TEMPLATES, built))
    assert compiled == source
    assert ("Merci" in source) is (saved is not None)
    assert ('<form method="post"' in source) is (saved is None)
    assert HOSTILE not in source
    assert "&lt;script&gt;" in source


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("empty", [False, True])
def test_the_members_space_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, empty: bool
) -> None:
    context = {
        "token": HOSTILE,
        "first_name": HOSTILE,
        "circle": HOSTILE,
        "points": 17,
        "streak": StreakFigures(1, 4, jokers_left=0),
        "rank": 0 if empty else 3,
        "ranked_of": 9,
        "my_rank": 0 if empty else 12,
        "my_ranked_of": 240,
        "library": [] if empty else [{"title": HOSTILE, "entered": HOSTILE} for _ in range(2)],
        "open_themes": []
        if empty
        else [
            {
                "id": HOSTILE,
                "title": HOSTILE,
                "last_day": HOSTILE,
                "answered": answered,
                "answer_url": f"../answer/{HOSTILE}",
                "live": False,
            }
            for answered in (False, True)
        ]
        + [  # a live session: its response and the link to change it, not an answer's
            {
                "id": HOSTILE,
                "title": HOSTILE,
                "last_day": HOSTILE,
                "answered": False,
                "answer_url": f"../answer/{HOSTILE}",
                "live": True,
                "response": "waiting",
                "position": 2,
                "rsvp_url": f"../rsvp/{HOSTILE}",
            }
        ],
        "answers": []
        if empty
        else [
            {
                "theme": HOSTILE,
                "theme_id": HOSTILE,
                "byline": HOSTILE,
                "mine": mine,
                "organisation": mine,
                "text": HOSTILE,
                "cut": mine,
            }
            for mine in (False, True)
        ],
    }
    source, compiled = (
        render(d, "web/space.html", locale, style="", organisation=HOSTILE, **context)
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    assert HOSTILE not in source
    assert "<script>" not in source
    main = source.split("<main", 1)[1]
    # the name, the history's, the library's, the ask page's and the preferences' links
    # (their token) and the circle; each open theme's link (token, id), title, day and
    # answer link (a live session's: its response link); each answer's theme link (token,
    # id) and title, its text, and the author of the one not the reader's own; each new
    # entry of the library's link (token), title and day: every one of them escaped
    assert main.count("&lt;script&gt;") == (6 if empty else 6 + 3 * 5 + 2 * 4 + 1 + 2 * 3)
    assert (f'href="../rsvp/{escape(HOSTILE)}"' in main) is not empty
    assert "17 points" in main
    assert ("3 sur 9" in main or "3 of 9" in main) is not empty
    assert ("12 sur 240" in main or "12 of 240" in main) is not empty
    figures = (
        "une série de 1 thème · record\u00a0: 4 · 0 joker restant ce trimestre"
        if locale == "fr"
        else "a streak of 1 theme · best: 4 · 0 jokers left this quarter"
    )
    assert figures in main
    assert f'href="{escape(HOSTILE)}/preferences"' in main


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("failed", ["", "receive", "add"])
def test_the_preferences_page_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, failed: str
) -> None:
    context = {
        "token": HOSTILE,
        "action": HOSTILE,
        "first_name": HOSTILE,
        "current": "no_digest",
        "saved": None if failed else "added",
        "error": HOSTILE if failed else "",
        "failed": failed,
        "start": HOSTILE,
        "end": HOSTILE,
        "absences": [
            {"key": HOSTILE, "start": HOSTILE, "end": HOSTILE, "over": over}
            for over in (False, True)
        ],
    }
    source, compiled = (
        render(d, "web/preferences.html", locale, style="", organisation=HOSTILE, **context)
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    # the home link's token; the forms' actions (choices, one per absence, adding); the
    # name; each absence's dates (twice: text and the button's label) and key; the dates
    # typed back; the error when refused
    assert main.count("&lt;script&gt;") == 1 + 4 + 1 + 2 * 5 + 2 + (1 if failed else 0)
    assert 'value="no_digest" checked' in main
    assert main.count('<input type="date"') == 2
    assert ('role="alert"' in main) is bool(failed)
    assert ('aria-invalid="true"' in main) is (failed == "add")
    assert ('role="status"' in main) is not bool(failed)


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_members_history_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str
) -> None:
    entries = [
        {
            "id": HOSTILE,
            "title": HOSTILE,
            "sent_on": HOSTILE,
            "answer": HOSTILE if answered else "",
            "organisation": answered,
            "open": is_open,
            "answer_url": f"../../answer/{HOSTILE}",
        }
        for answered in (False, True)
        for is_open in (False, True)
    ]
    source, compiled = (
        render(
            d,
            "web/space_history.html",
            locale,
            style="",
            organisation=HOSTILE,
            token=HOSTILE,
            first_name=HOSTILE,
            entries=entries,
            older=HOSTILE,
        )
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    # the home link's token; each entry's link (token, id), title and day, its answer when
    # answered, its link when open (the "older" link is URL-encoded: no markup at all)
    assert main.count("&lt;script&gt;") == 1 + 4 * 4 + 2 + 2
    assert "%3Cscript%3E" in main


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("waiting", [0, 2])
def test_a_theme_of_the_space_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, waiting: int
) -> None:
    answers = [
        {
            "byline": HOSTILE,
            "text": HOSTILE,
            "useful": 2,
            "organisation": True,
            "in_library": in_library,
            "vote_url": HOSTILE,
            "star_url": HOSTILE,
        }
        for in_library in (False, True)
    ]
    source, compiled = (
        render(
            d,
            "web/space_theme.html",
            locale,
            style="",
            organisation=HOSTILE,
            token=HOSTILE,
            title=HOSTILE,
            competency=HOSTILE,
            prompt_html=Markup("<p>a prompt</p>"),
            last_day=HOSTILE,
            answer_url=HOSTILE,
            mine=HOSTILE,
            mine_shared=True,
            waiting=waiting,
            page=2,
            pages=3,
            answers=[] if waiting else answers,
        )
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    # the space's link (token), the competency, the title, the day, my answer and its
    # link; each answer's byline, text, vote and star links
    assert main.count("&lt;script&gt;") == 6 + (0 if waiting else 2 * 4)
    assert "<p>a prompt</p>" in main
    assert 'href="?page=1"' in main
    assert 'href="?page=3"' in main


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_library_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str
) -> None:
    entry = {
        "byline": HOSTILE,
        "text": HOSTILE,
        "useful": 3,
        "entered": HOSTILE,
        "starred": True,
    }
    competencies = [{"name": HOSTILE, "themes": [{"title": HOSTILE, "entries": [entry]}]}]
    source, compiled = (
        render(
            d,
            "web/space_library.html",
            locale,
            style="",
            organisation=HOSTILE,
            token=HOSTILE,
            query=HOSTILE,
            total=1,
            count=1,
            competencies=competencies,
        )
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    # the space's link, the filter, the competency, the theme, the entry's byline, day and
    # text
    assert main.count("&lt;script&gt;") == 7


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("in_library", [False, True])
def test_the_star_page_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, in_library: bool
) -> None:
    source, compiled = (
        render(
            d,
            "web/star.html",
            locale,
            style="",
            organisation=HOSTILE,
            title=HOSTILE,
            author=HOSTILE,
            text=HOSTILE,
            in_library=in_library,
            outcome="added" if in_library else "",
            action=HOSTILE,
            theme_url=HOSTILE,
        )
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    # the theme, the author's byline, the text, the form's action, the theme's link
    assert main.count("&lt;script&gt;") == 5
    assert ('value="remove"' in main) is in_library


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("state", ["form", "open", "closed", "refused"])
def test_the_ask_page_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, state: str
) -> None:
    latest = {
        "title": HOSTILE,
        "send_on": HOSTILE,
        "last_day": HOSTILE,
        "open": state == "open",
        "cancelled": False,
        "sent": True,
        "answers": [{"byline": HOSTILE, "text": HOSTILE}],
    }
    context = {
        "token": HOSTILE,
        "first_name": HOSTILE,
        "circle": HOSTILE,
        "refusal": HOSTILE if state == "refused" else "",
        "asked": state == "open",
        "latest": latest if state in ("open", "closed") else None,
        "can_ask": state in ("form", "closed"),
        "action": HOSTILE,
        "title": HOSTILE,
        "question": HOSTILE,
        "error": HOSTILE if state == "form" else "",
        "title_limit": 120,
        "question_limit": 2000,
        "send_at": "09:00",
    }
    source, compiled = (
        render(d, "web/ask.html", locale, style="", organisation=HOSTILE, **context)
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    assert ('<form method="post"' in main) is (state in ("form", "closed"))
    # the space link's token; then the refusal, or: the latest question's title, days,
    # its answer's author and text; and the form's circle, action, title, question (and
    # its error)
    expected = {"refused": 1 + 1, "form": 1 + 4 + 1, "open": 1 + 5, "closed": 1 + 5 + 4}
    assert main.count("&lt;script&gt;") == expected[state]


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("outcome", ["", "cancelled", "already", "closed"])
def test_the_cancel_page_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, outcome: str
) -> None:
    context = {
        "title": HOSTILE,
        "prompt_html": to_html(f"**{HOSTILE}**"),
        "asker": HOSTILE,
        "circle": HOSTILE,
        "send_on": HOSTILE,
        "outcome": outcome,
        "action": HOSTILE,
    }
    source, compiled = (
        render(d, "web/cancel.html", locale, style="", organisation=HOSTILE, **context)
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    assert ('<form method="post"' in main) is (outcome == "")
    # the asker, circle, title, question (its Markdown rendered, its HTML escaped), day;
    # and the form's action while it can be cancelled
    assert main.count("&lt;script&gt;") == 5 + (outcome == "")


def pause_facts(locale: str) -> dict[str, object]:
    from zoneinfo import ZoneInfo

    from palabre.bounces.pause_notice import facts
    from palabre.core.deliverability import Figures
    from palabre.store.sending import Pause

    pause = Pause(since=NOW.isoformat(), reason="bounces", figures=Figures(1017, 41, 1))
    return facts(pause, locale, ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize("locale", ["fr", "en"])
@pytest.mark.parametrize("outcome", ["", "resumed", "not_paused", "later"])
def test_the_resume_page_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str, outcome: str
) -> None:
    context: dict[str, object] = {"admin_name": HOSTILE, "outcome": outcome, "action": HOSTILE}
    if outcome != "later":  # a later pause's figures are not the link's
        context |= pause_facts(locale)
    source, compiled = (
        render(d, "web/resume.html", locale, style="", organisation=HOSTILE, **context)
        for d in (TEMPLATES, built)
    )
    assert compiled == source
    main = source.split("<main", 1)[1]
    assert "<script>" not in main
    # GET shows a button only while the link's pause is in force; POST's page none
    assert ('<form method="post"' in main) is (outcome == "")
    assert ("41" in main) is (outcome != "later")
    # the admin's name; and the form's action while it can resume
    assert main.count("&lt;script&gt;") == 1 + (outcome == "")


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_pause_email_renders_the_same_from_the_compiled_templates_and_escapes(
    built: Path, locale: str
) -> None:
    context = pause_facts(locale) | {
        "admin_name": HOSTILE,
        "organisation": HOSTILE,
        "subject": HOSTILE,
        "resume_url": LINKS.resume(NOW.isoformat(), "m1", NOW),
    }
    for name in ("email/sending_paused.html", "email/sending_paused.txt"):
        source, compiled = (render(d, name, locale, **context) for d in (TEMPLATES, built))
        assert compiled == source
        assert "/resume/" in source
        assert "41" in source
    html = render(TEMPLATES, "email/sending_paused.html", locale, **context)
    assert "<script>" not in html
    # the subject (title), the organisation (brand, footer), the admin's name
    assert html.count("&lt;script&gt;") == 4
