"""Importing a roster or calendar: validate everything, then write all of it or nothing."""

import gettext
import hashlib
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from palabre.core.directory import Directory
from palabre.core.i18n import N_, Dated
from palabre.core.local_time import (
    WORK_WEEK,
    earliest_send,
    session_start,
)
from palabre.core.models import Locale, Member, Theme, ThemeKind, member_id
from palabre.core.retention import TTL_ATTRIBUTE, expires_at
from palabre.imports.arrivals import LateArrivals
from palabre.imports.calendar import CalendarContext, validate_calendar
from palabre.imports.chunks import ChunkQueue, RosterApply
from palabre.imports.columns import SPECS
from palabre.imports.report import (
    CHANGES_KEPT,
    Change,
    Changes,
    ImportReport,
    Issue,
    Kind,
    Rejected,
    Status,
    report_errors,
)
from palabre.imports.roster import OrgDefaults, validate_roster
from palabre.imports.tabular import LIMITS, Refused, RowStream, read_rows, read_sheet
from palabre.queue import JobQueue
from palabre.store.dispatch import DispatchStore
from palabre.store.locks import ImportBusy, ImportLock, Superseded
from palabre.store.members import MemberStore, directory_fields, member_from, member_item
from palabre.store.privacy import PrivacyStore
from palabre.store.roster_apply import Change as RosterChange
from palabre.store.rsvps import RsvpStore
from palabre.store.sends import SendRecords
from palabre.store.table import Item, Table
from palabre.store.themes import ThemeStore

__all__ = ["Guards", "ImportBusy", "Importer", "Organisation", "Superseded", "validate_file"]


@dataclass(frozen=True)
class Organisation:
    name: str
    timezone: str
    locale: Locale
    work_week: frozenset[int] = WORK_WEEK
    """the days reminders may fall on (core.local_time.working_days)"""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def defaults(self) -> OrgDefaults:
        return OrgDefaults(locale=self.locale, timezone=self.timezone)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()


@dataclass(frozen=True)
class Checked:
    rows: int
    issues: list[Issue]
    members: list[Member] = field(default_factory=list)
    """a valid roster's members"""
    themes: list[Theme] = field(default_factory=list)
    """a valid calendar's themes"""
    row_of: dict[str, int] = field(default_factory=dict)
    """a valid roster's row of each address; a valid calendar's row of each theme id"""
    capacity_column: str = "capacity"
    """the calendar's capacity column, as the file writes it"""
    email_column: str = "email"
    """the roster's address column, as the file writes it"""
    headers: dict[str, str] = field(default_factory=dict)
    """each column's name as the file writes it"""

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


def check(
    kind: Kind,
    filename: str,
    data: bytes,
    org: Organisation,
    calendar_context: Callable[[], CalendarContext],
) -> Checked:
    """Read and validate a whole file; nothing is written."""
    try:
        if kind == "roster":
            # Read and validated row by row, in one pass (docs/files.md#limits).
            rows = read_rows(filename, data, SPECS[kind], LIMITS[kind])
            members, issues, row_of = validate_roster(rows, org.defaults)
            if isinstance(rows, RowStream):
                rows.finish()
            count = rows.count if isinstance(rows, RowStream) else len(rows.rows)
            return Checked(
                count,
                issues,
                members=members,
                row_of=row_of,
                email_column=rows.header("email"),
                headers=dict(rows.columns),
            )
        sheet = read_sheet(filename, data, SPECS[kind], LIMITS[kind])
    except Rejected as rejected:
        rows_read = rejected.rows if isinstance(rejected, Refused) else 0
        return Checked(rows_read, rejected.issues)
    themes, issues = validate_calendar(sheet, calendar_context())
    return Checked(
        len(sheet.rows),
        issues,
        themes=themes,
        # A valid calendar has one theme per row, in order.
        row_of={t.id: row.number for t, row in zip(themes, sheet.rows, strict=False)},
        capacity_column=sheet.header("capacity"),
        headers=dict(sheet.columns),
    )


