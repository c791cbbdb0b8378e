"""Scores: what each new item earns, how awards are batched into transactions, exactly
once whatever the retries, streaks and the leaderboard.

The keeper runs over the one fake table (tests/fakes.py), whose transactions are held to
DynamoDB's by the table contract test: all or nothing, at most 100 actions and one
action per item, conditional Puts cancelled with a reason per action.
"""

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palabre.core.models import group_key
from palabre.core.points import VOTE_POINTS, Change, Standing, ranked
from palabre.core.streaks import PromptFact, StreakFigures, StreakState, advance_streak, figures
from palabre.scoring.awards import PoisonRecord, ScoreKeeper, change_of, chunks
from palabre.store.scores import (
    CAUSES_LIMIT,
    TRANSACTION_LIMIT,
    _action,
    _updates,
    holder,
)
from palabre.store.scores import transaction_size as _size
from palabre.store.table import Action, TransactionCancelled, Update, from_dynamo
from tests.conftest import load_event
from tests.fakes import FakeTable

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
DAY = "20261201"  # the day the stream recorded the changes


# ---------------------------------------------------------------------------- items
def prompt_item(theme: str, member: str, *, status: str = "sent", **extra: Any) -> dict[str, Any]:
    return {
        "PK": f"THEME#{theme}",
        "SK": f"PROMPT#{member}",
        "type": "prompt",
        "theme_id": theme,
        "member_id": member,
        "status": status,
        "sent_at": "2026-12-01T09:00:04+01:00",
        "deadline": "2026-12-09T00:00:00+01:00",
        "team": "Produit",
        "circle": "Bâtisseurs",
        **extra,
    }


def answer_item(theme: str, member: str, *, points: Any = 10, **extra: Any) -> dict[str, Any]:
    return {
        "PK": f"THEME#{theme}",
        "SK": f"ANSWER#{member}",
        "type": "answer",
        "theme_id": theme,
        "member_id": member,
        "text": "Un tour de table de 10 minutes chaque lundi.",
        "visibility": "circle",
        "version": 1,
        "week": "2026-W49",
        "points": points,
        "team": "Produit",
        "circle": "Bâtisseurs",
        **extra,
    }


def vote_item(theme: str, author: str, voter: str, **extra: Any) -> dict[str, Any]:
    return {
        "PK": f"THEME#{theme}",
        "SK": f"VOTE#{author}#{voter}",
        "type": "vote",
        "theme_id": theme,
        "author_id": author,
        "voter_id": voter,
        "team": "Produit",
        "circle": "Bâtisseurs",
        **extra,
    }


def changes_of(*images: dict[str, Any], day: str = DAY) -> list[Change]:
    found = [change_of(image, day) for image in images]
    assert None not in found
    return [c for c in found if c is not None]


# ---------------------------------------------------------------------------- change_of
def test_a_sent_prompt_counts_one_prompt_for_its_member_team_and_circle() -> None:
    change = change_of(prompt_item("one-to-ones", "lea"), DAY)

    assert change == Change(
        cause="prompt#one-to-ones#lea",
        member="lea",
        team="Produit",
        circle="Bâtisseurs",
        prompts=1,
        day=DAY,
        theme="one-to-ones",
    )


def test_a_skipped_prompt_counts_nothing() -> None:
    assert change_of(prompt_item("one-to-ones", "lea", status="skipped")) is None


@pytest.mark.parametrize("points", [10, 15, 0], ids=["theme-points", "with-48h-bonus", "zero"])
def test_a_new_answer_earns_the_points_stored_on_it_and_counts_one_answer(points: int) -> None:
    change = change_of(answer_item("one-to-ones", "lea", points=points), DAY)

    assert change == Change(
        cause="answer#one-to-ones#lea",
        member="lea",
        team="Produit",
        circle="Bâtisseurs",
        points=points,
        answers=1,
        day=DAY,
        theme="one-to-ones",
    )


def test_the_sample_stream_event_scores_its_prompt_and_its_answer_as_stored() -> None:
    # Given the stream records `sam local invoke` uses (DynamoDB JSON, as Lambda gets them)
    records = load_event("score_stream/answer-inserted.json")["Records"]
    images = [from_dynamo(r["dynamodb"]["NewImage"]) for r in records]

    changes = [change_of(image) for image in images]

    kinds = {c.cause.split("#")[0]: c for c in changes if c is not None}
    answer = next(i for i in images if i["SK"].startswith("ANSWER#"))
    assert kinds["answer"].points == answer["points"]
    assert kinds["answer"].answers == 1
    assert kinds["prompt"].prompts == 1
    assert kinds["prompt"].points == 0


def test_a_vote_earns_the_author_two_points_and_marks_the_answer_useful() -> None:
    change = change_of(vote_item("one-to-ones", author="lea", voter="zoe"), DAY)

    assert change == Change(
        cause="vote#one-to-ones#lea#zoe",
        member="lea",
        team="Produit",
        circle="Bâtisseurs",
        points=VOTE_POINTS,
        useful=("one-to-ones", "lea"),
        day=DAY,
    )
    assert VOTE_POINTS == 2


