"""What a personal link does with what it was not made for (issue 10, links): bodies that
are not UTF-8, odd form encodings and content types, tokens the key really signed but
that no page can serve, a link secret that lost its "current" key. Never a 500: the plain
404 for a bad link whatever its body, a 400 page for a good link's unreadable form, a
503 page (and an error line) for a broken secret. And no email names a member by the id
derived from their address."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from itertools import product
from typing import Any

import pytest

import palabre.wiring
from palabre.core.models import member_id
from palabre.core.tokens import Purpose
from palabre_cli import demo
from sam_moto.stack import LocalStack
from tests.functional.conftest import sent, table_items
from tests.functional.test_answers import signer
from tests.functional.test_dispatch import LEA
from tests.functional.test_weekly_details import demo_org

CAMILLE = "camille.martin@demo.palabre.example"  # the demo's admin
NOT_FOUND = "Ce lien n'est pas valide ou a expiré."
UNREADABLE = "Ce formulaire n'a pas pu être lu."
UNAVAILABLE = "Cette page est momentanément indisponible."

BODIES = {
    "latin-1": "réponse=été".encode("latin-1"),
    "utf-16": "answer=oui".encode("utf-16"),
    "truncated-utf8": "answer=é".encode()[:-1],
}
ODD_BUT_TEXT = {
    "percent-not-utf8": b"answer=%ff%fe&visibility=%c3&choice=%ff",
    "separators-nul": b"&&&==;;%\x00",
    "huge-many-fields": b"&".join(b"f%d=x" % n for n in range(5000)) + b"a" * 300_000,
    "multipart-no-boundary": b"--x\r\nContent-Disposition: form-data\r\n\r\n1\r\n--x--",
}
CONTENT_TYPES = [
    "application/x-www-form-urlencoded; charset=iso-8859-1",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "x" * 3000,
    "",
]


@pytest.fixture(scope="module")
def org() -> Iterator[LocalStack]:
    """One demo organisation for the module: every test here leaves the table as it was."""
    with demo_org() as stack:
        yield stack


@pytest.fixture(autouse=True)
def _stack_clock(org: LocalStack) -> None:
    """The handlers read the stack's clock again (each test's teardown resets it)."""
    org.hooks.use_clock(org.clock)


def token(stack: LocalStack, purpose: Purpose, *ids: str) -> str:
    return signer(stack).sign(purpose, list(ids), stack.clock() + timedelta(days=30))


def post_paths(stack: LocalStack) -> dict[str, str]:
    """Every route that reads a POST's body, with a good link."""
    lea, camille = member_id(LEA), member_id(CAMILLE)
    space = token(stack, Purpose.SPACE, lea)
    return {
        "answer": f"/answer/{token(stack, Purpose.ANSWER, 'demo-1', lea)}",
        "unsubscribe": f"/unsubscribe/{token(stack, Purpose.UNSUBSCRIBE, lea, 'nothing')}",
        "ask": f"/space/{space}/ask",
        "preferences": f"/space/{space}/preferences",
        "star": f"/star/{token(stack, Purpose.STAR, 'demo-1', lea, camille)}",
    }


def bad_link(path: str) -> str:
    """The same route with a token no key signed."""
    kind, good = path.split("/")[1:3]
    return path.replace(f"/{kind}/{good}", f"/{kind}/W1siZGVtby0xIl1d.AAAAAAAAAAAAAAAAAAAAAAAAAAA")


def call(stack: LocalStack, method: str, path: str, body: bytes = b"", **headers: str) -> Any:
    status, _, data = stack.api(method=method, path=path, query="", headers=headers, body=body)
    return status, data.decode()


