"""The member's space in Debian's Chromium, at phone width, as the demo's members use it:
Léa, of Bâtisseurs, opens her space from the theme's email, reads her peers only once she
has answered (anonymously), finds a practice useful, asks her circle a question and
declares an absence; Camille, the circle's admin, keeps a practice in the library and
finds it again with the filter; a mail scanner fetching the links behind the pages'
buttons changes nothing.

The tests are the steps of one story: each starts where the one before left the stack
(pytest runs a module's tests in file order, and the stack is the module's)."""

import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, Local

LEA = "lea.dubois@demo.palabre.example"  # Bâtisseurs, new to the space
HUGO = "hugo.bernard@demo.palabre.example"  # Bâtisseurs
CAMILLE = "camille.martin@demo.palabre.example"  # Bâtisseurs, the demo's admin
MANON = "manon.petit@demo.palabre.example"  # Éclaireurs
RITUALS = "Nos rituels d'équipe"
PHONE = {"width": 375, "height": 812}

HUGO_SAYS = "Une météo d'équipe chaque lundi : chacun dit en un mot comment il arrive."
HUGO_SHOWN = HUGO_SAYS.replace(" :", "\u00a0:")  # as French readers read it
LEA_SAYS = "Un point de dix minutes debout le mardi, sans écran, pour lever les blocages."
CAMILLE_SAYS = "Un déjeuner d'équipe par mois, choisi à tour de rôle."
QUESTION = "Comment animez-vous une rétro à distance ?"
NOT_FOUND = "Ce lien n'est pas valide ou a expiré."


def prompt(local: Local, address: str) -> dict[str, Any]:
    """The first theme's email to `address`."""
    [email] = [
        m for m in local.mail() if m["to"] == [address] and m["subject"].startswith(f"{RITUALS} —")
    ]
    return email


def link(email: dict[str, Any], kind: str) -> str:
    """The email's one personal link of that kind (`answer`, `space`)."""
    [found] = re.findall(rf"http://127\.0\.0\.1:\d+/{kind}/\S+", email["text"])
    return str(found)


def on_phone(page: Any, name: str) -> None:
    """Nothing wider than the phone (no horizontal scrolling), and the page kept to look at."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide at {PHONE['width']} px"
    page.screenshot(path=str(ARTIFACTS / f"space-{name}-phone.png"), full_page=True)


def follow(page: Any, target: Any) -> None:
    """Click a link or a button that loads a page, and wait for it (CI read empty pages
    mid-redirect without the wait)."""
    with page.expect_navigation():
        target.click()


def open_theme(page: Any, space: str) -> None:
    """From the space's home, the theme's page, as the home lists it."""
    page.goto(space)
    open_for_you = page.locator(
        "section", has=page.get_by_role("heading", name="Ouverts pour vous")
    )
    follow(page, open_for_you.get_by_role("link", name=RITUALS))
    assert page.locator("h1").inner_text() == RITUALS


def answer_of(page: Any, text: str) -> Any:
    return page.locator(".answer", has_text=text)


def action(page: Any, form: Any) -> str:
    """Where a form posts, as an address (the star form's `action` field hides the
    property of that name: read the attribute)."""
    return str(urllib.parse.urljoin(page.url, form.get_attribute("action")))


def fetch(url: str) -> int:
    """A GET with no browser behind it, as a mail scanner fetches a link."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def phone(browser: Any) -> Iterator[Any]:
    """A phone per member: each has their own browser, at 375 px."""
    contexts: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR"
        )
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def lea(phone: Any) -> Any:
    return phone()


@pytest.fixture(scope="module")
def camille(phone: Any) -> Any:
    return phone()


@pytest.fixture(scope="module")
def hugo(phone: Any) -> Any:
    return phone()