def validate_file(
    kind: Kind,
    filename: str,
    data: bytes,
    org: Organisation,
    *,
    today: date,
    translations: gettext.NullTranslations,
    directory: Directory | None = None,
) -> tuple[ImportReport, list[Member] | list[Theme]]:
    """Offline check (`palabre validate`): nothing is read from or written to AWS."""
    checked = check(
        kind,
        filename,
        data,
        org,
        lambda: CalendarContext(org.zone, today, directory, {}, org.locale),
    )
    if checked.issues:
        return ImportReport.rejected(kind, checked.rows, checked.issues, translations), []
    parsed = checked.members if kind == "roster" else checked.themes
    return ImportReport(ok=True, kind=kind, rows=checked.rows, status="previewed"), parsed


@dataclass(frozen=True)
class Guards:
    """What a file dropped in the bucket may not do without a confirmation."""

    max_deactivation: int = 20
    """percent of the active members a roster may deactivate (MaxDeactivation)"""
    max_cancellations: int = 2
    """scheduled themes a calendar may cancel"""


NAMES_IN_GUARD = 10


@dataclass(frozen=True)
class RosterPlan:
    """What a valid roster changes: computed from the stored roster, written apart."""

    checked: Checked
    existing: dict[str, Member]
    stored: dict[str, Item]
    """each member's profile item as stored (its TTL is kept when it changes)"""
    incoming: list[Member]
    created: list[Member]
    updated: list[Member]
    leaving: list[Member]
    skipped: list[Issue]
    guard: list[Issue]
    kind: Kind = "roster"
    warnings: tuple[Issue, ...] = ()

    def counts(self) -> dict[str, int]:
        return _counts(self.incoming, self.created, self.updated, self.leaving)

    def confirms(self) -> str:
        return _digest(m.email for m in self.leaving)

    def changes(self) -> Changes:
        def change(m: Member, fields: list[str] | None = None) -> Change:
            return Change(name=m.display_name, detail=m.email, fields=fields or [])

        column = self.checked.header
        return Changes(
            created=[change(m) for m in self.created[:CHANGES_KEPT]],
            updated=[
                change(m, [column(f) for f in _changed(self.existing[m.email], m, MEMBER_FIELDS)])
                for m in self.updated[:CHANGES_KEPT]
            ],
            removed=[change(m) for m in _by_name(self.leaving)[:CHANGES_KEPT]],
        )


@dataclass(frozen=True)
class CalendarPlan:
    """What a valid calendar changes: computed from the stored calendar, written apart."""

    checked: Checked
    existing: dict[str, Theme]
    incoming: list[Theme]
    created: list[Theme]
    updated: list[Theme]
    cancelled: list[Theme]
    warnings: list[Issue]
    guard: list[Issue]
    kind: Kind = "calendar"
    skipped: tuple[Issue, ...] = ()

    def counts(self) -> dict[str, int]:
        return _counts(self.incoming, self.created, self.updated, self.cancelled)

    def confirms(self) -> str:
        return _digest(t.id for t in self.cancelled)

    def changes(self) -> Changes:
        def change(t: Theme, fields: list[str] | None = None) -> Change:
            before = self.existing.get(t.id)
            return Change(
                name=t.title,
                detail=t.send_on.isoformat(),
                fields=fields or [],
                live=t.kind is ThemeKind.LIVE,
                sent=before is not None and t.sequence > before.sequence and not t.active,
            )

        column = self.checked.header
        return Changes(
            created=[change(t) for t in _by_date(self.created)[:CHANGES_KEPT]],
            updated=[
                change(t, [column(f) for f in _changed(self.existing[t.id], t, THEME_FIELDS)])
                for t in _by_date(self.updated)[:CHANGES_KEPT]
            ],
            removed=[change(t) for t in _by_date(self.cancelled)[:CHANGES_KEPT]],
        )


MEMBER_FIELDS = (
    "first_name",
    "last_name",
    "circle",
    "team",
    "locale",
    "timezone",
    "role",
    "active",
)
THEME_FIELDS = (
    "send_on",
    "send_at",
    "title",
    "prompt",
    "deadline_days",
    "audience",
    "competency",
    "kind",
    "points",
    "starts_at",
    "duration_minutes",
    "location",
    "capacity",
    "translations",
    "active",
)


def _changed[T: (Member, Theme)](before: T, after: T, names: tuple[str, ...]) -> list[str]:
    """The fields an update changes (a theme's as a calendar writes them)."""
    if isinstance(before, Theme) and isinstance(after, Theme):
        old, new = before._as_written(), after._as_written()
    else:
        old, new = before, after
    return [n for n in names if getattr(old, n) != getattr(new, n)]


