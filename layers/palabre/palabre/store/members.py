"""Members: the roster as imported, listed by role, circle and team (never scanned)."""

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.core.absences import Absence, absences_from
from palabre.core.directory import Directory, Group
from palabre.core.jobs import SkipReason
from palabre.core.models import Member, Role, Subscription, member_id
from palabre.core.retention import TTL_ATTRIBUTE, expires_at
from palabre.store import keys
from palabre.store.table import ConditionFailed, Item, Table

# A directory page's share of DynamoDB's 400 KB item limit, with room for the attribute
# names and numbers' encoding.
PAGE_BYTES = 300_000

_FIELDS = ("email", "first_name", "last_name", "circle", "team", "locale", "timezone")


def member_item(m: Member, expires: int | None = None) -> Item:
    """`expires`: the TTL of an inactive member's profile (ignored for an active one)."""
    return {
        **keys.member(m.id),
        **keys.member_indexes(m),
        "type": "member",
        "member_id": m.id,
        **{f: getattr(m, f) for f in _FIELDS},
        "role": m.role.value,
        "active": m.active,
        **({TTL_ATTRIBUTE: expires} if expires is not None and not m.active else {}),
    }


def member_from(item: Item) -> Member:
    """The member an item holds itself (a profile, a staged profile, or a `next` map)."""
    return Member(
        **{f: item.get(f, "") for f in _FIELDS},
        role=Role(item["role"]),
        active=item["active"],
    )


def member_fields(m: Member) -> dict[str, Any]:
    """A member as a staged profile's `next` map holds it."""
    return {**{f: getattr(m, f) for f in _FIELDS}, "role": m.role.value, "active": m.active}


