"""Attribution and anonymity (issue 9 §3) against moto: the form's choice, and an anonymous
answer tied to its author in no output — digests, the admin report, every CSV, vote
pages — shown only among enough anonymous answers, while its points still count."""

import base64
import re
from datetime import datetime
from email.message import EmailMessage

import pytest

from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import PARIS_MORNING, sent, tick
from tests.functional.test_answers import answer_item, get, link_of, post, signer
from tests.functional.test_digest import DIGEST, JADE, digest_of, monday, text
from tests.functional.test_dispatch import LEA
from tests.functional.test_scores import HUGO, MANON, answer, score, vote
from tests.functional.test_weekly_details import LUCAS, demo_org, export


def test_the_form_offers_to_sign_or_stay_anonymous_and_signs_by_default(org: LocalStack) -> None:
    path = link_of(org, LEA)
    _, _, form = get(org, path)

    assert 'name="attribution" value="named" checked' in form
    assert re.search(r'name="attribution" value="anonymous">', form)
    assert "au moins 3 réponses à ce thème" in form  # the template's threshold

    post(org, path, answer="Un tour de table.")

    item = answer_item(org, LEA)
    assert item["attribution"] == {"S": "named"}
    assert item["first_name"] == {"S": "Léa"}
    assert item["last_initial"] == {"S": "D"}  # Dubois, from her roster row


def test_an_anonymous_answer_keeps_no_name_of_its_author(org: LocalStack) -> None:
    path = link_of(org, LEA)

    status, _, thanks = post(org, path, answer="Un tour de table.", attribution="anonymous")

    assert status == 200
    assert "Elle est anonyme" in thanks
    item = answer_item(org, LEA)
    assert item["attribution"] == {"S": "anonymous"}
    assert item["first_name"] == {"S": ""}
    assert item["last_initial"] == {"S": ""}
    assert "Léa" not in str(item)
    assert "Dubois" not in str(item)
    assert item["circle"] == {"S": "Bâtisseurs"}  # who may read it, never shown with it
    _, _, form = get(org, path)
    assert 'name="attribution" value="anonymous" checked' in form


def test_an_edit_switches_the_signature_either_way(org: LocalStack) -> None:
    path = link_of(org, LEA)
    post(org, path, answer="Première version.")

    post(org, path, answer="Première version.", attribution="anonymous")
    assert answer_item(org, LEA)["attribution"] == {"S": "anonymous"}
    assert answer_item(org, LEA)["first_name"] == {"S": ""}

    post(org, path, answer="Première version.", attribution="named")
    item = answer_item(org, LEA)
    assert item["attribution"] == {"S": "named"}
    assert (item["first_name"], item["last_initial"]) == ({"S": "Léa"}, {"S": "D"})
    assert item["version"] == {"N": "3"}


@pytest.mark.parametrize("value", ["anonyme", "", "ANONYMOUS", "named\x00"])
def test_a_bad_signature_choice_is_refused_and_changes_nothing(org: LocalStack, value: str) -> None:
    path = link_of(org, LEA)
    status, _, page = post(org, path, answer="Ma réponse.", attribution=value)

    assert status == 400
    assert "Choisissez de signer votre réponse de votre nom ou de rester anonyme." in page
    assert ">Ma réponse.</textarea>" in page  # the text is not lost
    assert answer_item(org, LEA) == {}

    post(org, path, answer="Ma réponse.", attribution="anonymous")
    before = answer_item(org, LEA)
    status, _, _ = post(org, path, answer="Autre chose.", attribution=value)
    assert status == 400
    assert answer_item(org, LEA) == before


# ------------------------------------------------------------------ every output
AUTHORS = {  # who answers anonymously below: first name, last name, circle
    LEA: ("Léa", "Dubois", "Bâtisseurs"),
    HUGO: ("Hugo", "Bernard", "Bâtisseurs"),
    MANON: ("Manon", "Petit", "Éclaireurs"),
}
SECRETS = {address: f"Pratique secrète de {address[:3]}." for address in AUTHORS}
EMMA = "emma.laurent@demo.palabre.example"  # Passeurs
LOUIS = "louis.durand@demo.palabre.example"  # Éclaireurs


def anonymous_week(stack: LocalStack, authors: list[str]) -> None:
    """`authors` answer anonymously for everyone, Jade signs hers; two peers find Léa's
    useful; then the week's digest and report go out."""
    for address in authors:
        answer(stack, address, SECRETS[address], "organisation", "anonymous")
    answer(stack, JADE, "Pratique signée de Jade.", "organisation")
    stack.drain()
    vote(stack, author=LEA, voter=JADE)
    vote(stack, author=LEA, voter=EMMA)
    stack.drain()
    stack.clear_mail()
    monday(stack)