def test_voting_is_not_the_voters_gain() -> None:
    # Given zoe votes for two of lea's answers
    keeper, fake = keeper_over_fake()
    votes = changes_of(vote_item("a", "lea", "zoe"), vote_item("b", "lea", "zoe"))

    keeper.apply(votes)

    assert score(fake, "lea")["points"] == 2 * VOTE_POINTS
    assert ("MEMBER#zoe", "SCORE") not in fake.items
    assert all(c.member == "lea" for c in votes)


def test_each_voter_earns_the_author_once_more() -> None:
    keeper, fake = keeper_over_fake()
    votes = changes_of(*(vote_item("a", "lea", voter) for voter in ("zoe", "hugo", "ines")))

    keeper.apply(votes)

    assert score(fake, "lea")["points"] == 3 * VOTE_POINTS
    assert fake.items[("THEME#a", "ANSWER#lea")]["useful"] == 3


@pytest.mark.parametrize(
    "image",
    [
        {"PK": "THEME#a", "SK": "THEME", "type": "theme", "points": 10},
        {"PK": "THEME#a", "SK": "DISPATCH", "status": "open"},
        {"PK": "THEME#a", "SK": "CURSOR#prompt#all#Europe/Paris", "after": "x"},
        {"PK": "MEMBER#lea", "SK": "SCORE", "points": 40, "answers": 3},
        {"PK": "MEMBER#lea", "SK": "PROFILE", "email": "lea@example.com"},
        {"PK": "BOARD#team", "SK": "produit", "points": 40},
        {},
    ],
    ids=["theme", "dispatch", "cursor", "score", "profile", "board", "empty"],
)
def test_items_that_are_not_prompts_answers_or_votes_change_nothing(image: dict) -> None:
    assert change_of(image) is None


@pytest.mark.parametrize(
    "image",
    [
        answer_item("a", "lea", points=None),
        answer_item("a", "lea", points=-5),
        answer_item("a", "lea", points="10"),
        answer_item("a", "lea", points=10.5),
        answer_item("", "lea"),
        answer_item("a", ""),
        {k: v for k, v in answer_item("a", "lea").items() if k != "points"},
        {k: v for k, v in prompt_item("a", "lea").items() if k != "member_id"},
        {k: v for k, v in prompt_item("a", "lea").items() if k != "theme_id"},
        {k: v for k, v in vote_item("a", "lea", "zoe").items() if k != "author_id"},
        {k: v for k, v in vote_item("a", "lea", "zoe").items() if k != "voter_id"},
    ],
    ids=[
        "answer-null-points",
        "answer-negative-points",
        "answer-text-points",
        "answer-fractional-points",
        "answer-empty-theme",
        "answer-empty-member",
        "answer-without-points",
        "prompt-without-member",
        "prompt-without-theme",
        "vote-without-author",
        "vote-without-voter",
    ],
)
def test_a_malformed_item_is_a_poison_record(image: dict) -> None:
    with pytest.raises(PoisonRecord):
        change_of(image)


def test_an_edit_earns_nothing_more() -> None:
    # An edit is a MODIFY: the stream filter drops it (tests/unit/test_local_filters.py) and
    # change_of only ever sees a new image. Even if an edit's image did reach it, the answer
    # keeps the points it was created with (`points = if_not_exists(points, ...)`), so its
    # change has the same cause, which its circle keeps: it is applied at most once.
    keeper, fake = keeper_over_fake()
    created = answer_item("a", "lea", points=15, version=1)
    edited = {**created, "text": "Finalement, 15 minutes.", "version": 2}

    keeper.apply(changes_of(created))
    after_creation = copy.deepcopy(fake.items)
    outcome = keeper.apply(changes_of(edited))

    assert change_of(edited) == change_of(created)
    assert fake.items == after_creation
    assert outcome.applied == 0
    assert outcome.already == 1


# ---------------------------------------------------------------------------- updates
def updates_by_key(changes: list[Change]) -> dict[tuple[str, str], Update]:
    return {key: _action(totals) for key, totals in _updates(changes).items()}


def added(update: Update) -> dict[str, Any]:
    """What an update ADDs, by attribute name (numbers, and sets of causes)."""
    names, values = update.names or {}, update.values or {}
    clause = update.expression.split("ADD ", 1)[1].split(" REMOVE ")[0]
    return {
        names[name]: values[placeholder]
        for name, placeholder in (part.split() for part in clause.split(","))
    }


def removed(update: Update) -> set[str]:
    names = update.names or {}
    if " REMOVE " not in update.expression:
        return set()
    return {names[n.strip()] for n in update.expression.split(" REMOVE ")[1].split(",")}


WEEK = [
    # lea (team "Équipe Produit", circle "Bâtisseurs"): two prompts, two answers, two votes
    prompt_item("a", "lea", team="Équipe Produit"),
    prompt_item("b", "lea", team="Équipe Produit"),
    answer_item("a", "lea", points=15, team="Équipe Produit"),
    answer_item("b", "lea", points=10, team="Équipe Produit"),
    vote_item("a", "lea", "zoe", team="Équipe Produit"),
    vote_item("a", "lea", "hugo", team="Équipe Produit"),
    # zoe: same team and circle written differently
    prompt_item("a", "zoe", team="equipe  produit", circle="batisseurs"),
    answer_item("a", "zoe", points=10, team="equipe  produit", circle="batisseurs"),
    # hugo: another team, another circle, prompted but silent
    prompt_item("a", "hugo", team="Ventes", circle="Nord"),
]


