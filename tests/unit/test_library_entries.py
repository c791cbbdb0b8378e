"""The library's entries as the store reads them and the filter finds them (store.library,
core.library), over the in-memory table."""

from datetime import UTC, date, datetime

from palabre.core.library import Entry, matches, searchable
from palabre.core.models import Answer, Audience, Theme
from palabre.store import keys
from palabre.store.library import LIBRARY, SHOWN, LibraryStore, entry_sort
from palabre.store.themes import theme_item
from tests.fakes import FakeTable

THEME = Theme(
    id="t1",
    send_on=date(2026, 11, 3),
    title="Nos rituels d'équipe",
    prompt="Qu'avez-vous essayé ?",
    audience=Audience(everyone=True),
    competency="Animation d'équipe",
)
AT = "2026-11-20T10:00:00+00:00"
ANSWER = {
    **keys.answer("t1", "lea"),
    "type": "answer",
    "theme_id": "t1",
    "member_id": "lea",
    "text": "Une météo d'équipe, chaque lundi.",
    "visibility": "organisation",
    "created_at": "2026-11-04T09:00:00+00:00",
    "updated_at": "2026-11-05T09:00:00+00:00",
    "version": 2,
    "week": "2026-W45",
    "points": 15,
    "circle": "Bâtisseurs",
    "team": "Équipe 1",
    "first_name": "Léa",
    "last_initial": "M",
    "attribution": "named",
    "useful": 4,
    "useful_circles": {"batisseurs", "passeurs"},
    "library_at": AT,
    "library_by": "votes",
    "GSI3PK": LIBRARY,
    "GSI3SK": entry_sort(AT, "t1", "lea"),
}


def test_an_entry_holds_what_the_library_shows_of_its_answer_as_stored() -> None:
    table = FakeTable([theme_item(THEME), ANSWER])

    [entry] = LibraryStore(table).entries()

    stored = Answer.model_validate(ANSWER)
    assert entry.theme == THEME
    assert {f: getattr(entry.answer, f) for f in SHOWN} == {f: getattr(stored, f) for f in SHOWN}


def test_the_filter_finds_an_entry_by_its_text_as_it_is_now() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    entry = Entry(Answer.model_validate(ANSWER), THEME)
    edited = Entry(
        entry.answer.model_copy(update={"text": "Un tour de table.", "updated_at": now}), THEME
    )

    for query in ("METEO lundi", "rituels", "animation", "lea m", "batisseurs"):
        assert matches(searchable(query).split(), entry), query
    assert not matches(["table"], entry)
    assert matches(["table"], edited)  # an edit is folded again, not remembered
    assert not matches(["meteo"], edited)