def _by_name(members: list[Member]) -> list[Member]:
    return sorted(members, key=lambda m: (m.display_name.casefold(), m.email))


def _by_date(themes: list[Theme]) -> list[Theme]:
    return sorted(themes, key=lambda t: (t.send_on, t.send_at, t.id))


def _digest(ids: Iterable[str]) -> str:
    """What the guards weigh in a plan, in a few bytes: an Apply carries it (object
    metadata) to confirm these deactivations or cancellations, and no others."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:32]


def _names(names: Iterable[str]) -> str:
    """Names for one sentence: the first NAMES_IN_GUARD, then how many more."""
    listed = list(names)
    shown = ", ".join(listed[:NAMES_IN_GUARD])
    more = len(listed) - NAMES_IN_GUARD
    return f"{shown} (+{more})" if more > 0 else shown


class Importer:
    def __init__(
        self,
        table: Table,
        org: Organisation,
        queue: JobQueue | None = None,
        chunks: ChunkQueue | None = None,
        guards: Guards | None = None,
    ) -> None:
        self.table = table
        self.members = MemberStore(table)
        self.themes = ThemeStore(table)
        self.dispatch = DispatchStore(table)
        self.records = SendRecords(table)
        self.privacy = PrivacyStore(table)
        self.rsvps = RsvpStore(table)
        self.org = org
        # `queue`: where prompts go for members who join while a theme is open (None:
        # nowhere)
        self.roster_apply = RosterApply(
            table, LateArrivals(table, org.zone, org.work_week, queue), chunks
        )
        """the roster's writes, in chunks (`chunks`: their queue; None: all at once)"""
        self.guards = guards or Guards()

    def run(
        self,
        kind: Kind,
        filename: str,
        data: bytes,
        *,
        now: datetime,
        translations: gettext.NullTranslations,
        uploaded: datetime | None = None,
        preview: bool = False,
        confirmed: bool = False,
        previewed: str | None = None,
    ) -> ImportReport:
        """Validate the whole file first: a rejected file writes nothing, not even a lock.
        `uploaded` (the object's LastModified) orders imports: a file older than the last
        one imported of its kind changes nothing.

        `preview`: only say what the file would change, writing nothing. Otherwise the
        file is applied, unless it deactivates or cancels more than the guards allow and
        is not `confirmed` (all of it: `palabre upload --confirm`), nor `previewed` with
        exactly the deactivations or cancellations it would make now (the report's
        `confirms` of the preview an admin applied): then nothing is written, and the
        report says why, by name."""
        checked = check(kind, filename, data, self.org, lambda: self._calendar_context(now))
        if checked.issues:
            return ImportReport.rejected(kind, checked.rows, checked.issues, translations)
        if kind == "roster" and not any(m.is_admin for m in checked.members):
            # Only an active admin uploads the next file: a roster without one would lock
            # the organisation out of its own roster.
            issue = Issue(
                N_(
                    "The roster names no admin: give at least one row the role admin, or "
                    "no one could upload the next roster or calendar."
                )
            )
            return ImportReport.rejected(kind, checked.rows, [issue], translations)
        try:
            if preview:
                # Nothing is written, so no lock: what it shows is what the file would
                # change now; Apply plans again under the lock.
                plan = self._plan(kind, checked, now)
                return self._report(plan, "previewed", translations)
            with ImportLock(self.table, kind, now, uploaded) as lock:
                plan = self._plan(kind, checked, now)
                if plan.guard and not (confirmed or previewed == plan.confirms()):
                    return self._report(plan, "needs_confirmation", translations)
                # Only a file that will be written settles or abandons the roster apply in
                # flight: one held or refused leaves it to end. Readers saw the same roster
                # before as after (switched: the new one; not: the old one), but the
                # profiles as stored changed: the plan is made again from them.
                if kind == "roster" and self.roster_apply.resolve(now) is not None:
                    plan = self._plan(kind, checked, now)
                    if plan.guard and not (confirmed or previewed == plan.confirms()):
                        return self._report(plan, "needs_confirmation", translations)
                if isinstance(plan, RosterPlan):
                    parts = self._write_roster(plan, now)
                    if parts:
                        plan = replace(plan, warnings=(*plan.warnings, _in_parts(parts)))
                else:
                    self._write_calendar(plan, now)
                lock.applied()
        except NoAdminLeft as left:
            return ImportReport.rejected(
                kind, checked.rows, [left.issue, *left.skipped], translations
            )
        except Superseded as superseded:
            newer = superseded.newer.astimezone(self.org.zone).strftime("%Y-%m-%d %H:%M")
            issue = Issue(
                N_(
                    "A file uploaded later (at %(when)s) has been imported already; this "
                    "older one changes nothing. Upload it again if it is the one to use."
                ),
                params={"when": newer},
            )
            return ImportReport.rejected(kind, checked.rows, [issue], translations)
        return self._report(plan, "applied", translations)

    def _plan(self, kind: Kind, checked: Checked, now: datetime) -> "RosterPlan | CalendarPlan":
        if kind == "roster":
            return self._roster_plan(checked, now)
        return self._calendar_plan(checked, now)

    def _report(
        self,
        plan: "RosterPlan | CalendarPlan",
        status: Status,
        translations: gettext.NullTranslations,
    ) -> ImportReport:
        applied = status == "applied"
        return ImportReport(
            ok=status != "needs_confirmation",
            kind=plan.kind,
            rows=plan.checked.rows,
            status=status,
            skipped=report_errors(plan.skipped, translations),
            warnings=report_errors(plan.warnings, translations),
            changes=plan.changes(),
            guard=[issue.text(translations) for issue in plan.guard if not applied],
            confirms=plan.confirms(),
            **plan.counts(),
        )

    def _calendar_context(self, now: datetime) -> CalendarContext:
        return CalendarContext(
            zone=self.org.zone,
            today=self.org.today(now),
            directory=self.members.directory() or Directory(),
            existing=self.themes.calendar(),
            locale=self.org.locale,
        )

    def _roster_plan(self, checked: Checked, now: datetime) -> "RosterPlan":
        """What the roster would change, read from the roster readers see; nothing is
        written (an apply still in flight is settled or abandoned by `run`, once it knows
        the file will be written: no two applies ever stage at once)."""
        stored = self.members.profiles()
        existing = {email: member_from(item) for email, item in stored.items()}
        skipped = self._erased_rows(checked, existing)
        refused = {str(i.value) for i in skipped}
        incoming = [m for m in checked.members if m.email not in refused]
        if skipped and not any(m.is_admin for m in incoming):
            raise NoAdminLeft(skipped)
        emails = {m.email for m in incoming}
        return RosterPlan(
            checked=checked,
            existing=existing,
            stored=stored,
            incoming=incoming,
            created=[m for m in incoming if m.email not in existing],
            updated=[m for m in incoming if m.email in existing and existing[m.email] != m],
            leaving=[
                m.model_copy(update={"active": False})
                for m in existing.values()
                if m.active and m.email not in emails
            ],
            skipped=skipped,
            guard=self._deactivation_guard(existing, incoming, emails),
        )

    def _deactivation_guard(
        self, existing: dict[str, Member], incoming: list[Member], emails: set[str]
    ) -> list[Issue]:
        active = [m for m in existing.values() if m.active]
        leaving = [m for m in active if m.email not in emails]
        limit = self.guards.max_deactivation
        if not leaving or len(leaving) * 100 <= limit * len(active):
            return []
        return [
            Issue(
                N_(
                    "This roster would deactivate %(count)s of the %(active)s active "
                    "members, more than %(limit)s %% of them: %(names)s. Nothing was "
                    "changed; apply it only if they really leave."
                ),
                params={
                    "count": len(leaving),
                    "active": len(active),
                    "limit": limit,
                    "names": _names(m.display_name for m in leaving),
                },
            )
        ]

    def _write_roster(self, plan: "RosterPlan", now: datetime) -> int:
        """The parts the roster is applied in, from the queue (0: applied at once)."""
        existing, stored = plan.existing, plan.stored
        # A member who leaves is kept RetentionMonths (their profile's TTL), one who
        # comes back is put without it.
        expires = expires_at(now, self.table.retention_months)

        def before(m: Member) -> Item:
            item = stored[m.email]
            return member_item(existing[m.email], item.get(TTL_ATTRIBUTE))

        changes = [
            *(RosterChange(m, arrives=True) for m in plan.created),
            *(
                RosterChange(m, before(m), arrives=_arrives(existing[m.email], m))
                for m in plan.updated
            ),
            *(RosterChange(m, before(m), expires=expires) for m in plan.leaving),
        ]
        directory = Directory.of(plan.incoming)
        head = self.members.directory()
        staged = None
        if head is None or directory_fields(head) != directory_fields(directory):
            staged = self.members.stage_directory(directory)
        return self.roster_apply.start(changes, staged, now)

    def _erased_rows(self, checked: Checked, existing: dict[str, Member]) -> list[Issue]:
        """The rows of people erased at their request (GDPR Art. 17), not re-created.
        Only addresses new to the roster are looked up — a member still in it was imported
        after any erasure (which deletes the profile) — so a re-upload costs nothing."""
        new = {member_id(m.email): m.email for m in checked.members if m.email not in existing}
        if not new:
            return []
        return [
            Issue(
                N_(
                    "This address was erased on %(date)s at the person's request; the row "
                    "was skipped. Remove the row, or, if they rejoined and agreed, see "
                    "docs/privacy.md (palabre member unerase)."
                ),
                row=checked.row_of.get(new[mid]),
                column=checked.email_column,
                value=new[mid],
                params={"date": when[:10]},
            )
            for mid, when in self.privacy.erased(new).items()
        ]

    def _calendar_plan(self, checked: Checked, now: datetime) -> "CalendarPlan":
        """What the calendar would change, read from the stored calendar; nothing is
        written. Applied, it is planned again under the lock: what was validated against
        may have changed since."""
        existing = self.themes.calendar()
        incoming = [self._sequenced(t, existing.get(t.id), now) for t in checked.themes]
        ids = {t.id for t in incoming}
        created = [t for t in incoming if t.id not in existing]
        updated = [t for t in incoming if t.id in existing and not t.same_as(existing[t.id])]
        # The file is the calendar: a future theme it no longer lists is cancelled. Themes
        # already sent — to anyone, today included — stay as history, whatever the file
        # says: their other timezones, reminders and digest still come; but a live
        # session sent and not yet started is cancelled, and its invitees told. A member's
        # question is no theme of the calendar: no file lists it, none cancels it.
        today = self.org.today(now)
        cancelled: list[Theme] = []
        for t in existing.values():
            if not t.active or t.asker or t.id in ids:
                continue
            if t.send_on >= today and not self._sent(t, now):
                cancelled.append(t.model_copy(update={"active": False}))
            elif _live_ahead(t, now) and self._sent(t, now):
                cancelled.append(t.model_copy(update={"active": False, "sequence": t.sequence + 1}))
        return CalendarPlan(
            checked=checked,
            existing=existing,
            incoming=incoming,
            created=created,
            updated=updated,
            cancelled=cancelled,
            warnings=self._overbooked(
                checked, [t for t in updated if _capacity_lowered(existing[t.id], t, now)]
            ),
            guard=self._cancellation_guard(cancelled),
        )

    def _cancellation_guard(self, cancelled: list[Theme]) -> list[Issue]:
        limit = self.guards.max_cancellations
        if len(cancelled) <= limit:
            return []
        return [
            Issue(
                N_(
                    "This calendar would cancel %(count)s scheduled themes, more than "
                    "%(limit)s at once: %(names)s. Nothing was changed; apply it only if "
                    "they are really cancelled."
                ),
                params={
                    "count": len(cancelled),
                    "limit": limit,
                    "names": Dated(
                        (t.title, t.send_on)
                        for t in sorted(cancelled, key=lambda t: (t.send_on, t.id))
                    ),
                },
            )
        ]

    def _write_calendar(self, plan: "CalendarPlan", now: datetime) -> None:
        existing, created, updated = plan.existing, plan.created, plan.updated
        cancelled = plan.cancelled
        self.themes.save([*created, *updated, *cancelled])
        # A live session changed or cancelled after its invitation is due at once: the
        # scheduler sends everyone invited its new .ics (dispatch/notices.py).
        noticed = [t for t in [*updated, *cancelled] if t.sequence > existing[t.id].sequence]
        self.dispatch.open_for(t for t in [*created, *updated, *cancelled] if t not in noticed)
        for theme in noticed:
            self.dispatch.open(theme.id, now)
        # Seats a raised (or removed) capacity frees go to the waiting list from the
        # scheduler, one conditional write each (dispatch/notices.py), not from here: the
        # list may be long, and the import holds the lock. Every updated theme is opened
        # above from its earliest send, long past for a session already answered: the next
        # tick reaches it.

    def _overbooked(self, checked: Checked, lowered: list[Theme]) -> list[Issue]:
        """What the report says of a session whose new capacity is below the seats taken:
        those who hold them keep them (one BatchGetItem of their seats, only for those)."""
        taken = self.rsvps.taken_of([t.id for t in lowered])
        return [
            Issue(
                N_(
                    "%(taken)s seats are taken at %(session)s, more than the new capacity "
                    "%(capacity)s: those who hold them keep them, and a yes joins the "
                    "waiting list until fewer than %(capacity)s seats are taken."
                ),
                row=checked.row_of.get(theme.id),
                column=checked.capacity_column,
                value=theme.capacity,
                params={
                    "taken": taken[theme.id],
                    # quoted as the reader quotes, with its day in the organisation's
                    "session": Dated([(theme.title, self._session_day(theme))]),
                    "capacity": theme.capacity,
                },
            )
            for theme in lowered
            if theme.capacity is not None and taken.get(theme.id, 0) > theme.capacity
        ]

    def _session_day(self, theme: Theme) -> date:
        return session_start(theme).astimezone(self.org.zone).date()

    def _sequenced(self, theme: Theme, before: Theme | None, now: datetime) -> Theme:
        """The theme with its stored sequence, one more when a live session's time,
        length or place changed after its invitation went out to anyone, or when a
        session cancelled after it went out is listed again (its invitees' calendars
        hold it cancelled: they are sent it again)."""
        if before is None:
            return theme
        sequence = before.sequence
        moved = (theme.starts_at, theme.duration_minutes, theme.location) != (
            before.starts_at,
            before.duration_minutes,
            before.location,
        )
        relisted = theme.active and not before.active
        if (
            theme.kind is ThemeKind.LIVE
            and before.kind is ThemeKind.LIVE
            and (moved or relisted)
            and self._sent(before, now)
        ):
            sequence += 1
        return theme.model_copy(update={"sequence": sequence})

    def _sent(self, theme: Theme, now: datetime) -> bool:
        """Whether any prompt of `theme` went out (skipped ones do not count): a Query of
        its send records that stops at the first sent one, and only for a theme whose
        first timezone has reached its send time."""
        if earliest_send(theme) > now:
            return False
        return self.records.any_sent(theme.id)