def test_each_item_is_written_once_with_the_summed_deltas() -> None:
    updates = updates_by_key(changes_of(*WEEK))

    assert set(updates) == {
        ("MEMBER#lea", "SCORE"),
        ("MEMBER#zoe", "SCORE"),
        ("BOARD#team", group_key("Équipe Produit")),
        ("BOARD#team", "ventes"),
        ("BOARD#circle", "batisseurs"),
        ("BOARD#circle", "nord"),
        ("THEME#a", "ANSWER#lea"),
        ("THEME#a", "TALLY"),
        ("THEME#b", "TALLY"),
    }  # hugo was prompted but earned no point: his score is not written
    totals = {k: added(v) for k, v in updates.items()}
    assert totals[("MEMBER#lea", "SCORE")] == {"points": 15 + 10 + 2 * VOTE_POINTS, "answers": 2}
    assert totals[("MEMBER#zoe", "SCORE")] == {"points": 10, "answers": 1}
    team = {k: v for k, v in totals[("BOARD#team", "equipe produit")].items() if "seen" not in k}
    assert team == {"points": 15 + 10 + 2 * VOTE_POINTS + 10, "answers": 3, "prompts": 3}
    assert totals[("BOARD#team", "ventes")] == {"prompts": 1}
    assert totals[("THEME#a", "ANSWER#lea")] == {"useful": 2}
    # each theme's tally: in all and per group (folded), votes left out
    assert totals[("THEME#a", "TALLY")] == {
        "prompts": 3,
        "answers": 2,
        "p#circle#batisseurs": 2,
        "a#circle#batisseurs": 2,
        "p#team#equipe produit": 2,
        "a#team#equipe produit": 2,
        "p#circle#nord": 1,
        "p#team#ventes": 1,
    }
    assert totals[("THEME#b", "TALLY")]["answers"] == 1


def test_a_circle_keeps_the_causes_it_counts_and_counts_none_twice() -> None:
    changes = changes_of(*WEEK)
    circle = updates_by_key(changes)[("BOARD#circle", "batisseurs")]

    kept = added(circle)[f"seen_{DAY}"]

    assert kept == {c.cause for c in changes if group_key(c.circle) == "batisseurs"}
    assert circle.condition is not None
    for cause in kept:
        [placeholder] = [k for k, v in (circle.values or {}).items() if v == cause]
        assert f"NOT contains(#s0, {placeholder})" in circle.condition


def test_days_of_causes_past_keeping_are_removed_as_new_ones_are_written() -> None:
    circle = updates_by_key(changes_of(*WEEK, day="20261210"))[("BOARD#circle", "nord")]

    forgotten = removed(circle)

    assert {"seen_20261207", "seen_20261201", "seen_20261110"} <= forgotten
    assert not {"seen_20261210", "seen_20261209", "seen_20261208"} & forgotten


def test_items_keep_the_first_spelling_of_a_group_as_its_display_name() -> None:
    team = updates_by_key(changes_of(*WEEK))[("BOARD#team", "equipe produit")]

    assert team.expression.startswith("SET #name = :name ")
    assert (team.names or {})["#name"] == "name"
    assert (team.values or {})[":name"] == "Équipe Produit"


def test_a_hundred_answers_cost_a_write_per_member_team_circle_and_theme() -> None:
    images = [
        answer_item(f"t{n}", f"m{n % 60}", team=f"Team {n % 4}", circle=f"Circle {n % 10}")
        for n in range(100)
    ]
    changes = changes_of(*images)

    assert _size(changes) == 60 + 4 + 10 + 100


def test_prompts_cost_a_write_per_team_circle_and_theme_not_per_member() -> None:
    images = [
        prompt_item("a", f"m{n}", team=f"Team {n % 4}", circle=f"Circle {n // 10}")
        for n in range(100)
    ]

    assert _size(changes_of(*images)) == 4 + 10 + 1


def test_a_change_without_circle_keeps_its_cause_on_the_member() -> None:
    changes = changes_of(prompt_item("a", "obs", team="", circle=""))

    updates = updates_by_key(changes)

    assert set(updates) == {("MEMBER#obs", "SCORE"), ("THEME#a", "TALLY")}
    assert added(updates[("MEMBER#obs", "SCORE")]) == {f"seen_{DAY}": {"prompt#a#obs"}}
    assert added(updates[("THEME#a", "TALLY")]) == {"prompts": 1}
    assert holder(changes[0]) == {"PK": "MEMBER#obs", "SK": "SCORE"}


# ---------------------------------------------------------------------------- chunks
TEAMS = ["Produit", "produit", "Ventes", "Équipe Données", "equipe donnees", ""]
CIRCLES = ["Bâtisseurs", "batisseurs", "Cercle Été", "cercle ete", "Nord", ""]
KINDS = ["prompt", "answer", "vote"]


