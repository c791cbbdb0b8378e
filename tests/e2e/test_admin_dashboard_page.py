"""The dashboard in Debian's Chromium, with no script: Camille reads it on her phone
(375 px) and on a laptop (1280 px) — the page fits, the chart is drawn and names its
bars, each wide table scrolls inside its own box.

The browser talks to the local stack's API gateway in this process, behind a plain HTTP
server, as tests/e2e/test_attendance_page.py does."""

from collections.abc import Iterator
from typing import Any

import pytest

from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.e2e.accessibility import accessibility_problems
from tests.e2e.conftest import screenshot_path
from tests.e2e.gateway import serve_gateway
from tests.functional.admin import admin_path
from tests.functional.conftest import make_stack, mocked_aws
from tests.functional.test_admin_dashboard import (
    RITUALS,
    viewed_organisation,
)


@pytest.fixture(scope="module")
def org() -> Iterator[LocalStack]:
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        yield viewed_organisation(make_stack())


@pytest.fixture(scope="module")
def served(org: LocalStack) -> Iterator[str]:
    with serve_gateway(org) as url:
        yield url


@pytest.mark.parametrize(
    ("device", "viewport"),
    [("phone", {"width": 375, "height": 812}), ("laptop", {"width": 1280, "height": 800})],
)
def test_the_dashboard_fits_and_draws_its_chart_without_script(
    org: LocalStack, served: str, browser: Any, device: str, viewport: dict[str, int]
) -> None:
    context = browser.new_context(
        viewport=viewport, is_mobile=device == "phone", java_script_enabled=False
    )
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text))
        response = page.goto(served + admin_path(org, demo.ADMIN))
        assert response is not None
        assert response.status == 200

        # Then nothing sticks out of the window: wide tables scroll in their own box
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert accessibility_problems(page) == []  # with its figures, filters and chart
        # ... the chart is drawn, within the page, its bars named for whoever cannot see
        chart = page.locator("svg.chart")
        box = chart.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"]
        assert box["height"] > 100
        bars = page.locator("svg.chart rect")
        assert bars.count() == 2
        assert bars.nth(0).bounding_box()["height"] > bars.nth(1).bounding_box()["height"]  # type: ignore[index]
        assert page.locator("svg.chart rect title").nth(0).text_content().startswith(RITUALS)  # type: ignore[union-attr]
        # ... and the filter works as a plain form
        page.select_option("select#circle", "Éclaireurs")
        with page.expect_navigation():
            page.locator("button[type=submit]").click()
        assert "circle=%C3%89claireurs" in page.url
        assert page.locator("svg.chart rect").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert not [e for e in errors if "Content Security Policy" in e], errors
        page.screenshot(
            path=str(screenshot_path(f"admin-dashboard-{device}.png", docs=True)), full_page=True
        )
    finally:
        context.close()
