"""Journey 6: the weekly digest. Once a week each circle gets an edition of what its members
and the organisation tried, observers get the organisation's edition, and admins a report
with CSV exports. Editions are built once, stored in the bucket, and each reader's email is
queued for the same sender as prompts (exactly once, throttling-safe).

Reads follow the week, not the history: answers and votes are read by circle and week
(GSI2 `CIRCLE#<c>` / `ANSWER#<week>#…` and `VOTE#<week>#…`), prompts by the themes of the
week. "Most useful practices" are the answers voted useful during the week: votes come
from the previous digests' links, so they land on answers of earlier weeks.
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from palabre.core.jobs import Job, JobKind, JobQueue
from palabre.core.local_time import deadline_day, iso_week
from palabre.core.models import Role, Theme, Visibility, group_key
from palabre.digest.exports import export_key
from palabre.imports.roster import Directory
from palabre.observability import logger
from palabre.scoring.awards import Standing, standings
from palabre.store import keys
from palabre.store.members import MemberStore
from palabre.store.table import Item, Table
from palabre.store.themes import ThemeStore, theme_from

TOP = 3
DIGEST_PREFIX = "digests"
# A spreadsheet evaluates a cell starting with one of these: an export must not run code.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------- the week
@dataclass(frozen=True)
class Week:
    id: str
    start: date
    end: date

    @classmethod
    def before(cls, moment: datetime, zone: Any) -> "Week":
        """The last complete ISO week (Monday to Sunday, in `zone`) before `moment`: on a
        Monday, last week — and on any other day too, so that a digest scheduled on
        another weekday still reads every week once, whole, never a week in progress."""
        today = moment.astimezone(zone).date()
        start = today - timedelta(days=today.weekday() + 7)
        return cls(iso_week(start), start, start + timedelta(days=6))


# ---------------------------------------------------------------------------- editions
class DigestAnswer(BaseModel):
    theme_id: str
    author_id: str
    first_name: str
    circle: str
    text: str
    visibility: Visibility
    useful: int = 0


class DigestTheme(BaseModel):
    id: str
    title: str
    answers: list[DigestAnswer]


class Rate(BaseModel):
    name: str = ""
    answers: int = 0
    prompts: int = 0
    points: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.answers / self.prompts) if self.prompts else 0


class Edition(BaseModel):
    week: str
    start: date
    end: date
    scope: Literal["circle", "organisation"]
    circle: str = ""
    themes: list[DigestTheme]
    top: list[DigestAnswer]
    participation: Rate
    circles: list[Rate] = []
    teams: list[Rate]


class NonResponder(BaseModel):
    first_name: str
    email: str
    circle: str
    theme: str


class Report(BaseModel):
    week: str
    start: date
    end: date
    circles: list[Rate]
    teams: list[Rate]
    top: list[DigestAnswer]
    non_responders: list[NonResponder]
    suppressed: list[dict[str, str]]
    dead_letters: dict[str, int]
    exports: dict[str, str]


def edition_key(week: str, circle: str) -> str:
    """Where a circle's edition lives; '' (observers) is the organisation's."""
    if not circle:
        return f"{DIGEST_PREFIX}/{week}/organisation.json"
    digest = hashlib.sha256(group_key(circle).encode()).hexdigest()[:16]
    return f"{DIGEST_PREFIX}/{week}/circle-{digest}.json"


def report_key(week: str) -> str:
    return f"{DIGEST_PREFIX}/{week}/admin-report.json"


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never evaluates (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # With a BOM, Excel opens UTF-8 with its accents intact.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _rate(standing: Standing) -> Rate:
    return Rate(
        name=standing.name,
        answers=standing.answers,
        prompts=standing.prompts,
        points=standing.points,
    )


def _answer(item: Item) -> DigestAnswer:
    return DigestAnswer(
        theme_id=item["theme_id"],
        author_id=item["member_id"],
        first_name=item.get("first_name", ""),
        circle=item.get("circle", ""),
        text=item.get("text", ""),
        visibility=Visibility(item.get("visibility", "circle")),
        useful=item.get("useful", 0),
    )


def _seen_in(circle_key: str, answers: list[DigestAnswer]) -> list[DigestAnswer]:
    """What a circle's edition may show: its own answers, then those shared with all."""
    mine = [a for a in answers if group_key(a.circle) == circle_key]
    shared = [
        a
        for a in answers
        if group_key(a.circle) != circle_key and a.visibility is Visibility.ORGANISATION
    ]
    return mine + shared


