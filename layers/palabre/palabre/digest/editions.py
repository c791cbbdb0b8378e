"""The weekly digest's editions: what each circle (and the organisation) reads about a
week, built once by the digest run and stored in the bucket, read by the sender for every
reader's email."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from palabre.core.attribution import byline
from palabre.core.local_time import iso_week
from palabre.core.models import Attribution, Theme, Visibility, group_key
from palabre.core.typography import Localized

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

DIGEST_PREFIX = "digests"


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
def titles_of(theme: Theme) -> dict[str, str]:
    """A theme's title in each language it has, its own included: an edition is shared
    by readers of either language, and each is given theirs when it is rendered."""
    titles: dict[str, str] = {t.lang: t.title for t in theme.translations}
    return titles | ({theme.lang: theme.title} if theme.lang else {})


def title_in(title: str, titles: dict[str, str], locale: str) -> Localized:
    """The title a reader in `locale` gets (as Theme.title_for), its language kept."""
    if locale in titles:
        return Localized(titles[locale], locale)
    own = next((lang for lang, text in titles.items() if text == title), "")
    return Localized(title, own)


class DigestAnswer(BaseModel):
    theme_id: str
    author_id: str
    first_name: str
    circle: str
    text: str
    visibility: Visibility
    useful: int = 0
    created_at: str = ""
    last_initial: str = ""
    attribution: Attribution = Attribution.NAMED
    theme_title: str = ""
    """a library entry's theme (the entries of the week come from several themes)"""
    theme_titles: dict[str, str] = {}
    """its title by language (titles_of)"""

    def theme_title_for(self, locale: str) -> Localized:
        return title_in(self.theme_title, self.theme_titles, locale)

    @property
    def byline(self) -> str:
        return byline(self)

    @property
    def anonymous(self) -> bool:
        return self.attribution is Attribution.ANONYMOUS


class DigestTheme(BaseModel):
    id: str
    title: str
    answers: list[DigestAnswer]
    titles: dict[str, str] = {}
    """the title by language (titles_of): each reader gets theirs (title_for)"""
    lang: str = ""
    """the language of `title` and `prompt` (a member's question: the asker's)"""
    prompt: str = ""
    """the question, as the calendar wrote it (Markdown)"""
    prompt_html: str = ""
    """as the calendar import rendered it: shown through the safe-list again"""
    more: int = 0
    """answers the edition leaves out (it keeps the first ANSWERS_PER_THEME)"""
    asker: str = ""
    """a member's question: the asker's id (their digest says it is theirs)"""
    asker_name: str = ""

    def title_for(self, locale: str) -> Localized:
        return title_in(self.title, self.titles, locale)


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
    rank: int = 0
    """the circle's place in the circles' standings (0: not ranked)"""
    ranked_of: int = 0
    library: list[DigestAnswer] = []
    """the answers that entered the library during the week"""

    @property
    def worth_reading(self) -> bool:
        """An answer the reader may see, a useful practice, or a theme of the week (sent to
        the circle, still open): else the email would be headings and 0/0."""
        return bool(self.themes or self.top)


class ClosedTheme(BaseModel):
    """A theme that closed during the week, and its final participation."""

    id: str
    title: str
    closed_on: date
    total: Rate
    circles: list[Rate]
    teams: list[Rate]
    titles: dict[str, str] = {}
    """the title by language (titles_of): each admin reads theirs"""

    def title_for(self, locale: str) -> Localized:
        return title_in(self.title, self.titles, locale)


class NonResponder(BaseModel):
    first_name: str
    email: str
    circle: str
    theme: str


class QuestionLine(BaseModel):
    """A member's question, as the admins' report lists it."""

    id: str
    title: str
    asker_name: str
    circle: str
    asked_on: date
    send_on: date
    status: Literal["open", "closed", "cancelled"]
    answers: int


class SessionLine(BaseModel):
    """A live session held during the week: who was invited, who said they would come,
    who came (ticked by an animator)."""

    id: str
    title: str
    starts_at: datetime
    invited: int
    yes: int
    maybe: int
    attended: int


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
    closed: list[ClosedTheme] = []
    """the themes that closed during the week, with their final participation"""
    open_themes: int | None = None
    """themes open at some point of the week (None: a report built before it was counted)"""
    questions: list[QuestionLine] = []
    """members' questions asked during the week or still open when the report was built"""
    shared: list[DigestAnswer] = []
    """answers of the week shared with the whole organisation, most useful first: an
    admin may keep one in the library from the report"""
    shared_more: int = 0
    """those the report leaves out"""
    sessions: list[SessionLine] = []
    """live sessions that started during the week"""
    library: list[DigestAnswer] = []
    """the answers that entered the library during the week"""

    @property
    def worth_reading(self) -> bool:
        """A theme was open, or messages are parked: else there is nothing to report."""
        return self.open_themes != 0 or any(self.dead_letters.values())


def edition_key(week: str, circle: str) -> str:
    """Where a circle's edition lives; '' (observers) is the organisation's."""
    if not circle:
        return f"{DIGEST_PREFIX}/{week}/organisation.json"
    digest = hashlib.sha256(group_key(circle).encode()).hexdigest()[:16]
    return f"{DIGEST_PREFIX}/{week}/circle-{digest}.json"


def report_key(week: str) -> str:
    return f"{DIGEST_PREFIX}/{week}/admin-report.json"


def put_json(s3: "S3Client", bucket: str, key: str, body: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")


def load_edition(s3: "S3Client", bucket: str, key: str) -> Edition:
    return Edition.model_validate_json(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def load_report(s3: "S3Client", bucket: str, week: str) -> Report:
    body = s3.get_object(Bucket=bucket, Key=report_key(week))["Body"].read()
    return Report.model_validate(json.loads(body))


@dataclass
class _Read:
    """What has been read of one week."""

    week: str = ""
    editions: dict[str, Edition] = field(default_factory=dict)
    """by object key"""
    report: Report | None = None


class Editions:
    """The week's digest editions and report, read once per container from the bucket
    (wiring keeps one per container); a new week's first read forgets the previous one."""

    def __init__(self, s3: "S3Client", bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self._read = _Read()

    def _of(self, week: str) -> _Read:
        if week != self._read.week:
            self._read = _Read(week)
        return self._read

    def edition(self, week: str, circle: str) -> Edition:
        key = edition_key(week, circle)
        read = self._of(week)
        if key not in read.editions:
            try:
                read.editions[key] = load_edition(self.s3, self.bucket, key)
            except self.s3.exceptions.NoSuchKey:
                if not circle:
                    raise
                # A member who changed circle since the digest was built reads the
                # organisation's edition rather than nothing.
                read.editions[key] = self.edition(week, "")
        return read.editions[key]

    def report(self, week: str) -> Report:
        read = self._of(week)
        if read.report is None:
            read.report = load_report(self.s3, self.bucket, week)
        return read.report
