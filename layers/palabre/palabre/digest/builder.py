"""The weekly digest. Once a week each circle gets an edition of what its members and the
organisation tried, observers get the organisation's edition, and admins a report with
CSV exports. Editions are built once, stored in the bucket, and each reader's email is
queued for the same sender as prompts (exactly once, throttling-safe).

Reads follow the week, not the history: answers and votes are read by circle and week,
prompts by the themes of the week. "Most useful practices" are the answers voted useful
during the week: votes come from the previous digests' links, so they land on answers of
earlier weeks.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from palabre.core.attribution import byline, shown
from palabre.core.directory import Directory
from palabre.core.jobs import JobKind, WeeklyJob
from palabre.core.library import library_groups, shown_entries
from palabre.core.local_time import deadline_day
from palabre.core.models import Attribution, Response, Role, Theme, ThemeKind, Visibility, group_key
from palabre.core.points import Standing
from palabre.digest.editions import (
    ClosedTheme,
    DigestAnswer,
    DigestTheme,
    Edition,
    NonResponder,
    QuestionLine,
    Rate,
    Report,
    SessionLine,
    Week,
    edition_key,
    put_json,
    report_key,
    titles_of,
)
from palabre.digest.exports import content_type, export_key
from palabre.observability import logger
from palabre.queue import JobQueue, dead_letter_counts
from palabre.spreadsheets import csv_bytes
from palabre.store.answers import AnswerStore
from palabre.store.library import LibraryStore
from palabre.store.members import MemberStore
from palabre.store.questions import QuestionStore
from palabre.store.scores import ScoreStore
from palabre.store.sends import SendRecords
from palabre.store.sessions import SessionStore
from palabre.store.table import Item, Table
from palabre.store.themes import ThemeStore

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_sqs import SQSClient

TOP = 3
# answers.csv: an anonymous answer's circle, first name and initial are left empty
ANSWER_COLUMNS = "theme title circle first_name last_initial attribution visibility useful answer"
PARTICIPATION_COLUMNS = "theme title status kind name prompts answers rate yes maybe attended"
LIBRARY_COLUMNS = "competency theme title author useful entered_by entered_on answer"
SHARED_LISTED = 20
"""answers shared with everyone the admin report lists, with their library star"""
ANSWERS_PER_THEME = 8
"""a digest shows a theme's most useful answers, then its newest, up to this many"""

# A member's question goes out at most three days after it is asked (a Friday's, on
# Monday) and stays open seven days: asked that long before a week, it may still be open.
QUESTION_OPEN = timedelta(days=12)

# A theme stays open at most 90 days (the calendar's deadline_days) and a day more for the
# last timezone: themes sent that long before a week are the oldest it may see open.
LONGEST_OPEN = timedelta(days=91)


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
        created_at=item.get("created_at", ""),
        last_initial=item.get("last_initial", ""),
        attribution=Attribution(item.get("attribution", "named")),
    )


def _unattributed(answer: DigestAnswer) -> DigestAnswer:
    """What an edition or the report keeps of an anonymous answer: no name, no circle
    (its author's id stays, for the sender's vote link, which seals it)."""
    if not answer.anonymous:
        return answer
    return answer.model_copy(update={"first_name": "", "last_initial": "", "circle": ""})


def _view(
    answers: list[DigestAnswer], voted: list[DigestAnswer], threshold: int
) -> tuple[list[DigestAnswer], list[DigestAnswer]]:
    """One view's answers of the week and its most useful practices, without the
    anonymous answers it holds back (core.attribution.shown, over both sections at once:
    the reader sees them together). An anonymous practice held back leaves the top to
    the next one, which is checked in turn."""
    candidates = list(voted)
    while True:
        top = _top(candidates)
        listed = {(a.theme_id, a.author_id) for a in top}
        kept = {
            (a.theme_id, a.author_id)
            for a in shown(
                [*(a for a in answers if (a.theme_id, a.author_id) not in listed), *top], threshold
            )
        }
        held = [a for a in top if (a.theme_id, a.author_id) not in kept]
        if not held:
            return (
                [_unattributed(a) for a in answers if (a.theme_id, a.author_id) in kept],
                [_unattributed(a) for a in top],
            )
        candidates = [a for a in candidates if a not in held]


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
    editions = []
    for t in ordered:
        answers = _most_useful_then_newest(grouped[t])
        theme = themes.get(t)
        editions.append(
            DigestTheme(
                id=t,
                title=theme.title if theme else t,
                titles=titles_of(theme) if theme else {},
                lang=theme.lang if theme else "",
                prompt=theme.prompt if theme else "",
                prompt_html=theme.prompt_html if theme else "",
                answers=answers[:ANSWERS_PER_THEME],
                more=max(0, len(answers) - ANSWERS_PER_THEME),
                asker=theme.asker if theme else "",
                asker_name=theme.asker_name if theme else "",
            )
        )
    return editions