def _top(answers: list[DigestAnswer]) -> list[DigestAnswer]:
    voted = [a for a in answers if a.useful > 0]
    return sorted(voted, key=lambda a: (-a.useful, a.first_name))[:TOP]


def _by_theme(
    answers: list[DigestAnswer], themes: dict[str, Theme], sent: Iterable[str] = ()
) -> list[DigestTheme]:
    """The answers grouped by theme; the themes sent that week come even without one."""
    grouped: dict[str, list[DigestAnswer]] = {theme_id: [] for theme_id in sent}
    for answer in answers:
        grouped.setdefault(answer.theme_id, []).append(answer)

    def when(theme_id: str) -> tuple[date, str]:
        return (themes[theme_id].send_on if theme_id in themes else date.max, theme_id)

    ordered = sorted(grouped, key=when)
    return [
        DigestTheme(
            id=t,
            title=themes[t].title if t in themes else t,
            answers=sorted(grouped[t], key=lambda a: a.first_name),
        )
        for t in ordered
    ]


def _week_rates(sent: list[Item], answered: set[tuple[str, str]], by: str) -> dict[str, Rate]:
    """Participation in the week's themes, by circle or team: of the prompts sent, how
    many were answered (so a rate never exceeds 100 %)."""
    rates: dict[str, Rate] = {}
    for prompt in sent:
        name = prompt.get(by, "")
        rate = rates.setdefault(group_key(name), Rate(name=name))
        rate.prompts += 1
        if (prompt["theme_id"], prompt["member_id"]) in answered:
            rate.answers += 1
    return rates


@dataclass
class DigestRun:
    week: str
    editions: int
    digests: int
    reports: int


