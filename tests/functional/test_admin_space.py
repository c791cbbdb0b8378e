"""The animators' space: who may open it, and the activity of admins (issue 12 §1)."""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from palabre.core.links import Links
from palabre.core.models import Role, member_id
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.activity import Action, ActivityLog
from palabre.store.members import MemberStore
from palabre.store.table import DynamoTable
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.admin import admin_get, admin_path, public_base_url, stack_signer
from tests.functional.conftest import make_stack, mocked_aws
from tests.functional.test_dispatch import LEA

HOSTILE = '<script>alert("x")</script> & Zoë'


@pytest.fixture(scope="module")
def roster_only() -> Iterator[LocalStack]:
    """The demo's roster, no calendar: the space needs nothing else to open."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = make_stack()
        stack.upload("roster", "demo-roster.csv", demo.roster())
        yield stack


def members(stack: LocalStack) -> MemberStore:
    return MemberStore(
        DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
    )


def test_an_admin_link_opens_the_space_for_an_active_admin_only(roster_only: LocalStack) -> None:
    # Given the demo's admin's link, valid 14 days
    stack = roster_only
    path = admin_path(stack, demo.ADMIN)

    # When they open it: their space, in their language, with its sections
    status, page = admin_get(stack, path)
    assert status == 200
    assert "Espace des animateurs" in page
    for section in ("imports", "deliverability", "exports", "activity"):
        assert f'href="{path}/{section}"' in page
    assert '<meta name="viewport" content="width=device-width' in page

    # Then a member's link, an expired one, a space link put in its place, one signed
    # with a key the secret no longer holds: the plain 404 of any bad link
    links = Links(public_base_url(stack), stack_signer(stack))
    space_token = links.space(member_id(LEA), stack.clock()).rsplit("/", 1)[1]
    rotated = Links(public_base_url(stack), Signer(["another key, since rotated" * 2]))
    refused = {
        "a member": admin_path(stack, LEA),
        "expired": admin_path(stack, demo.ADMIN, stack.clock() - timedelta(days=14, seconds=1)),
        "a space link": f"/admin/{space_token}",
        "rotated key": "/admin/"
        + rotated.admin(member_id(demo.ADMIN), stack.clock()).rsplit("/", 1)[1],
        "forged": path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
    }
    for why, bad in refused.items():
        assert admin_get(stack, bad)[0] == 404, why
        assert admin_get(stack, f"{bad}/activity")[0] == 404, why
    # ... still valid a moment before 14 days
    assert (
        admin_get(stack, admin_path(stack, demo.ADMIN, stack.clock() - timedelta(days=13)))[0]
        == 200
    )

    # And an admin who lost the role, or left the roster, is refused at once
    store = members(stack)
    admin = store.get(member_id(demo.ADMIN))
    assert admin is not None
    try:
        store.save([admin.model_copy(update={"role": Role.MEMBER})])
        assert admin_get(stack, path)[0] == 404
        store.save([admin.model_copy(update={"active": False})])
        assert admin_get(stack, path)[0] == 404
    finally:
        store.save([admin])
    assert admin_get(stack, path)[0] == 200


def test_the_activity_page_lists_what_admins_did_newest_first_escaped_and_paged(
    roster_only: LocalStack,
) -> None:
    # Given 51 actions, the newest by an admin whose name and file are hostile text
    stack = roster_only
    store = members(stack)
    admin = store.get(member_id(demo.ADMIN))
    assert admin is not None
    log = ActivityLog(
        DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["PalabreTable"])
    )
    start = stack.clock()
    for n in range(50):
        log.record(admin, Action.EXPORT, start + timedelta(minutes=n), file=f"answers-{n:02d}.xlsx")
    hostile = admin.model_copy(update={"first_name": HOSTILE})
    log.record(hostile, Action.UPLOAD, start + timedelta(hours=2), file=f"{HOSTILE}.csv")

    # When the activity page is opened
    path = admin_path(stack, demo.ADMIN)
    status, page = admin_get(stack, f"{path}/activity")

    # Then the newest comes first, escaped, with who did it and when (in their zone)...
    assert status == 200
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page, re.S)
    assert len(rows) == 50
    assert "&lt;script&gt;" in rows[0][1]
    assert "A envoyé &lt;script&gt;" in rows[0][2]
    assert "answers-49.xlsx" in rows[1][2]
    assert "answers-01.xlsx" in rows[-1][2]
    assert "answers-00.xlsx" not in page
    # ... and the older ones are a link away
    [older] = re.findall(r'href="([^"]*/activity\?before=[^"]+)"', page)
    query = older.split("?", 1)[1].replace("&amp;", "&")
    status, page = admin_get(stack, f"{path}/activity", query)
    assert status == 200
    assert "answers-00.xlsx" in page
    assert "answers-01.xlsx" not in page
    assert "?before=" not in page
    # A cursor that is not one starts from the newest
    assert "answers-49.xlsx" in admin_get(stack, f"{path}/activity", "before=%3Cscript%3E")[1]


def test_a_link_is_printed_for_an_admin_only(roster_only: LocalStack) -> None:
    """The signer's purpose is the salt: an admin link is no space link."""
    signer = stack_signer(roster_only)
    link = Links("https://palabre.example", signer).admin(
        member_id(demo.ADMIN), roster_only.clock()
    )
    token = link.rsplit("/", 1)[1]
    assert signer.member_of(token, roster_only.clock(), Purpose.ADMIN) == member_id(demo.ADMIN)
    with pytest.raises(InvalidToken):
        signer.member_of(token, roster_only.clock(), Purpose.SPACE)
