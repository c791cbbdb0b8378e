"""The answer journey against moto: the personal link, the form, the stored answer."""

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

import palabre.aws
from palabre.core.models import member_id
from palabre.core.tokens import Purpose, Signer, keys_from_secret
from palabre.wiring import Adapters, override
from sam_moto.stack import LocalStack
from tests.doubles import Intercepted, once
from tests.functional.conftest import PARIS_MORNING, dynamodb_item, handlers_table, sent
from tests.functional.test_dispatch import LEA

HUGO = "hugo.bernard@demo.palabre.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def link_of(stack: LocalStack, address: str) -> str:
    message = next(m for m in sent(stack) if m["To"] == address and "rituels" in m["Subject"])
    [path] = re.findall(r"https://\S+?(/answer/\S+)", message.get_body(("plain",)).get_content())
    return path


def get(stack: LocalStack, path: str) -> tuple[int, dict[str, str], str]:
    path, _, query = path.partition("?")
    status, headers, body = stack.api(method="GET", path=path, query=query, headers={}, body=b"")
    return status, dict(headers), body.decode()


def post(
    stack: LocalStack, path: str, *, follow: bool = True, **fields: str
) -> tuple[int, dict[str, str], str]:
    """The form sent, and, as a browser does, the page its redirect leads to (unless not
    `follow`)."""
    status, headers, body = stack.api(
        method="POST", path=path, query="", headers=FORM, body=urlencode(fields).encode()
    )
    if status == 303 and follow:
        where, _, query = dict(headers)["Location"].partition("?")
        assert where == path
        status, headers, body = stack.api(
            method="GET", path=where, query=query, headers={}, body=b""
        )
    return status, dict(headers), body.decode()


def answer_item(stack: LocalStack, address: str) -> dict[str, Any]:
    return dynamodb_item(stack, "THEME#demo-1", f"ANSWER#{member_id(address)}")


def signer(stack: LocalStack) -> Signer:
    import json

    secret = stack.client("secretsmanager").get_secret_value(
        SecretId=stack.provisioned.physical["LinkSigningSecret"]
    )
    return Signer(keys_from_secret(json.loads(secret["SecretString"])))


def test_the_link_opens_the_form_in_the_members_language(org: LocalStack) -> None:
    status, headers, page = get(org, link_of(org, LEA))

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page
    assert '<h1 lang="fr">Nos rituels d&#39;équipe</h1>' in page
    assert "<strong>rituel d'équipe</strong>" in page  # the calendar's Markdown
    assert "Ouvert jusqu'au mardi 8 décembre 2026 inclus (heure\u00a0: France)." in page
    assert '<label for="answer">Votre réponse</label>' in page
    assert re.search(r'<textarea id="answer" name="answer"[^>]*maxlength="5000"', page)
    assert 'value="circle" checked' in page
    assert "Mon cercle (Bâtisseurs)" in page
    assert "<script" not in page


def test_pages_carry_the_security_headers(org: LocalStack) -> None:
    _, headers, page = get(org, link_of(org, LEA))

    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy
    assert "'unsafe-inline'" not in policy
    # The one inline stylesheet is allowed by its hash, and the hash is right
    import base64
    import hashlib

    [css] = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_an_answer_is_stored_and_thanked_with_its_points(org: LocalStack) -> None:
    path = link_of(org, LEA)
    status, _, page = post(
        org, path, answer="  Un tour de table chaque lundi.  ", visibility="organisation"
    )

    assert status == 200
    assert "Merci, Léa\u202f!" in page
    assert "Cette réponse vous rapporte 15 points." in page  # 10, and 5 within 48 hours
    assert f'href="{path}"' in page  # the link to edit
    item = answer_item(org, LEA)
    assert item["text"] == {"S": "Un tour de table chaque lundi."}
    assert item["visibility"] == {"S": "organisation"}
    assert item["version"] == {"N": "1"}
    assert item["circle"] == {"S": "Bâtisseurs"}
    assert item["week"] == {"S": "2026-W49"}


def test_an_edit_keeps_created_at_bumps_the_version_and_earns_nothing_more(
    org: LocalStack,
) -> None:
    path = link_of(org, LEA)
    post(org, path, answer="Première version.", visibility="circle")
    first = answer_item(org, LEA)
    org.advance_to(org.clock() + timedelta(hours=1))

    status, _, page = post(org, path, answer="Deuxième version, plus précise.", visibility="circle")

    assert status == 200
    assert "Vos modifications sont enregistrées." in page
    assert "rapporte" not in page
    edited = answer_item(org, LEA)
    assert edited["created_at"] == first["created_at"]
    assert edited["updated_at"] != first["updated_at"]
    assert edited["version"] == {"N": "2"}
    assert edited["text"] == {"S": "Deuxième version, plus précise."}
    # and the form is prefilled with it
    _, _, form = get(org, path)
    assert ">Deuxième version, plus précise.</textarea>" in form