class DigestBuilder:
    def __init__(
        self,
        table: Table,
        s3: Any,
        bucket: str,
        queue: JobQueue,
        zone: Any,
        *,
        sqs: Any = None,
        dead_letter_queues: dict[str, str] | None = None,
    ) -> None:
        self.table = table
        self.s3 = s3
        self.bucket = bucket
        self.queue = queue
        self.zone = zone
        self.sqs = sqs
        self.dead_letter_queues = dead_letter_queues or {}
        self.members = MemberStore(table)
        self.themes = ThemeStore(table)

    def run(self, now: datetime) -> DigestRun:
        week = Week.before(now, self.zone)
        directory = self.members.directory() or Directory()
        answers = self._answers(week, directory)
        voted = self._voted(week, directory)
        themes = self._themes(week, {a.theme_id for a in answers})
        this_week = [t for t in themes.values() if week.start <= t.send_on <= week.end]
        sent, answered = self._this_weeks_themes(this_week)
        team_standings = standings(self.table, "team")
        teams = [_rate(s) for s in team_standings]
        circle_rates = _week_rates(sent, answered, "circle")

        editions = 0
        for key, group in directory.circles.items():
            # The themes this circle was sent this week are listed even before any answer.
            sent_here = sorted(
                {p["theme_id"] for p in sent if group_key(p.get("circle", "")) == key}
            )
            edition = Edition(
                week=week.id,
                start=week.start,
                end=week.end,
                scope="circle",
                circle=group.name,
                themes=_by_theme(_seen_in(key, answers), themes, sent_here),
                top=_top(_seen_in(key, voted)),
                participation=circle_rates.get(key, Rate(name=group.name)),
                teams=teams,
            )
            self._put(edition_key(week.id, group.name), edition.model_dump_json())
            editions += 1
        public = [a for a in answers if a.visibility is Visibility.ORGANISATION]
        public_voted = [a for a in voted if a.visibility is Visibility.ORGANISATION]
        everyone = Rate(
            answers=sum(r.answers for r in circle_rates.values()),
            prompts=sum(r.prompts for r in circle_rates.values()),
        )
        organisation = Edition(
            week=week.id,
            start=week.start,
            end=week.end,
            scope="organisation",
            themes=_by_theme(public, themes, sorted(t.id for t in this_week)),
            top=_top(public_voted),
            participation=everyone,
            circles=sorted(circle_rates.values(), key=lambda r: r.name),
            teams=teams,
        )
        self._put(edition_key(week.id, ""), organisation.model_dump_json())
        editions += 1

        rates = {"circle": circle_rates, "team": _week_rates(sent, answered, "team")}
        report = self._report(week, answers, voted, themes, rates, team_standings)
        self._put(report_key(week.id), report.model_dump_json())
        digests, reports = self._queue(week)
        logger.info("digest queued", extra={"week": week.id, "digests": digests})
        return DigestRun(week.id, editions, digests, reports)

    # ------------------------------------------------------------------ reads
    def _answers(self, week: Week, directory: Directory) -> list[DigestAnswer]:
        found: list[DigestAnswer] = []
        for key in directory.circles:
            items = self.table.query(
                keys.circle_partition(key), index="GSI2", prefix=keys.answers_of_week(week.id)
            )
            found.extend(_answer(i) for i in items)
        return found

    def _voted(self, week: Week, directory: Directory) -> list[DigestAnswer]:
        """The answers voted useful during the week, whenever they were written."""
        answer_keys = {
            (i["theme_id"], i["author_id"])
            for key in directory.circles
            for i in self.table.query(
                keys.circle_partition(key), index="GSI2", prefix=keys.votes_of_week(week.id)
            )
        }
        found = self.table.get_many([keys.answer(t, a) for t, a in sorted(answer_keys)])
        return [_answer(i) for i in found]

    def _themes(self, week: Week, referenced: set[str]) -> dict[str, Theme]:
        # The week's themes, and the older ones this week's answers are about.
        themes = {t.id: t for t in self.themes.between(week.start, week.end)}
        missing = [keys.theme(t) for t in referenced if t not in themes]
        themes |= {i["theme_id"]: theme_from(i) for i in self.table.get_many(missing)}
        return themes

    def _this_weeks_themes(self, themes: list[Theme]) -> tuple[list[Item], set[tuple[str, str]]]:
        """The prompts sent for the week's themes, and who answered them (whenever)."""
        sent: list[Item] = []
        answered: set[tuple[str, str]] = set()
        for theme in themes:
            for item in self.table.query(f"THEME#{theme.id}"):
                if item["SK"].startswith("PROMPT#") and item.get("status") == "sent":
                    sent.append(item)
                elif item["SK"].startswith("ANSWER#"):
                    answered.add((theme.id, item["SK"].removeprefix("ANSWER#")))
        return sent, answered

    # ------------------------------------------------------------------ the admin report
    def _report(
        self,
        week: Week,
        answers: list[DigestAnswer],
        voted: list[DigestAnswer],
        themes: dict[str, Theme],
        rates: dict[str, dict[str, Rate]],
        team_standings: list[Standing],
    ) -> Report:
        exports = self._exports(week, answers, themes, rates, team_standings)
        return Report(
            week=week.id,
            start=week.start,
            end=week.end,
            circles=sorted(rates["circle"].values(), key=lambda r: r.name),
            teams=sorted(rates["team"].values(), key=lambda r: r.name),
            top=_top(voted),
            non_responders=self._non_responders(week),
            suppressed=[
                {"email": i.get("email", ""), "reason": i.get("reason", ""), "at": i.get("at", "")}
                for i in self.table.query(keys.SUPPRESSED, index="GSI1")
            ],
            dead_letters=self._dead_letters(),
            exports=exports,
        )

    def _non_responders(self, week: Week) -> list[NonResponder]:
        """Members whose theme closed during the week without an answer from them."""
        closing = [
            t
            for t in self.themes.between(week.start - timedelta(days=91), week.end)
            if t.active and week.start <= deadline_day(t) <= week.end
        ]
        silent: list[NonResponder] = []
        for theme in closing:
            items = list(self.table.query(f"THEME#{theme.id}"))
            answered = {
                i["SK"].removeprefix("ANSWER#") for i in items if i["SK"].startswith("ANSWER#")
            }
            silent.extend(
                NonResponder(
                    first_name=i.get("first_name", ""),
                    email=i.get("email", ""),
                    circle=i.get("circle", ""),
                    theme=theme.title,
                )
                for i in items
                if i["SK"].startswith("PROMPT#")
                and i.get("status") == "sent"
                and i["member_id"] not in answered
            )
        return sorted(silent, key=lambda n: (n.circle, n.first_name))

    def _dead_letters(self) -> dict[str, int]:
        counts = {}
        for name, url in self.dead_letter_queues.items():
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            counts[name] = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        return counts

    def _exports(
        self,
        week: Week,
        answers: list[DigestAnswer],
        themes: dict[str, Theme],
        rates: dict[str, dict[str, Rate]],
        team_standings: list[Standing],
    ) -> dict[str, str]:
        files = {
            "answers": csv_bytes(
                ["theme", "title", "circle", "first_name", "visibility", "useful", "answer"],
                (
                    [
                        a.theme_id,
                        themes[a.theme_id].title if a.theme_id in themes else "",
                        a.circle,
                        a.first_name,
                        a.visibility.value,
                        a.useful,
                        a.text,
                    ]
                    for a in answers
                ),
            ),
            "scores": csv_bytes(
                ["kind", "name", "points", "answers", "prompts", "participation"],
                (
                    [kind, s.name, s.points, s.answers, s.prompts, f"{s.participation:.2f}"]
                    for kind, rows in (
                        ("team", team_standings),
                        ("circle", standings(self.table, "circle")),
                    )
                    for s in rows
                ),
            ),
            "participation": csv_bytes(
                ["kind", "name", "prompts", "answers", "rate"],
                (
                    [kind, r.name, r.prompts, r.answers, f"{r.percent}%"]
                    for kind in ("circle", "team")
                    for r in sorted(rates[kind].values(), key=lambda r: r.name)
                ),
            ),
        }
        for name, data in files.items():
            self.s3.put_object(
                Bucket=self.bucket,
                Key=export_key(week.id, name),
                Body=data,
                ContentType="text/csv; charset=utf-8",
            )
        return {name: export_key(week.id, name) for name in files}

    # ------------------------------------------------------------------ sending
    def _put(self, key: str, body: str) -> None:
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body.encode(), ContentType="application/json"
        )

    def _queue(self, week: Week) -> tuple[int, int]:
        """One job per reader (and one per admin for the report), queued once per role: a
        run retried after its jobs went out queues none of them again, so no reader's
        digest is in the queue twice while the first is still being sent."""
        digests = reports = 0
        for role in Role:
            marker = keys.digest_queued(week.id, role.value)
            if self.table.get(marker, consistent=True) is not None:
                continue
            jobs: list[Job] = []
            for member in self.members.with_role(role):
                jobs.append(Job(job=JobKind.DIGEST, member=member.id, week=week.id))
                if role is Role.ADMIN:
                    jobs.append(Job(job=JobKind.REPORT, member=member.id, week=week.id))
                    reports += 1
            self.queue.send(jobs)
            self.table.put({**marker, "type": "digest-queued", "jobs": len(jobs)})
            digests += len(jobs)
        return digests - reports, reports


def load_edition(s3: Any, bucket: str, key: str) -> Edition:
    return Edition.model_validate_json(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def load_report(s3: Any, bucket: str, week: str) -> Report:
    body = s3.get_object(Bucket=bucket, Key=report_key(week))["Body"].read()
    return Report.model_validate(json.loads(body))
