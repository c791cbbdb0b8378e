"""Each theme's tally (store/tallies.py): kept by the score stream with the standings,
exactly once, and the same as counting the theme's partition."""

from datetime import UTC, datetime
from typing import Any

from palabre.scoring.awards import ScoreKeeper, change_of
from palabre.store import keys
from palabre.store.tallies import Count, TallyStore, counted
from tests.fakes import FakeTable
from tests.unit.test_scoring import DAY, answer_item, prompt_item, vote_item

NOW = datetime(2026, 12, 9, 9, tzinfo=UTC)


def attended(theme: str, member: str, *, answers: int, **extra: Any) -> dict[str, Any]:
    return {
        "PK": f"THEME#{theme}",
        "SK": f"RSVP#{member}",
        "theme_id": theme,
        "member_id": member,
        "response": "yes",
        "attended": True,
        "attended_rev": 1,
        "attended_points": 10 * answers,
        "attended_answers": answers,
        "attended_circle": "Nord",
        "attended_team": "Ventes",
        **extra,
    }


ITEMS = [
    prompt_item("a", "lea"),
    prompt_item("a", "zoe", circle="batisseurs", team="produit"),
    prompt_item("a", "hugo", team="Ventes", circle="Nord"),
    prompt_item("a", "ines", status="skipped"),
    answer_item("a", "lea", points=15),
    vote_item("a", "lea", "zoe"),
    prompt_item("b", "lea"),
    prompt_item("b", "hugo", team="Ventes", circle="Nord"),
    attended("b", "hugo", answers=1),
    attended("b", "lea", answers=0),  # answered as well: counted once, by the answer
    answer_item("b", "lea", points=10),
]


def kept_by_the_stream(items: list[dict[str, Any]]) -> FakeTable:
    """The items written, and the score stream run over them (twice: a retried batch)."""
    table = FakeTable()
    for item in items:
        table.put(item)
    changes = [change_of(i, DAY, old={}) for i in items]
    keeper = ScoreKeeper(table)
    for _ in range(2):
        keeper.apply([c for c in changes if c is not None])
    return table


def test_the_stream_tallies_each_theme_in_all_and_per_circle_and_team_once() -> None:
    # Given prompts (one skipped), answers, a vote and attendances, scored twice
    table = kept_by_the_stream(ITEMS)

    # When the dashboard reads the tallies
    tallies = TallyStore(table).of(["a", "b", "never-sent"])

    # Then each theme counts its prompts sent and answers, per folded group, votes aside
    assert set(tallies) == {"a", "b"}
    a, b = tallies["a"], tallies["b"]
    assert a.total == Count(prompts=3, answers=1)
    assert a.of("circle", "Bâtisseurs") == Count(prompts=2, answers=1)
    assert a.of("team", "PRODUIT") == Count(prompts=2, answers=1)
    assert a.of("circle", "Nord") == Count(prompts=1, answers=0)
    assert a.of("circle", "Nowhere") == Count()
    assert b.total == Count(prompts=2, answers=2)
    assert b.of("team", "Ventes") == Count(prompts=1, answers=1)
    assert round(a.total.rate, 3) == 0.333
    assert Count().rate == 0.0


def test_counting_a_themes_partition_gives_what_the_stream_kept() -> None:
    table = kept_by_the_stream(ITEMS)
    kept = TallyStore(table).of(["a", "b"])

    for theme in ("a", "b"):
        partition = [i for i in table.query(keys.theme_partition(theme)) if i["SK"] != "TALLY"]
        assert counted(theme, partition) == kept[theme]


def test_a_theme_sent_before_tallies_were_kept_is_rebuilt_from_its_partition() -> None:
    # Given a theme's records written before the stream kept tallies
    table = FakeTable()
    for item in ITEMS:
        table.put(item)
    store = TallyStore(table)
    assert store.of(["a"]) == {}

    # When it is rebuilt, twice
    store.rebuild("a", NOW)
    rebuilt = store.rebuild("a", NOW)

    # Then it holds the partition's counts, not twice them
    assert store.of(["a"]) == {"a": rebuilt}
    assert rebuilt.total == Count(prompts=3, answers=1)
    assert rebuilt == TallyStore(kept_by_the_stream(ITEMS)).of(["a"])["a"]
    assert table.get(keys.tally("a"))["rebuilt_at"] == NOW.isoformat()  # type: ignore[index]