@st.composite
def batches(draw: st.DrawFn) -> list[Change]:
    # Few members (one author showered with votes) as well as many
    pool = draw(st.sampled_from([1, 2, 3]) | st.integers(min_value=1, max_value=80))
    size = draw(st.integers(min_value=0, max_value=300))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, pool - 1),
                st.sampled_from(TEAMS),
                st.sampled_from(CIRCLES),
                st.sampled_from(KINDS),
                st.integers(0, 9),
            ),
            min_size=size,
            max_size=size,
        )
    )
    return [
        Change(
            cause=f"{kind}#t{index}#m{member}",
            member=f"m{member}",
            team=team,
            circle=circle,
            points={"prompt": 0, "answer": 10, "vote": VOTE_POINTS}[kind],
            answers=int(kind == "answer"),
            prompts=int(kind == "prompt"),
            useful=(f"t{theme}", f"m{member}") if kind == "vote" else None,
            day=DAY,
            theme="" if kind == "vote" else f"t{theme}",
        )
        for index, (member, team, circle, kind, theme) in enumerate(rows)
    ]


@settings(max_examples=150, deadline=None)
@given(batches())
def test_chunks_fit_a_transaction_lose_nothing_and_keep_a_circles_causes_together(
    changes: list[Change],
) -> None:
    parts = chunks(changes)

    # Nothing lost, nothing duplicated
    assert Counter(c for part in parts for c in part) == Counter(changes)
    for part in parts:
        assert part
        assert len(updates_by_key(part)) == _size(part) <= TRANSACTION_LIMIT
        for update in updates_by_key(part).values():
            assert (update.condition or "").count("contains") <= CAUSES_LIMIT
    # The causes one item keeps, when they fit in one transaction, are in one
    by_holder: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        key = holder(change)
        by_holder.setdefault((key["PK"], key["SK"]), []).append(change)
    for own in by_holder.values():
        if len(own) <= CAUSES_LIMIT and _size(own) <= TRANSACTION_LIMIT:
            assert sum(1 for part in parts if own[0] in part) == 1
            assert all(c in next(p for p in parts if own[0] in p) for c in own)


def test_an_author_with_more_votes_than_a_transaction_holds_is_split_without_loss() -> None:
    votes = changes_of(*(vote_item("a", "lea", f"v{i}") for i in range(250)))

    parts = chunks(votes)

    assert len(parts) > 1
    assert all(_size(p) <= TRANSACTION_LIMIT for p in parts)
    assert sorted(c.cause for p in parts for c in p) == sorted(c.cause for c in votes)


def test_no_change_no_chunk() -> None:
    assert chunks([]) == []


