"""The rule every reader of a member's profile follows while a roster is applied
(store/members.py: profile_member, visible_profiles; docs/data-model.md#the-roster-version)."""

from typing import Any

import pytest

from palabre.core.models import Member, Role
from palabre.store import keys
from palabre.store.members import MemberStore, member_fields, member_item
from palabre.store.roster_apply import Change, RosterApplyStore
from tests.fakes import FakeTable

ANNE = Member(email="anne@exemple.org", circle="Été", team="Lyon", locale="fr", timezone="UTC")
BRUNO = Member(email="bruno@exemple.org", circle="Été", team="Lyon", locale="fr", timezone="UTC")
CLARA = Member(email="clara@exemple.org", circle="Hiver", team="Lyon", locale="fr", timezone="UTC")


def pointer(current: int) -> dict[str, Any]:
    return {**keys.ROSTER, "current": current}


def staged_table(current: int) -> FakeTable:
    """Version 1 holds Anne and Bruno; version 2, staged, renames Anne, moves Bruno to
    Hiver and adds Clara; the pointer says `current`."""
    table = FakeTable([member_item(ANNE), member_item(BRUNO), pointer(1)])
    store = RosterApplyStore(table)
    store.stage(
        [
            Change(ANNE.model_copy(update={"first_name": "Anne-Sophie"}), member_item(ANNE)),
            Change(BRUNO.model_copy(update={"circle": "Hiver"}), member_item(BRUNO)),
            Change(CLARA),
        ],
        version=2,
    )
    table.put(pointer(current))
    return table


def circle(table: FakeTable, name: str) -> list[str]:
    items, _ = MemberStore(table).page_of(f"circle:{name}", "UTC", limit=100, start=None)
    return [i["email"] for i in items]


def test_before_the_switch_every_reader_sees_the_old_version() -> None:
    table = staged_table(current=1)
    members = MemberStore(table)

    assert members.roster() == {ANNE.email: ANNE, BRUNO.email: BRUNO}
    assert members.get(CLARA.id) is None
    assert members.get(ANNE.id) == ANNE
    assert circle(table, "Été") == [ANNE.email, BRUNO.email]
    assert circle(table, "Hiver") == []


def test_from_the_switch_every_reader_sees_the_new_version_each_member_once() -> None:
    table = staged_table(current=2)
    members = MemberStore(table)

    roster = members.roster()
    assert roster[ANNE.email].first_name == "Anne-Sophie"
    assert roster[BRUNO.email].circle == "Hiver"
    assert members.get(CLARA.id) == CLARA
    assert circle(table, "Été") == [ANNE.email]
    assert sorted(circle(table, "Hiver")) == [BRUNO.email, CLARA.email]
    assert sorted(m.email for m in members.with_role(Role.MEMBER)) == sorted(
        [ANNE.email, BRUNO.email, CLARA.email]
    )


def test_a_member_settling_is_listed_once_while_both_items_are_read() -> None:
    table = staged_table(current=2)
    # Bruno's new profile is written, his PROFILE#NEXT not yet deleted
    table.put(member_item(BRUNO.model_copy(update={"circle": "Hiver"})))

    assert circle(table, "Hiver").count(BRUNO.email) == 1


@pytest.mark.parametrize("current", [1, 3])
def test_marks_of_a_version_that_is_not_current_are_not_read(current: int) -> None:
    """A version abandoned (never current) or behind: its marks show the old profile."""
    table = staged_table(current=current)

    assert MemberStore(table).get(BRUNO.id) == BRUNO
    assert MemberStore(table).get(CLARA.id) is None


def test_the_steady_state_reads_no_pointer() -> None:
    class Counting(FakeTable):
        reads = 0

        def get(self, key: Any, *, consistent: bool = False) -> Any:
            self.reads += key == keys.ROSTER
            return super().get(key, consistent=consistent)

    table = Counting([member_item(ANNE), member_item(BRUNO)])

    MemberStore(table).roster()
    MemberStore(table).get(ANNE.id)

    assert table.reads == 0


def test_a_staged_profile_keeps_the_new_fields_apart_from_the_old() -> None:
    table = staged_table(current=1)
    stored = table.get(keys.member(ANNE.id))
    assert stored is not None

    assert stored["first_name"] == ""
    assert stored["next"] == member_fields(ANNE.model_copy(update={"first_name": "Anne-Sophie"}))
    assert stored["next_version"] == 2