def test_a_body_that_is_not_utf8_gets_a_400_page_on_a_good_link_and_the_404_on_a_bad_one(
    org: LocalStack,
) -> None:
    before = table_items(org)
    cases = [(r, p, n, b) for r, p in post_paths(org).items() for n, b in BODIES.items()]
    # Every route and body, each content type in turn
    for (route, path, name, body), content_type in zip(
        cases, CONTENT_TYPES * len(cases), strict=False
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        # A bad link: the plain 404, whatever its body (the token is read first)
        status, page = call(org, "POST", bad_link(path), body, **headers)
        assert (status, NOT_FOUND in page) == (404, True), (route, name, status)
        # A good link: the form could not be read, nothing was saved
        status, page = call(org, "POST", path, body, **headers)
        assert (status, UNREADABLE in page) == (400, True), (route, name, status)
        assert '<meta name="viewport" content="width=device-width' in page
    org.drain()
    assert table_items(org) == before


def test_odd_form_encodings_are_refused_or_ignored_never_a_500(org: LocalStack) -> None:
    before = table_items(org)
    for route, path in post_paths(org).items():
        if route == "answer":
            continue  # an odd answer may well be saved: test_answers.py covers the form
        for (name, body), content_type in product(ODD_BUT_TEXT.items(), CONTENT_TYPES[:3]):
            headers = {"Content-Type": content_type} if content_type else {}
            status, _ = call(org, "POST", path, body, **headers)
            assert status < 500, (route, name, status)
            assert call(org, "POST", bad_link(path), body, **headers)[0] == 404
    org.drain()
    assert table_items(org) == before


def signed_payload(stack: LocalStack, purpose: Purpose, payload: list[Any]) -> str:
    """Whatever `payload` is, signed with the deployment's own key (itsdangerous's
    format, as Signer.sign writes it)."""
    return signer(stack)._serializer(purpose).dumps(payload)


OUT_OF_RANGE = [2**62, -(2**62), 10**20, 2**31 * 1000, -(10**12)]


@pytest.mark.parametrize("expiry", OUT_OF_RANGE)
def test_a_validly_signed_expiry_out_of_any_dates_range_is_the_plain_404(
    org: LocalStack, expiry: int
) -> None:
    lea = member_id(LEA)
    for purpose, ids, path in [
        (Purpose.ANSWER, ["demo-1", lea], "/answer/{}"),
        (Purpose.SPACE, [lea], "/space/{}/ask"),
        (Purpose.UNSUBSCRIBE, [lea, "nothing"], "/unsubscribe/{}"),
        (Purpose.VOTE, ["demo-1", lea, lea], "/vote/{}"),
        (Purpose.EXPORT, ["2026-W49", "answers", lea], "/export/{}"),
    ]:
        url = path.format(signed_payload(org, purpose, [*ids, expiry]))
        for method in ("GET",) if purpose is Purpose.EXPORT else ("GET", "POST"):
            status, page = call(org, method, url)
            assert (status, NOT_FOUND in page) == (404, True), (purpose, method, status)


@pytest.mark.parametrize(
    "ids",
    [
        ["demo-1", "x", "weird"],  # an unsubscribe link's ids are (member, scope)
        ["LEA", "every-other-week"],  # a scope this version does not know
        ["LEA", "nothing", "extra"],
        [],
    ],
    ids=["three-ids", "unknown-scope", "extra-id", "no-id"],
)
def test_an_unsubscribe_link_of_another_shape_or_scope_is_the_plain_404(
    org: LocalStack, ids: list[str]
) -> None:
    ids = [member_id(LEA) if i == "LEA" else i for i in ids]
    url = f"/unsubscribe/{signed_payload(org, Purpose.UNSUBSCRIBE, [*ids, 2_000_000_000])}"
    before = table_items(org)
    for method in ("GET", "POST"):
        status, page = call(org, method, url, b"choice=nothing", **{"Content-Type": "a/b"})
        assert (status, NOT_FOUND in page) == (404, True), (method, status)
    assert table_items(org) == before


@pytest.mark.parametrize(
    "payload",
    [
        ["demo-1", 42, 2_000_000_000],
        [["demo-1"], "m", 2_000_000_000],
        ["demo-1", None, 2_000_000_000],
        {"ids": ["demo-1"]},
        "demo-1",
        ["demo-1", "m", "2000000000"],
        ["x" * 300, 2_000_000_000],
    ],
    ids=["number-id", "list-id", "null-id", "object", "string", "text-expiry", "long-id"],
)
def test_a_validly_signed_payload_of_the_wrong_types_is_the_plain_404(
    org: LocalStack, payload: Any
) -> None:
    for purpose, path in [
        (Purpose.ANSWER, "/answer/{}"),
        (Purpose.VOTE, "/vote/{}"),
        (Purpose.STAR, "/star/{}"),
        (Purpose.CANCEL, "/cancel/{}"),
        (Purpose.RESUME, "/resume/{}"),
        (Purpose.SPACE, "/space/{}/ask"),
        (Purpose.EXPORT, "/export/{}"),
    ]:
        url = path.format(signed_payload(org, purpose, payload))
        for method in ("GET",) if purpose is Purpose.EXPORT else ("GET", "POST"):
            status, page = call(org, method, url)
            assert (status, NOT_FOUND in page) == (404, True), (purpose, method, status)


# ------------------------------------------------------------------ a broken link secret
def put_secret(stack: LocalStack, text: str) -> None:
    stack.client("secretsmanager").put_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"], SecretString=text
    )
    palabre.wiring.reset()  # a fresh container: the secret is read again