# ---------------------------------------------------------------------------- the keeper
class ContendedTable(FakeTable):
    """Another shard's batch commits on the same totals during the next `conflicts` calls."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0
        self.calls = 0

    def transact(self, actions: Sequence[Action]) -> None:
        self.calls += 1
        if self.conflicts:
            self.conflicts -= 1
            raise TransactionCancelled(["None"] * (len(actions) - 1) + ["TransactionConflict"])
        super().transact(actions)


def keeper_over_fake() -> tuple[ScoreKeeper, ContendedTable]:
    table = ContendedTable()
    return ScoreKeeper(table), table


def score(fake: FakeTable, member: str) -> dict[str, int]:
    item = fake.items.get((f"MEMBER#{member}", "SCORE"), {})
    return {k: int(item.get(k, 0)) for k in ("points", "answers")}


def totals(fake: FakeTable) -> dict[tuple[str, str], dict[str, Any]]:
    """Every total (scores, boards, useful counts), without the causes kept."""
    return {
        k: {a: v for a, v in item.items() if not a.startswith("seen_")}
        for k, item in fake.items.items()
    }


def test_a_batch_applied_three_times_leaves_every_total_as_after_the_first() -> None:
    # Given a week's batch, applied once
    keeper, fake = keeper_over_fake()
    batch = changes_of(*WEEK)
    first = keeper.apply(batch)
    after_first = copy.deepcopy(fake.items)

    # When the stream delivers it again a minute later, then again (Lambda retries): the
    # awards' `at` differs, so exactly-once rests on the conditional awards alone (no
    # client request token of our own, which DynamoDB would refuse reused within ten
    # minutes with another request).
    again = [keeper.apply(batch) for m in (1, 3)]

    # Then nothing moved, and every award is reported as already counted
    assert fake.items == after_first
    assert first.applied == len(batch)
    assert [(o.applied, o.already) for o in again] == [(0, len(batch)), (0, len(batch))]
    assert score(fake, "lea") == {"points": 29, "answers": 2}


def test_a_batch_applied_again_at_the_same_instant_changes_nothing() -> None:
    keeper, fake = keeper_over_fake()
    batch = changes_of(*WEEK)
    keeper.apply(batch)
    after_first = copy.deepcopy(fake.items)

    keeper.apply(batch)
    keeper.apply(batch)

    assert fake.items == after_first


def test_a_batch_half_applied_before_applies_only_the_other_half() -> None:
    batch = changes_of(*WEEK)
    half = len(batch) // 2
    # Given the first half of the batch was applied by an earlier, interrupted run
    keeper, fake = keeper_over_fake()
    keeper.apply(batch[:half])

    outcome = keeper.apply(batch)

    expected_keeper, expected = keeper_over_fake()
    expected_keeper.apply(batch)
    assert totals(fake) == totals(expected)
    assert set(fake.items) == set(expected.items)
    assert (outcome.applied, outcome.already) == (len(batch) - half, half)


def test_a_transaction_conflict_is_retried() -> None:
    keeper, fake = keeper_over_fake()
    fake.conflicts = 2

    outcome = keeper.apply(changes_of(*WEEK))

    assert fake.calls == 3
    assert outcome.transactions == 1
    assert score(fake, "lea") == {"points": 29, "answers": 2}


def test_the_same_record_twice_in_a_batch_counts_once() -> None:
    keeper, fake = keeper_over_fake()
    answer = changes_of(answer_item("a", "lea"))

    outcome = keeper.apply(answer * 2)

    assert outcome.applied == 1
    assert score(fake, "lea") == {"points": 10, "answers": 1}


def test_a_large_batch_is_split_into_valid_transactions_and_totals_add_up() -> None:
    # 300 answers from 150 members in 3 teams: more than one transaction can hold
    images = [
        answer_item(theme, f"m{i}", team=f"Team {i % 3}", circle=f"Circle {i % 10}")
        for i in range(150)
        for theme in ("a", "b")
    ]
    keeper, fake = keeper_over_fake()

    outcome = keeper.apply(changes_of(*images))

    assert outcome.applied == 300
    assert outcome.transactions > 1
    for t in range(3):
        assert fake.items[("BOARD#team", f"team {t}")]["answers"] == 100
        assert fake.items[("BOARD#team", f"team {t}")]["points"] == 1000
    assert all(score(fake, f"m{i}")["points"] == 20 for i in range(150))
    for theme in ("a", "b"):
        assert fake.items[("THEME#" + theme, "TALLY")]["answers"] == 150
        assert fake.items[("THEME#" + theme, "TALLY")]["a#team#team 0"] == 50


# ---------------------------------------------------------------------------- streaks
MONDAY = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
SPENT = StreakState(joker_quarter="2026-Q4")
"""a member whose joker of the quarter (of MONDAY's first eight weeks) is used already"""


def fact(
    theme: str, week: int, *, answered: bool, days: int = 7, excused: bool = False
) -> PromptFact:
    """A theme sent to the member on the Monday of `week` (0 = first), due `days` later."""
    sent = MONDAY + timedelta(weeks=week)
    return PromptFact(theme, sent, sent + timedelta(days=days), answered, excused=excused)


def through(prompt: PromptFact) -> str:
    return f"PROMPT#{prompt.sent_at.isoformat()}#{prompt.theme_id}"


def after_week(week: int) -> datetime:
    return MONDAY + timedelta(weeks=week + 1, hours=1)


def test_consecutive_answered_themes_count() -> None:
    prompts = [fact(t, w, answered=True) for w, t in enumerate(("a", "b", "c"))]

    shown, state = advance_streak(StreakState(), prompts, after_week(2) + timedelta(days=7))

    assert shown.streak == 3
    assert state == StreakState(3, through(prompts[-1]), best=3)


def test_an_open_theme_not_yet_answered_neither_counts_nor_breaks() -> None:
    a, b = fact("a", 0, answered=True), fact("b", 1, answered=True)
    c = fact("c", 2, answered=False)  # sent Monday, due next Monday

    shown, state = advance_streak(StreakState(), [a, b, c], c.sent_at + timedelta(days=3))

    assert shown.streak == 2
    assert state == StreakState(2, through(b), best=2)


def test_a_theme_whose_deadline_passed_unanswered_breaks_the_streak() -> None:
    a, b = fact("a", 0, answered=True), fact("b", 1, answered=True)
    missed = fact("c", 2, answered=False)

    shown, state = advance_streak(SPENT, [a, b, missed], missed.deadline)

    assert shown.streak == 0
    assert state == replace(SPENT, streak=0, through=through(missed), best=2)


def test_the_quarters_joker_forgives_one_miss_and_only_one() -> None:
    a, b = fact("a", 0, answered=True), fact("b", 1, answered=True)
    missed, answered, missed_again = (
        fact("c", 2, answered=False),
        fact("d", 3, answered=True),
        fact("e", 4, answered=False),
    )

    shown, state = advance_streak(StreakState(), [a, b, missed, answered], after_week(3))
    assert shown.streak == 3  # the miss neither counts nor breaks
    assert state.joker_quarter == "2026-Q4"
    assert state.joker_at == missed.deadline.isoformat()

    shown, state = advance_streak(state, [missed_again], missed_again.deadline)
    assert (shown.streak, shown.best) == (0, 3)  # the second miss of the quarter breaks it


def test_misses_in_two_quarters_are_both_forgiven() -> None:
    # 2026-11-02 + 9 weeks: Monday 4 January 2027, the next quarter
    q4 = [fact("a", 0, answered=True), fact("b", 1, answered=False)]
    q1 = [fact("c", 9, answered=True), fact("d", 10, answered=False), fact("e", 11, answered=True)]

    shown, state = advance_streak(StreakState(), q4 + q1, after_week(11))

    assert shown.streak == 3
    assert state.joker_quarter == "2027-Q1"


def test_the_quarter_is_the_members_local_day_of_sending() -> None:
    # Sent on 31 December at 23:30 UTC: 1 January in Paris, the new quarter
    sent = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    late = PromptFact("x", sent, sent + timedelta(days=7), False, sent_on=date(2027, 1, 1))
    assert (late.quarter, replace(late, sent_on=None).quarter) == ("2027-Q1", "2026-Q4")


def test_no_joker_is_spent_on_a_streak_of_nothing() -> None:
    missed, a, missed_again = (
        fact("a", 0, answered=False),
        fact("b", 1, answered=True),
        fact("c", 2, answered=False),
    )

    shown, state = advance_streak(StreakState(), [missed, a, missed_again], after_week(2))

    assert shown.streak == 1  # the first miss broke nothing; the joker kept the second
    assert state.joker_at == missed_again.deadline.isoformat()


def test_a_theme_sent_during_an_absence_never_breaks_and_an_answer_to_it_counts() -> None:
    a = fact("a", 0, answered=True)
    away = fact("b", 1, answered=False, excused=True)
    answered_away = fact("c", 2, answered=True, excused=True)

    shown, state = advance_streak(SPENT, [a, away, answered_away], after_week(2))

    assert shown.streak == 2
    assert state.joker_quarter == SPENT.joker_quarter  # no joker needed
    assert state.through == through(answered_away)


def test_the_figures_tell_the_best_and_this_quarters_joker() -> None:
    prompts = [fact("a", 0, answered=True), fact("b", 1, answered=False)]
    now = prompts[1].deadline + timedelta(hours=1)
    shown, _ = advance_streak(StreakState(streak=4, best=6), prompts, now)

    assert figures(shown, now, now.date()) == StreakFigures(
        current=5, best=6, jokers_left=0, joker_used=True
    )
    # a week on, the news is old; next quarter, a new joker
    later = now + timedelta(days=7)
    assert figures(shown, later, later.date()).joker_used is False
    assert figures(shown, later, date(2027, 1, 4)).jokers_left == 1


def test_answering_again_after_a_break_starts_from_one() -> None:
    prompts = [
        fact("a", 0, answered=True),
        fact("b", 1, answered=False),
        fact("c", 2, answered=True),
    ]

    shown, state = advance_streak(SPENT, prompts, after_week(2) + timedelta(days=7))

    assert (shown.streak, state.streak, state.best) == (1, 1, 1)


def test_a_late_answer_still_counts_in_sent_order() -> None:
    # Given two themes open at once; the member answers the newer one first
    older = fact("a", 0, answered=False, days=14)
    newer = fact("b", 1, answered=True)
    midweek = newer.sent_at + timedelta(days=2)
    shown, saved = advance_streak(StreakState(), [older, newer], midweek)
    assert shown.streak == 1
    assert saved == StreakState()  # the older theme is still open: nothing settled yet

    # When the older one is answered before its deadline, in any order
    answered_older = fact("a", 0, answered=True, days=14)
    later = midweek + timedelta(days=1)
    shown, saved = advance_streak(saved, [newer, answered_older], later)

    # Then both count, and the state settles past both, in the order they were sent
    assert shown.streak == 2
    assert saved == StreakState(2, through(newer), best=2)


def test_an_edit_changes_nothing() -> None:
    # What the streak knows of a prompt is whether it was answered, not how often: an edited
    # answer gives the same fact as its first version, hence the same streak.
    assert {f.name for f in fields(PromptFact)} == {
        "theme_id",
        "sent_at",
        "deadline",
        "answered",
        "sent_on",
        "excused",
    }
    prompts = [fact("a", 0, answered=True), fact("b", 1, answered=True)]
    shown, state = advance_streak(StreakState(), prompts, after_week(1))

    # Replayed after the edit, from the saved state: the settled prompts are not re-read
    again = [p for p in prompts if through(p) > state.through]

    assert (shown, state) == (state, StreakState(2, through(prompts[1]), best=2))
    assert advance_streak(state, again, after_week(1) + timedelta(days=2)) == (state, state)


@pytest.mark.parametrize(
    ("addressed", "expected"),
    [(False, 2), (True, 1)],
    ids=["not-addressed-to-the-member-never-breaks", "addressed-and-missed-breaks"],
)
def test_a_theme_not_addressed_to_the_member_never_affects_the_streak(
    addressed: bool, expected: int
) -> None:
    # Given theme "b", sent to another circle in week 1 and closed unanswered by this member
    a, c = fact("a", 0, answered=True), fact("c", 2, answered=True)
    other_circles_theme = fact("b", 1, answered=False)
    prompts = [a, other_circles_theme, c] if addressed else [a, c]

    shown, _ = advance_streak(SPENT, prompts, after_week(3))

    assert shown.streak == expected


def test_the_saved_state_never_moves_past_an_open_unanswered_theme() -> None:
    a = fact("a", 0, answered=True)
    open_b = fact("b", 1, answered=False, days=14)
    c = fact("c", 2, answered=True)
    now = c.sent_at + timedelta(days=1)

    shown, state = advance_streak(SPENT, [a, open_b, c], now)

    assert shown.streak == 2
    assert state == replace(SPENT, streak=1, through=through(a), best=1)  # b, c: next week

    # Next week b closed unanswered: it breaks, and c still counts after it
    shown, state = advance_streak(state, [open_b, c], open_b.deadline)
    assert shown.streak == 1
    assert state == replace(SPENT, streak=1, through=through(c), best=1)


def test_a_missed_theme_behind_an_open_one_is_not_forgotten() -> None:
    a = fact("a", 0, answered=True)
    open_b = fact("b", 1, answered=False, days=21)
    missed_c = fact("c", 2, answered=False)
    now = missed_c.deadline + timedelta(hours=1)

    shown, state = advance_streak(SPENT, [a, open_b, missed_c], now)

    assert shown.streak == 0
    assert state.through == through(a)
    # b answered later: c, still after the saved point, breaks the streak again
    answered_b = fact("b", 1, answered=True, days=21)
    assert advance_streak(state, [answered_b, missed_c], now + timedelta(days=1))[0].streak == 0


def test_a_joker_is_never_kept_over_a_theme_still_open() -> None:
    # c's miss is forgiven for now, but b, sent before it, may close unanswered too: the
    # saved state keeps neither, so that the joker goes to the first miss in sent order
    a = fact("a", 0, answered=True)
    open_b = fact("b", 1, answered=False, days=21)
    missed_c = fact("c", 2, answered=False)
    now = missed_c.deadline + timedelta(hours=1)

    shown, state = advance_streak(StreakState(), [a, open_b, missed_c], now)
    assert (shown.streak, shown.joker_at) == (1, missed_c.deadline.isoformat())
    assert (state.through, state.joker_quarter) == (through(a), "")

    shown, state = advance_streak(state, [open_b, missed_c], open_b.deadline)
    assert shown.streak == 0
    assert state.joker_at == open_b.deadline.isoformat()


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[PromptFact, datetime | None]]:
    """Prompts sent to a member over weeks (across a quarter's end), some during an
    absence, each with when it was answered (or never)."""
    count = draw(st.integers(0, 12))
    history = []
    for index in range(count):
        sent = MONDAY + timedelta(days=draw(st.integers(0, 90)), hours=draw(st.integers(0, 23)))
        deadline = sent + timedelta(days=draw(st.integers(1, 21)))
        answer_after = draw(st.none() | st.integers(0, int((deadline - sent).total_seconds()) - 1))
        answered_at = None if answer_after is None else sent + timedelta(seconds=answer_after)
        excused = draw(st.booleans()) and draw(st.booleans())
        history.append(
            (PromptFact(f"t{index:02d}", sent, deadline, False, excused=excused), answered_at)
        )
    return history


