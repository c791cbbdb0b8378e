"""The circle and team directory: paged under DynamoDB's item limit, never read torn."""

from collections.abc import Iterator
from typing import Any

from palabre.core.directory import Directory
from palabre.core.models import Member
from palabre.store import members as members_module
from palabre.store.members import MemberStore, directory_fields, directory_items
from tests.fakes import FakeTable


def _members(n: int) -> list[Member]:
    return [
        Member(
            email=f"m{i}@client.example",
            first_name="M",
            circle=f"Cercle {i}",
            team=f"Équipe {i}",
            locale="fr",
            timezone="Europe/Paris",
            role="member",
        )
        for i in range(n)
    ]


class TornOnce(FakeTable):
    """A Query that, the first time, misses the last page: an import replaced the
    directory between two of its requests and deleted the old pages not yet read."""

    torn = True

    def query(self, partition: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        items = list(super().query(partition, **kwargs))
        if self.torn and partition == "ORG":
            self.torn = False
            items = items[:-1]
        yield from items


def test_a_large_directory_is_paged_and_read_back_whole(monkeypatch: Any) -> None:
    monkeypatch.setattr(members_module, "PAGE_BYTES", 2_000)  # pages of a few groups
    directory = Directory.of(_members(60))
    items = directory_items(directory, "v1")
    assert len(items) > 3  # a head and several pages

    store = MemberStore(FakeTable())
    store.save_directory(directory)
    assert directory_fields(store.directory()) == directory_fields(directory)


def test_a_read_torn_by_an_import_is_read_again(monkeypatch: Any) -> None:
    monkeypatch.setattr(members_module, "PAGE_BYTES", 2_000)
    directory = Directory.of(_members(60))
    table = TornOnce(directory_items(directory, "v1"))

    assert directory_fields(MemberStore(table).directory()) == directory_fields(directory)
    assert table.torn is False
