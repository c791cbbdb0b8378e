"""Hostile text through the real pages, emails and exports (issue 10): a formula hidden
behind a ";" never comes back live from an export, bidi controls and invisible
characters never reach a reader, whether typed now or stored before they were refused."""

import re

from sam_moto.stack import LocalStack
from tests.functional.test_answers import answer_item, get, link_of
from tests.functional.test_digest import digest_of, monday, text
from tests.functional.test_dispatch import LEA
from tests.functional.test_scores import HUGO, answer
from tests.functional.test_weekly_details import export

SPOOF = "\u202e\u200b\u2066"
TYPED = f"Tour de table ok;=1+2 puis |@SUM(A1) {SPOOF}fin\u2069 👩\u200d💻"


def test_a_hostile_answer_is_cleaned_on_input_and_inert_in_every_export(
    org: LocalStack,
) -> None:
    # Given Léa's answer, typed with a formula behind separators and bidi controls
    answer(org, LEA, TYPED, visibility="organisation")
    org.drain()

    # Then it is stored without the controls, the emoji sequence kept
    stored = answer_item(org, LEA)["text"]["S"]
    assert stored == "Tour de table ok;=1+2 puis |@SUM(A1) fin 👩\u200d💻"

    # …and the week's export, read as a French Excel reads it, holds no live formula
    monday(org)
    [row] = [r for r in export(org, "2026-W49", "answers")[1:] if "Tour de table" in r[-1]]
    for piece in re.split(r"[,;\t|]", row[-1]):
        assert not piece.lstrip(' "').startswith(("=", "+", "-", "@")), row[-1]
    # …and Hugo's digest shows it without a single control character
    digest = digest_of(org, HUGO)
    body = digest.get_body(("html",))
    assert body is not None
    html = body.get_content()
    for part in (text(digest), html):
        assert "Tour de table ok;=1+2" in part
        assert not set(SPOOF) & set(part)


def test_text_stored_before_it_was_cleaned_is_shown_without_its_controls(
    org: LocalStack,
) -> None:
    # Given an answer stored by an older version, bidi override and all
    answer(org, LEA, "ancien texte", visibility="organisation")
    table = org.provisioned.tables["PalabreTable"]
    item = answer_item(org, LEA)
    item["text"] = {"S": f"ancien {SPOOF}texte"}
    org.client("dynamodb").put_item(TableName=table, Item=item)

    # Then the answer page shows it without them
    status, _, page = get(org, link_of(org, LEA))
    assert status == 200
    assert "ancien texte" in page
    assert not set(SPOOF) & set(page)