def seen_at(history: list[tuple[PromptFact, datetime | None]], now: datetime) -> list[PromptFact]:
    """The member's prompts sent by `now`, as a reader of the table sees them then."""
    return [
        replace(p, answered=at is not None and at <= now) for p, at in history if p.sent_at <= now
    ]


def expected_streak(prompts: list[PromptFact], now: datetime) -> tuple[int, int]:
    """The rule, written plainly: (streak, best). An answer adds one; a miss breaks the
    streak, but the first miss of each quarter with a streak to keep, and any miss of a
    theme sent during an absence, break nothing."""
    streak = best = 0
    jokers_used: set[str] = set()
    for p in sorted(prompts, key=lambda p: (p.sent_at, p.theme_id)):
        if p.answered:
            streak += 1
            best = max(best, streak)
        elif now >= p.deadline and not p.excused:
            quarter = f"{p.sent_at.year}-Q{(p.sent_at.month - 1) // 3 + 1}"
            if streak and quarter not in jokers_used:
                jokers_used.add(quarter)
            else:
                streak = 0
    return streak, best


@settings(max_examples=300, deadline=None)
@given(histories(), st.lists(st.integers(1, 24 * 120), min_size=1, max_size=12))
def test_week_after_week_from_the_saved_state_gives_the_streak_the_rule_gives(
    history: list[tuple[PromptFact, datetime | None]], hours: list[int]
) -> None:
    # As the digest reads it: each time, only the prompts after the saved point
    state = StreakState()
    for now in sorted(MONDAY + timedelta(hours=h) for h in hours):
        newer = [p for p in seen_at(history, now) if through(p) > state.through]
        shown, saved = advance_streak(state, newer, now)

        assert (shown.streak, shown.best) == expected_streak(seen_at(history, now), now)
        # Replaying the same prompts from the saved state changes nothing (idempotent)
        again = [p for p in newer if through(p) > saved.through]
        assert advance_streak(saved, again, now) == (shown, saved)
        state = saved


