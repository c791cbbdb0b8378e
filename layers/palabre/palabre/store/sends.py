"""Send records: that an email went out (or was skipped, and why), written once with a
condition after SES accepted it, so that a redelivered job finds it and sends nothing.

A prompt's record (PROMPT#<member> in the theme's partition) also carries what the answer
page needs about the member, its reminder and the member's streak index (GSI1).
"""

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from palabre.core.absences import Absence, away_on
from palabre.core.jobs import SkipReason
from palabre.core.models import Member, Prompt, Theme, group_key
from palabre.core.retention import expires_at
from palabre.core.streaks import PromptFact, StreakState
from palabre.observability import logger
from palabre.store import keys
from palabre.store.members import Recipient, recipient_from, recipient_keys
from palabre.store.table import ConditionFailed, Item, Table
from palabre.store.tallies import Kind
from palabre.store.themes import theme_from

_SILENT_ATTRIBUTES = ("GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")


def silent_keys(
    theme_id: str, circle: str, team: str, first_name: str, email: str
) -> dict[str, str]:
    """A prompt's place among its theme's silent ones (sparse: removed once answered),
    ordered as the dashboard lists them; by team in GSI3, to list one team's."""
    by_circle = (group_key(circle), group_key(first_name), email)
    return {
        "GSI2PK": keys.silent_partition(theme_id),
        "GSI2SK": keys.silent_sort(*by_circle),
        "GSI3PK": keys.silent_partition(theme_id),
        "GSI3SK": keys.silent_sort(group_key(team), *by_circle),
    }


@dataclass(frozen=True)
class PromptState:
    """What a theme job's delivery reads first, in one consistent request."""

    theme: Theme | None
    prompt: Prompt | None
    answered: bool
    recipient: Recipient | None
    """the member as the sender sees them (None: not in the roster)"""


