"""The deliverability page of the animators' space in Debian's Chromium, at phone width:
Camille, the demo's admin, reads what waits and which addresses are suppressed (long,
hostile text included), clicks Retry, then allows emails again to an address that
complained, ticking that the person asked for them.

The browser talks to the local stack's API gateway in this process, behind a plain HTTP
server, so that the page's own origin posts its forms."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from palabre.core.models import member_id
from palabre.store.members import MemberStore
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.e2e.accessibility import accessibility_problems
from tests.e2e.conftest import screenshot_path
from tests.e2e.gateway import serve_gateway
from tests.functional.admin import admin_path
from tests.functional.conftest import demo_organisation, dynamodb_item, make_stack, mocked_aws
from tests.functional.test_dispatch import SARAH

PHONE = {"width": 375, "height": 812}
COMPLAINED = "a.very.long.address.that.complained.about.our.emails@demo.palabre.example"
HOSTILE = '<img src=x onerror="alert(1)">' + "550-5.1.1 " + "x" * 120


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStack]:
    with mocked_aws(monkeypatch):
        stack = demo_organisation(make_stack())
        members = MemberStore(
            DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
        )
        members.suppress(COMPLAINED, "complaint", "abuse", stack.clock())
        members.suppress("bounced@demo.palabre.example", "bounce", HOSTILE, stack.clock())
        job = {"job": "prompt", "theme": "demo-1", "member": member_id(SARAH)}
        stack.client("sqs").send_message(
            QueueUrl=stack.provisioned.queues["SendDeadLetterQueue"].url,
            MessageBody=json.dumps(job),
        )
        yield stack


@pytest.fixture
def served(org: LocalStack) -> Iterator[str]:
    with serve_gateway(org) as url:
        yield url


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    yield context.new_page()
    context.close()


def fits(phone: Any) -> bool:
    return bool(phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_an_admin_retries_and_allows_an_address_again_on_her_phone(
    org: LocalStack, served: str, phone: Any
) -> None:
    # Given Camille opens her space's deliverability page on her phone
    phone.goto(served + admin_path(org, demo.ADMIN) + "/deliverability")
    assert phone.title().startswith("Délivrabilité")
    # Then it fits, hostile text is text, and what waits is said in words
    assert fits(phone)
    assert accessibility_problems(phone) == []  # with its Retry and unsuppress forms
    assert phone.locator("img").count() == 0
    assert phone.get_by_text("1 email est en attente").count() == 1
    phone.screenshot(
        path=str(screenshot_path("admin-deliverability-phone.png", docs=True)), full_page=True
    )

    # When she clicks Retry
    with phone.expect_navigation():
        phone.get_by_role("button", name="Réessayer").click()
    # Then the page says it was sent back, and nothing waits any more
    assert phone.locator("[role=status]").inner_text().startswith("1 a été renvoyé")
    assert phone.get_by_text("Rien n'attend").count() == 1
    assert fits(phone)

    # When she allows emails again to the address that complained, the box ticked
    entry = phone.locator("li", has_text=COMPLAINED)
    entry.get_by_role("checkbox").check()
    with phone.expect_navigation():
        entry.get_by_role("button", name="Autoriser de nouveau les emails").click()
    # Then it is done, said, and the address is no longer listed
    assert COMPLAINED in phone.locator("[role=status]").inner_text()
    assert phone.locator("li", has_text=COMPLAINED).count() == 0
    assert fits(phone)
    assert dynamodb_item(org, f"MEMBER#{member_id(COMPLAINED)}", "SUPPRESSED") == {}
