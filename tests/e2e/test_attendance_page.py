"""The attendance page in Debian's Chromium, at phone width: Camille, the demo's admin,
opens the link of the attendance list she got after the live session, ticks who came
(and adds someone who came without answering), and reads the page again, recorded.

The browser talks to the local stack's API gateway in this process, behind a plain HTTP
server, so the stack's clock, emails and table are at hand."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from palabre.core.models import member_id
from sam_moto.stack import LocalStack
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.gateway import serve_gateway
from tests.functional.conftest import dynamodb_item, mocked_aws
from tests.functional.test_dispatch import GABRIEL, KENJI, LEA
from tests.functional.test_live_sessions import (
    ENDS,
    THEME,
    add_guests,
    at,
    attendance_link,
    new_live_stack,
    respond,
)

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def ended(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    with mocked_aws(monkeypatch):
        stack = new_live_stack()
        respond(stack, LEA, "yes", last_name="<i>Dubois</i>")
        respond(stack, KENJI, "maybe", last_name="Sato")
        stack.advance_to(at(ENDS))
        yield stack


@pytest.fixture
def served(ended: LocalStack) -> Iterator[str]:
    """The stack's API gateway behind a real HTTP server on a free port (the browser
    follows the form's redirect itself)."""
    with serve_gateway(ended) as url:
        yield url


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    yield context.new_page()
    context.close()


def test_an_admin_ticks_who_came_on_her_phone(ended: LocalStack, served: str, phone: Any) -> None:
    # Given Camille opens the link of her attendance list
    phone.goto(served + attendance_link(ended))
    assert phone.title().startswith(("Qui est venu", "Who came?"))
    # Then the page fits the phone, and names are text, not markup
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert phone.locator("i").count() == 0
    assert phone.get_by_text("Léa <i>Dubois</i>").count() == 1
    boxes = phone.locator("input[type=checkbox]")
    assert boxes.count() == 2
    assert not boxes.nth(0).is_checked()

    # When she ticks Léa (a tap on her name) and adds Gabriel by his address
    phone.get_by_text("Léa <i>Dubois</i>").click()
    phone.fill("input[type=email]", GABRIEL)
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()

    # Then the page says it is recorded, Léa and Gabriel ticked, Kenji not
    assert phone.url.endswith("?saved=1")
    assert phone.locator("[role=status]").count() == 1
    ticked = {
        box.get_attribute("value")
        for box in phone.locator("input[type=checkbox]").all()
        if box.is_checked()
    }
    assert ticked == {member_id(LEA), member_id(GABRIEL)}
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(ARTIFACTS / "attendance-phone.png"), full_page=True)
    # And the table holds it
    rsvp = dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{member_id(LEA)}")
    assert rsvp["attended"] == {"BOOL": True}
    assert re.fullmatch(r"\d+", rsvp["attended_rev"]["N"])


def test_an_admin_pages_through_a_large_session_on_her_phone(
    ended: LocalStack, served: str, phone: Any
) -> None:
    """Given 210 more invitees coming, When Camille opens her link on her phone, goes to
    the second page and ticks a guest listed there, Then it is recorded, she is back on
    that page, and every page fits the phone."""
    guests = add_guests(ended, 210)
    phone.goto(served + attendance_link(ended))
    assert phone.locator("input[type=checkbox]").count() == 200
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    with phone.expect_navigation():
        phone.locator('a[href="?page=2"]').click()
    assert phone.locator("input[type=checkbox]").count() == 12
    phone.locator(f'input[type=checkbox][value="{guests[205]}"]').check()
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()

    assert phone.url.endswith("?page=2&saved=1")
    assert phone.locator(f'input[type=checkbox][value="{guests[205]}"]').is_checked()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(ARTIFACTS / "attendance-pages-phone.png"), full_page=True)
    rsvp = dynamodb_item(ended, f"THEME#{THEME}", f"RSVP#{guests[205]}")
    assert rsvp["attended"] == {"BOOL": True}
