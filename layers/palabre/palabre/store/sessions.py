"""A live session's own items in its theme's partition: the send records of its reminders
and attendance lists (LIVE#<job>#<member>, and a reminder's #<sequence> after it once the
session changed), and the attendance an animator ticks on the responses (RSVP#<member>:
`attended`, owned by the attendance page).

Attendance earns what an answer earns, through the score stream: each tick or untick is
a new revision (`attended_rev`), written once over the revision read, and the stream
counts each revision once (`attended#<theme>#<member>#<rev>`); an untick withdraws what
the tick before it gave (`attended_points`, `attended_answers`, kept on the item). The
member's send record carries `attended` too, where the streak reads its prompts."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from palabre.core.jobs import SkipReason
from palabre.core.models import Rsvp, Theme
from palabre.core.retention import expires_at
from palabre.observability import logger
from palabre.store import keys
from palabre.store.members import Recipient, recipient_from, recipient_keys
from palabre.store.rsvps import rsvp_from
from palabre.store.table import ConditionFailed, Item, Table, TransactionCancelled, Update
from palabre.store.themes import theme_from


@dataclass(frozen=True)
class SessionJobState:
    """What a live session's email reads first, in one consistent request."""

    theme: Theme | None
    recipient: Recipient | None
    rsvp: Rsvp | None
    record: Item | None
    """the email's own send record, if a delivery wrote it already"""


@dataclass(frozen=True)
class Invitee:
    """Someone the session's prompt went to, as the attendance page lists them."""

    member_id: str
    first_name: str
    last_name: str
    email: str
    circle: str
    team: str
    rsvp: Rsvp | None
    answered: bool
    revision: int = 0
    """of the attendance, as read: a tick is written over it"""
    walk_in: bool = False
    """came without answering the invitation, added by their address"""

    @property
    def attended(self) -> bool:
        return self.rsvp is not None and self.rsvp.attended

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email


class SessionStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # ------------------------------------------------------------------ sending
    def job_state(
        self, theme_id: str, job: str, member_id: str, sequence: int = 0
    ) -> SessionJobState:
        """The theme is read with the rest, never from a container's cache: a session
        moved since the job was queued must be seen moved (its sequence)."""
        record = keys.live_send(theme_id, job, member_id, sequence)
        rsvp = keys.rsvp(theme_id, member_id)
        wanted = [record, rsvp, keys.theme(theme_id), *recipient_keys(member_id)]
        found = {(i["PK"], i["SK"]): i for i in self.table.get_many(wanted, consistent=True)}
        theme = found.get((keys.theme_partition(theme_id), "THEME"))
        partition = keys.member_partition(member_id)
        response = found.get((rsvp["PK"], rsvp["SK"]))
        return SessionJobState(
            theme=theme_from(theme) if theme is not None else None,
            recipient=recipient_from(
                {sk: i for (pk, sk), i in found.items() if pk == partition}, self.table
            ),
            rsvp=rsvp_from(response) if response else None,
            record=found.get((record["PK"], record["SK"])),
        )

    def sent(
        self, theme_id: str, job: str, member_id: str, sequence: int, now: datetime, ses_id: str
    ) -> None:
        self._record(
            theme_id,
            job,
            member_id,
            sequence,
            now,
            {"status": "sent", "ses_message_id": ses_id},
        )

    def skipped(
        self,
        theme_id: str,
        job: str,
        member_id: str,
        sequence: int,
        now: datetime,
        reason: SkipReason,
    ) -> None:
        self._record(
            theme_id,
            job,
            member_id,
            sequence,
            now,
            {"status": "skipped", "skip_reason": reason.value},
        )

    def _record(
        self,
        theme_id: str,
        job: str,
        member_id: str,
        sequence: int,
        now: datetime,
        fields: dict[str, str],
    ) -> None:
        try:
            self.table.put(
                {
                    **keys.live_send(theme_id, job, member_id, sequence),
                    "type": "live-send",
                    "theme_id": theme_id,
                    "member_id": member_id,
                    "job": job,
                    "sequence": sequence,
                    "at": now.isoformat(),
                    **fields,
                    "expires_at": expires_at(now, self.table.retention_months),
                },
                condition="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            # Two deliveries of the same job ran at once and both got this far.
            logger.warning(
                "live send record already written",
                extra={"theme": theme_id, "job": job, "member": member_id},
            )

    # ------------------------------------------------------------------ attendance
    def invitees(self, theme_id: str) -> list[Invitee]:
        """Everyone the session's prompt went to, with their response and whether they
        answered it: one Query of the theme's partition."""
        prompts: dict[str, Item] = {}
        rsvps: dict[str, Item] = {}
        answered: set[str] = set()
        for item in self.table.query(keys.theme_partition(theme_id)):
            sort_key = item["SK"]
            if sort_key.startswith(keys.PROMPTS) and item.get("status") == "sent":
                prompts[item["member_id"]] = item
            elif sort_key.startswith(keys.RSVPS):
                rsvps[sort_key.removeprefix(keys.RSVPS)] = item
            elif sort_key.startswith(keys.ANSWERS):
                answered.add(sort_key.removeprefix(keys.ANSWERS))
        return [
            Invitee(
                member_id=member,
                first_name=str(p.get("first_name", "")),
                last_name=str(rsvps.get(member, {}).get("last_name", "")),
                email=str(p.get("email", "")),
                circle=str(p.get("circle", "")),
                team=str(p.get("team", "")),
                rsvp=rsvp_from(rsvps[member]) if member in rsvps else None,
                answered=member in answered,
                revision=int(rsvps.get(member, {}).get("attended_rev", 0)),
                walk_in=bool(rsvps.get(member, {}).get("walk_in", False)),
            )
            for member, p in prompts.items()
        ]

    def mark(self, theme: Theme, invitee: Invitee, present: bool, now: datetime) -> bool:
        """Ticks (or unticks) one invitee present, over the revision read; False when
        nothing changed (already so, or changed meanwhile by another animator)."""
        if invitee.attended == present:
            return False
        rsvp, seen = invitee.rsvp, invitee.revision
        values: dict[str, Any] = {
            ":present": present,
            ":rev": seen + 1,
            ":now": now.isoformat(),
            # Names, kept as long as the send records beside them: a walk-in's response is
            # created here, and every tick counts from its own time.
            ":expires": expires_at(now, self.table.retention_months),
        }
        expression = (
            "SET attended = :present, attended_rev = :rev, attended_at = :now, "
            "expires_at = :expires"
        )
        if present:
            # What this tick earns, kept so that an untick withdraws exactly as much:
            # nothing more for one who answered the theme as well (counted once).
            values |= {
                ":points": 0 if invitee.answered else theme.points,
                ":answers": 0 if invitee.answered else 1,
                ":circle": invitee.circle,
                ":team": invitee.team,
            }
            expression += (
                ", attended_points = :points, attended_answers = :answers, "
                "attended_circle = :circle, attended_team = :team"
            )
        if rsvp is None:
            # Came without answering the invitation: the response stays unset in spirit,
            # "no" in the item (never reminded, never counted as coming).
            values |= {
                ":theme": theme.id,
                ":member": invitee.member_id,
                ":response": "no",
                ":first": invitee.first_name,
                ":last": invitee.last_name,
                ":walk_in": True,
            }
            expression += (
                ", theme_id = :theme, member_id = :member, #response = :response, #at = :now, "
                "first_name = :first, last_name = :last, walk_in = :walk_in"
            )
            condition = "attribute_not_exists(PK)"
        elif seen:
            values[":seen"] = seen
            condition = "attended_rev = :seen"
        else:
            condition = "attribute_exists(PK) AND attribute_not_exists(attended_rev)"
        try:
            self.table.transact(
                [
                    Update(
                        keys.rsvp(theme.id, invitee.member_id),
                        expression,
                        values,
                        names={"#at": "at", "#response": "response"} if rsvp is None else None,
                        condition=condition,
                    ),
                    # The streak reads the member's prompts: attended counts as answered.
                    Update(
                        keys.prompt(theme.id, invitee.member_id),
                        "SET attended = :present",
                        {":present": present},
                        condition="attribute_exists(PK)",
                    ),
                ]
            )
        except TransactionCancelled:
            return False
        return True