def weekly_mail(stack: LocalStack) -> list[EmailMessage]:
    mail = [m for m in sent(stack) if m["Subject"].startswith((*DIGEST, "Rapport"))]
    assert len(mail) > 15
    return mail


def exports(stack: LocalStack) -> dict[str, str]:
    """The week's CSV files, as the admins' links serve them."""
    return {
        name: "\n".join(",".join(row) for row in export(stack, "2026-W49", name))
        for name in ("answers", "scores", "participation")
    }


def near(body: str, text: str, lines: int = 4) -> list[str]:
    """The lines around each place `text` stands in `body`: what tells who wrote it."""
    rows = body.splitlines()
    found = [i for i, row in enumerate(rows) if text in row]
    return ["\n".join(rows[max(0, i - lines) : i + 1]) for i in found]


def answer_blocks(html: str, text: str) -> list[str]:
    return [b for b in re.findall(r'<div class="answer".*?</div>', html, re.DOTALL) if text in b]


def test_an_anonymous_answer_is_tied_to_its_author_in_no_output(org: LocalStack) -> None:
    anonymous_week(org, list(AUTHORS))

    shown_in = 0
    for message in weekly_mail(org):
        body, html = text(message), message.get_body(("html",)).get_content()
        for address, (first, last, circle) in AUTHORS.items():
            identifiers = (first, last, address, address.split("@")[0], circle)
            blocks = near(body, SECRETS[address]) + answer_blocks(html, SECRETS[address])
            shown_in += bool(blocks)
            for block in blocks:
                assert "Anonyme" in block or "Anonymous" in block  # fr, en
                assert not [i for i in identifiers if i in block], (message["To"], block)
            # Nowhere else in the email either (its reader's own greeting aside)
            if message["To"] != address:
                assert last not in body + html
                assert address not in body + html
                assert member_id(address) not in body + html
    assert shown_in >= 3 * 19  # in every member's digest, and the observer's

    # The admins' CSV files: no name of theirs, no circle beside their answers
    files = exports(org)
    for address, (first, last, circle) in AUTHORS.items():
        assert first not in "".join(files.values())
        assert last not in "".join(files.values())
        assert address.split("@")[0] not in "".join(files.values())
        [row] = [r for r in files["answers"].splitlines() if SECRETS[address] in r]
        assert row.split(",")[2:6] == ["", "", "", "anonymous"]  # circle, first, initial
        assert circle not in row
    [jade] = [r for r in files["answers"].splitlines() if "signée de Jade" in r]
    assert jade.split(",")[2:6] == ["Passeurs", "Jade", "M", "named"]


def test_named_answers_show_first_name_last_initial_and_circle(org: LocalStack) -> None:
    anonymous_week(org, list(AUTHORS))

    body = text(digest_of(org, EMMA))
    assert "\nJade M. · Passeurs · partagée avec tous\nPratique signée de Jade." in body


def test_stored_editions_and_report_keep_no_name_of_an_anonymous_author(
    org: LocalStack,
) -> None:
    anonymous_week(org, list(AUTHORS))

    s3 = org.client("s3")
    bucket = org.uploads_bucket("roster")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="digests/2026-W49/")["Contents"]
    for entry in listed:
        stored = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read().decode()
        for first, last, _ in AUTHORS.values():
            assert first not in stored
            assert last not in stored


def useful_link(body: str, secret: str) -> str:
    """The path of the "useful" link printed under `secret` in a digest's text."""
    return re.findall(r"Utile\s?: https://\S+?(/vote/\S+)", body.split(secret, 1)[1])[0]


def payload(path: str) -> str:
    """What a link's token carries, readable by anyone: it is signed, not encrypted."""
    data = path.rsplit("/", 1)[1].split(".")[0]
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()


def test_a_vote_link_for_an_anonymous_answer_names_nobody_and_still_counts(
    org: LocalStack,
) -> None:
    anonymous_week(org, list(AUTHORS))
    before = int(score(org, LEA)["points"]["N"])

    path = useful_link(text(digest_of(org, LOUIS)), SECRETS[LEA])
    assert member_id(LEA) not in payload(path)
    assert member_id(LOUIS) not in payload(path)  # the voter is sealed too (test_tokens.py)

    status, _, page = get(org, path)
    assert status == 200
    assert "Une réponse anonyme" in page
    assert SECRETS[LEA] in page
    for word in (*AUTHORS[LEA], LEA):
        assert word not in page
    status, _, page = post(org, path)
    assert status == 200
    assert "Merci" in page
    assert "Léa" not in page
    org.drain()
    assert int(score(org, LEA)["points"]["N"]) == before + 2


