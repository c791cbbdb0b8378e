"""The answer journey as a manager lives it, on the local stack, in Debian's Chromium:
the theme arrives at 09:00 in their own timezone, they answer and edit through the link,
the silent get one reminder, and after the deadline the page is read-only."""

import re
from collections import Counter
from typing import Any

from tests.e2e.conftest import ARTIFACTS, Local

LEA = "lea.dubois@demo.palabre.example"
HUGO = "hugo.bernard@demo.palabre.example"
KENJI = "kenji.sato@demo.palabre.example"
GABRIEL = "gabriel.richard@demo.palabre.example"  # America/Montreal
SARAH = "sarah.simon@demo.palabre.example"  # Europe/London
RITUALS = "Nos rituels d'équipe"
REMINDER = (f"Rappel\u00a0: {RITUALS}", f"Reminder: {RITUALS}")  # French, or English for Kenji


def prompts(local: Local) -> dict[str, dict[str, Any]]:
    """The first theme's prompt email, by recipient."""
    return {m["to"][0]: m for m in local.mail() if m["subject"].startswith(f"{RITUALS} —")}


def test_a_theme_from_arrival_to_closing(local: Local, page: Any) -> None:
    # 09:00 Tuesday in Tokyo (01:00 in Paris): Kenji has his theme, no one else
    ran = local.move_clock(now="2026-12-01T01:05:00+01:00")["ran"]
    assert any(r["function"] == "SchedulePromptsFunction" for r in ran)
    assert set(prompts(local)) == {KENJI}

    # 09:00 in Paris: the Paris members have theirs; Montreal (03:00 there) not yet
    local.move_clock(now="2026-12-01T09:00:00+01:00")
    received = prompts(local)
    assert LEA in received
    assert HUGO in received
    assert GABRIEL not in received
    assert len(received) == 1 + 16

    # Léa opens the email, then its link
    email = received[LEA]
    page.goto(f"{local.url}/_local/mail/{email['id']}")
    page.screenshot(path=str(ARTIFACTS / "prompt-email.png"), full_page=True)
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/answer/\S+", email["text"])
    with page.expect_navigation():
        page.click("text=Répondre")
    assert page.url == link
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == RITUALS
    page.screenshot(path=str(ARTIFACTS / "answer-form.png"), full_page=True)

    # She answers for the whole organisation
    page.get_by_label("Votre réponse").fill("Un tour de table de 10 minutes chaque lundi.")
    page.get_by_label("Toute l'organisation").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer ma réponse").click()
    assert page.locator("h1").inner_text() == "Merci, Léa\u202f!"
    assert "Cette réponse vous rapporte 15 points." in page.content()
    # The thank-you page came by a redirect: refreshing it sends nothing again
    assert page.url == f"{link}?saved=created"
    page.reload()
    assert page.locator("h1").inner_text() == "Merci, Léa\u202f!"
    assert "modifiée entre-temps" not in page.content()

    # and edits it from the thank-you page
    with page.expect_navigation():
        page.get_by_role("link", name="Modifier ma réponse").click()
    box = page.get_by_label("Votre réponse")
    assert box.input_value() == "Un tour de table de 10 minutes chaque lundi."
    assert page.get_by_label("Toute l'organisation").is_checked()
    box.fill("Un tour de table de 10 minutes chaque lundi, et un mot de chacun le vendredi.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer mes modifications").click()
    assert "Vos modifications sont enregistrées." in page.content()

    # Friday 09:00 (two days before the deadline is a Sunday, reminders come on the last
    # working day before it): one reminder, only to the silent
    local.request("DELETE", "/_local/mail")
    local.move_clock(now="2026-12-04T09:30:00+01:00")
    reminders = [m for m in local.mail() if m["subject"].startswith(REMINDER)]
    reminded = Counter(m["to"][0] for m in reminders)
    assert LEA not in reminded
    assert reminded[HUGO] == 1
    assert reminded[KENJI] == 1

    # After the deadline (end of Tuesday 8 December) the page is read-only
    local.move_clock(now="2026-12-09T08:00:00+01:00")
    page.goto(link)
    assert "Ce thème est clos" in page.content()
    assert page.locator("form").count() == 0
    assert "et un mot de chacun le vendredi" in page.locator(".answer-text").inner_text()
    page.screenshot(path=str(ARTIFACTS / "answer-closed.png"), full_page=True)

    # And nobody ever got the same email twice
    everything = Counter((m["to"][0], m["subject"]) for m in local.mail())
    assert set(everything.values()) == {1}
    # and the clock's jump to Wednesday ran Friday as it comes: London's and Montreal's
    # reminders left at 09:00 their time, after Paris's, before the deadline
    later = Counter(m["to"][0] for m in local.mail() if m["subject"].startswith(REMINDER))
    assert set(later.values()) == {1}
    assert later.keys() - reminded.keys() == {SARAH, GABRIEL}


def test_a_bad_link_is_a_plain_page_in_the_browsers_language(local: Local, browser: Any) -> None:
    # No member is behind a bad link: the page speaks the browser's language
    for locale, expected in (
        ("fr-FR", "Ce lien n'est pas valide ou a expiré."),
        ("en-GB", "This link is not valid or has expired."),
    ):
        context = browser.new_context(locale=locale)
        page = context.new_page()
        page.goto(f"{local.url}/answer/not-a-real-token")
        assert page.locator("h1").inner_text() == expected
        context.close()
