"""The animators' exports: answers, per-person scores and streaks, participation per
theme and circle or team, as .xlsx or CSV, built when an admin clicks (figures of that
moment: votes counted to date).

What a click reads is bounded, whatever the history: the themes sent during the last
EXPORT_WEEKS weeks, at most EXPORT_THEMES of them (the newest), one Query of each theme's
partition; the roster's members and admins (two Queries) with their scores and streaks
(a BatchGetItem per hundred keys).

A file can be larger than a Lambda response holds (6 MB, base64 included): it is put in
the uploads bucket under `downloads/` (deleted after a day) and the click is redirected
to a five-minute presigned URL, as the weekly exports are.

The answers export is one view (core.attribution): an anonymous answer shows only among
enough answers to its theme, and never with its author's name, circle or team.
"""

import gettext
import secrets
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from palabre.admin.access import AdminView
from palabre.core.attribution import byline, shown
from palabre.core.directory import Directory
from palabre.core.i18n import N_
from palabre.core.models import Answer, Role, Theme, Visibility, group_key
from palabre.spreadsheets import Cell, Sheet, csv_bytes, xlsx_bytes
from palabre.store import keys
from palabre.store.activity import Action, ActivityLog
from palabre.store.answers import AnswerStore
from palabre.store.members import MemberStore
from palabre.store.sends import SendRecords, streak_state
from palabre.store.table import Item, Table
from palabre.store.tallies import Tally, TallyStore, closes
from palabre.store.themes import ThemeStore

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

EXPORT_WEEKS = 26
"""how far back the themes of an export were sent"""
EXPORT_THEMES = 200
"""the most themes an export reads (the newest): a Query each"""
DOWNLOADS = "downloads"
"""the bucket's prefix of the files built on a click (template.yaml deletes them after a
day)"""
DOWNLOAD_SECONDS = 300

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


class Export(StrEnum):
    ANSWERS = "answers"
    SCORES = "scores"
    PARTICIPATION = "participation"


SHEET_NAMES = {
    Export.ANSWERS: N_("Answers"),
    Export.SCORES: N_("Scores"),
    Export.PARTICIPATION: N_("Participation"),
}
ANSWER_COLUMNS = (
    N_("Theme id"),
    N_("Sent on"),
    N_("Theme"),
    N_("Author"),
    N_("Circle"),
    N_("Team"),
    N_("Shared with"),
    N_("Useful votes"),
    N_("Answered at"),
    N_("Answer text"),
)
SCORE_COLUMNS = (
    N_("First name"),
    N_("Last name"),
    N_("Email"),
    N_("Circle"),
    N_("Team"),
    N_("Role"),
    N_("Points"),
    N_("Answers"),
    N_("Rank"),
    N_("Streak"),
    N_("Best streak"),
)
PARTICIPATION_COLUMNS = (
    N_("Theme id"),
    N_("Sent on"),
    N_("Theme"),
    N_("Status"),
    N_("By"),
    N_("Name"),
    N_("Prompts sent"),
    N_("Answers received"),
    N_("Participation (%)"),
)
ANONYMOUS = N_("Anonymous")
SHARED_WITH = {Visibility.CIRCLE: N_("Their circle"), Visibility.ORGANISATION: N_("Everyone")}
ROLES = {Role.MEMBER: N_("Member"), Role.ADMIN: N_("Admin")}
STATUS = {"open": N_("Open"), "closed": N_("Closed")}
GROUPS = {"organisation": N_("Organisation"), "circle": N_("Circle"), "team": N_("Team")}


class UnknownExport(Exception):
    """A file name the exports page does not offer."""


@dataclass(frozen=True)
class Wanted:
    export: Export
    format: str

    @classmethod
    def named(cls, name: str) -> "Wanted":
        """`answers.xlsx`, `scores.csv`...: UnknownExport for anything else."""
        stem, _, extension = name.partition(".")
        if stem not in Export.__members__.values() or extension not in FORMATS:
            raise UnknownExport(name)
        return cls(Export(stem), extension)


@dataclass(frozen=True)
class Download:
    url: str
    """a five-minute presigned URL of the file"""
    file_name: str
    rows: int