class NoAdminLeft(Exception):
    """Every admin row of the roster names an erased person: nothing is written."""

    def __init__(self, skipped: list[Issue]) -> None:
        super().__init__("no admin left")
        self.skipped = skipped
        self.issue = Issue(
            N_(
                "The roster names no admin once the erased people's rows are skipped: "
                "give at least one other row the role admin."
            )
        )


def _in_parts(parts: int) -> Issue:
    """What the report of a roster applied in parts says: its "applied" is the start."""
    return Issue(
        N_(
            "This roster is applied in %(parts)s parts over the next minutes: until the "
            "last one is written, everyone sees the previous roster, then the whole new "
            "one at once."
        ),
        params={"parts": parts},
    )


def _live_ahead(theme: Theme, now: datetime) -> bool:
    """A live session that has not started yet."""
    return theme.kind is ThemeKind.LIVE and theme.starts_at is not None and now < theme.starts_at


def _capacity_lowered(before: Theme, after: Theme, now: datetime) -> bool:
    """A session not started whose capacity was lowered, or set where it had none."""
    return (
        _live_ahead(after, now)
        and after.capacity is not None
        and (before.capacity is None or after.capacity < before.capacity)
    )


def _arrives(before: Member, after: Member) -> bool:
    """Back from inactive, or now in another circle, team, timezone or role."""
    return (not before.active and after.active) or (
        before.circle,
        before.team,
        before.timezone,
        before.role,
    ) != (after.circle, after.team, after.timezone, after.role)


def _counts(incoming: Sized, created: Sized, updated: Sized, gone: Sized) -> dict[str, int]:
    return {
        "created": len(created),
        "updated": len(updated),
        "unchanged": len(incoming) - len(created) - len(updated),
        "deactivated": len(gone),
    }
