"""The local console as an animator who is not a developer uses it, in Chromium: on a
phone (375 px) and a desktop (1280 px), labelled, in order and legible; a clock move that
shows what runs as it runs, with or without script; mistakes said in one sentence; the
upload's report in sentences; and the way into the animators' space."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from palabre_cli import demo
from tests.conftest import ROOT
from tests.e2e.accessibility import accessibility_problems, layout_problems
from tests.e2e.conftest import ARTIFACTS, Local

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
WATCH = """
new MutationObserver((changes) => {
  for (const change of changes) {
    const where = change.target.nodeType === 1 ? change.target : change.target.parentElement;
    const host = where && where.closest && where.closest("#progress, #steps");
    const last = host && host.id === "steps" ? (host.lastElementChild || {}).textContent : "";
    if (host) console.log(host.id + ": " + (last || host.textContent));
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
"""logs each change of the clock's progress as the page shows it (the console's log
outlives the reload that ends a move)"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_without_script(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def test_the_console_is_accessible_on_a_phone_and_a_desktop(local: Local, browser: Any) -> None:
    """Given the console with its demo organisation (two reports in the mailbox)
    Then at 375 and 1280 px every field is labelled, headings are in order under one h1,
    text contrasts at least 4.5:1, nothing is wider than the screen and every button and
    field is at least 44 px high."""
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone")
        try:
            page = context.new_page()
            page.goto(f"{local.url}/_local/")
            assert accessibility_problems(page) == []
            assert layout_problems(page) == []
            page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)
            page.goto(f"{local.url}/_local/mail/no-such-email")  # the page of a 404
            assert page.get_by_role("alert").inner_text().startswith("The mailbox holds no")
            assert accessibility_problems(page) == []
            assert layout_problems(page) == []
        finally:
            context.close()


def test_moving_the_clock_shows_each_step_as_it_runs_then_the_summary(
    local: Local, phone: Any
) -> None:
    """Given the console on a phone, the demo's first theme due Tuesday 09:00
    When the animator moves the clock to Tuesday 09:05
    Then the page says where the clock stands as it moves, lists the theme's sending as
    it happens, then the summary, which stays on the page once the move is over."""
    seen: list[str] = []
    phone.on("console", lambda message: seen.append(message.text))
    phone.add_init_script(WATCH)
    phone.goto(f"{local.url}/_local/")
    phone.fill("#move-to", "2026-12-01T09:05")
    with phone.expect_navigation():  # the page reloads once the move is over
        phone.get_by_role("button", name="Move", exact=True).click()

    assert "progress: Moving the clock…" in seen
    assert any(line.startswith("progress: Now at Tuesday 1 December 2026, 0") for line in seen)
    [sent] = {line for line in seen if line.startswith("steps: Tuesday 1 December 2026, 09:00")}
    assert re.fullmatch(
        r"steps: Tuesday 1 December 2026, 09:00 — themes and reminders due: \d+ emails sent",
        sent,
    )
    [summary] = {line for line in seen if line.startswith("progress: The clock shows")}
    told = phone.locator("#last-move").inner_text()
    assert summary == f"progress: {told}"
    assert re.fullmatch(
        r"The clock shows Tuesday 1 December 2026, 09:05: [\d,]+ scheduled runs, \d+ emails "
        r"sent, nothing failed\.",
        told,
    )
    assert phone.url.endswith("/_local/#clock")
    assert re.fullmatch(r"Tuesday 1 December 2026, 09:0\d", phone.locator("#now").inner_text())
    assert layout_problems(phone) == []
    phone.screenshot(path=str(ARTIFACTS / "console-moved-phone.png"), full_page=True)


def test_without_script_a_move_and_a_mistake_read_on_a_phone(
    local: Local, phone_without_script: Any
) -> None:
    page = phone_without_script
    page.goto(f"{local.url}/_local/")
    # A time before the clock: one sentence, on the organisation's clock, nothing moved
    page.fill("#move-to", "2026-11-30T09:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Move", exact=True).click()
    alert = page.get_by_role("alert")
    assert re.fullmatch(
        r"The clock only moves forward: Monday 30 November 2026, 09:00 is before the clock, "
        r"which shows Tuesday 1 December 2026, 09:\d\d \(Europe/Paris\)\.",
        alert.inner_text(),
    )
    assert layout_problems(page) == []
    assert accessibility_problems(page) == []
    page.screenshot(path=str(ARTIFACTS / "console-mistake-phone.png"), full_page=True)

    # A day later with a button: the form posts, the console tells the move once over
    with page.expect_navigation():
        page.get_by_role("button", name="+1 day").click()
    assert page.get_by_role("alert").count() == 0
    assert (
        page.locator("#last-move")
        .inner_text()
        .startswith("The clock shows Wednesday 2 December 2026, 09:")
    )


def test_an_upload_reads_as_its_report_on_a_phone(local: Local, phone: Any, tmp_path: Path) -> None:
    roster = tmp_path / "demo-roster.csv"
    roster.write_bytes(demo.roster())
    phone.goto(f"{local.url}/_local/")
    phone.set_input_files("#file", str(roster))
    phone.select_option("#kind", "roster")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Upload").click()

    report = phone.locator("#report")
    assert report.locator("[lang=fr] strong").inner_text() == "Le fichier a été importé."
    assert "Inchangées\u00a0: 20" in report.inner_text()
    assert report.locator("pre").count() == 0
    assert accessibility_problems(phone) == []
    assert layout_problems(phone) == []
    phone.screenshot(path=str(ARTIFACTS / "console-report-phone.png"), full_page=True)


def test_the_console_opens_the_animators_space_on_a_phone(local: Local, phone: Any) -> None:
    phone.goto(f"{local.url}/_local/")
    with phone.expect_navigation():
        phone.get_by_role("link", name="Open the animators' space").click()

    assert re.fullmatch(rf"{re.escape(local.url)}/admin/\S+", phone.url)
    assert phone.locator("h1").inner_text() == "Tableau de bord"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(ARTIFACTS / "console-animators-space-phone.png"), full_page=True)
    assert "Traceback" not in "".join(local.output), "".join(local.output)


def test_palabre_admin_link_prints_the_link_of_an_admin_of_the_local_stack(local: Local) -> None:
    palabre = Path(sys.executable).with_name("palabre")
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}

    def admin_link(email: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(palabre), "admin-link", "--local", local.url, email],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    camille = admin_link(demo.ADMIN)
    hugo = admin_link("hugo.bernard@demo.palabre.example")

    assert camille.returncode == 0, camille.stderr
    [link] = camille.stdout.split()
    assert link.startswith(f"{local.url}/admin/")
    assert local.request("GET", link.removeprefix(local.url)).status == 200
    assert hugo.returncode == 1
    assert hugo.stderr.strip() == (
        "hugo.bernard@demo.palabre.example is not an active admin of the roster: give them "
        "the role admin in the roster first."
    )
