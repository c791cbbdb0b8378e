"""Bylines and the k-anonymity rule (core.attribution), on the answers pages and digests
hold."""

from datetime import UTC, datetime

import pytest

from palabre.core.attribution import byline, initial, shown
from palabre.core.models import Answer, Attribution, Visibility
from palabre.digest.editions import DigestAnswer

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ANONYMOUS, NAMED = Attribution.ANONYMOUS, Attribution.NAMED


def answer(
    author: str,
    attribution: Attribution = NAMED,
    theme: str = "t1",
    visibility: Visibility = Visibility.CIRCLE,
    **fields: str,
) -> Answer:
    return Answer(
        theme_id=theme,
        member_id=author,
        text=f"{author}'s practice",
        visibility=visibility,
        created_at=NOW,
        updated_at=NOW,
        attribution=attribution,
        **fields,
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"first_name": "Léa", "last_initial": "M", "circle": "Bâtisseurs"}, "Léa M. · Bâtisseurs"),
        ({"first_name": "Léa", "circle": "Bâtisseurs"}, "Léa · Bâtisseurs"),  # written before
        ({"first_name": "Léa", "last_initial": "M"}, "Léa M."),
        ({"last_initial": "M", "circle": "Bâtisseurs"}, "Bâtisseurs"),
        ({}, ""),
    ],
)
def test_a_named_answer_shows_what_is_known_of_its_author(
    fields: dict[str, str], expected: str
) -> None:
    assert byline(answer("a", **fields)) == expected


def test_an_anonymous_answer_has_no_byline_whatever_its_item_holds() -> None:
    leaky = answer("a", ANONYMOUS, first_name="Léa", last_initial="M", circle="Bâtisseurs")
    assert byline(leaky) == ""


def test_a_digest_answer_has_the_same_byline() -> None:
    digest = DigestAnswer(
        theme_id="t1",
        author_id="a",
        first_name="Léa",
        last_initial="M",
        circle="Bâtisseurs",
        text="x",
        visibility=Visibility.CIRCLE,
    )
    assert byline(digest) == digest.byline == "Léa M. · Bâtisseurs"
    assert byline(digest.model_copy(update={"attribution": ANONYMOUS})) == ""


@pytest.mark.parametrize(
    ("last_name", "expected"),
    [
        ("Martin", "M"),
        ("dubois", "D"),
        ("Élie", "É"),
        ("E\u0301lie", "É"),
        (" 'Arcy", "A"),
        ("", ""),
    ],
)
def test_the_initial_is_the_first_letter_capitalised(last_name: str, expected: str) -> None:
    assert initial(last_name) == expected


def test_below_the_threshold_anonymous_answers_are_held_back_and_named_ones_kept() -> None:
    two = [answer("n1"), answer("a1", ANONYMOUS)]
    assert [a.member_id for a in shown(two, 3)] == ["n1"]
    assert [a.member_id for a in shown([answer("a1", ANONYMOUS)], 2)] == []


def test_at_the_threshold_every_anonymous_answer_is_shown_in_order() -> None:
    three = [
        answer("a1", ANONYMOUS),
        answer("n1"),
        answer("a2", ANONYMOUS),
        answer("a3", ANONYMOUS),
    ]
    assert [a.member_id for a in shown(three, 3)] == ["a1", "n1", "a2", "a3"]


def test_named_answers_make_up_the_count_but_a_lone_anonymous_answer_stays_back() -> None:
    # "shown in a view only once that view holds at least 3 answers to the theme"
    two_named = [answer("n1"), answer("n2"), answer("a1", ANONYMOUS)]
    # ...but alone among named ones, whoever knows who answered would know its author
    assert [a.member_id for a in shown(two_named, 3)] == ["n1", "n2"]
    paired = [*two_named, answer("a2", ANONYMOUS)]
    assert [a.member_id for a in shown(paired, 3)] == ["n1", "n2", "a1", "a2"]
    assert [a.member_id for a in shown(paired, 5)] == ["n1", "n2"]


def test_each_theme_is_counted_apart_whatever_the_audience() -> None:
    org = Visibility.ORGANISATION
    view = [
        answer("a1", ANONYMOUS, theme="t1"),
        answer("a2", ANONYMOUS, theme="t1"),
        answer("a3", ANONYMOUS, theme="t2"),  # another theme
        answer("n1", theme="t2"),
        answer("a4", ANONYMOUS, theme="t1", visibility=org),  # the same theme, shared
    ]
    assert [a.member_id for a in shown(view, 3)] == ["a1", "a2", "n1", "a4"]
    # t2: two answers, one of them anonymous: held back even at a threshold of 2
    assert [a.member_id for a in shown(view, 2)] == ["a1", "a2", "n1", "a4"]


def test_a_threshold_of_one_shows_every_answer() -> None:
    assert shown([answer("a1", ANONYMOUS)], 1) == [answer("a1", ANONYMOUS)]
