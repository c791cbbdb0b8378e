"""Every email and page of a week, as its readers get them (issue 11): French text with
French spacing before : ; ? ! and inside « » (URLs, addresses, times and what a form
gives back aside), no "1 …s", and English readers' subjects in English when the theme
says it in English."""

import html
import re
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest

from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import START, sent
from tests.functional.test_answers import get, link_of, post
from tests.functional.test_digest import text
from tests.functional.test_dispatch import KENJI, LEA, SARAH
from tests.functional.test_scores import HUGO, MANON, answer
from tests.functional.test_weekly_details import demo_org

TOLD = (
    "Vraiment ? Oui : un tour de table chaque lundi ! « Simple » ; voir "
    "https://wiki.example.com/rituels?x=1 ou écrire à lea@example.com avant 09:30."
)
HOSTILE = "<script>alert(1)</script> {{ 7*7 }} %(name)s ?!: ;« »"
ENGLISH_TITLE = "Our team rituals"


def bilingual_calendar(stack: LocalStack) -> bytes:
    """The demo calendar, its first theme in English too."""
    first = "  title: Nos rituels d'équipe\n"
    source = demo.calendar(START.date()).decode()  # as first uploaded, on the Monday
    assert source.count(first) == 1
    english = (
        f"  title_en: {ENGLISH_TITLE}\n"
        "  prompt_en: 'Tell your peers about one ritual: what is it for?'\n"
    )
    return source.replace(first, first + english).encode()


@pytest.fixture(scope="module")
def week() -> Iterator[dict[str, Any]]:
    """A week of the demo organisation, its first theme in both languages: the import
    reports, the prompts, Léa's answer page and thank-you page, the reminders of
    Friday, Monday's digests and report, and a bad link's page."""
    with demo_org() as org:
        assert org.upload("calendar", "demo-calendar.yaml", bilingual_calendar(org))["ok"]
        answer(org, HUGO, HOSTILE, visibility="organisation")
        pages = {"answer": get(org, link_of(org, LEA))[2]}
        pages["thanks"] = post(org, link_of(org, LEA), answer=TOLD, visibility="organisation")[2]
        pages["answer again"] = get(org, link_of(org, LEA))[2]
        pages["not found"] = get(org, "/answer/not-a-real-token")[2]
        org.advance_to(datetime.fromisoformat("2026-12-07T09:00:00+01:00"))
        org.drain()
        yield {"mail": sent(org), "pages": pages}


# A mark of punctuation at the end of a word, and what is before it.
MARK = re.compile(r"(?P<before>.)(?P<mark>[;:?!])(?=[\s\"'»)]|$)", re.MULTILINE)
WANTED = {":": "\u00a0", ";": "\u202f\u00a0", "?": "\u202f\u00a0", "!": "\u202f\u00a0"}
NOT_PROSE = re.compile(r"\S*(?:://|@|www\.)\S*$|\d{1,2}$")
WRONG_PLURAL = re.compile(
    r"(?<![\d\s\u202f,.])1\s(?:points|messages|réponses|answers|votes|thèmes|themes|erreurs"
    r"|errors|lignes|rows|collègues|colleagues|jokers|pratiques|practices|jours|days)\b"
)