class AdminExports:
    def __init__(
        self,
        table: Table,
        activity: ActivityLog,
        s3: "S3Client",
        bucket: str,
        *,
        threshold: int,
        zone: ZoneInfo,
        locale: str,
        translations: Callable[[str], gettext.NullTranslations],
    ) -> None:
        self.table = table
        self.activity = activity
        self.s3 = s3
        self.bucket = bucket
        self.threshold = threshold
        self.zone = zone
        self.locale = locale
        """the organisation's language: the CSV's separator and decimal mark"""
        self.translations = translations
        self.themes = ThemeStore(table)
        self.answers = AnswerStore(table)
        self.records = SendRecords(table)
        self.members = MemberStore(table)
        self.tallies = TallyStore(table)

    def download(self, view: AdminView, wanted: Wanted, now: datetime) -> Download:
        """The file built now, stored for a day, its download recorded in the activity."""
        sheet = self.sheet(wanted.export, now, view.admin.locale)
        if wanted.format == "xlsx":
            data = xlsx_bytes([sheet])
        else:
            data = csv_bytes(sheet.header, sheet.rows, locale=self.locale)
        day = now.astimezone(self.zone).date().isoformat()
        file_name = f"palabre-{wanted.export.value}-{day}.{wanted.format}"
        key = f"{DOWNLOADS}/{day}/{secrets.token_hex(16)}/{file_name}"
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=FORMATS[wanted.format]
        )
        url = self.s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=DOWNLOAD_SECONDS,
        )
        self.activity.record(view.admin, Action.EXPORT, now, file=file_name, rows=len(sheet.rows))
        return Download(url, file_name, len(sheet.rows))

    def sheet(self, export: Export, now: datetime, reader_locale: str) -> Sheet:
        """One export's table, its header and words in the reader's language."""
        words = self.translations(reader_locale).gettext
        build = {
            Export.ANSWERS: (ANSWER_COLUMNS, self._answers),
            Export.SCORES: (SCORE_COLUMNS, self._scores),
            Export.PARTICIPATION: (PARTICIPATION_COLUMNS, self._participation),
        }
        columns, rows = build[export]
        return Sheet(
            words(SHEET_NAMES[export]),
            [words(c) for c in columns],
            rows(now, reader_locale, words),
        )

    # ------------------------------------------------------------------ reads
    def recent_themes(self, now: datetime) -> list[Theme]:
        """The themes sent during the last EXPORT_WEEKS weeks (at most EXPORT_THEMES, the
        newest), cancelled ones left out, oldest first: one Query of the calendar."""
        today = now.astimezone(self.zone).date()
        themes = [
            t for t in self.themes.between(today - timedelta(weeks=EXPORT_WEEKS), today) if t.active
        ]
        themes.sort(key=lambda t: (t.send_on, t.id))
        return themes[-EXPORT_THEMES:]

    # ------------------------------------------------------------------ the three tables
    def _answers(self, now: datetime, locale: str, words: Callable[[str], str]) -> list[list[Cell]]:
        themes = {t.id: t for t in self.recent_themes(now)}
        answers: list[Answer] = []
        for theme_id in themes:
            # Named first, then anonymous, each by time: in key order an anonymous answer
            # would sit where its author's id sorts, beside the names around it.
            found = sorted(self.answers.of_theme(theme_id), key=lambda a: a.created_at)
            answers += sorted(found, key=lambda a: a.anonymous)
        rows: list[list[Cell]] = []
        for a in shown(answers, self.threshold):  # the whole file is one view
            theme = themes[a.theme_id]
            anonymous = a.anonymous
            rows.append(
                [
                    theme.id,
                    theme.send_on,
                    str(theme.title_for(locale)),
                    words(ANONYMOUS) if anonymous else _author(a),
                    "" if anonymous else a.circle,
                    "" if anonymous else a.team,
                    words(SHARED_WITH[a.visibility]),
                    a.useful,
                    # An anonymous answer's minute, beside a list of who answered when
                    # (two exports, the dashboard's non-responders), would name its
                    # author: its day only.
                    a.created_at.astimezone(self.zone).date()
                    if anonymous
                    else a.created_at.astimezone(self.zone),
                    a.text,
                ]
            )
        return rows

    def _scores(self, now: datetime, locale: str, words: Callable[[str], str]) -> list[list[Cell]]:
        people = [m for role in (Role.MEMBER, Role.ADMIN) for m in self.members.with_role(role)]
        wanted = [k for m in people for k in (keys.score(m.id), keys.streak(m.id))]
        found = {(i["PK"], i["SK"]): i for i in self.table.get_many(wanted)}

        def item(key: dict[str, str]) -> Item | None:
            return found.get((key["PK"], key["SK"]))

        points = {m.id: int((item(keys.score(m.id)) or {}).get("points", 0)) for m in people}
        descending = sorted(-p for p in points.values())
        rows: list[list[Cell]] = []
        for m in sorted(people, key=lambda m: (-points[m.id], group_key(m.display_name))):
            score = item(keys.score(m.id)) or {}
            streak = streak_state(item(keys.streak(m.id)))
            rows.append(
                [
                    m.first_name,
                    m.last_name,
                    m.email,
                    m.circle,
                    m.team,
                    words(ROLES[m.role]),
                    points[m.id],
                    int(score.get("answers", 0)),
                    1 + bisect_left(descending, -points[m.id]),
                    streak.streak,
                    streak.best,
                ]
            )
        return rows

    def _participation(
        self, now: datetime, locale: str, words: Callable[[str], str]
    ) -> list[list[Cell]]:
        """From each theme's tally (store/tallies.py: one BatchGetItem per hundred themes,
        whatever the audience); a theme sent before tallies were kept is counted from its
        send records, until `palabre tally rebuild` writes its tally."""
        themes = self.recent_themes(now)
        tallies = self.tallies.of(t.id for t in themes)
        directory = self.members.directory() or Directory()
        names = _group_names(directory)
        # Closed as the dashboard says it: once its deadline has passed in the last of the
        # roster's timezones (its figure final)
        zones = list(directory.zones) or [str(self.zone)]
        rows: list[list[Cell]] = []
        for theme in themes:
            status = words(STATUS["closed" if now >= closes(theme, zones) else "open"])
            head: list[Cell] = [theme.id, theme.send_on, str(theme.title_for(locale)), status]
            tally = tallies.get(theme.id)
            counts = (
                _tallied(tally, names)
                if tally is not None
                else _recorded(*self.records.of_theme(theme.id))
            )
            for by, name, prompts, answers in counts:
                rate = round(100 * answers / prompts, 1) if prompts else 0.0
                rows.append([*head, words(GROUPS[by]), name, prompts, answers, rate])
        return rows