# ---------------------------------------------------------------------------- standings
def test_a_small_team_with_a_higher_participation_rate_ranks_above_a_big_one() -> None:
    big = Standing("Ventes", points=400, answers=40, prompts=80)  # 50 %
    small = Standing("Juridique", points=30, answers=3, prompts=3)  # 100 %

    assert ranked([big, small]) == [small, big]


def test_ties_on_rate_are_broken_by_points_then_name() -> None:
    fewer_points = Standing("Achats", points=20, answers=2, prompts=4)
    more_points = Standing("Ventes", points=50, answers=5, prompts=10)
    same_as_more_b = Standing("Data", points=50, answers=1, prompts=2)

    assert ranked([fewer_points, more_points, same_as_more_b]) == [
        same_as_more_b,
        more_points,
        fewer_points,
    ]


def test_a_team_with_no_prompt_sent_has_rate_zero_and_ranks_last() -> None:
    idle = Standing("Nouveaux", points=0, answers=0, prompts=0)
    active = Standing("Produit", points=10, answers=1, prompts=5)

    assert idle.participation == 0.0
    assert ranked([idle, active]) == [active, idle]


@pytest.mark.parametrize(
    ("answers", "prompts", "rate"),
    [(0, 4, 0.0), (1, 4, 0.25), (4, 4, 1.0), (3, 0, 0.0)],
    ids=["none", "quarter", "all", "answers-without-prompts"],
)
def test_participation_is_answers_over_prompts_sent(
    answers: int, prompts: int, rate: float
) -> None:
    assert Standing("x", 0, answers, prompts).participation == rate


