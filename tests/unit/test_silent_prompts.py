"""A theme's silent prompts (store/sends.py): sent, not answered yet, in a sparse index
the score stream keeps, so that the dashboard lists the first fifty who have not
answered in one bounded Query instead of reading the theme's whole partition.

Over the one fake table (tests/fakes.py), which keeps the indexes sparse as DynamoDB
does: an item without an index's keys is not in it."""

from datetime import UTC, datetime, timedelta
from typing import Any

from palabre.core.jobs import SkipReason
from palabre.core.models import Member, group_key
from palabre.core.points import Change
from palabre.scoring.awards import ScoreKeeper, change_of
from palabre.store import keys
from palabre.store.sends import SendRecords
from tests.fakes import FakeTable

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = "20261201"
THEME = "demo-2"


def member(first: str, circle: str = "Bâtisseurs", team: str = "Produit", **more: Any) -> Member:
    return Member(
        email=f"{first.lower()}@example.com",
        first_name=first,
        circle=circle,
        team=team,
        locale="fr",
        timezone="Europe/Paris",
        **more,
    )


def sent_to(table: FakeTable, *people: Member, theme: str = THEME) -> None:
    records = SendRecords(table)
    for n, person in enumerate(people):
        records.prompt_sent(
            theme,
            person,
            now=NOW + timedelta(seconds=n),
            deadline=NOW + timedelta(days=7),
            message_id=f"<{n}@example.com>",
            ses_message_id=f"ses-{n}",
        )


def silent(table: FakeTable, limit: int = 50, within: Any = None) -> list[str]:
    return [i["first_name"] for i in SendRecords(table).silent(THEME, limit, within)]


def answered(table: FakeTable, person: Member, theme: str = THEME) -> Change:
    """The member's answer, written (by the answer page) and passed on by the stream."""
    image = {
        **keys.answer(theme, person.id),
        "theme_id": theme,
        "member_id": person.id,
        "points": 10,
        "circle": person.circle,
        "team": person.team,
    }
    table.put(image)
    change = change_of(image, DAY)
    assert change is not None
    return change


def attendance(person: Member, present: bool, revision: int, answers: int = 1) -> Change:
    """A revision of the member's attendance at the live session THEME, as the stream
    passes it on (store/sessions.py wrote it, see `ticked`)."""

    def image(present: bool, revision: int) -> dict[str, Any]:
        return {
            "SK": f"RSVP#{person.id}",
            "theme_id": THEME,
            "member_id": person.id,
            "attended": present,
            "attended_rev": revision,
            "attended_points": 10,
            "attended_answers": answers,
            "attended_circle": person.circle,
            "attended_team": person.team,
        }

    change = change_of(image(present, revision), DAY, old=image(not present, revision - 1))
    assert change is not None
    return change


def ticked(
    table: FakeTable, person: Member, present: bool, revision: int, answers: int = 1
) -> Change:
    """An animator ticks (or unticks) the member: the attendance page writes `attended`
    on their send record in the same transaction as their response; the change the
    stream then passes on."""
    table.update(
        keys.prompt(THEME, person.id),
        "SET attended = :present",
        {":present": present},
        condition="attribute_exists(PK)",
    )
    return attendance(person, present, revision, answers)


LEA, HUGO, CAMILLE = member("Léa"), member("Hugo"), member("Camille")
MANON = member("Manon", circle="Éclaireurs", team="Ventes")
ADAM = member("Adam", circle="Éclaireurs", team="Produit")


def test_the_silent_are_listed_by_circle_then_first_name_and_capped() -> None:
    # Given a theme sent to five members of two circles, one prompt skipped
    table = FakeTable()
    sent_to(table, MANON, LEA, ADAM, HUGO, CAMILLE)
    SendRecords(table).prompt_skipped(THEME, member("Zoé").id, SkipReason.INACTIVE, NOW)

    # Then all five are silent, by circle (folded) then first name; the skipped one never
    assert silent(table) == ["Camille", "Hugo", "Léa", "Adam", "Manon"]
    # ... the first ones only, as many as asked
    assert silent(table, limit=2) == ["Camille", "Hugo"]
    # ... and one circle's, or one team's (by folded names)
    assert silent(table, within=("circle", "eclaireurs")) == ["Adam", "Manon"]
    assert silent(table, within=("team", "produit")) == ["Camille", "Hugo", "Léa", "Adam"]
    assert silent(table, within=("team", "nobody")) == []


def test_an_answer_counted_takes_its_author_out_once_and_a_retry_changes_nothing() -> None:
    # Given a theme sent to three
    table = FakeTable()
    sent_to(table, LEA, HUGO, CAMILLE)
    keeper = ScoreKeeper(table)

    # When Léa's answer is counted, and the same batch is delivered again
    change = answered(table, LEA)
    keeper.apply([change])
    keeper.apply([change])

    # Then she is no longer silent; the others are; her send record is whole
    assert silent(table) == ["Camille", "Hugo"]
    record = table.get(keys.prompt(THEME, LEA.id)) or {}
    assert record["status"] == "sent"
    assert record["email"] == LEA.email
    assert not {"GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"} & set(record)
    # ... while the tally, counted in the same batch, says the same
    tally = table.get(keys.tally(THEME)) or {}
    assert int(tally["answers"]) == 1


def test_an_answer_to_another_theme_or_a_vote_leaves_the_silent_as_they_are() -> None:
    table = FakeTable()
    sent_to(table, LEA, HUGO)
    vote = change_of(
        {
            "SK": f"VOTE#{HUGO.id}#{LEA.id}",
            "theme_id": THEME,
            "author_id": HUGO.id,
            "voter_id": LEA.id,
            "circle": HUGO.circle,
            "team": HUGO.team,
        },
        DAY,
    )
    assert vote is not None
    ScoreKeeper(table).apply([answered(table, LEA, theme="demo-1"), vote])
    assert silent(table) == ["Hugo", "Léa"]
    # ... and no send record was made up for the other theme
    assert table.get(keys.prompt("demo-1", LEA.id)) is None