class SendRecords:
    def __init__(self, table: Table) -> None:
        self.table = table
        self._themes: dict[str, Theme] = {}
        """themes read once per container: every job of a theme reads the same one"""

    # ------------------------------------------------------------------ prompts
    def prompt_state(self, theme_id: str, member_id: str, *, with_answer: bool) -> PromptState:
        """Theme (cached), send record, answer and the member's state in one strongly
        consistent BatchGetItem: a send record written a moment ago by another delivery
        must be seen, and a job costs one read."""
        prompt, answer = keys.prompt(theme_id, member_id), keys.answer(theme_id, member_id)
        wanted = [prompt, *recipient_keys(member_id)]
        if with_answer:
            wanted.append(answer)
        if theme_id not in self._themes:
            wanted.append(keys.theme(theme_id))
        found = {(i["PK"], i["SK"]): i for i in self.table.get_many(wanted, consistent=True)}
        theme = found.get((keys.theme_partition(theme_id), "THEME"))
        if theme is not None:
            self._themes[theme_id] = theme_from(theme)
        record = found.get((prompt["PK"], prompt["SK"]))
        partition = keys.member_partition(member_id)
        return PromptState(
            theme=self._themes.get(theme_id),
            prompt=Prompt.model_validate(record) if record else None,
            answered=(answer["PK"], answer["SK"]) in found,
            recipient=recipient_from(
                {sk: i for (pk, sk), i in found.items() if pk == partition}, self.table
            ),
        )

    def prompt_sent(
        self,
        theme_id: str,
        member: Member,
        *,
        now: datetime,
        deadline: datetime,
        message_id: str,
        ses_message_id: str,
        sequence: int = 0,
    ) -> None:
        self._record(
            theme_id,
            member.id,
            {
                "status": "sent",
                "at": now.isoformat(),
                "sent_at": now.isoformat(),
                "deadline": deadline.isoformat(),
                "message_id": message_id,
                "ses_message_id": ses_message_id,
                # a live session's .ics SEQUENCE (dispatch/notices.py): absent while 0
                "notified_sequence": sequence or None,
                # What the answer page needs, so that it reads one item, not three.
                "first_name": member.first_name,
                "email": member.email,
                "locale": member.locale,
                "timezone": member.timezone,
                "circle": member.circle,
                "team": member.team,
                "GSI1PK": keys.member_partition(member.id),
                "GSI1SK": keys.prompt_in_history(now.isoformat(), theme_id),
                **silent_keys(
                    theme_id, member.circle, member.team, member.first_name, member.email
                ),
            },
        )

    def prompt_skipped(
        self, theme_id: str, member_id: str, reason: SkipReason, now: datetime
    ) -> None:
        self._record(
            theme_id, member_id, {"status": "skipped", "skip_reason": reason, "at": now.isoformat()}
        )

    def _record(self, theme_id: str, member_id: str, fields: dict[str, Any]) -> None:
        item = {
            **keys.prompt(theme_id, member_id),
            "type": "prompt",
            "theme_id": theme_id,
            "member_id": member_id,
            **fields,
            "expires_at": expires_at(
                datetime.fromisoformat(fields["at"]), self.table.retention_months
            ),
        }
        try:
            self.table.put(item, condition="attribute_not_exists(PK)")
        except ConditionFailed:
            # Two deliveries of the same job ran at once and both reached SES.
            logger.warning(
                "send record already written", extra={"theme": theme_id, "member": member_id}
            )

    # ------------------------------------------------------------------ silent ones
    def silent(
        self, theme_id: str, limit: int, within: tuple[Kind, str] | None = None
    ) -> list[Item]:
        """The theme's prompts sent and not answered yet, by circle, first name and
        address (`within` one circle or team, by its folded name): one Query of the
        sparse index the score stream keeps (`answered`), `limit` at most."""
        index, prefix = "GSI2", None
        if within is not None:
            index = "GSI2" if within[0] == "circle" else "GSI3"
            prefix = keys.silent_prefix(within[1])
        found = self.table.query(
            keys.silent_partition(theme_id), index=index, prefix=prefix, limit=limit
        )
        if within is None:
            return list(found)
        kind, key = within
        return [i for i in found if group_key(str(i.get(kind, ""))) == key]

    def settle_silence(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Puts each (theme, member)'s prompt among its theme's silent ones, or takes it
        out, from what is there now — silent while sent, not answered and not ticked
        present (the send record carries `attended`) — so that a batch replayed late or
        out of order (a parked one retried) leaves it right. The score stream calls it
        once it has counted answers or attendances. One strongly consistent read of the
        prompts and answers (a hundred keys a request); a write only where a place
        changes. Returns the writes."""
        wanted = sorted(set(pairs))
        found = {
            (i["PK"], i["SK"]): i
            for i in self.table.get_many(
                (k for t, m in wanted for k in (keys.prompt(t, m), keys.answer(t, m))),
                consistent=True,
            )
        }
        written = 0
        for theme_id, member_id in wanted:
            prompt, answer = keys.prompt(theme_id, member_id), keys.answer(theme_id, member_id)
            record = found.get((prompt["PK"], prompt["SK"]))
            if record is None or record.get("status") != "sent":
                continue  # none (erased), or skipped: never silent
            answered = (answer["PK"], answer["SK"]) in found
            written += self._place(record, not answered and record.get("attended") is not True)
        return written

    def place_silent(self, theme_id: str) -> int:
        """Puts every prompt of a theme in its place among the silent ones, from one
        Query of its partition: for a theme sent before the index was kept (`palabre
        tally rebuild`, once, after deploying it). The prompts the Query finds out of
        place are settled from a read of their own (`settle_silence`): a member who
        answers while this runs is not put back. Returns the prompts written."""
        prompts, answered = self.of_theme(theme_id)
        return sum(
            self.settle_silence([(theme_id, p["member_id"])])  # read just before its write
            for p in prompts
            if (p["member_id"] not in answered) != ("GSI2PK" in p)
        )

    def _place(self, record: Item, silent: bool) -> bool:
        if silent == ("GSI2PK" in record):
            return False
        key = {"PK": record["PK"], "SK": record["SK"]}
        with contextlib.suppress(ConditionFailed):  # erased meanwhile
            if silent:
                back = silent_keys(
                    str(record["theme_id"]),
                    str(record.get("circle", "")),
                    str(record.get("team", "")),
                    str(record.get("first_name", "")),
                    str(record.get("email", "")),
                )
                self.table.update(
                    key,
                    "SET " + ", ".join(f"{a} = :{a}" for a in back),
                    {**{f":{a}": v for a, v in back.items()}, ":present": True},
                    condition="attribute_exists(PK) AND NOT attended = :present",
                )
            else:
                self.table.update(
                    key,
                    "REMOVE " + ", ".join(_SILENT_ATTRIBUTES),
                    condition="attribute_exists(PK)",
                )
            return True
        return False

    def any_sent(self, theme_id: str) -> bool:
        """Whether any prompt of the theme went out (skipped ones do not count): a Query of
        its send records that stops at the first sent one."""
        records = self.table.query(keys.theme_partition(theme_id), prefix=keys.PROMPTS)
        return any(record.get("status") == "sent" for record in records)

    def of_theme(self, theme_id: str) -> tuple[list[Item], set[str]]:
        """The theme's prompts sent (skipped ones left out), and who answered it (or, for a
        live session, was ticked present): one Query of its partition."""
        sent: list[Item] = []
        answered: set[str] = set()
        for item in self.table.query(keys.theme_partition(theme_id)):
            if item["SK"].startswith(keys.PROMPTS) and item.get("status") == "sent":
                sent.append(item)
            elif item["SK"].startswith(keys.ANSWERS):
                answered.add(item["SK"].removeprefix(keys.ANSWERS))
            elif item["SK"].startswith(keys.RSVPS) and item.get("attended") is True:
                # attending a live session is answering it (store/sessions.py)
                answered.add(item["SK"].removeprefix(keys.RSVPS))
        return sent, answered

    # ------------------------------------------------------------------ reminders
    def reminded(self, theme_id: str, member_id: str, now: datetime, ses_message_id: str) -> None:
        try:
            self.table.update(
                keys.prompt(theme_id, member_id),
                "SET reminded_at = :now, reminder_ses_message_id = :ses",
                {":now": now.isoformat(), ":ses": ses_message_id},
                condition="attribute_not_exists(reminded_at)",
            )
        except ConditionFailed:
            logger.warning(
                "reminder raced with another delivery",
                extra={"theme": theme_id, "member": member_id},
            )

    def reminder_skipped(
        self, theme_id: str, member_id: str, reason: SkipReason, now: datetime
    ) -> None:
        """On the send record, so that the skip is visible and a redelivery stops early."""
        try:
            self.table.update(
                keys.prompt(theme_id, member_id),
                "SET reminder_skipped = :reason, reminder_skipped_at = :now",
                {":reason": reason.value, ":now": now.isoformat()},
                condition="attribute_exists(PK) AND attribute_not_exists(reminded_at)",
            )
        except ConditionFailed:
            logger.warning(
                "reminder sent by another delivery",
                extra={"theme": theme_id, "member": member_id},
            )

    # ------------------------------------------------------------------ weekly emails
    def weekly_sent(self, week: str, kind: str, member_id: str) -> bool:
        return (
            self.table.get(keys.digest_record(week, kind, member_id), consistent=True) is not None
        )

    def record_weekly(
        self,
        week: str,
        kind: str,
        member_id: str,
        now: datetime,
        *,
        ses_message_id: str = "",
        skipped: SkipReason | None = None,
    ) -> None:
        key = keys.digest_record(week, kind, member_id)
        fields = (
            {"status": "skipped", "skip_reason": skipped.value}
            if skipped
            else {"status": "sent", "ses_message_id": ses_message_id}
        )
        try:
            self.table.put(
                {
                    **key,
                    "type": "weekly",
                    "at": now.isoformat(),
                    **fields,
                    "expires_at": expires_at(now, self.table.retention_months),
                },
                condition="attribute_not_exists(PK)",
            )
        except ConditionFailed:
            logger.warning("weekly send record already written", extra=key)

    def weekly_queued(self, week: str, role: str) -> bool:
        """Whether the week's weekly emails to one role's members are queued already: a
        retried digest run does not queue them again."""
        return self.table.get(keys.digest_queued(week, role), consistent=True) is not None

    def mark_weekly_queued(self, week: str, role: str, jobs: int) -> None:
        self.table.put({**keys.digest_queued(week, role), "type": "digest-queued", "jobs": jobs})

    # ------------------------------------------------------------------ streaks
    def prompts_since(
        self, member_id: str, state: StreakState, absences: Sequence[Absence] = ()
    ) -> list[PromptFact]:
        """The prompts sent to the member after the last settled one, with whether each
        was answered: a streak costs what is new since, not the member's whole history."""
        low = state.through or keys.PROMPT_HISTORY
        prompts = [
            p
            for p in self.table.query(
                keys.member_partition(member_id),
                index="GSI1",
                between=(low, keys.PROMPT_HISTORY_END),
            )
            if p["GSI1SK"] != state.through and p.get("status") == "sent"
        ]
        answered = {
            i["theme_id"]
            for i in self.table.get_many([keys.answer(p["theme_id"], member_id) for p in prompts])
        }
        return [
            prompt_fact(
                p["theme_id"],
                datetime.fromisoformat(p["sent_at"]),
                datetime.fromisoformat(p["deadline"]),
                p.get("timezone", "UTC"),
                # a live session's attendance counts as its answer (store/sessions.py)
                answered=p["theme_id"] in answered or p.get("attended") is True,
                absences=absences,
            )
            for p in prompts
        ]

    def settle_streak(self, member_id: str, state: StreakState) -> None:
        self.table.put(
            {
                **keys.streak(member_id),
                "type": "streak",
                "streak": state.streak,
                "through": state.through,
                "best": state.best,
                "joker_quarter": state.joker_quarter,
                "joker_at": state.joker_at,
            }
        )


def prompt_fact(
    theme_id: str,
    sent_at: datetime,
    deadline: datetime,
    timezone: str,
    *,
    answered: bool,
    absences: Sequence[Absence],
) -> PromptFact:
    """What the streak needs of a prompt: its local send day tells its quarter, and
    whether the member declared themself away that day."""
    sent_on = sent_at.astimezone(ZoneInfo(timezone)).date()
    return PromptFact(
        theme_id,
        sent_at,
        deadline,
        answered,
        sent_on=sent_on,
        excused=away_on(absences, sent_on),
    )


def streak_state(item: Item | None) -> StreakState:
    """The stored state; one written before best and jokers existed reads as no joker
    used and a best of its current streak."""
    if not item:
        return StreakState()
    streak = int(item["streak"])
    return StreakState(
        streak=streak,
        through=item["through"],
        best=max(int(item.get("best", 0)), streak),
        joker_quarter=item.get("joker_quarter", ""),
        joker_at=item.get("joker_at", ""),
    )
