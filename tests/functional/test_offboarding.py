"""A member removed from the roster writes nothing through their links: an answer, a vote,
a question to their circle, an absence, a star are each the plain page of a bad link.
Unsubscribing stays their right."""

from datetime import timedelta

import palabre.aws
from palabre.core.links import Links
from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import sent, table_items
from tests.functional.test_answers import get, link_of, post, signer
from tests.functional.test_digest import monday, text
from tests.functional.test_dispatch import LEA
from tests.functional.test_scores import HUGO, answer

ALICE = "alice.david@demo.palabre.example"  # an admin, who leaves too
GONE = "Je ne suis plus là, mais voici ma pratique."


def test_a_member_removed_from_the_roster_writes_nothing_through_their_links(
    org: LocalStack,
) -> None:
    # Given Léa's answer shared with everyone, and Hugo's and Alice's links from before
    answer(org, LEA, "Tour de table du lundi.", visibility="organisation")
    keys, now = signer(org), org.clock()
    links = Links("", keys)
    space = "/space/" + keys.sign(Purpose.SPACE, [member_id(HUGO)], now + timedelta(days=30))
    writes = {
        "answer": (link_of(org, HUGO), {"answer": GONE, "visibility": "organisation"}),
        "vote": (links.vote("demo-1", member_id(LEA), member_id(HUGO), now), {}),
        "ask": (f"{space}/ask", {"title": "Comment fais-tu ?", "question": GONE}),
        "absence": (
            f"{space}/preferences",
            {"action": "add", "from": "2026-12-14", "to": "2026-12-18"},
        ),
        "star": (links.star("demo-1", member_id(LEA), member_id(ALICE), now), {"action": "add"}),
    }
    plain_404 = get(org, "/answer/not-a-link")[2]

    # When the admin uploads a roster without Hugo and Alice
    roster = b"".join(
        line
        for line in demo.roster().splitlines(keepends=True)
        if not line.startswith((HUGO.encode(), ALICE.encode()))
    )
    assert (
        org.upload("roster", "demo-roster.csv", roster, {"uploader": demo.ADMIN})["deactivated"]
        == 2
    )
    before = table_items(org)

    # Then each write through their links is the plain page, and nothing is written: the
    # answer's refusal costs no request but the one that opens its link
    calls: list[str] = []
    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    for name, (path, fields) in writes.items():
        calls.clear()
        status, _, page = post(org, path, follow=False, **fields)
        assert (name, status) == (name, 404)
        assert page == plain_404, name
        if name == "answer":
            assert calls == ["BatchGetItem"]
    assert table_items(org) == before

    # Reading stays theirs: the answer page says why it no longer takes an answer
    status, _, page = get(org, writes["answer"][0])
    assert status == 200
    assert "annuaire\u00a0: vous ne pouvez plus répondre" in page
    assert "<textarea" not in page
    assert "<form" not in page

    # Unsubscribing stays theirs
    status, _, page = post(
        org, links.unsubscribe(member_id(HUGO), now), follow=False, choice="nothing"
    )
    assert status == 200
    assert table_items(org) != before

    # And no colleague's digest shows anything from Hugo
    org.clear_mail()
    monday(org)
    digests = [text(m) for m in sent(org) if m["To"] != HUGO]
    assert any("Tour de table du lundi." in d for d in digests)
    assert not any(GONE in d for d in digests)