def _most_useful_then_newest(answers: list[DigestAnswer]) -> list[DigestAnswer]:
    """Most voted useful first; among equals the newest; then by first name. (Each sort
    is stable, reversed ones too: the later sort decides, the earlier breaks its ties.)"""
    by_name = sorted(answers, key=lambda a: (a.first_name, a.author_id))
    newest_first = sorted(by_name, key=lambda a: a.created_at, reverse=True)
    return sorted(newest_first, key=lambda a: -a.useful)


Closing = tuple[Theme, list[Item], set[str]]
"""a theme that closed in the week, the prompts it was sent as, who answered it"""


def _by_theme_rows(
    week: Week,
    this_week: list[Theme],
    sent: list[Item],
    answered: set[tuple[str, str]],
    closing: list[Closing],
) -> list[list[Any]]:
    """participation.csv: one row per theme and circle or team — the themes that closed in
    the week with their final figure, then the week's themes still open, as they stand."""
    entries = [(t, prompts, {(t.id, m) for m in who}) for t, prompts, who in closing]
    entries += [(t, [p for p in sent if p["theme_id"] == t.id], answered) for t in this_week]
    rows: list[list[Any]] = []
    seen: set[str] = set()
    for theme, prompts, pairs in entries:
        if theme.id in seen:
            continue
        seen.add(theme.id)
        status = "closed" if deadline_day(theme) <= week.end else "open"
        for kind in ("circle", "team"):
            for r in sorted(_week_rates(prompts, pairs, kind).values(), key=lambda r: r.name):
                row = [theme.id, theme.title, status, kind, r.name, r.prompts, r.answers]
                rows.append([*row, f"{r.percent}%", "", "", ""])
    return rows


def _session_rows(sessions: list[SessionLine]) -> list[list[Any]]:
    """participation.csv: one row per live session held in the week — invited (its
    prompts), attended (its answers, as participation counts them), yes, maybe."""
    rows: list[list[Any]] = []
    for s in sessions:
        rate = Rate(answers=s.attended, prompts=s.invited)
        row = [s.id, s.title, "held", "session", "", s.invited, s.attended, f"{rate.percent}%"]
        rows.append([*row, s.yes, s.maybe, s.attended])
    return rows


def _open_during(week: Week, recent: list[Theme]) -> int:
    """Themes open at some point of the week: sent by its end, closing after its start."""
    return sum(1 for t in recent if t.active and deadline_day(t) >= week.start)


def _non_responders(closing: list[Closing]) -> list[NonResponder]:
    """Members whose theme closed during the week without an answer from them."""
    silent = [
        NonResponder(
            first_name=i.get("first_name", ""),
            email=i.get("email", ""),
            circle=i.get("circle", ""),
            theme=theme.title,
        )
        for theme, sent, answered in closing
        for i in sent
        if i["member_id"] not in answered
    ]
    return sorted(silent, key=lambda n: (n.circle, n.first_name))