class RosterVersion:
    """The roster version readers see (the pointer `ORG`/`ROSTER`, store/roster_apply.py).
    Read, strongly consistent, only when a reader meets an item a roster apply staged, and
    once per reader: in the steady state a roster costs its readers nothing more."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._current: int | None = None

    def current(self) -> int:
        if self._current is None:
            pointer = self.table.get(keys.ROSTER, consistent=True) or {}
            self._current = int(pointer.get("current", 0))
        return self._current


def profile_member(item: Item | None, table: Table | RosterVersion) -> Member | None:
    """A member's PROFILE item as readers see it: while an apply stages a new version of
    it (`next`, `next_version`), the old one until the pointer reaches that version, the
    new one from then on. None: no such member (or one the apply only stages)."""
    if item is None:
        return None
    staged = item.get("next_version")
    if staged is not None and int(staged) == _version(table).current():
        return member_from(item["next"])
    return member_from(item) if "role" in item else None


def visible_profiles(items: Iterable[Item], table: Table | RosterVersion) -> Iterator[Item]:
    """The items of a roster listing (GSI1, GSI2, GSI3: PROFILE and PROFILE#NEXT items)
    that the current version holds: each member once, in the listing's order. A profile
    whose new version is listed elsewhere (another circle, team, role or timezone) leaves
    this listing when its staged item (PROFILE#NEXT) enters the other."""
    version = _version(table)
    # While a member settles, their PROFILE is written before their PROFILE#NEXT is
    # deleted: both may be read for a moment, the same member, listed once.
    seen: set[str] = set()
    for item in items:
        if item["SK"] == keys.PROFILE:
            staged = item.get("next_version")
            if staged is None:
                shown: Item | None = item
            elif int(staged) == version.current():
                shown = {**item, **item["next"]} if item.get("next_listed") else None
            else:
                shown = item if "role" in item else None
        else:
            shown = item if int(item.get("version", -1)) == version.current() else None
        if shown is not None and shown["PK"] not in seen:
            seen.add(shown["PK"])
            yield shown


def _version(table: Table | RosterVersion) -> RosterVersion:
    return table if isinstance(table, RosterVersion) else RosterVersion(table)


@dataclass(frozen=True)
class Recipient:
    """A member as the sender sees them: who, whether they still want email, their score."""

    member: Member
    subscription: Subscription
    suppressed: bool
    points: int = 0
    rank: tuple[int, int] = (0, 0)
    """their place by points, and among how many, as the last digest run ranked them"""
    streak: Item | None = None
    absences: tuple[Absence, ...] = ()
    """declared in the member's space (on their preferences)"""
    absences_revision: int = 0
    """how many times the absences were changed: a change is written only over the list
    it was made to"""


EVERYTHING_STOPPED = frozenset({Subscription.NOTHING})
"""the subscriptions that stop a theme's emails (a digest is stopped by NO_DIGEST too)"""


def unreachable(
    recipient: Recipient | None, stopped_by: frozenset[Subscription] = EVERYTHING_STOPPED
) -> SkipReason | None:
    """Why nothing may be emailed to this member, if nothing may: not in the roster (or
    no longer), their address suppressed, or a subscription in `stopped_by`. What each
    kind of email checks beside it (audience, role, absence) is the sender's own."""
    if recipient is None:
        return SkipReason.NOT_IN_ROSTER
    if not recipient.member.active:
        return SkipReason.INACTIVE
    if recipient.suppressed:
        return SkipReason.SUPPRESSED
    if recipient.subscription in stopped_by:
        return SkipReason.UNSUBSCRIBED
    return None


class MemberStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def roster(self) -> dict[str, Member]:
        """Everyone ever imported, active or not, by email."""
        return {email: member_from(item) for email, item in self.profiles().items()}

    def with_role(self, role: Role) -> list[Member]:
        return list(
            self._listed(self.table.query(keys.roster_partition(role), index="GSI1"), self.table)
        )

    def page_of(
        self, part: str, zone: str, *, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Item], dict[str, Any] | None]:
        """One page of the members of a dispatch part (role:<r>, circle:<key> or
        team:<key>) who live in `zone`, and where the next page starts (None: the end)."""
        index, partition = _listing(part)
        items, position = self.table.page(
            partition, index=index, prefix=keys.member_in_zone(zone), limit=limit, start=start
        )
        return list(visible_profiles(items, self.table)), position

    def get(self, member_id: str) -> Member | None:
        return profile_member(self.table.get(keys.member(member_id)), self.table)

    def recipient(self, member_id: str) -> Recipient | None:
        """Profile, preferences and suppression in one Query of the member's partition."""
        items = self.table.query(
            keys.member_partition(member_id), between=(keys.STATE_FROM, keys.STATE_TO)
        )
        return recipient_from({i["SK"]: i for i in items}, self.table)

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        """Which of `addresses` bounced or complained (members or not): one BatchGetItem."""
        by_key = {member_id(a): a for a in addresses}
        found = self.table.get_many([keys.suppressed(mid) for mid in by_key])
        return {by_key[i["PK"].removeprefix("MEMBER#")] for i in found}

    def choose(self, member_id: str, subscription: Subscription, now: datetime) -> None:
        """What the member still wants to receive (their unsubscribe link's page, their
        preferences): an update, which keeps their absences."""
        self.table.update(
            keys.prefs(member_id),
            "SET #type = :type, subscription = :subscription, updated_at = :now",
            {":type": "prefs", ":subscription": subscription.value, ":now": now.isoformat()},
            names={"#type": "type"},
        )

    def declare_absences(
        self, recipient: Recipient, absences: Iterable[Absence], now: datetime
    ) -> bool:
        """The member's absences replaced by `absences`, if nobody changed them since
        `recipient` was read (False otherwise: nothing written)."""
        seen = recipient.absences_revision
        try:
            self.table.update(
                keys.prefs(recipient.member.id),
                "SET #type = :type, absences = :absences, absences_revision = :next, "
                "updated_at = :now",
                {
                    ":type": "prefs",
                    ":absences": [a.key for a in absences],
                    ":next": seen + 1,
                    ":now": now.isoformat(),
                    **({":seen": seen} if seen else {}),
                },
                names={"#type": "type"},
                condition="absences_revision = :seen"
                if seen
                else "attribute_not_exists(absences_revision)",
            )
        except ConditionFailed:
            return False
        return True

    def suppress(self, email: str, reason: str, detail: str, now: datetime) -> None:
        """Nothing more is sent to `email` (member or not): it bounced or complained."""
        self.table.put(
            {
                **keys.suppressed(member_id(email)),
                "type": "suppressed",
                "email": email,
                "reason": reason,
                "detail": detail[:500],
                "at": now.isoformat(),
                "GSI1PK": keys.SUPPRESSED,
                "GSI1SK": f"{now.isoformat()}#{email}",
            }
        )

    def suppressions(
        self, *, detail: bool = False, newest: int | None = None
    ) -> list[dict[str, str]]:
        """Every suppressed address, oldest first, with why and when (and, with `detail`,
        what SES said: the bounce's diagnostic, the complaint's feedback type); with
        `newest`, only that many, newest first (a Query that stops there)."""
        found = (
            self.table.query(keys.SUPPRESSED, index="GSI1")
            if newest is None
            else self.table.query(keys.SUPPRESSED, index="GSI1", forward=False, limit=newest)
        )
        return [
            {"email": i.get("email", ""), "reason": i.get("reason", ""), "at": i.get("at", "")}
            | ({"detail": i.get("detail", "")} if detail else {})
            for i in found
        ]

    def suppression(self, email: str) -> dict[str, str] | None:
        """The address's suppression (reason, at, detail), if it is suppressed."""
        item = self.table.get(keys.suppressed(member_id(email)), consistent=True)
        if item is None:
            return None
        return {f: str(item.get(f, "")) for f in ("email", "reason", "at", "detail")}

    def unsuppress(self, email: str, at: str) -> bool:
        """Emails may go to `email` again: its suppression deleted, if it is still the
        one that began `at` (False otherwise: it bounced or complained again since, or
        was lifted already; nothing deleted)."""
        try:
            self.table.delete(
                keys.suppressed(member_id(email)),
                condition="#at = :at",
                values={":at": at},
                names={"#at": "at"},
            )
        except ConditionFailed:
            return False
        return True

    def save(self, members: Iterable[Member], now: datetime | None = None) -> int:
        """Whole profiles, put. With `now`, an inactive member's profile expires
        RetentionMonths later (TTL); an active one's put drops any expiry."""
        expires = expires_at(now, self.table.retention_months) if now else None
        return self.table.put_many(member_item(m, expires) for m in members)

    def directory(self) -> Directory | None:
        """One Query: the head (zones, roles) and the pages of its version. A large
        directory takes several requests; if an import replaced it in between, the old
        pages not yet read are gone: the count the head gives says so, and it is read
        again."""
        for _ in range(5):
            items = list(self.table.query(keys.ORG, prefix=keys.DIRECTORY_PREFIX))
            head = next((i for i in items if i["SK"] == keys.DIRECTORY["SK"]), None)
            if head is None:
                return None
            page_prefix = f"{keys.DIRECTORY_PREFIX}#{head.get('version')}#"
            pages = [i for i in items if i["SK"].startswith(page_prefix)]
            if len(pages) == int(head.get("pages", len(pages))):
                return directory_from(head, pages)
        raise RuntimeError("the directory kept changing while it was read")

    def save_directory(self, directory: Directory) -> None:
        """The pages of a new version first, then the head that points at them, then the
        old pages: a reader sees the old directory or the new one, never a mix."""
        self.switch_directory(self.stage_directory(directory))

    def switch_directory(self, head: Item) -> None:
        """Readers to the directory version `head` names (its pages staged), then the
        pages of every other version deleted."""
        self.table.put(head)
        self.delete_directory_pages(but=str(head["version"]))

    def stage_directory(self, directory: Directory) -> Item:
        """The pages of a new version of the directory, and the head that will name them
        (put when the roster that makes it switches: store/roster_apply.py)."""
        head, *pages = directory_items(directory, uuid.uuid4().hex[:16])
        self.table.put_many(pages)
        return head

    def delete_directory_pages(self, *, of: str | None = None, but: str | None = None) -> None:
        """The pages `of` one version (an abandoned apply's), or `but` one (the old pages,
        once the head names the new version)."""
        prefix = f"{keys.DIRECTORY_PREFIX}#{of}#" if of else f"{keys.DIRECTORY_PREFIX}#"
        kept = f"{keys.DIRECTORY_PREFIX}#{but}#" if but else None
        self.table.delete_many(
            {"PK": i["PK"], "SK": i["SK"]}
            for i in self.table.query(keys.ORG, prefix=prefix, attributes=("PK", "SK"))
            if kept is None or not i["SK"].startswith(kept)
        )

    def profiles(self) -> dict[str, Item]:
        """Everyone ever imported, active or not, by email: their profile items as readers
        see them (what a roster is compared with)."""
        partitions = [*(r.value for r in Role), keys.INACTIVE]
        version = RosterVersion(self.table)
        return {
            str(i["email"]): i
            for p in partitions
            for i in visible_profiles(
                self.table.query(keys.roster_partition(p), index="GSI1"), version
            )
        }

    @staticmethod
    def _listed(items: Iterable[Item], table: Table | RosterVersion) -> Iterator[Member]:
        return (member_from(i) for i in visible_profiles(items, table))


def _listing(part: str) -> tuple[str, str]:
    """The index and partition that list a part's members, by timezone."""
    kind, _, name = part.partition(":")
    if kind == "role":
        return "GSI1", keys.roster_partition(name)
    if kind == "circle":
        return "GSI2", keys.circle_partition(name)
    return "GSI3", keys.team_partition(name)


def recipient_keys(member_id: str) -> list[dict[str, str]]:
    """What a prompt's sender needs of a member, to read beside the send record (a
    BatchGetItem): profile, preferences, suppression. Scores and streaks are the digest's."""
    return [keys.member(member_id), keys.prefs(member_id), keys.suppressed(member_id)]


def ranked(score: Item | None) -> tuple[int, int]:
    """A SCORE item's place and count (store/scores.py rank_members); (0, 0): not yet."""
    return int((score or {}).get("rank", 0)), int((score or {}).get("ranked_of", 0))


def recipient_from(items: Mapping[str, Item], table: Table) -> Recipient | None:
    """A member's state from their partition's items, by sort key (None: not a member)."""
    member = profile_member(items.get(keys.PROFILE), table)
    if member is None:
        return None
    prefs = items.get("PREFS", {})
    return Recipient(
        member=member,
        subscription=Subscription(prefs.get("subscription", Subscription.ALL.value)),
        suppressed="SUPPRESSED" in items,
        points=items.get("SCORE", {}).get("points", 0),
        rank=ranked(items.get("SCORE")),
        streak=items.get("STREAK"),
        absences=absences_from(prefs.get("absences", ())),
        absences_revision=int(prefs.get("absences_revision", 0)),
    )


def directory_fields(directory: Directory) -> dict[str, Any]:
    def groups(entries: dict[str, Group]) -> dict[str, Any]:
        return {k: {"name": g.name, "zones": dict(g.zones)} for k, g in entries.items()}

    return {
        "circles": groups(directory.circles),
        "teams": groups(directory.teams),
        "zones": dict(directory.zones),
        "roles": {role: dict(zones) for role, zones in directory.roles.items()},
    }


def directory_items(directory: Directory, version: str) -> list[dict[str, Any]]:
    """The directory as items under DynamoDB's 400 KB limit: a head with the zones and
    roles, and pages of circles and teams (20,000 members can make thousands of them)."""
    fields = directory_fields(directory)
    pages: list[dict[str, dict[str, Any]]] = []
    size = PAGE_BYTES
    for kind in ("circles", "teams"):
        for key, entry in fields[kind].items():
            cost = len(json.dumps([key, entry], ensure_ascii=False).encode()) + 16
            if size + cost > PAGE_BYTES:
                pages.append({"circles": {}, "teams": {}})
                size = 0
            pages[-1][kind][key] = entry
            size += cost
    head = {
        **keys.DIRECTORY,
        "type": "directory",
        "version": version,
        "pages": len(pages),
        "zones": fields["zones"],
        "roles": fields["roles"],
    }
    return [
        head,
        *(
            {**keys.directory_page(version, n), "type": "directory-page", **page}
            for n, page in enumerate(pages)
        ),
    ]


def directory_from(head: Item, pages: Iterable[Item] = ()) -> Directory:
    def groups(entries: dict[str, Any]) -> dict[str, Group]:
        return {k: Group(v["name"], Counter(v["zones"])) for k, v in entries.items()}

    # A head written before pages existed holds its circles and teams itself.
    circles, teams = dict(head.get("circles", {})), dict(head.get("teams", {}))
    for page in pages:
        circles.update(page.get("circles", {}))
        teams.update(page.get("teams", {}))
    return Directory(
        circles=groups(circles),
        teams=groups(teams),
        zones=Counter(head.get("zones", {})),
        roles={role: Counter(zones) for role, zones in head.get("roles", {}).items()},
    )
