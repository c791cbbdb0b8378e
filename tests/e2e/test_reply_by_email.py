"""Answering by reply on the local stack, as a developer tries it: the console's Reply
button on a theme's email, the reply received as SES would receive it, the answer saved,
the confirmation in the mailbox, read on a phone."""

import re
from typing import Any

from palabre.core.i18n import translations
from tests.conftest import TEMPLATES
from tests.e2e.conftest import ARTIFACTS, Local

JADE = "jade.michel@demo.palabre.example"
TITLE = "Nos rituels d'équipe"


def fr(message: str, **values: object) -> str:
    """A message as a French reader reads it (the catalog's translation)."""
    translated = translations(TEMPLATES, "fr").gettext(message)
    return translated % values if values else translated


def test_the_consoles_reply_button_answers_the_theme(local: Local, browser: Any) -> None:
    # Given the first theme sent to Jade
    local.move_clock(now="2026-12-01T09:05:00+01:00")
    [prompt] = [m for m in local.mail() if m["to"] == [JADE] and m["subject"].startswith(TITLE)]
    assert prompt["headers"]["Reply-To"].startswith("reply+")

    # When she replies from the console's mailbox
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(f"{local.url}/_local/")
        row = page.locator(
            "tr", has=page.locator(f'form[action="/_local/mail/{prompt["id"]}/reply"]')
        )
        row.get_by_text("Reply", exact=True).click()
        row.get_by_role("textbox").fill("Un point d'équipe debout, le lundi <b>à 9 h</b>.")
        with page.expect_navigation():
            row.get_by_role("button", name="Send reply").click()
        assert page.url == f"{local.url}/_local/"
        # Then the console shows the function's run
        assert "InboundReplyFunction" in page.locator("section.wide").last.inner_text()
    finally:
        page.close()

    # …her confirmation is in the mailbox, threaded under her reply
    subject = fr("Your answer to “%(title)s” is saved", title=TITLE)
    [confirmation] = [m for m in local.mail() if m["to"] == [JADE] and m["subject"] == subject]
    assert confirmation["headers"]["Auto-Submitted"] == "auto-replied"
    assert confirmation["headers"]["In-Reply-To"].endswith("@demo.palabre.example>")
    assert "<b>" not in confirmation["html"]
    assert "&lt;b&gt;à 9 h&lt;/b&gt;" in confirmation["html"]

    # …and its link opens her answer, on a phone
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/answer/\S+", confirmation["text"])
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(link)
        assert phone.locator("textarea").input_value() == (
            "Un point d'équipe debout, le lundi <b>à 9 h</b>."
        )
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.goto(f"{local.url}/_local/mail/{confirmation['id']}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.screenshot(path=str(ARTIFACTS / "reply-confirmation-phone.png"), full_page=True)
    finally:
        context.close()


def test_a_raw_message_posted_to_inbound_is_received_as_ses_would(local: Local) -> None:
    # A reply whose sender SES could not authenticate: received, answered by no one
    local.move_clock(now="2026-12-01T09:10:00+01:00")
    [prompt] = [m for m in local.mail() if m["to"] == [JADE] and m["subject"].startswith(TITLE)]
    raw = (
        f"From: {JADE}\r\nTo: {prompt['headers']['Reply-To']}\r\nSubject: Re: {TITLE}\r\n"
        "X-Local-Verdict-SPF: FAIL\r\nX-Local-Verdict-DKIM: FAIL\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nUsurpé\r\n"
    ).encode()
    before = len(local.mail())

    response = local.request(
        "POST", "/_local/inbound", body=raw, headers={"Content-Type": "message/rfc822"}
    )

    assert response.status == 200
    received = response.json()
    assert received["rule"] == "replies"
    assert received["recipients"] == [prompt["headers"]["Reply-To"]]
    [run] = received["ran"]
    assert run["result"] == {"outcomes": ["unauthenticated"]}
    assert len(local.mail()) == before
    # …and one no rule takes is refused, as SES refuses it
    stray = raw.replace(prompt["headers"]["Reply-To"].encode(), b"someone@elsewhere.example")
    assert local.request("POST", "/_local/inbound", body=stray).status == 422