def test_a_newcomer_reads_her_peers_once_she_has_answered_anonymously(
    local: Local, lea: Any, hugo: Any
) -> None:
    # Tuesday 09:05 in Paris: the theme is out; Hugo has answered for everyone
    local.move_clock(now="2026-12-01T09:05:00+01:00")
    body = urllib.parse.urlencode(
        {"answer": HUGO_SAYS, "visibility": "organisation", "attribution": "named"}
    ).encode()
    response = local.request(
        "POST",
        urllib.parse.urlparse(link(prompt(local, HUGO), "answer")).path,
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200  # the thank-you page, after the redirect

    # Léa opens her space from the theme's email
    email = prompt(local, LEA)
    lea.goto(f"{local.url}/_local/mail/{email['id']}")
    follow(
        lea,
        lea.get_by_role(
            "link", name="Votre espace : vos thèmes, vos points et les réponses de votre cercle"
        ),
    )
    assert lea.url == link(email, "space")
    assert lea.locator("h1").inner_text() == "Bonjour Léa"
    assert "chacun dit en un mot" not in lea.content()  # give to get: not on the home either
    on_phone(lea, "home")

    # The theme's page: Hugo's answer waits for hers
    open_theme(lea, link(email, "space"))
    assert lea.locator(".notice").inner_text() == (
        "1 collègue a répondu. Sa réponse s'affiche ici dès que vous avez donné la vôtre."
    )
    assert "chacun dit en un mot" not in lea.content()
    on_phone(lea, "theme-waiting")

    # She answers from there, for everyone, anonymously
    follow(lea, lea.get_by_role("link", name="Répondre", exact=True))
    assert lea.url == link(email, "answer")
    lea.get_by_label("Votre réponse").fill(LEA_SAYS)
    lea.get_by_label("Toute l'organisation").check()
    lea.get_by_label("Anonyme", exact=True).check()
    on_phone(lea, "answer-form")
    follow(lea, lea.get_by_role("button", name="Envoyer ma réponse"))
    assert lea.locator("h1").inner_text() == "Merci, Léa\u202f!"
    assert "Elle est anonyme" in lea.content()
    on_phone(lea, "answer-thanks")

    # Back in her space, the theme shows her answer, and now Hugo's
    open_theme(lea, link(email, "space"))
    mine = lea.locator("section", has=lea.get_by_role("heading", name="Ma réponse"))
    assert mine.locator(".answer-text").inner_text() == LEA_SAYS
    assert lea.locator(".notice").count() == 0
    assert answer_of(lea, HUGO_SHOWN).locator("strong").inner_text() == "Hugo B. · Bâtisseurs"
    on_phone(lea, "theme-answered")

    # Hugo's page shows two answers to the theme, his and hers: too few for an anonymous
    # one to be shown
    open_theme(hugo, link(prompt(local, HUGO), "space"))
    assert LEA_SAYS not in hugo.content()
    assert "Aucune réponse à lire pour l'instant." in hugo.content()


def test_a_peer_answer_found_useful_from_the_theme_page(local: Local, lea: Any) -> None:
    hugos = answer_of(lea, HUGO_SHOWN)
    assert hugos.locator(".muted").inner_text() == "0 vote"
    follow(lea, hugos.get_by_role("button", name="Utile"))
    assert lea.locator("h1").inner_text() == "La réponse de Hugo B. · Bâtisseurs"
    assert "Merci\u00a0: votre vote est compté." in lea.locator("main").inner_text()
    on_phone(lea, "vote-counted")

    local.request("POST", "/_local/drain")  # the score stream counts the vote
    follow(
        lea, lea.get_by_role("link", name="Voir toutes les réponses à ce thème dans votre espace")
    )
    assert lea.locator("h1").inner_text() == RITUALS
    assert answer_of(lea, HUGO_SHOWN).locator(".muted").inner_text() == "1 vote"


def test_an_anonymous_answer_shows_once_three_answers_are_there(
    local: Local, camille: Any, hugo: Any
) -> None:
    # Camille answers too, from her space, anonymously: the third answer, the second
    # anonymous one (a lone anonymous answer among named ones stays back)
    email = prompt(local, CAMILLE)
    open_theme(camille, link(email, "space"))
    follow(camille, camille.get_by_role("link", name="Répondre", exact=True))
    camille.get_by_label("Votre réponse").fill(CAMILLE_SAYS)
    camille.get_by_label("Toute l'organisation").check()
    camille.get_by_label("Anonyme", exact=True).check()
    follow(camille, camille.get_by_role("button", name="Envoyer ma réponse"))
    assert camille.locator("h1").inner_text() == "Merci, Camille\u202f!"

    # Léa's answer shows, as "Anonyme", on both her peers' pages: no name, no circle
    for page, address in ((camille, CAMILLE), (hugo, HUGO)):
        open_theme(page, link(prompt(local, address), "space"))
        assert answer_of(page, LEA_SAYS).locator("strong").inner_text() == "Anonyme"
        content = page.content()
        for giveaway in ("Léa", "Dubois"):
            assert giveaway not in content
    on_phone(camille, "theme-admin")


def test_an_admin_keeps_a_practice_and_finds_it_in_the_library(local: Local, camille: Any) -> None:
    follow(
        camille,
        answer_of(camille, HUGO_SHOWN).get_by_role("button", name="Ajouter à la bibliothèque"),
    )
    assert (
        "Gardée dans la bibliothèque\u00a0: chaque membre l'y trouve."
        in camille.locator("main").inner_text()
    )
    on_phone(camille, "star")
    follow(camille, camille.get_by_role("link", name="Voir le thème dans votre espace"))
    hugos = answer_of(camille, HUGO_SHOWN)
    assert "dans la bibliothèque" in hugos.locator("p").first.inner_text()
    assert hugos.get_by_role("button", name="Retirer de la bibliothèque").is_visible()

    # The library, from her space's home, and the practice found by a word typed as
    # people type in a search box: upper case, no accent
    follow(camille, camille.get_by_role("link", name="Votre espace"))
    assert camille.locator("h1").inner_text() == "Bonjour Camille"
    new_in_library = camille.locator(
        "section", has=camille.get_by_role("heading", name="Nouveau dans la bibliothèque")
    )
    assert new_in_library.get_by_role("link", name=RITUALS).is_visible()
    follow(camille, camille.get_by_role("link", name="La bibliothèque"))
    assert camille.locator("h1").inner_text() == "La bibliothèque"
    on_phone(camille, "library")
    camille.get_by_label("Chercher une pratique").fill("METEO")
    follow(camille, camille.get_by_role("button", name="Chercher"))
    assert "1 pratique trouvée" in camille.content()
    found = camille.locator(".answer")
    assert found.count() == 1
    assert found.locator(".answer-text").inner_text() == HUGO_SHOWN
    assert found.locator("strong").inner_text() == "Hugo B. · Bâtisseurs"
    on_phone(camille, "library-found")

    camille.get_by_label("Chercher une pratique").fill("visioconférence")
    follow(camille, camille.get_by_role("button", name="Chercher"))
    assert "Aucune pratique ne correspond à cette recherche." in camille.content()


def test_a_scanner_fetching_star_and_vote_links_changes_nothing(local: Local, camille: Any) -> None:
    open_theme(camille, link(prompt(local, CAMILLE), "space"))
    leas = answer_of(camille, LEA_SAYS)
    hugos = answer_of(camille, HUGO_SHOWN)
    # The links behind the buttons, as the page holds them
    star_leas = action(camille, leas.locator("form", has_text="Ajouter à la bibliothèque"))
    vote_leas = action(camille, leas.locator("form", has_text="Utile"))
    star_hugos = action(camille, hugos.locator("form", has_text="Retirer de la bibliothèque"))
    vote_hugos = action(camille, hugos.locator("form", has_text="Utile"))
    assert leas.locator(".muted").first.inner_text() == "0 vote"

    for url in (star_leas, vote_leas, star_hugos, vote_hugos):
        assert fetch(url) == 200
    local.request("POST", "/_local/drain")

    camille.reload()
    assert leas.locator(".muted").first.inner_text() == "0 vote"
    assert "dans la bibliothèque" not in leas.locator("p").first.inner_text()
    assert hugos.get_by_role("button", name="Utile").is_visible()
    assert "1 vote" in hugos.inner_text()
    assert "dans la bibliothèque" in hugos.locator("p").first.inner_text()
    follow(camille, camille.get_by_role("link", name="Votre espace"))
    follow(camille, camille.get_by_role("link", name="La bibliothèque"))
    assert [t.strip() for t in camille.locator(".answer-text").all_inner_texts()] == [HUGO_SHOWN]


def test_a_question_to_the_circle_reaches_a_peer_the_next_working_morning(
    local: Local, lea: Any
) -> None:
    lea.goto(link(prompt(local, LEA), "space"))
    follow(lea, lea.get_by_role("link", name="Poser une question à mon cercle"))
    on_phone(lea, "ask")
    lea.get_by_label("Titre").fill(QUESTION)
    lea.get_by_label("Votre question").fill(
        "Mon équipe est répartie sur trois sites : nos rétros tournent au monologue."
    )
    follow(lea, lea.get_by_role("button", name="Poser la question à mon cercle"))
    assert "Votre question est en route." in lea.content()
    # Asked on Tuesday: it goes out on Wednesday morning, 09:00 in each peer's timezone
    assert "Votre cercle la reçoit le mercredi 2 décembre 2026 à 09:00" in lea.content()
    on_phone(lea, "asked")

    local.move_clock(now="2026-12-02T09:05:00+01:00")
    shown = QUESTION.replace(" ?", "\u202f?")  # as French readers read it
    subject = f"Léa demande à votre cercle\u00a0: {shown}"
    received = {m["to"][0] for m in local.mail() if m["subject"].startswith(subject)}
    assert HUGO in received
    assert CAMILLE in received
    assert LEA not in received  # not to the one who asks
    assert MANON not in received  # another circle


def test_an_absence_declared_listed_and_removed(local: Local, lea: Any) -> None:
    lea.goto(link(prompt(local, LEA), "space"))
    follow(lea, lea.get_by_role("link", name="Mes préférences : ce que je reçois, mes absences"))
    assert "Aucune absence déclarée." in lea.content()
    lea.get_by_label("Premier jour d'absence").fill("2026-12-14")
    lea.get_by_label("Dernier jour d'absence (inclus)").fill("2026-12-18")
    follow(lea, lea.get_by_role("button", name="Ajouter cette absence"))
    assert "Enregistré\u00a0: votre absence est ajoutée." in lea.locator("main").inner_text()
    absences = lea.locator("ul.absences li")
    assert absences.count() == 1
    assert absences.first.inner_text().startswith(
        "Du lundi 14 décembre 2026 au vendredi 18 décembre 2026"
    )
    on_phone(lea, "preferences")

    follow(lea, absences.first.get_by_role("button", name="Supprimer"))
    assert "Enregistré\u00a0: votre absence est supprimée." in lea.locator("main").inner_text()
    assert absences.count() == 0
    assert "Aucune absence déclarée." in lea.content()


def test_a_bad_space_link_is_the_plain_404(local: Local, lea: Any) -> None:
    space = link(prompt(local, LEA), "space")
    # One character of the signed payload changed (not the last one of a segment, whose
    # low bits base64 may ignore)
    base, token = space.rsplit("/", 1)
    forged = f"{base}/{token[:5]}{'x' if token[5] != 'x' else 'y'}{token[6:]}"
    for url in (forged, f"{forged}/library", f"{space}/themes/no-such-theme"):
        response = lea.goto(url)
        assert response.status == 404, url
        assert lea.locator("h1").inner_text() == NOT_FOUND
    on_phone(lea, "not-found")
