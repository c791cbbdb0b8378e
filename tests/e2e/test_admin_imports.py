"""An animator tries the admin space's imports as a new user, in Debian's Chromium at
phone width, on `palabre local`: she opens her admin link, uploads a calendar missing
three themes straight to the bucket (the moto server), reads which themes it would
cancel, and declines. Nothing changes."""

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

from palabre_cli import demo
from tests.e2e.accessibility import accessibility_problems, layout_problems
from tests.e2e.conftest import Local, screenshot_path

PHONE = {"width": 375, "height": 812}


def fits_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_animator_reads_which_themes_a_calendar_would_cancel_and_declines_it(
    local: Local, browser: Any, tmp_path: Any
) -> None:
    # Given Camille's admin link and a "February" calendar that drops three scheduled
    # themes of the demo's, the live session among them
    response = local.request("GET", "/_local/admin-link?" + urlencode({"email": demo.ADMIN}))
    assert response.status == 200, response.body
    link = response.body.decode().strip()
    themes = yaml.safe_load(demo.calendar(date(2026, 11, 30)))["themes"]
    february = themes[0] | {"id": "fevrier", "send_on": "2027-02-02", "title": "Février"}
    calendar = tmp_path / "fevrier.yaml"
    calendar.write_text(yaml.safe_dump({"themes": [*themes[:3], february]}, allow_unicode=True))
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    try:
        page = context.new_page()

        # When she opens the imports page and sends the calendar (no script: a form that
        # posts to the bucket, which sends her back)
        page.goto(f"{link}/imports")
        fits_the_phone(page)
        page.set_input_files("#file-calendar", str(calendar))
        with page.expect_navigation():
            page.locator("form.upload:has(#file-calendar) button").click()
        assert "/imports?" in page.url
        assert page.locator('p[role="status"]').is_visible()  # being checked
        assert local.request("POST", "/_local/drain").status == 200
        page.reload()
        fits_the_phone(page)
        page.screenshot(
            path=str(screenshot_path("admin-imports-phone.png", docs=True)), full_page=True
        )

        # Then its page names the three themes it would cancel, by title and date
        page.locator("ul.uploads a", has_text="fevrier.yaml").first.click()
        text = page.locator("article").inner_text()
        for title in ("Vos one-to-ones", "Réussir une arrivée", "Atelier live"):
            assert title in text
        assert re.search(r"5 janvier 2027|January 5, 2027", text)
        fits_the_phone(page)
        assert accessibility_problems(page) == []  # the preview, with Apply and Decline
        assert layout_problems(page) == []
        page.screenshot(
            path=str(screenshot_path("admin-preview-phone.png", docs=True)), full_page=True
        )

        # And when she declines it, nothing is applied, and the page says so
        with page.expect_navigation():
            page.locator("form:has(button.secondary) button").click()
        assert page.url.endswith("?notice=declined")
        assert page.locator('p[role="status"]').is_visible()
        assert page.locator("form.inline").count() == 0
        fits_the_phone(page)
    finally:
        context.close()

    # The calendar is as it was: its live session is still on
    report = local.upload("calendar", "again.yaml", demo.calendar(date(2026, 11, 30))).json()
    assert (report["status"], report["created"], report["unchanged"]) == ("applied", 0, 6)


SCREENS = {"phone": {"width": 375, "height": 812}, "laptop": {"width": 1280, "height": 800}}
PAGES = ("", "/imports", "/deliverability", "/exports", "/activity")
"""the space's pages: its home (the dashboard), then its sections"""


@pytest.mark.parametrize("device", SCREENS)
def test_every_page_of_the_space_is_accessible_on_a_phone_and_a_laptop(
    local: Local, browser: Any, device: str
) -> None:
    """Given Camille's admin link on the demo (its uploads, its activity)
    When she opens each page of her space at 375 px and at 1280 px, without script
    Then each page has its fields labelled, its controls named, one h1 and headings in
    order, text (the footer's too) at 4.5:1 or more, nothing wider than the screen and
    targets of 44 px (the dashboard, with figures, is shot for docs/admin.md by
    test_admin_dashboard_page.py)."""
    response = local.request("GET", "/_local/admin-link?" + urlencode({"email": demo.ADMIN}))
    link = response.body.decode().strip()
    viewport = SCREENS[device]
    context = browser.new_context(
        viewport=viewport, is_mobile=device == "phone", java_script_enabled=False
    )
    try:
        page = context.new_page()
        for path in PAGES:
            loaded = page.goto(f"{link}{path}")
            assert loaded is not None
            assert loaded.status == 200, path
            assert accessibility_problems(page) == [], path
            assert layout_problems(page) == [], path
            name = path.strip("/") or "dashboard"
            page.screenshot(
                path=str(screenshot_path(f"admin-tour-{name}-{device}.png")), full_page=True
            )
        # ...and an upload's own page, its report (the demo's roster, applied)
        page.goto(f"{link}/imports")
        with page.expect_navigation():
            page.locator("ul.uploads a").first.click()
        assert "/imports/" in page.url
        assert accessibility_problems(page) == [], page.url
        assert layout_problems(page) == [], page.url
    finally:
        context.close()
