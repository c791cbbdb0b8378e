"""Members: the roster as imported, listed by role, circle and team (never scanned)."""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from palabre.models import Member, Role, Subscription, member_id
from palabre.roster import Directory, Group
from palabre.store import keys
from palabre.store.table import Item, Table

_FIELDS = ("email", "first_name", "last_name", "circle", "team", "locale", "timezone")


def member_item(m: Member) -> Item:
    return {
        **keys.member(m.id),
        **keys.member_indexes(m),
        "type": "member",
        "member_id": m.id,
        **{f: getattr(m, f) for f in _FIELDS},
        "role": m.role.value,
        "active": m.active,
    }


def member_from(item: Item) -> Member:
    return Member(
        **{f: item.get(f, "") for f in _FIELDS},
        role=Role(item["role"]),
        active=item["active"],
    )


@dataclass(frozen=True)
class Recipient:
    """A member as the sender sees them: who, whether they still want email, their score."""

    member: Member
    subscription: Subscription
    suppressed: bool
    points: int = 0
    streak: Item | None = None


class MemberStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def roster(self) -> dict[str, Member]:
        """Everyone ever imported, active or not, by email."""
        partitions = [*(r.value for r in Role), keys.INACTIVE]
        return {
            m.email: m
            for p in partitions
            for m in self._listed(self.table.query(keys.roster_partition(p), index="GSI1"))
        }

    def with_role(self, role: Role) -> list[Member]:
        return list(self._listed(self.table.query(keys.roster_partition(role), index="GSI1")))

    def get(self, member_id: str) -> Member | None:
        item = self.table.get(keys.member(member_id))
        return member_from(item) if item else None

    def recipient(self, member_id: str) -> Recipient | None:
        """Profile, preferences and suppression in one Query of the member's partition."""
        items = {
            i["SK"]: i
            for i in self.table.query(
                keys.member_partition(member_id), between=(keys.STATE_FROM, keys.STATE_TO)
            )
        }
        if "PROFILE" not in items:
            return None
        prefs = items.get("PREFS", {})
        return Recipient(
            member=member_from(items["PROFILE"]),
            subscription=Subscription(prefs.get("subscription", Subscription.ALL.value)),
            suppressed="SUPPRESSED" in items,
            points=items.get("SCORE", {}).get("points", 0),
            streak=items.get("STREAK"),
        )

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        """Which of `addresses` bounced or complained (members or not): one BatchGetItem."""
        by_key = {member_id(a): a for a in addresses}
        found = self.table.get_many([keys.suppressed(mid) for mid in by_key])
        return {by_key[i["PK"].removeprefix("MEMBER#")] for i in found}

    def save(self, members: Iterable[Member]) -> int:
        return self.table.put_many(member_item(m) for m in members)

    def directory(self) -> Directory | None:
        item = self.table.get(keys.DIRECTORY)
        return directory_from(item) if item else None

    def save_directory(self, directory: Directory) -> None:
        self.table.put({**keys.DIRECTORY, "type": "directory", **directory_fields(directory)})

    @staticmethod
    def _listed(items: Iterable[Item]) -> Iterator[Member]:
        return (member_from(i) for i in items)


def directory_fields(directory: Directory) -> dict[str, Any]:
    def groups(entries: dict[str, Group]) -> dict[str, Any]:
        return {k: {"name": g.name, "zones": dict(g.zones)} for k, g in entries.items()}

    return {
        "circles": groups(directory.circles),
        "teams": groups(directory.teams),
        "zones": dict(directory.zones),
        "roles": {role: dict(zones) for role, zones in directory.roles.items()},
    }


def directory_from(item: Item) -> Directory:
    def groups(entries: dict[str, Any]) -> dict[str, Group]:
        return {k: Group(v["name"], Counter(v["zones"])) for k, v in entries.items()}

    return Directory(
        circles=groups(item.get("circles", {})),
        teams=groups(item.get("teams", {})),
        zones=Counter(item.get("zones", {})),
        roles={role: Counter(zones) for role, zones in item.get("roles", {}).items()},
    )