def test_after_48_hours_an_answer_earns_the_themes_points_only(org: LocalStack) -> None:
    org.advance_to(PARIS_MORNING + timedelta(hours=49))
    _, _, page = post(org, link_of(org, HUGO), answer="Un café le vendredi.")
    assert "Cette réponse vous rapporte 10 points." in page


def test_a_post_does_one_read_and_one_write(org: LocalStack) -> None:
    path = link_of(org, LEA)
    get(org, path)  # warms the link-key cache, as any earlier request would
    calls: Counter[str] = Counter()
    palabre.aws.client("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.update([model.name])
    )

    status, headers, _ = post(org, path, follow=False, answer="Réponse.")

    assert status == 303
    assert headers["Location"] == f"{path}?saved=created"
    assert calls == Counter({"BatchGetItem": 1, "UpdateItem": 1})


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("   \n  ", "Écrivez votre réponse avant de l&#39;envoyer."),
        ("Bonjour\x00monde", "caractères de contrôle invisibles"),
        (
            "x" * 5001,
            "Votre réponse fait 5\u202f001 caractères\u202f; la limite est de 5\u202f000.",
        ),
    ],
    ids=["blank", "nul", "too-long"],
)
def test_a_bad_answer_gets_a_clear_message_and_nothing_is_stored(
    org: LocalStack, answer: str, message: str
) -> None:
    status, _, page = post(org, link_of(org, LEA), answer=answer)

    assert status == 400
    assert 'role="alert"' in page
    assert message in page
    assert 'aria-invalid="true"' in page
    assert answer_item(org, LEA) == {}


def test_after_the_deadline_the_page_is_read_only(org: LocalStack) -> None:
    path = link_of(org, LEA)
    post(org, path, answer="Ma réponse.")
    org.advance_to(datetime.fromisoformat("2026-12-09T00:00:00+01:00"))

    status, _, page = get(org, path)
    assert status == 200
    assert "Ce thème est clos" in page
    assert "<form" not in page
    assert '<div class="answer-text">Ma réponse.</div>' in page

    status, _, page = post(org, path, answer="Trop tard.")
    assert status == 409
    assert answer_item(org, LEA)["text"] == {"S": "Ma réponse."}


def test_every_bad_link_gets_the_same_plain_404(org: LocalStack) -> None:
    good = link_of(org, LEA)
    token = good.rsplit("/", 1)[1]
    keys = signer(org)
    lea = member_id(LEA)
    bad = {
        "forged": good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),
        "unknown-member": "/answer/"
        + keys.sign(Purpose.ANSWER, ["demo-1", "mnobody"], org.clock() + timedelta(days=3)),
        "unknown-theme": "/answer/"
        + keys.sign(Purpose.ANSWER, ["nope", lea], org.clock() + timedelta(days=3)),
        "expired": "/answer/"
        + keys.sign(Purpose.ANSWER, ["demo-1", lea], org.clock() - timedelta(seconds=1)),
        "wrong-purpose": "/answer/"
        + keys.sign(Purpose.UNSUBSCRIBE, ["demo-1", lea], org.clock() + timedelta(days=3)),
        "foreign-key": "/answer/"
        + Signer(["not-our-key"]).sign(
            Purpose.ANSWER, ["demo-1", lea], org.clock() + timedelta(days=3)
        ),
        "garbage": "/answer/%00%3Cscript%3E",
    }
    responses = {name: get(org, path) for name, path in bad.items()}
    responses["post-forged"] = post(org, bad["forged"], answer="x")

    statuses = {name: r[0] for name, r in responses.items()}
    assert set(statuses.values()) == {404}, statuses
    bodies = {r[2] for r in responses.values()}
    assert len(bodies) == 1
    [body] = bodies
    assert "Ce lien n'est pas valide ou a expiré." in body
    assert "Léa" not in body
    assert "Bâtisseurs" not in body
    assert answer_item(org, LEA) == {}
    # A path the API does not route never reaches the function: API Gateway's own 404
    assert get(org, "/answers/" + token)[0] == 404


