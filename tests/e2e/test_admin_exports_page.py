"""The animators' exports page in Debian's Chromium, at phone width: Camille, the demo's
admin, opens it from her space; it fits the phone, an organisation's hostile name stays
text, and each download link answers with the redirect to its file.

The browser talks to the local stack's API gateway in this process, behind a plain HTTP
server (the file itself is at a presigned URL of the in-process moto, out of the
browser's reach: the redirect is what is checked here, the file in
tests/functional/test_admin_exports.py)."""

from collections.abc import Iterator
from typing import Any

import pytest

from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.e2e.conftest import screenshot_path
from tests.e2e.gateway import serve_gateway
from tests.functional.admin import admin_path
from tests.functional.conftest import demo_organisation, make_stack, mocked_aws

PHONE = {"width": 375, "height": 812}
HOSTILE_NAME = '<b>Zoë</b> & "Cie" \u202eevil'


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    with mocked_aws(monkeypatch):
        yield demo_organisation(make_stack(OrganisationName=HOSTILE_NAME))


@pytest.fixture
def served(stack: LocalStack) -> Iterator[str]:
    with serve_gateway(stack) as url:
        yield url


def test_the_exports_page_fits_a_phone_and_each_link_leads_to_its_file(
    stack: LocalStack, served: str, browser: Any
) -> None:
    # Given Camille on her phone, at her space's home
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    phone = context.new_page()
    home = admin_path(stack, demo.ADMIN)
    phone.goto(served + home)

    # When she follows the navigation to the exports
    with phone.expect_navigation():
        phone.locator(f'nav a[href="{home}/exports"]').click()

    # Then the page fits the phone, names each export, the organisation's name is text
    assert phone.title().startswith("Exports")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.locator("h2").all_inner_texts() == ["Réponses", "Scores", "Participation"]
    assert phone.locator("header b").count() == 0
    assert "<b>Zoë</b>" in phone.locator("header").inner_text()
    links = phone.locator(".downloads a")
    assert links.count() == 6
    for n in range(6):
        box = links.nth(n).bounding_box()
        assert box is not None
        assert box["height"] >= 44  # a finger's target
        assert box["x"] + box["width"] <= PHONE["width"]
    phone.screenshot(
        path=str(screenshot_path("admin-exports-phone.png", docs=True)), full_page=True
    )

    # And each link answers with the redirect to its file, built now
    for n in range(6):
        href = links.nth(n).get_attribute("href")
        response = phone.request.get(served + href, max_redirects=0)
        assert response.status == 302, href
        assert "/downloads/" in response.headers["location"]
    context.close()
