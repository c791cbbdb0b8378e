"""The member's space, its home page: reached from every email by a personal link, the
themes open for the member, their points and streak, their circle's latest answers (those
to a theme still open once the member has answered it), in three DynamoDB requests."""

import re
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import palabre.aws
from palabre.core.models import member_id
from palabre.core.tokens import Purpose, Signer
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import sent
from tests.functional.test_answers import get, link_of, signer
from tests.functional.test_dispatch import GABRIEL, LEA, MONTREAL_MORNING
from tests.functional.test_scores import HUGO, MANON, answer

RITUALS = "Nos rituels d'équipe"
MONDAY = datetime.fromisoformat("2026-12-07T08:05:00+01:00")  # the week's digest is out
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def space_link(message: EmailMessage) -> str:
    """The space's path in an email: in its text part, and the same in its HTML part."""
    text = message.get_body(("plain",)).get_content()
    [path] = re.findall(r"https://\S+?(/space/\S+)", text)
    assert path in message.get_body(("html",)).get_content()
    return path


def space_of(stack: LocalStack, address: str) -> str:
    return space_link(
        next(m for m in sent(stack) if m["To"] == address and RITUALS in m["Subject"])
    )


def answered(stack: LocalStack, *answers: tuple[str, str]) -> None:
    """Each (address, text) answered to the circle, then scored."""
    for address, text in answers:
        answer(stack, address, text)
    stack.drain()


