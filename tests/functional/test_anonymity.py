"""Attribution and anonymity (issue 9 §3) against moto: the form's choice, and an anonymous
answer tied to its author in no output — digests, the admin report, every CSV, vote
pages — shown only among enough anonymous answers, while its points still count."""

import re

import pytest

from sam_moto.stack import LocalStack
from tests.functional.test_answers import answer_item, get, link_of, post
from tests.functional.test_dispatch import LEA


def test_the_form_offers_to_sign_or_stay_anonymous_and_signs_by_default(org: LocalStack) -> None:
    path = link_of(org, LEA)
    _, _, form = get(org, path)

    assert 'name="attribution" value="named" checked' in form
    assert re.search(r'name="attribution" value="anonymous">', form)
    assert "au moins 3 réponses anonymes à ce thème" in form  # the template's threshold

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
