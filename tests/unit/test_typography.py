"""French typography in one place (core/typography.py): a no-break space before : and
inside « », a narrow one before ; ? !, never inside URLs, addresses, times, tags or what a
form gives back, and text in another language left as written; counts as the reader's
language writes them; every French email and page finished by it (mail/render.py)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palabre.core.typography import END, FOREIGN, Localized, finish, french, marked
from palabre.mail.render import render
from tests.unit.examples import TEMPLATES

NB, NN = "\u00a0", "\u202f"

CASES = {
    "colon after a word": (
        "Répondre: https://x.example/a?b=1",
        f"Répondre{NB}: https://x.example/a?b=1",
    ),
    "plain space to no-break": ("Rappel : demain", f"Rappel{NB}: demain"),
    "question and exclamation": ("Vraiment ?! Oui!", f"Vraiment{NN}?! Oui{NN}!"),
    "semicolon in prose, not in a list": ("oui ; non; a;b", f"oui{NN}; non{NN}; a;b"),
    "guillemets": ("« Bonjour » et «salut»", f"«{NB}Bonjour{NB}» et «{NB}salut{NB}»"),
    "times stay": ("à 09:00 ou 9:30.", "à 09:00 ou 9:30."),
    "addresses and links stay": (
        "lea@example.com https://x.example/page? mailto:a@b.example",
        "lea@example.com https://x.example/page? mailto:a@b.example",
    ),
    "already right": (f"Note{NB}: bien{NN}!", f"Note{NB}: bien{NN}!"),
    "a line's start has nothing to separate": ("?\n! début", "?\n! début"),
    "another language": (
        f"{FOREIGN}How? Fine: ok{END} — thème: ok",
        f"How? Fine: ok — thème{NB}: ok",
    ),
}


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_french_text_gets_its_spaces_and_nothing_else_changes(text: str, expected: str) -> None:
    assert finish(text, "fr") == expected


def test_english_is_left_as_written_and_loses_the_marks() -> None:
    assert finish(f"Reminder: {FOREIGN}Rituels ?{END}", "en") == "Reminder: Rituels ?"


def test_in_html_only_the_text_is_spaced() -> None:
    """Given HTML with marks in attributes, a style sheet, an entity, a textarea
    When it is finished for a French reader
    Then only the prose between tags changes (after a closing tag too)."""
    html = (
        "<style>@media (max-width: 600px) { a:hover { x: y; } }</style>"
        '<p class="a:b" style="color: red; x:y">Question?</p>'
        '<a href="https://x.example/?y=1">Lien</a> &amp; fin !'
        "<strong>Séance</strong>: mardi<textarea>Mon idée: X ?</textarea><p>:)</p>"
    )

    assert french(html, html=True) == (
        "<style>@media (max-width: 600px) { a:hover { x: y; } }</style>"
        f'<p class="a:b" style="color: red; x:y">Question{NN}?</p>'
        f'<a href="https://x.example/?y=1">Lien</a> &amp; fin{NN}!'
        f"<strong>Séance</strong>{NB}: mardi<textarea>Mon idée: X ?</textarea><p>:)</p>"
    )


PROSE = st.text(alphabet=st.sampled_from(list("ab é?!;:«» \n09@./")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=PROSE)
def test_spacing_twice_changes_nothing_more_and_keeps_every_letter(text: str) -> None:
    once = french(text)

    assert french(once) == once
    assert re.sub(r"[\s\u00a0\u202f]", "", once) == re.sub(r"[\s\u00a0\u202f]", "", text)


def test_a_subject_keeps_a_title_in_another_language_as_written() -> None:
    english = Localized("How do you run it?", "en")

    assert finish(f"Rappel : {marked(english, 'fr')}", "fr") == f"Rappel{NB}: How do you run it?"
    assert marked(Localized("Rituels", "fr"), "fr") == "Rituels"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", f"5{NN}000 points · 1 point"), ("en", "5,000 points · 1 point")],
)
def test_counts_are_written_as_the_readers_language_writes_them(locale: str, expected: str) -> None:
    """Given a template that prints counts through ngettext
    When it is rendered for a French and an English reader
    Then 5000 is grouped as each language groups it, and 1 takes the singular."""
    from palabre.mail.render import environment

    template = environment(TEMPLATES, locale).from_string(
        '{{ ngettext("%(num)s point", "%(num)s points", 5000) }} · '
        '{{ ngettext("%(num)s point", "%(num)s points", 1) }}'
    )

    assert template.render() == expected


def test_an_english_title_in_a_french_page_is_marked_and_left_as_written() -> None:
    """Given the star page for a French admin whose theme has only an English title
    When it is rendered
    Then the title's element says lang="en" and its "?" keeps no space before it."""
    page = render(
        TEMPLATES,
        "web/star.html",
        "fr",
        style="",
        organisation="Palabre démo",
        title=Localized("How do you run it?", "en"),
        author="Léa",
        text="Un tour de table: chaque lundi!",
        in_library=False,
        outcome="",
        action="/star/x",
        theme_url="/space/x",
    )

    assert '<p class="kicker" lang="en">How do you run it?</p>' in page
    assert f"Un tour de table{NB}: chaque lundi{NN}!" in page
    assert FOREIGN not in page
    assert END not in page