def test_members_are_ranked_by_points_ties_sharing_a_place_and_only_changes_written() -> None:
    from palabre.store import keys
    from palabre.store.scores import ScoreStore
    from tests.fakes import FakeTable

    points = {"ma": 30, "mb": 12, "mc": 12, "md": 0}
    table = FakeTable([{**keys.score(m), "points": p} for m, p in points.items() if p])
    store = ScoreStore(table)

    assert store.rank_members(list(points), "2026-W49") == 4
    ranked = {m: table.get(keys.score(m)) or {} for m in points}
    assert {m: (i["rank"], i["ranked_of"]) for m, i in ranked.items()} == {
        "ma": (1, 4),
        "mb": (2, 4),
        "mc": (2, 4),
        "md": (4, 4),
    }
    assert ranked["ma"]["points"] == 30  # the score itself untouched
    # the next week, nothing moved: nothing written
    assert store.rank_members(list(points), "2026-W50") == 0


# ---------------------------------------------------------------------------- attendance
def attendance(present: bool, revision: int, **fields: Any) -> dict[str, Any]:
    """A live session's response as the attendance page leaves it (store/sessions.py)."""
    return {
        "PK": "THEME#live",
        "SK": "RSVP#lea",
        "theme_id": "live",
        "member_id": "lea",
        "response": "yes",
        "attended": present,
        "attended_rev": revision,
        "attended_points": 10,
        "attended_answers": 1,
        "attended_circle": "Bâtisseurs",
        "attended_team": "Produit",
    } | fields


def test_being_ticked_present_earns_what_an_answer_earns_and_unticked_withdraws_it() -> None:
    ticked = change_of(attendance(True, 1), DAY, old={"SK": "RSVP#lea", "response": "yes"})
    assert ticked == Change(
        "attended#live#lea#1",
        "lea",
        "Produit",
        "Bâtisseurs",
        points=10,
        answers=1,
        day=DAY,
        theme="live",
    )
    unticked = change_of(attendance(False, 2), DAY, old=attendance(True, 1))
    assert unticked == Change(
        "attended#live#lea#2",
        "lea",
        "Produit",
        "Bâtisseurs",
        points=-10,
        answers=-1,
        day=DAY,
        theme="live",
    )


def test_a_response_changed_without_its_attendance_changes_nothing() -> None:
    # Given the member changes their response after being ticked: the revision stays
    assert change_of(attendance(True, 1, response="maybe"), DAY, old=attendance(True, 1)) is None
    # …and a response never ticked is no attendance at all
    assert change_of({"SK": "RSVP#lea", "theme_id": "live", "member_id": "lea"}, DAY) is None


@pytest.mark.parametrize(
    "fields",
    [{"attended_points": -10}, {"attended_answers": "1"}, {"theme_id": ""}, {"member_id": ""}],
    ids=["negative-points", "text-answers", "no-theme", "no-member"],
)
def test_a_malformed_attendance_is_a_poison_record(fields: dict[str, Any]) -> None:
    with pytest.raises(PoisonRecord):
        change_of(attendance(True, 1, **fields), DAY)


def test_a_tick_and_its_untick_in_one_batch_cancel_out_without_failing_the_batch() -> None:
    # Given an animator ticks Léa present and unticks her a moment later: both revisions
    # reach the score stream in one batch, adding nothing to her score or the tally
    table = FakeTable()
    revisions = [
        change_of(attendance(True, 1), DAY),
        change_of(attendance(False, 2), DAY, old=attendance(True, 1)),
    ]
    # When the batch is counted (an item with nothing to add would be an empty update,
    # which DynamoDB refuses: the batch would fail for ever)
    ScoreKeeper(table).apply([c for c in revisions if c is not None])
    # Then both causes are kept, nothing moved
    score = table.get({"PK": "MEMBER#lea", "SK": "SCORE"}) or {}
    assert (score.get("points", 0), score.get("answers", 0)) == (0, 0)
    board = table.get({"PK": "BOARD#circle", "SK": group_key("Bâtisseurs")}) or {}
    assert {"attended#live#lea#1", "attended#live#lea#2"} <= set(board[f"seen_{DAY}"])


def test_a_tick_untick_and_tick_again_count_each_once_whatever_the_retries() -> None:
    table = FakeTable()
    keeper = ScoreKeeper(table)
    revisions = [
        change_of(attendance(True, 1), DAY),
        change_of(attendance(False, 2), DAY, old=attendance(True, 1)),
        change_of(attendance(True, 3), DAY, old=attendance(False, 2)),
    ]
    changes = [c for c in revisions if c is not None]
    for _ in range(3):  # the same batch, retried
        keeper.apply(changes)
    score = table.get({"PK": "MEMBER#lea", "SK": "SCORE"}) or {}
    assert (score["points"], score["answers"]) == (10, 1)