def test_an_answer_saved_between_the_read_and_the_write_is_kept_and_shown(
    org: LocalStack,
) -> None:
    path = link_of(org, LEA)
    calls: Counter[str] = Counter()
    palabre.aws.client("dynamodb").meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.update([model.name])
    )

    def the_other_window_saves() -> None:
        with override(Adapters(table=handlers_table(org))):
            sent = post(org, path, follow=False, answer="Depuis le téléphone.", version="0")
            assert sent[0] == 303

    # The computer's window read the answer (none yet); the phone's saves before it writes
    table = Intercepted(handlers_table(org), update=once(the_other_window_saves))
    with override(Adapters(table=table)):
        status, _, page = post(org, path, answer="Depuis l'ordinateur.", version="0")

    assert status == 409
    assert '<div class="answer-text">Depuis le téléphone.</div>' in page  # what the write found
    assert ">Depuis l&#39;ordinateur.</textarea>" in page
    assert '<input type="hidden" name="version" value="1">' in page
    assert answer_item(org, LEA)["text"] == {"S": "Depuis le téléphone."}
    # Both requests together: one read and one write each, no read to build the 409 page
    assert calls == Counter({"BatchGetItem": 2, "UpdateItem": 2})


def test_an_edit_made_in_another_window_is_never_overwritten_silently(org: LocalStack) -> None:
    path = link_of(org, LEA)
    # Two windows show the empty form (version 0)
    _, _, form = get(org, path)
    assert '<input type="hidden" name="version" value="0">' in form
    # The first sends its answer
    assert post(org, path, answer="Depuis le téléphone.", version="0")[0] == 200

    # The second, still showing version 0, sends too: refused, nothing lost
    status, _, page = post(org, path, answer="Depuis l'ordinateur.", version="0")

    assert status == 409
    assert "modifiée entre-temps dans une autre fenêtre" in page
    assert '<div class="answer-text">Depuis le téléphone.</div>' in page
    assert ">Depuis l&#39;ordinateur.</textarea>" in page  # what they typed is kept
    assert '<input type="hidden" name="version" value="1">' in page
    assert answer_item(org, LEA)["text"] == {"S": "Depuis le téléphone."}
    # Sent again from the refreshed form, it is saved as version 2
    assert post(org, path, answer="Depuis l'ordinateur.", version="1")[0] == 200
    assert answer_item(org, LEA)["version"] == {"N": "2"}


def test_a_saved_answer_redirects_to_a_thank_you_page_that_a_refresh_shows_again(
    org: LocalStack,
) -> None:
    path = link_of(org, LEA)
    status, headers, body = post(org, path, follow=False, answer="Un tour de table.")
    assert (status, headers["Location"], body) == (303, f"{path}?saved=created", "")
    assert headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in headers["Content-Security-Policy"]

    # The thank-you page is a GET: refreshing it (twice) shows it again, nothing is sent
    for _ in range(2):
        status, _, page = get(org, f"{path}?saved=created")
        assert status == 200
        assert "Merci, Léa\u202f!" in page
        assert "Cette réponse vous rapporte 15 points." in page
        assert "Votre cercle la lira dans le prochain digest de la semaine." in page
    assert answer_item(org, LEA)["version"] == {"N": "1"}

    # An edit thanks without points; the page says what the answer's audience now is
    status, headers, _ = post(
        org,
        path,
        follow=False,
        answer="Un tour de table, lundi.",
        visibility="organisation",
        version="1",
    )
    assert headers["Location"] == f"{path}?saved=edited"
    _, _, page = get(org, f"{path}?saved=edited")
    assert "Vos modifications sont enregistrées." in page
    assert "rapporte" not in page
    assert "Toute l'organisation la lira" in page


def test_the_thank_you_page_without_an_answer_or_with_any_other_value_is_the_form(
    org: LocalStack,
) -> None:
    path = link_of(org, LEA)
    for query in ("saved=created", "saved=<script>", "saved="):
        status, _, page = get(org, f"{path}?{query}")
        assert status == 200
        assert '<form method="post"' in page
        assert "<script>" not in page
    post(org, path, answer="Un tour de table.")
    _, _, page = get(org, f"{path}?saved=<script>")
    assert '<form method="post"' in page


def test_the_thank_you_page_reads_the_answer_strongly_consistent(org: LocalStack) -> None:
    # It follows the member's own write: an eventually consistent read could miss it and
    # show the empty form again (moto is always consistent, so the request is checked)
    path = link_of(org, LEA)
    post(org, path, follow=False, answer="Un tour de table.")
    reads: list[bool] = []
    palabre.aws.client("dynamodb").meta.events.register(
        "before-parameter-build.dynamodb.BatchGetItem",
        lambda params, **_: reads.extend(
            bool(r.get("ConsistentRead")) for r in params["RequestItems"].values()
        ),
    )
    get(org, f"{path}?saved=created")
    get(org, path)
    assert reads == [True, False]