def visible(page: str) -> str:
    """A page's text as a reader sees it: no markup, no style, and no form field's value
    (given back as typed)."""
    page = re.sub(r"<(style|script|textarea|title)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def badly_spaced(prose: str) -> list[str]:
    found = []
    for match in MARK.finditer(prose):
        before, mark = match["before"], match["mark"]
        if before in WANTED[mark] or before in ";:?!":
            continue
        line_start = prose.rfind("\n", 0, match.start()) + 1
        word = prose[line_start : match.start() + 1].split(" ")[-1].split("\u00a0")[-1]
        if before != " " and NOT_PROSE.search(word):
            continue  # a URL's, an address's or a time's end
        found.append(prose[max(0, match.start() - 30) : match.end() + 5])
    return found


def french_parts(mail: list[EmailMessage]) -> Iterator[tuple[str, str]]:
    for message in mail:
        if message["Content-Language"] != "fr":
            continue
        body = message.get_body(("html",))
        assert body is not None
        yield f"{message['Subject']} (text)", text(message)
        yield f"{message['Subject']} (html)", visible(body.get_content())
        yield "subject", str(message["Subject"])


def test_every_french_email_and_page_is_spaced_the_french_way(week: dict[str, Any]) -> None:
    """Given a week of emails (import reports, prompts, reminders, digests, report) and
    pages, with a member's answer full of punctuation, links, an address and a time, and
    another's hostile text
    When each French part is read as a reader sees it
    Then every : has a no-break space before it and every ; ? ! a narrow one (or a
    no-break one), except at the end of a URL, an address or a time."""
    kinds = {m["Subject"].split(" ")[0] for m in week["mail"] if m["Content-Language"] == "fr"}
    assert {"Import", "Rappel\u00a0:", "Digest"} <= kinds or len(kinds) >= 4, kinds
    parts = list(french_parts(week["mail"]))
    parts += [(name, visible(page)) for name, page in week["pages"].items()]
    assert any("Vraiment\u202f? Oui\u00a0: un tour de table" in part for _, part in parts)

    wrong = {name: badly_spaced(part) for name, part in parts if badly_spaced(part)}

    assert wrong == {}


def test_no_count_of_one_takes_a_plural(week: dict[str, Any]) -> None:
    parts = [text(m) for m in week["mail"]] + [visible(p) for p in week["pages"].values()]

    assert [m.group() for part in parts for m in WRONG_PLURAL.finditer(part)] == []


def test_english_readers_get_the_theme_in_english_subject_included(
    week: dict[str, Any],
) -> None:
    """Given the first theme in French and in English
    When Sarah (London, English) gets it, and Kenji (Tokyo, English) its reminder
    Then their subjects and emails say it in English, marked lang="en"; French readers
    get it in French."""
    [prompt] = [m for m in week["mail"] if m["To"] == SARAH and "theme" in m["Subject"]]
    [reminder] = [m for m in week["mail"] if m["To"] == KENJI and "Reminder" in m["Subject"]]

    assert prompt["Subject"] == f"{ENGLISH_TITLE} — your theme this week"
    assert reminder["Subject"].startswith(f"Reminder: {ENGLISH_TITLE}, open until")
    body = prompt.get_body(("html",))
    assert body is not None
    assert '<h1 lang="en"' in body.get_content()
    assert "Tell your peers about one ritual: what is it for?" in text(prompt)
    french = [m for m in week["mail"] if m["To"] == LEA and "Nos rituels" in m["Subject"]]
    assert french
    assert all(m["Content-Language"] == "fr" for m in french)


def digest_to(week: dict[str, Any], address: str) -> EmailMessage:
    [digest] = [
        m
        for m in week["mail"]
        if m["To"] == address
        and m["Subject"].startswith(("What your peers tried", "Ce que vos pairs ont essayé"))
    ]
    return digest


def test_each_reader_of_a_shared_digest_reads_the_theme_in_their_language(
    week: dict[str, Any],
) -> None:
    """Given the first theme in French and English, answered and shared with everyone
    When Monday's digests go out, one edition per circle rendered for each reader
    Then Sarah (English) reads its title in English and Manon (French, her circle) in
    French, each marked with its language; the French admin's report says it in French."""
    sarah = digest_to(week, SARAH).get_body(("html",))
    manon = digest_to(week, MANON).get_body(("html",))
    assert sarah is not None
    assert manon is not None
    assert re.search(rf'<h2 lang="en"[^>]*>{ENGLISH_TITLE}</h2>', sarah.get_content())
    assert "Nos rituels" not in text(digest_to(week, SARAH))
    assert re.search(r'<h2 lang="fr"[^>]*>Nos rituels d(&#39;|\')équipe</h2>', manon.get_content())
    assert ENGLISH_TITLE not in text(digest_to(week, MANON))
    assert f"## {ENGLISH_TITLE}" in text(digest_to(week, SARAH))