def _closed(theme: Theme, sent: list[Item], answerers: set[str]) -> ClosedTheme:
    """A closed theme's final participation, in all and by circle and team."""
    answered = {(theme.id, m) for m in answerers}

    def by_name(rates: dict[str, Rate]) -> list[Rate]:
        return sorted(rates.values(), key=lambda r: r.name)

    return ClosedTheme(
        id=theme.id,
        title=theme.title,
        titles=titles_of(theme),
        closed_on=deadline_day(theme),
        total=Rate(answers=sum(1 for p in sent if p["member_id"] in answerers), prompts=len(sent)),
        circles=by_name(_week_rates(sent, answered, "circle")),
        teams=by_name(_week_rates(sent, answered, "team")),
    )


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
        s3: "S3Client",
        bucket: str,
        queue: JobQueue,
        zone: ZoneInfo,
        *,
        sqs: "SQSClient | None" = None,
        dead_letter_queues: dict[str, str] | None = None,
        anonymity_threshold: int,
        locale: str,
        templates: tuple[Path, str, str] | None = None,
    ) -> None:
        self.threshold = anonymity_threshold
        self.locale = locale
        """the organisation's language: its spreadsheets' separator and decimal mark"""
        self.templates = templates
        """templates folder, organisation's language and name: the library's printable
        page (none: the library is exported as CSV only)"""
        self.s3 = s3
        self.bucket = bucket
        self.queue = queue
        self.zone = zone
        self.sqs = sqs
        self.dead_letter_queues = dead_letter_queues or {}
        self.members = MemberStore(table)
        self.themes = ThemeStore(table)
        self.answers = AnswerStore(table)
        self.records = SendRecords(table)
        self.scores = ScoreStore(table)
        self.questions = QuestionStore(table)
        self.library = LibraryStore(table)
        self.sessions = SessionStore(table)

    def run(self, now: datetime) -> DigestRun:
        week = Week.before(now, self.zone)
        directory = self.members.directory() or Directory()
        answers = self._answers(week, directory)
        voted = self._voted(week, directory)
        # One read of the calendar around the week: its themes, those still open in it,
        # those closing in it (and most that its answers are about).
        recent = self.themes.between(week.start - LONGEST_OPEN, week.end)
        themes = self._themes(week, recent, {a.theme_id for a in answers})
        this_week = [t for t in themes.values() if week.start <= t.send_on <= week.end]
        sent, answered = self._this_weeks_themes(this_week)
        team_standings = self.scores.standings("team")
        teams = [_rate(s) for s in team_standings]
        circle_standings = self.scores.standings("circle")
        places = {group_key(s.name): n for n, s in enumerate(circle_standings, start=1)}
        circle_rates = _week_rates(sent, answered, "circle")
        library = self._library_of_week(week)

        editions = 0
        for key, group in directory.circles.items():
            # The themes this circle was sent this week are listed even before any answer.
            sent_here = sorted(
                {p["theme_id"] for p in sent if group_key(p.get("circle", "")) == key}
            )
            seen, top = _view(_seen_in(key, answers), _seen_in(key, voted), self.threshold)
            edition = Edition(
                week=week.id,
                start=week.start,
                end=week.end,
                scope="circle",
                circle=group.name,
                themes=_by_theme(seen, themes, sent_here),
                top=top,
                participation=circle_rates.get(key, Rate(name=group.name)),
                teams=teams,
                rank=places.get(key, 0),
                ranked_of=len(circle_standings),
                library=library,
            )
            self._put(edition_key(week.id, group.name), edition.model_dump_json())
            editions += 1
        public, public_top = _view(
            [a for a in answers if a.visibility is Visibility.ORGANISATION],
            [a for a in voted if a.visibility is Visibility.ORGANISATION],
            self.threshold,
        )
        everyone = Rate(
            answers=sum(r.answers for r in circle_rates.values()),
            prompts=sum(r.prompts for r in circle_rates.values()),
        )
        organisation = Edition(
            week=week.id,
            start=week.start,
            end=week.end,
            scope="organisation",
            # a circle's question is listed for others only with answers shared with all
            themes=_by_theme(public, themes, sorted(t.id for t in this_week if not t.asker)),
            top=public_top,
            participation=everyone,
            circles=sorted(circle_rates.values(), key=lambda r: r.name),
            teams=teams,
            library=library,
        )
        self._put(edition_key(week.id, ""), organisation.model_dump_json())
        editions += 1
        self.scores.record_ranks("circle", circle_standings, week.id)
        taking_part = [
            m.id for role in (Role.MEMBER, Role.ADMIN) for m in self.members.with_role(role)
        ]
        self.scores.rank_members(taking_part, week.id)

        rates = {"circle": circle_rates, "team": _week_rates(sent, answered, "team")}
        closing = self._closing(week, recent)
        sessions = self._sessions(week, recent)
        by_theme = _by_theme_rows(week, this_week, sent, answered, closing) + _session_rows(
            sessions
        )
        report = self._report(
            week,
            answers,
            voted,
            themes,
            rates,
            team_standings,
            circle_standings,
            closing,
            by_theme,
            library,
            open_themes=_open_during(week, recent),
            questions=self._questions(week, now),
            sessions=sessions,
        )
        self._put(report_key(week.id), report.model_dump_json())
        digests, reports = self._queue(week)
        logger.info("digest queued", extra={"week": week.id, "digests": digests})
        return DigestRun(week.id, editions, digests, reports)

    # ------------------------------------------------------------------ reads
    def _answers(self, week: Week, directory: Directory) -> list[DigestAnswer]:
        return [_answer(i) for key in directory.circles for i in self.answers.of_week(key, week.id)]

    def _voted(self, week: Week, directory: Directory) -> list[DigestAnswer]:
        """The answers voted useful during the week, whenever they were written."""
        voted = set().union(*(self.answers.voted_in_week(k, week.id) for k in directory.circles))
        return [_answer(i) for i in self.answers.get_many(sorted(voted))]

    def _themes(self, week: Week, recent: list[Theme], referenced: set[str]) -> dict[str, Theme]:
        """The week's themes, and the older ones this week's answers are about."""
        known = {t.id: t for t in recent}
        themes = {t.id: t for t in recent if t.send_on >= week.start}
        themes |= {t: known[t] for t in referenced if t in known}
        return themes | self.themes.get_many(t for t in referenced if t not in known)

    def _this_weeks_themes(self, themes: list[Theme]) -> tuple[list[Item], set[tuple[str, str]]]:
        """The prompts sent for the week's themes, and who answered them (whenever)."""
        sent: list[Item] = []
        answered: set[tuple[str, str]] = set()
        for theme in themes:
            prompts, answerers = self.records.of_theme(theme.id)
            sent.extend(prompts)
            answered |= {(theme.id, member) for member in answerers}
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
        circle_standings: list[Standing],
        closing: list[Closing],
        by_theme: list[list[Any]],
        library: list[DigestAnswer],
        open_themes: int,
        questions: list[QuestionLine],
        sessions: list[SessionLine],
    ) -> Report:
        exports = self._exports(week, answers, themes, team_standings, circle_standings, by_theme)
        # The report is one view: its most useful practices and the answers it lists.
        shared, top = _view(
            [a for a in answers if a.visibility is Visibility.ORGANISATION], voted, self.threshold
        )
        shared = _most_useful_then_newest(shared)
        return Report(
            week=week.id,
            start=week.start,
            end=week.end,
            circles=sorted(rates["circle"].values(), key=lambda r: r.name),
            teams=sorted(rates["team"].values(), key=lambda r: r.name),
            top=top,
            non_responders=_non_responders(closing),
            closed=[_closed(theme, sent, answered) for theme, sent, answered in closing],
            suppressed=self.members.suppressions(),
            dead_letters=dead_letter_counts(self.sqs, self.dead_letter_queues) if self.sqs else {},
            exports=exports,
            open_themes=open_themes,
            questions=questions,
            shared=shared[:SHARED_LISTED],
            shared_more=max(0, len(shared) - SHARED_LISTED),
            sessions=sessions,
            library=library,
        )

    def _library_of_week(self, week: Week) -> list[DigestAnswer]:
        """The answers that entered the library during the week (as one view of their
        own), with their themes' titles: one Query of the library's index, one
        BatchGetItem."""
        start = datetime.combine(week.start, time(), self.zone)
        entered = self.library.entered_between(start, start + timedelta(days=7))
        themes = self.themes.get_many({a.theme_id for a in entered})
        entries = [
            _answer(a.model_dump(mode="json")).model_copy(
                update={
                    "theme_title": themes[a.theme_id].title,
                    "theme_titles": titles_of(themes[a.theme_id]),
                }
            )
            for a in entered
            if a.theme_id in themes
        ]
        return [_unattributed(a) for a in shown(entries, self.threshold)]

    def _questions(self, week: Week, now: datetime) -> list[QuestionLine]:
        """The members' questions asked during the week, or still open now, with their
        answers counted: one Query, and one per question listed."""
        start = datetime.combine(week.start, time(), self.zone) - QUESTION_OPEN
        lines = []
        for q in self.questions.asked_since(start):
            asked_on = q.asked_at.astimezone(self.zone).date()
            if not (week.start <= asked_on <= week.end or q.open(now)):
                continue
            status = "cancelled" if q.cancelled else "open" if q.open(now) else "closed"
            lines.append(
                QuestionLine(
                    id=q.theme_id,
                    title=q.title,
                    asker_name=q.asker_name,
                    circle=q.circle,
                    asked_on=asked_on,
                    send_on=q.send_on,
                    status=status,
                    answers=self.questions.answered(q.theme_id),
                )
            )
        return lines

    def _sessions(self, week: Week, recent: list[Theme]) -> list[SessionLine]:
        """The live sessions that started during the week (in the organisation's
        timezone), each counted from one Query of its theme's partition."""
        lines = []
        for theme in recent:
            if not theme.active or theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
                continue
            if not week.start <= theme.starts_at.astimezone(self.zone).date() <= week.end:
                continue
            invitees = self.sessions.invitees(theme.id)
            responses = [i.rsvp.response for i in invitees if i.rsvp]
            lines.append(
                SessionLine(
                    id=theme.id,
                    title=theme.title,
                    starts_at=theme.starts_at,
                    invited=len(invitees),
                    yes=responses.count(Response.YES),
                    maybe=responses.count(Response.MAYBE),
                    attended=sum(1 for i in invitees if i.attended),
                )
            )
        return sorted(lines, key=lambda line: (line.starts_at, line.id))

    def _closing(self, week: Week, recent: list[Theme]) -> list[Closing]:
        """The themes that closed during the week, with their prompts and answerers."""
        closing = [t for t in recent if t.active and week.start <= deadline_day(t) <= week.end]
        return [(theme, *self.records.of_theme(theme.id)) for theme in closing]

    def _exports(
        self,
        week: Week,
        answers: list[DigestAnswer],
        themes: dict[str, Theme],
        team_standings: list[Standing],
        circle_standings: list[Standing],
        by_theme: list[list[Any]],
    ) -> dict[str, str]:
        listed, _ = _view(answers, [], self.threshold)  # the CSV is a view of its own
        # Rows by theme, anonymous ones last, by time: read by circle and member id, an
        # anonymous row would sit where its author's (hashable) id sorts.
        listed.sort(key=lambda a: (a.theme_id, a.anonymous, a.created_at))
        files = {
            "answers": csv_bytes(
                ANSWER_COLUMNS.split(),
                (
                    [
                        a.theme_id,
                        themes[a.theme_id].title if a.theme_id in themes else "",
                        a.circle,
                        a.first_name,
                        a.last_initial,
                        a.attribution.value,
                        a.visibility.value,
                        a.useful,
                        a.text,
                    ]
                    for a in listed
                ),
                locale=self.locale,
            ),
            "scores": csv_bytes(
                ["kind", "name", "points", "answers", "prompts", "participation"],
                (
                    [kind, s.name, s.points, s.answers, s.prompts, round(s.participation, 2)]
                    for kind, rows in (
                        ("team", team_standings),
                        ("circle", circle_standings),
                    )
                    for s in rows
                ),
                locale=self.locale,
            ),
            "participation": csv_bytes(PARTICIPATION_COLUMNS.split(), by_theme, locale=self.locale),
        }
        files |= self._library_files(week.id)
        for name, data in files.items():
            self.s3.put_object(
                Bucket=self.bucket,
                Key=export_key(week.id, name),
                Body=data,
                ContentType=content_type(name),
            )
        return {name: export_key(week.id, name) for name in files}

    def _library_files(self, week: str) -> dict[str, bytes]:
        """The whole library, for admins: `library.csv`, and `library.html`, one
        self-contained printable page (as one view each: core.attribution)."""
        entries = shown_entries(self.library.entries(), self.threshold)
        files = {
            "library": csv_bytes(
                LIBRARY_COLUMNS.split(),
                (
                    [
                        e.theme.competency,
                        e.theme.id,
                        e.theme.title,
                        byline(e.answer) or "anonymous",
                        e.answer.useful,
                        e.answer.library_by,
                        e.answer.library_at[:10],
                        e.answer.text,
                    ]
                    for e in entries
                ),
                locale=self.locale,
            )
        }
        if self.templates:
            from palabre.mail.render import render  # Jinja loads for this page only

            folder, locale, organisation = self.templates
            files["library.html"] = render(
                folder,
                "web/library_export.html",
                locale,
                organisation=organisation,
                week=week,
                style=Markup((folder / "web" / "style.css").read_text()),  # ours, not a member's
                count=len(entries),
                competencies=library_groups(entries, locale),
            ).encode()
        return files

    # ------------------------------------------------------------------ sending
    def _put(self, key: str, body: str) -> None:
        put_json(self.s3, self.bucket, key, body)

    def _queue(self, week: Week) -> tuple[int, int]:
        """One job per reader (and one per admin for the report), queued once per role: a
        run retried after its jobs went out queues none of them again, so no reader's
        digest is in the queue twice while the first is still being sent."""
        digests = reports = 0
        for role in Role:
            if self.records.weekly_queued(week.id, role.value):
                continue
            jobs: list[WeeklyJob] = []
            for member in self.members.with_role(role):
                jobs.append(WeeklyJob(job=JobKind.DIGEST, member=member.id, week=week.id))
                if role is Role.ADMIN:
                    jobs.append(WeeklyJob(job=JobKind.REPORT, member=member.id, week=week.id))
                    reports += 1
            self.queue.send(jobs)
            self.records.mark_weekly_queued(week.id, role.value, len(jobs))
            digests += len(jobs)
        return digests - reports, reports