def _author(answer: Answer) -> str:
    """A named answer's author as it was signed ("Léa M."): its byline without the
    circle, which has its own column."""
    return byline(answer.model_copy(update={"circle": ""}))


type Counted = Iterable[tuple[str, str, int, int]]
"""(organisation | circle | team, the group's name, prompts sent, answers), in all first"""


def _group_names(directory: Directory) -> dict[str, dict[str, str]]:
    """Each circle's and team's name as the roster spells it, by folded name."""
    return {
        "circle": {k: g.name for k, g in directory.circles.items()},
        "team": {k: g.name for k, g in directory.teams.items()},
    }


def _tallied(tally: Tally, names: dict[str, dict[str, str]]) -> Counted:
    """A theme's counts as its tally kept them (a group gone from the roster keeps its
    folded name)."""
    yield "organisation", "", tally.total.prompts, tally.total.answers
    for by in ("circle", "team"):
        groups = tally.groups.get(by, {})
        for key, count in sorted(groups.items()):  # by folded name, as _recorded
            yield by, names[by].get(key, key), count.prompts, count.answers


def _recorded(sent: list[Item], answered: set[str]) -> Counted:
    """A theme's counts from its send records: in all, then by circle, then by team."""
    yield "organisation", "", len(sent), sum(1 for p in sent if p["member_id"] in answered)
    for by in ("circle", "team"):
        grouped: dict[str, tuple[str, list[Item]]] = {}
        for prompt in sent:
            name = str(prompt.get(by, ""))
            grouped.setdefault(group_key(name), (name, []))[1].append(prompt)
        for _, (name, prompts) in sorted(grouped.items()):
            yield by, name, len(prompts), sum(1 for p in prompts if p["member_id"] in answered)
