"""The preferences page of the member's space against moto: what they receive (the
unsubscribe page's choices) and their absences. GET only shows; each POST does one thing
and redirects (303) to the page; refused input is a 400 that writes nothing."""

from datetime import timedelta
from typing import Any

import pytest

from palabre.core.models import member_id
from palabre.core.tokens import Purpose, Signer
from sam_moto.stack import LocalStack
from tests.functional.conftest import dynamodb_item, table_items
from tests.functional.test_answers import get, link_of, post, signer
from tests.functional.test_dispatch import LEA
from tests.functional.test_links import call, unsubscribe_path
from tests.functional.test_space import space_of

# The `org` fixture (conftest): Tuesday 1 December 2026, 09:00 in Paris, demo-1 sent.


def preferences(stack: LocalStack, address: str = LEA) -> str:
    return f"{space_of(stack, address)}/preferences"


def prefs_item(stack: LocalStack, address: str = LEA) -> dict[str, Any]:
    return dynamodb_item(stack, f"MEMBER#{member_id(address)}", "PREFS")


def absences(stack: LocalStack, address: str = LEA) -> list[str]:
    return [v["S"] for v in prefs_item(stack, address).get("absences", {}).get("L", [])]


def add(stack: LocalStack, path: str, start: str, end: str) -> tuple[int, str]:
    status, _, page = post(stack, path, action="add", **{"from": start, "to": end})
    return status, page


def test_the_space_links_to_the_preferences_which_show_the_choices_and_no_absence(
    org: LocalStack,
) -> None:
    space = space_of(org, LEA)
    token = space.rsplit("/", 1)[1]
    assert f'href="{token}/preferences"' in get(org, space)[2]

    status, headers, page = get(org, f"{space}/preferences")
    assert status == 200
    assert '<html lang="fr">' in page
    assert "<h1>Mes préférences</h1>" in page
    assert 'value="all" checked' in page  # today's choice: everything
    assert "Aucune absence déclarée." in page
    assert '<input type="date" id="from" name="from"' in page
    assert f'href="../{token}"' in page  # back to the space
    # the answer page's headers: no referrer, no cache, no script
    _, answer_headers, _ = get(org, link_of(org, LEA))
    for name in ("Content-Security-Policy", "Referrer-Policy", "Cache-Control"):
        assert headers[name] == answer_headers[name]


def test_an_absence_is_added_then_removed_each_by_a_post_and_a_redirect(
    org: LocalStack,
) -> None:
    path = preferences(org)
    status, headers, _ = post(
        org, path, follow=False, action="add", **{"from": "2026-12-07", "to": "2026-12-11"}
    )
    assert status == 303
    assert headers["Location"] == f"{path}?saved=added"
    assert absences(org) == ["2026-12-07/2026-12-11"]

    status, page = add(org, path, "2026-12-21", "2026-12-21")  # one day, and followed
    assert status == 200
    assert "Enregistré\u00a0: votre absence est ajoutée." in page
    assert "Du lundi 7 décembre 2026 au vendredi 11 décembre 2026" in page
    assert "Du lundi 21 décembre 2026 au lundi 21 décembre 2026" in page
    assert absences(org) == ["2026-12-07/2026-12-11", "2026-12-21/2026-12-21"]

    status, _, page = post(org, path, action="remove", absence="2026-12-07/2026-12-11")
    assert status == 200
    assert "Enregistré\u00a0: votre absence est supprimée." in page
    assert "7 décembre" not in page
    assert absences(org) == ["2026-12-21/2026-12-21"]
    assert prefs_item(org)["absences_revision"] == {"N": "3"}