def test_a_secret_that_lost_its_current_key_keeps_links_open_and_says_why_it_cannot_sign(
    org: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    secret_id = org.provisioned.physical["LinkSigningSecret"]
    whole = org.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    keys = json.loads(whole)
    lea = member_id(LEA)
    sent_before = {
        "space": f"/space/{token(org, Purpose.SPACE, lea)}",
        "unsubscribe": f"/unsubscribe/{token(org, Purpose.UNSUBSCRIBE, lea, 'nothing')}",
    }
    try:
        # Given an operator's rotation that left only "previous"
        put_secret(org, json.dumps({"previous": [*keys["previous"], keys["current"]]}))

        # Then a page that only reads still opens from a link already sent
        assert call(org, "GET", sent_before["unsubscribe"])[0] == 200
        # A page that must mint links says the service is unavailable: not a 500, nor
        # "your link is bad"
        status, page = call(org, "GET", sent_before["space"])
        assert (status, UNAVAILABLE in page) == (503, True)
        # A forged link is still the plain 404
        assert call(org, "GET", "/space/W1siZGVtby0xIl1d.AAAAAAAAAAAAAAAAAAAAAAAAAAA")[0] == 404

        # Given a secret that is not even JSON
        put_secret(org, "current=oops")
        for path in sent_before.values():
            status, page = call(org, "GET", path)
            assert (status, UNAVAILABLE in page) == (503, True)
    finally:
        put_secret(org, whole)

    # And each time, one error line an alarm can count
    errors = [r for r in caplog.records if r.getMessage() == "LinkSecretUnusable"]
    assert errors
    assert {e.levelname for e in errors} == {"ERROR"}
    assert {e.__dict__["reason"] for e in errors} >= {
        'no "current" key',
        "the link secret is not JSON",
    }
    assert call(org, "GET", sent_before["space"])[0] == 200


# ---------------------------------------------------------------- member ids in emails
def test_no_theme_email_names_a_member_by_the_id_of_their_address(org: LocalStack) -> None:
    ids = {
        member_id(row["Courriel"])
        for row in csv.DictReader(io.StringIO(demo.roster().decode("utf-8-sig")), delimiter=";")
    }
    mail = sent(org)
    with_links = 0
    for message in mail:
        # What its reader sees: every header, every text part decoded (no line breaks
        # of quoted-printable inside an id)
        seen = "\n".join(
            [f"{k}: {v}" for k, v in message.items()]
            + [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        )
        with_links += "/answer/" in seen and "/unsubscribe/" in message["List-Unsubscribe"]
        assert not [i for i in ids if i in seen], message["To"]
    assert with_links > 10
    # …and the links still open, and name their member (the page is in Léa's language)
    lea = next(m for m in mail if m["To"] == LEA)
    unsubscribe = lea["List-Unsubscribe"].strip("<>").split("/unsubscribe/")[1].split(">")[0]
    assert call(org, "GET", f"/unsubscribe/{unsubscribe}")[0] == 200


def test_a_link_minted_before_ids_were_sealed_still_opens(org: LocalStack) -> None:
    keys = signer(org)
    plain = keys.sign(Purpose.ANSWER, ["demo-1", member_id(LEA)], org.clock() + timedelta(1))
    assert call(org, "GET", f"/answer/{plain}")[0] == 200
    # …while an id sealed for another link does not
    moved = keys.hide(member_id(LEA), Purpose.SPACE)
    moved_link = keys.sign(Purpose.ANSWER, ["demo-1", moved], org.clock() + timedelta(1))
    assert call(org, "GET", f"/answer/{moved_link}")[0] == 404


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("en-GB,en;q=0.9,fr;q=0.8", "en"),
        ("de-DE,fr;q=0.4,en;q=0.7", "en"),
        ("en;q=0.2, fr-CA;q=0.9", "fr"),
        ("de, es;q=0.9", "fr"),  # none of ours: the organisation's
        ("en;q=0, fr;q=zero", "fr"),  # refused, and unreadable: the organisation's
        (None, "fr"),
    ],
)
def test_a_page_for_no_member_speaks_the_browsers_language(
    org: LocalStack, accept_language: str | None, expected: str
) -> None:
    """Given a bad link (no member behind it, so no member's language), and a good link's
    unreadable form
    When a browser asks with its Accept-Language (q-values), or none
    Then the 404 and the 400 page come in its preferred language among French and English,
    else in the organisation's (French here), the page's lang attribute saying which."""
    headers = {"Accept-Language": accept_language} if accept_language else {}
    path = post_paths(org)["answer"]

    status, page = call(org, "GET", bad_link(path), **headers)
    assert status == 404
    assert f'<html lang="{expected}">' in page
    assert ("This link is not valid or has expired." in page) is (expected == "en")
    assert (NOT_FOUND in page) is (expected == "fr")

    status, page = call(org, "POST", path, BODIES["latin-1"], **headers)
    assert status == 400
    assert ("This form could not be read." in page) is (expected == "en")
    assert (UNREADABLE in page) is (expected == "fr")