def test_a_tick_takes_one_out_and_an_untick_puts_them_back_where_they_were() -> None:
    # Given a live session sent to three
    table = FakeTable()
    sent_to(table, LEA, HUGO, CAMILLE)
    keeper = ScoreKeeper(table)

    # When Hugo is ticked present
    keeper.apply([ticked(table, HUGO, True, 1)])
    # Then he is out
    assert silent(table) == ["Camille", "Léa"]

    # When he is unticked (he never answered)
    keeper.apply([ticked(table, HUGO, False, 2)])
    # Then he is back, in his place, in his circle's and his team's lists too
    assert silent(table) == ["Camille", "Hugo", "Léa"]
    assert "Hugo" in silent(table, within=("team", "produit"))
    assert "Hugo" in silent(table, within=("circle", "batisseurs"))


def test_an_untick_keeps_out_one_who_answered_and_a_batch_settles_on_what_is_there() -> None:
    table = FakeTable()
    sent_to(table, LEA, HUGO, CAMILLE)
    keeper = ScoreKeeper(table)
    # Given Léa answered, then was ticked (her tick adds no answer) and unticked
    keeper.apply([answered(table, LEA)])
    keeper.apply([ticked(table, LEA, True, 1, answers=0), ticked(table, LEA, False, 2, answers=0)])
    # ... and Hugo was ticked, unticked and ticked again within one batch
    keeper.apply(
        [ticked(table, HUGO, True, 1), ticked(table, HUGO, False, 2), ticked(table, HUGO, True, 3)]
    )
    # Then neither is silent
    assert silent(table) == ["Camille"]

    # When Léa is ticked then unticked as one who had not answered (a stale count): her
    # answer is there, so she stays out
    keeper.apply([ticked(table, LEA, True, 3), ticked(table, LEA, False, 4)])
    assert silent(table) == ["Camille"]


def test_a_parked_batch_replayed_late_leaves_each_where_their_attendance_is_now() -> None:
    # Given Hugo ticked, unticked (that batch parked in the dead-letter queue), then
    # ticked again and counted; Camille ticked (that batch parked), then unticked
    table = FakeTable()
    sent_to(table, LEA, HUGO, CAMILLE)
    keeper = ScoreKeeper(table)
    parked = [ticked(table, HUGO, True, 1), ticked(table, HUGO, False, 2)]
    keeper.apply([ticked(table, HUGO, True, 3)])
    parked.append(ticked(table, CAMILLE, True, 1))
    keeper.apply([ticked(table, CAMILLE, False, 2)])
    assert silent(table) == ["Camille", "Léa"]

    # When an animator retries the parked batch, long after
    keeper.apply(parked)

    # Then Hugo, present now, stays out, and Camille, absent now, stays in
    assert silent(table) == ["Camille", "Léa"]


def test_an_erased_member_gets_no_send_record_made_up() -> None:
    # Given a live session sent to Léa, ticked present
    table = FakeTable()
    sent_to(table, LEA)
    keeper = ScoreKeeper(table)
    keeper.apply([ticked(table, LEA, True, 1)])

    # When her send record is erased before her untick is counted
    table.delete(keys.prompt(THEME, LEA.id))
    keeper.apply([attendance(LEA, False, 2)])

    # Then no send record appears
    assert table.get(keys.prompt(THEME, LEA.id)) is None
    assert silent(table) == []


def test_a_theme_sent_before_the_index_is_placed_once_from_its_records() -> None:
    # Given a theme's send records without their places (sent before the index), Léa's
    # answer, Hugo ticked present, and one record placed wrongly (Camille answered)
    table = FakeTable()
    sent_to(table, LEA, HUGO, CAMILLE, MANON)
    for person in (LEA, HUGO, MANON):
        table.update(keys.prompt(THEME, person.id), "REMOVE GSI2PK, GSI2SK, GSI3PK, GSI3SK")
    for person in (LEA, CAMILLE):
        table.put({**keys.answer(THEME, person.id), "theme_id": THEME, "member_id": person.id})
    table.put({**keys.rsvp(THEME, HUGO.id), "attended": True})
    assert silent(table) == ["Camille"]

    # When they are placed
    records = SendRecords(table)
    assert records.place_silent(THEME) == 2

    # Then the silent are exactly those who neither answered nor came; again, nothing
    assert silent(table) == ["Manon"]
    assert records.place_silent(THEME) == 0


def test_long_names_fit_a_sort_key_and_a_cut_name_lists_its_own_group_only() -> None:
    # Given two circles whose names differ only past what a sort key keeps of them,
    # and a first name and address as long as the roster lets through
    stem = "Cercle " + "é" * 300
    long_a = member("A" * 200, circle=stem + " un")
    long_b = member("B", circle=stem + " deux")
    table = FakeTable()
    sent_to(table, long_a, long_b)

    # Then every silent sort key fits DynamoDB's 1,024 bytes
    for person in (long_a, long_b):
        record = table.get(keys.prompt(THEME, person.id)) or {}
        assert all(len(record[k].encode()) <= 1024 for k in ("GSI2SK", "GSI3SK"))
    # ... and each circle lists its own member only
    assert silent(table, within=("circle", group_key(stem + " un"))) == ["A" * 200]
    assert silent(table, within=("circle", group_key(stem + " deux"))) == ["B"]