def requests(stack: LocalStack, path: str) -> tuple[Counter[str], str]:
    """The DynamoDB requests one GET of `path` makes, and its page."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    events = palabre.aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb.*", count)
    try:
        status, _, page = get(stack, path)
    finally:
        events.unregister("before-call.dynamodb.*", count)
    assert status == 200
    return calls, page


def test_the_prompt_links_to_the_members_home_with_the_theme_open_for_them(
    org: LocalStack,
) -> None:
    status, headers, page = get(org, space_of(org, LEA))

    assert status == 200
    assert '<html lang="fr">' in page
    assert "Bonjour Léa" in page
    assert "Ouverts pour vous" in page
    assert RITUALS.replace("'", "&#39;") in page
    # its answer link is the email's own (the same signed token), beside the space
    token = link_of(org, LEA).rsplit("/", 1)[1]
    assert f'href="../answer/{token}"' in page
    assert "0 point · une série de 0 thème" in page
    # the answer page's headers: no referrer, no cache, no script
    _, answer_headers, _ = get(org, link_of(org, LEA))
    for name in ("Content-Security-Policy", "Referrer-Policy", "Cache-Control"):
        assert headers[name] == answer_headers[name]


def test_the_circles_answers_wait_until_the_member_has_answered_the_open_theme(
    org: LocalStack,
) -> None:
    answered(org, (HUGO, "Un café debout le lundi, <script>alert(1)</script> & « merci »."))
    space = space_of(org, LEA)

    _, page = requests(org, space)
    assert "café debout" not in page  # give to get: Léa has not answered yet
    assert "Répondre" in page

    answer(org, LEA, "Un tour de table de dix minutes.", visibility="organisation")
    org.drain()
    _, page = requests(org, space)
    assert (
        "Un café debout le lundi, &lt;script&gt;alert(1)&lt;/script&gt; &amp; «\u00a0merci\u00a0»."
        in page
    )
    assert "<script>" not in page
    assert "<strong>Hugo B. · Bâtisseurs</strong>" in page
    assert "<strong>Vous</strong>" in page  # her own, marked as hers
    assert "partagée avec toute l'organisation" in page
    assert "Voir ou modifier ma réponse" in page
    # her points, counted by the score stream, and her streak: one theme answered
    assert "15 points · une série de 1 thème" in page


def test_another_circles_answers_are_not_in_the_home(org: LocalStack) -> None:
    answered(org, (MANON, "Réponse des Éclaireurs."), (LEA, "Réponse des Bâtisseurs."))
    _, page = requests(org, space_of(org, LEA))
    assert "Réponse des Bâtisseurs." in page
    assert "Réponse des Éclaireurs." not in page


def test_the_home_costs_three_requests_and_writes_nothing(org: LocalStack) -> None:
    answered(org, (LEA, "Un tour de table."), (HUGO, "Un café."))
    calls, page = requests(org, space_of(org, LEA))
    assert "Un café." in page
    assert calls == Counter({"Query": 2, "BatchGetItem": 1})


def test_an_answer_to_a_theme_not_yet_sent_to_the_member_waits_too(org: LocalStack) -> None:
    # 09:00 in Paris: Hugo answers; Gabriel, of the same circle, is in Montreal (03:00)
    answered(org, (HUGO, "Un café debout le lundi."))
    gabriel = member_id(GABRIEL)
    token = signer(org).sign(Purpose.SPACE, [gabriel], org.clock() + timedelta(days=30))
    status, _, page = get(org, f"/space/{token}")
    assert status == 200
    assert "Bonjour Gabriel" in page
    assert "café debout" not in page  # the theme is not even his yet

    # 09:00 in Montreal: his prompt is out; the answer still waits for his own
    org.advance_to(MONTREAL_MORNING)
    assert "café debout" not in get(org, f"/space/{token}")[2]
    answered(org, (GABRIEL, "Un point hebdomadaire en visio."))
    assert "café debout" in get(org, f"/space/{token}")[2]


def test_a_member_who_left_keeps_their_space_but_no_longer_reads_their_circle(
    org: LocalStack,
) -> None:
    answered(org, (LEA, "Un tour de table."), (HUGO, "Un café."))
    space = space_of(org, LEA)
    assert "Un café." in get(org, space)[2]

    # Léa leaves the roster
    roster = b"".join(
        line for line in demo.roster().splitlines(keepends=True) if b"lea." not in line
    )
    assert org.upload("roster", "demo-roster.csv", roster)["ok"]

    status, _, page = get(org, space)
    assert status == 200
    assert "Bonjour Léa" in page
    assert "Un café." not in page
    assert "Un tour de table." not in page


def test_every_bad_space_link_is_the_same_plain_404(org: LocalStack) -> None:
    good = space_of(org, LEA)
    keys, lea, later = signer(org), member_id(LEA), org.clock() + timedelta(days=3)
    bad = {
        "forged": good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),
        "unknown-member": "/space/" + keys.sign(Purpose.SPACE, ["mnobody"], later),
        "expired": "/space/" + keys.sign(Purpose.SPACE, [lea], org.clock() - timedelta(seconds=1)),
        "answer-token": "/space/" + keys.sign(Purpose.ANSWER, ["demo-1", lea], later),
        "unsubscribe-token": "/space/" + keys.sign(Purpose.UNSUBSCRIBE, [lea, "nothing"], later),
        "two-ids": "/space/" + keys.sign(Purpose.SPACE, [lea, "x"], later),
        "foreign-key": "/space/" + Signer(["not-our-key"]).sign(Purpose.SPACE, [lea], later),
    }
    responses = {name: get(org, path) for name, path in bad.items()}
    assert {name: r[0] for name, r in responses.items()} == dict.fromkeys(bad, 404)
    [body] = {r[2] for r in responses.values()}
    assert "Ce lien n'est pas valide ou a expiré." in body
    assert "Léa" not in body


def test_the_reminder_and_the_digest_link_to_the_space_too(org: LocalStack) -> None:
    org.advance_to(MONDAY)
    lea_mail = [m for m in sent(org) if m["To"] == LEA]
    # her prompt, its reminder (Sunday) and Monday's digest
    assert len(lea_mail) == 3, [m["Subject"] for m in lea_mail]
    assert sum(m["Subject"].startswith("Rappel") for m in lea_mail) == 1
    links = {space_link(m) for m in lea_mail}
    for path in links:  # each email's own link (its expiry follows the email), all open
        assert "Bonjour Léa" in get(org, path)[2]
    # and the admins' weekly report
    [report] = [m for m in sent(org) if m["To"] == demo.ADMIN and "Rapport" in m["Subject"]]
    assert "Bonjour" in get(org, space_link(report))[2]


# ---------------------------------------------------------------------------- history
def test_the_history_keeps_every_answer_readable_after_its_links_have_died(
    org: LocalStack,
) -> None:
    answered(org, (LEA, "Un tour de table <b>chaque</b> lundi & « plus »."))
    space = space_of(org, LEA)
    assert 'href="' + space.rsplit("/", 1)[1] + '/history"' in get(org, space)[2]

    status, _, page = get(org, f"{space}/history")
    assert status == 200
    assert "Mon historique" in page
    assert RITUALS.replace("'", "&#39;") in page
    assert "Un tour de table &lt;b&gt;chaque&lt;/b&gt; lundi &amp; «\u00a0plus\u00a0»." in page
    token = link_of(org, LEA).rsplit("/", 1)[1]
    assert f'href="../../answer/{token}"' in page  # open: she may still edit it

    # Two months on, the answer link has expired; the history still reads it
    org.clock.move_to(org.clock() + timedelta(days=60))
    assert get(org, link_of(org, LEA))[0] == 404
    status, _, page = get(org, f"{space}/history")
    assert status == 200
    assert "Un tour de table &lt;b&gt;chaque&lt;/b&gt; lundi" in page
    assert "/answer/" not in page


def test_the_history_pages_from_the_newest(org: LocalStack, monkeypatch: Any) -> None:
    org.advance_to(datetime.fromisoformat("2026-12-08T09:05:00+01:00"))  # the 2nd theme
    import palabre.store.space

    monkeypatch.setattr(palabre.store.space, "HISTORY_PAGE", 1)
    space = space_of(org, LEA)
    _, _, first = get(org, f"{space}/history")
    [older] = re.findall(r'href="\?before=([^"]+)"', first)
    _, _, second = get(org, f"{space}/history?before={older}")
    titles = [re.findall(r"<h2><a [^>]*>(.*?)</a></h2>", page) for page in (first, second)]
    assert len(titles[0]) == len(titles[1]) == 1
    assert titles[1] == [RITUALS.replace("'", "&#39;")]  # the first theme, on the 2nd page
    assert titles[0] != titles[1]
    assert "?before=" not in second


def test_a_bad_link_to_the_history_is_the_same_404(org: LocalStack) -> None:
    keys = signer(org)
    later = org.clock() + timedelta(days=3)
    bad = "/space/" + keys.sign(Purpose.ANSWER, ["demo-1", member_id(LEA)], later) + "/history"
    status, _, page = get(org, bad)
    assert status == 404
    assert "Ce lien n'est pas valide ou a expiré." in page