def test_a_sealed_author_is_refused_in_another_link(org: LocalStack) -> None:
    anonymous_week(org, list(AUTHORS))
    # (the author comes first; the voter, sealed too, second)
    sealed, _ = re.findall(
        r'"(~[^"]+)"', payload(useful_link(text(digest_of(org, EMMA)), SECRETS[LEA]))
    )

    # The same sealed author, in a link signed for another voter: it names no answer
    forged = signer(org).sign(
        Purpose.VOTE,
        ["demo-1", sealed, member_id(JADE)],
        datetime.fromisoformat("2026-12-30T00:00:00+01:00"),
    )
    status, _, _ = get(org, f"/vote/{forged}")
    assert status == 404


def test_points_and_streak_count_for_an_anonymous_author(org: LocalStack) -> None:
    anonymous_week(org, list(AUTHORS))

    assert score(org, LEA)["points"] == {"N": "19"}  # 10, 5 within 48 hours, 2 votes
    lea = text(digest_of(org, LEA))
    assert "Vos points\u00a0: 19 · votre série\u00a0: 1 thème répondu d'affilée" in lea
    assert "Vos points\u00a0: 15 · votre série\u00a0: 1" in text(digest_of(org, HUGO))


# ------------------------------------------------------------------ the threshold
def test_too_few_answers_hold_an_anonymous_one_back_everywhere(org: LocalStack) -> None:
    # Léa's anonymous answer (voted useful twice) and Jade's signed one: two answers
    anonymous_week(org, [LEA])

    mail = weekly_mail(org)
    everything = "".join(text(m) + m.get_body(("html",)).get_content() for m in mail)
    everything += "".join(exports(org).values())
    assert "Pratique signée de Jade." in everything
    assert SECRETS[LEA] not in everything
    assert "Anonyme" not in everything  # not even as an anonymous answer
    assert score(org, LEA)["points"] == {"N": "19"}


def test_a_third_answer_to_the_theme_shows_the_anonymous_ones(org: LocalStack) -> None:
    anonymous_week(org, [LEA, HUGO])  # two anonymous, and Jade's signed: three

    emma = text(digest_of(org, EMMA))
    assert SECRETS[LEA] in emma
    assert SECRETS[HUGO] in emma
    assert emma.count("Anonyme · partagée avec tous") == 2


def test_the_threshold_is_the_templates_parameter() -> None:
    with demo_org(AnonymityThreshold="4") as stack:
        _, _, form = get(stack, link_of(stack, JADE))
        assert "au moins 4 réponses à ce thème" in form
        anonymous_week(stack, [LEA, HUGO])  # with Jade's signed one: three, not four

        emma = text(digest_of(stack, EMMA))
        assert "Pratique signée de Jade." in emma
        assert SECRETS[LEA] not in emma
        rows = exports(stack)["answers"]
        assert SECRETS[LEA] not in rows


def test_a_lone_anonymous_answer_among_named_ones_stays_back(org: LocalStack) -> None:
    # Léa anonymous, Jade and Emma signed: three answers, but an admin knows who answered
    answer(org, EMMA, "Pratique signée d'Emma.", "organisation")
    anonymous_week(org, [LEA])

    emma = text(digest_of(org, EMMA))
    assert "Pratique signée de Jade." in emma
    assert SECRETS[LEA] not in emma
    assert SECRETS[LEA] not in exports(org)["answers"]


def test_each_view_counts_the_answers_it_shows(org: LocalStack) -> None:
    # Two anonymous answers for Bâtisseurs only, one for everyone (Manon, Éclaireurs)
    answer(org, LEA, SECRETS[LEA], "circle", "anonymous")
    answer(org, HUGO, SECRETS[HUGO], "circle", "anonymous")
    answer(org, MANON, SECRETS[MANON], "organisation", "anonymous")
    org.drain()
    monday(org)

    lucas = text(digest_of(org, LUCAS))  # Bâtisseurs: the three, in one view
    assert all(SECRETS[a] in lucas for a in AUTHORS)
    emma = text(digest_of(org, EMMA))  # Passeurs: Manon's alone, held back
    assert not [s for s in SECRETS.values() if s in emma]


# ------------------------------------------------------------------ hostile names
HOSTILE = '<script>alert("x")</script> & Zoë'


def test_a_hostile_name_is_escaped_in_the_byline(stack: LocalStack) -> None:
    roster = demo.roster().decode().replace(";Léa;Dubois;", f";{HOSTILE};d'Ubois<script>;")
    stack.upload("roster", "roster.csv", roster.encode())
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    tick(stack, PARIS_MORNING)
    stack.drain()
    answer(stack, LEA, "Ma pratique.", "organisation")
    stack.drain()
    monday(stack)

    html = digest_of(stack, EMMA).get_body(("html",)).get_content()
    [block] = answer_blocks(html, "Ma pratique.")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Zoë D. · Bâtisseurs" in block
    assert "<script" not in html  # the initial is a letter, the first name escaped