def test_choosing_what_to_receive_keeps_the_absences_and_so_does_a_one_click(
    org: LocalStack,
) -> None:
    path = preferences(org)
    add(org, path, "2026-12-07", "2026-12-11")

    status, _, page = post(org, path, action="receive", choice="no_digest")
    assert status == 200
    assert "Enregistré\u00a0: votre choix de ce que vous recevez." in page
    assert 'value="no_digest" checked' in page
    assert prefs_item(org)["subscription"] == {"S": "no_digest"}

    # the unsubscribe link's one-click button writes the same item: the absence stays
    call(org, "POST", unsubscribe_path(org, LEA), b"List-Unsubscribe=One-Click")
    assert prefs_item(org)["subscription"] == {"S": "nothing"}
    assert absences(org) == ["2026-12-07/2026-12-11"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"from": "2026-12-11", "to": "2026-12-07"}, "ne peut pas précéder son premier jour"),
        (
            {"from": "07/12/2026", "to": "2026-12-11"},
            "«\u00a007/12/2026\u00a0» n&#39;est pas une date",
        ),
        ({"from": "2026-02-30", "to": "2026-03-02"}, "n&#39;est pas une date"),
        ({"from": "", "to": "2026-12-11"}, "n&#39;est pas une date"),
        ({"from": "2026-12-07", "to": "2028-01-01"}, "Une absence dure au plus 366 jours."),
        ({"from": "2026-11-22", "to": "2026-11-30"}, "au plus tôt il y a 7 jours"),
        ({"from": "2029-01-01", "to": "2029-01-02"}, "au plus tard dans 730 jours"),
        ({"from": "2026-12-10", "to": "2026-12-20"}, "Elle chevauche votre absence du 2026-12-07"),
    ],
    ids=[
        "reversed",
        "not-iso",
        "no-such-day",
        "empty",
        "too-long",
        "too-old",
        "too-far",
        "overlap",
    ],
)
def test_a_refused_absence_says_why_and_changes_nothing(
    org: LocalStack, fields: dict[str, str], error: str
) -> None:
    path = preferences(org)
    add(org, path, "2026-12-07", "2026-12-11")
    before = table_items(org)

    status, _, page = post(org, path, action="add", **fields)

    assert status == 400
    assert error in page
    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page
    assert f'value="{fields["from"]}"' in page  # what was typed stays, to be fixed
    assert table_items(org) == before


def test_a_thirteenth_absence_to_come_is_refused(org: LocalStack) -> None:
    path = preferences(org)
    for week in range(12):
        day = f"2027-01-{week * 2 + 1:02d}"
        assert add(org, path, day, day)[0] == 200
    before = table_items(org)

    status, page = add(org, path, "2027-03-01", "2027-03-02")

    assert status == 400
    assert "Vous avez déjà 12 absences à venir\u00a0: supprimez-en une d&#39;abord." in page
    assert table_items(org) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "remove", "absence": "2026-12-08/2026-12-11"},  # not in the list
        {"action": "remove", "absence": "<script>"},
        {"action": "receive", "choice": "everything"},
        {"action": "receive"},
        {"action": "delete-my-data"},
        {},
    ],
    ids=["unknown-absence", "garbage-absence", "bad-choice", "no-choice", "bad-action", "empty"],
)
def test_other_refused_posts_change_nothing(org: LocalStack, fields: dict[str, str]) -> None:
    path = preferences(org)
    add(org, path, "2026-12-07", "2026-12-11")
    before = table_items(org)

    status, _, page = post(org, path, **fields)

    assert status == 400
    assert 'class="error"' in page
    assert "<script>" not in page
    assert table_items(org) == before


def test_a_scanner_following_the_link_changes_nothing(org: LocalStack) -> None:
    path = preferences(org)
    before = table_items(org)
    for query in ("", "?saved=added", "?action=add&from=2026-12-07&to=2026-12-11", "?x=1"):
        status, _, page = get(org, path + query)
        assert status == 200
        assert "Enregistré" not in page or query == "?saved=added"
    assert table_items(org) == before


def test_every_bad_preferences_link_is_the_same_plain_404_and_writes_nothing(
    org: LocalStack,
) -> None:
    good = space_of(org, LEA).rsplit("/", 1)[1]
    keys, lea, later = signer(org), member_id(LEA), org.clock() + timedelta(days=3)
    bad = {
        "forged": good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),
        "unknown-member": keys.sign(Purpose.SPACE, ["mnobody"], later),
        "expired": keys.sign(Purpose.SPACE, [lea], org.clock() - timedelta(seconds=1)),
        "answer-token": keys.sign(Purpose.ANSWER, ["demo-1", lea], later),
        "unsubscribe-token": keys.sign(Purpose.UNSUBSCRIBE, [lea, "nothing"], later),
        "foreign-key": Signer(["not-our-key"]).sign(Purpose.SPACE, [lea], later),
    }
    before = table_items(org)
    pages = set()
    for token in bad.values():
        path = f"/space/{token}/preferences"
        for status, _, page in (
            get(org, path),
            post(org, path, action="add", **{"from": "2026-12-07", "to": "2026-12-11"}),
        ):
            assert status == 404
            pages.add(page)
    [page] = pages
    assert "Ce lien n'est pas valide ou a expiré." in page
    assert "Léa" not in page
    assert table_items(org) == before
