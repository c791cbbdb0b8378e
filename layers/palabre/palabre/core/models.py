"""What Palabre is about: members, themes, prompts and answers."""

import base64
import hashlib
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from palabre.core.text import fold
from palabre.core.typography import Localized

type Locale = Literal["fr", "en"]

QUESTION_PREFIX = "q_"
"""A member's question's theme id starts with it: a calendar id never holds "_" (the
calendar's ids are slugs of letters, digits and hyphens), so the two never collide."""
THEME_ID = r"^(?:[a-z0-9][a-z0-9-]{0,63}|q_[a-z0-9]{1,62})$"


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"
    OBSERVER = "observer"


class ThemeKind(StrEnum):
    PRACTICE = "practice"
    QUESTION = "question"
    LIVE = "live"


class Subscription(StrEnum):
    """What a member still wants to receive (the unsubscribe page sets it)."""

    ALL = "all"
    NO_DIGEST = "no_digest"
    NOTHING = "nothing"

    def at_least(self, other: "Subscription") -> "Subscription":
        """The stricter of the two: what a one-click unsubscribe may never loosen."""
        order = list(Subscription)
        return max(self, other, key=order.index)


class Visibility(StrEnum):
    CIRCLE = "circle"
    ORGANISATION = "organisation"


class Attribution(StrEnum):
    """Whether an answer is signed with its author's name (see core.attribution)."""

    NAMED = "named"
    ANONYMOUS = "anonymous"


@lru_cache(maxsize=65536)  # a SHA-256 per link and email otherwise
def member_id(email: str) -> str:
    """Opaque, stable id derived from the address: links carry it, never the address.

    Derived rather than random so that two imports racing on a new member write the same
    item, and a member who leaves and comes back finds their history.
    """
    digest = hashlib.sha256(b"palabre.member\0" + email.casefold().encode()).digest()
    return "m" + base64.b32encode(digest).decode().rstrip("=").lower()[:24]


def group_key(name: str) -> str:
    """Circles and teams are compared without case, accents or extra spaces."""
    return fold(name)


class Member(BaseModel):
    """One row of the roster. Subscription, suppression and scores live elsewhere."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    email: str
    first_name: str = ""
    last_name: str = ""
    circle: str = ""
    team: str = ""
    locale: Locale
    timezone: str
    role: Role = Role.MEMBER
    active: bool = True

    @property
    def id(self) -> str:
        return member_id(self.email)

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.email

    @property
    def is_admin(self) -> bool:
        """An active admin of the roster: who may star, cancel and export."""
        return self.active and self.role is Role.ADMIN

    @property
    def takes_part(self) -> bool:
        """Members and admins receive themes; observers only read digests."""
        return self.active and self.role is not Role.OBSERVER


class Audience(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    everyone: bool = False
    circles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    def includes(self, member: Member) -> bool:
        if not member.takes_part:
            return False
        if self.everyone:
            return True
        circles = {group_key(c) for c in self.circles}
        teams = {group_key(t) for t in self.teams}
        return group_key(member.circle) in circles or group_key(member.team) in teams

    def describe(self) -> str:
        return "all" if self.everyone else "; ".join((*self.circles, *self.teams))


class ThemeText(BaseModel):
    """A theme's title and prompt in one more language than its own."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    lang: Locale
    title: str
    prompt: str
    prompt_html: str = ""
    """as Theme.prompt_html"""


class Theme(BaseModel):
    """One entry of the animators' calendar."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str = Field(pattern=THEME_ID)
    send_on: date
    send_at: time = time(9, 0)
    title: str
    prompt: str
    prompt_html: str = ""
    """the prompt's Markdown rendered and sanitised by the calendar import
    (core.markdown.to_html), so that the answer page renders no Markdown; empty on a
    theme stored before it was kept (core.markdown.prompt_html renders it then)"""
    deadline_days: int = 7
    reminder_days: int = 2
    audience: Audience
    competency: str = ""
    kind: ThemeKind = ThemeKind.PRACTICE
    points: int = 10
    starts_at: AwareDatetime | None = None
    duration_minutes: int | None = None
    location: str = ""
    capacity: int | None = None
    """a live session's seats; past them, a "yes" joins the waiting list (None: no limit)"""
    sequence: int = 0
    """how many times a live session was changed or cancelled after its invitations went
    out: the .ics SEQUENCE, so calendars replace the event they hold"""
    active: bool = True
    asker: str = ""
    """a peer question's author (member id): never sent it, never cancelled by a calendar
    upload; "" for the calendar's themes"""
    asker_name: str = ""
    """the asker's first name, as their circle reads it"""
    # ---- its languages (issue 11): title, prompt and prompt_html are in `lang` (the
    # organisation's language at import, a question's asker's; "" on a theme stored
    # before it was kept); `translations` holds it in the others it was given in.
    lang: Locale | Literal[""] = ""
    translations: tuple[ThemeText, ...] = ()

    def _text(self, locale: str) -> "ThemeText | None":
        return next((t for t in self.translations if t.lang == locale), None)

    def title_for(self, locale: str) -> Localized:
        """The title a reader in `locale` gets: theirs when given, else the theme's own."""
        text = self._text(locale)
        return Localized(text.title, text.lang) if text else Localized(self.title, self.lang)

    def prompt_for(self, locale: str) -> Localized:
        text = self._text(locale)
        return Localized(text.prompt, text.lang) if text else Localized(self.prompt, self.lang)

    def prompt_html_for(self, locale: str) -> Localized:
        """The rendered prompt stored for `locale` (as prompt_html: "" when not kept)."""
        text = self._text(locale)
        if text:
            return Localized(text.prompt_html, text.lang)
        return Localized(self.prompt_html, self.lang)

    @property
    def ends_at(self) -> datetime | None:
        """A live session's end (its start plus its duration, an hour by default)."""
        if self.starts_at is None:
            return None
        return self.starts_at + timedelta(minutes=self.duration_minutes or 60)

    def addresses(self, member: Member) -> bool:
        """Whether the theme goes to `member`: in its audience, and not its asker."""
        return self.audience.includes(member) and member.id != self.asker

    def same_as(self, other: "Theme | None") -> bool:
        """The same theme as written in a calendar: what no file holds is left out — the
        rendered prompts (derived from it; a theme stored before they were kept is not
        changed for lacking them), its language (the organisation's setting) and the
        sequence (counted by the import once the session changed)."""
        return other is not None and self._as_written() == other._as_written()

    def _as_written(self) -> "Theme":
        texts = tuple(t.model_copy(update={"prompt_html": ""}) for t in self.translations)
        return self.model_copy(
            update={"prompt_html": "", "lang": "", "translations": texts, "sequence": 0}
        )


class Prompt(BaseModel):
    """One theme sent to one member: the send record that makes sending exactly-once,
    with what the answer page needs about the member (so that it reads one item)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    theme_id: str
    member_id: str
    status: Literal["sent", "skipped"]
    at: AwareDatetime
    skip_reason: str = ""
    sent_at: AwareDatetime | None = None
    deadline: AwareDatetime | None = None
    message_id: str = ""
    first_name: str = ""
    locale: Locale = "en"
    timezone: str = "UTC"
    circle: str = ""
    team: str = ""
    reminded_at: AwareDatetime | None = None
    reminder_skipped: str = ""

    @property
    def sent(self) -> bool:
        return self.status == "sent" and self.sent_at is not None and self.deadline is not None


class Response(StrEnum):
    """A member's answer to a live session's invitation (an RSVP)."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"
    WAITING = "waiting"
    """said yes to a full session: on the waiting list, promoted when a seat frees"""

    @property
    def coming(self) -> bool:
        """Whether the member is expected: reminded, and listed for the animator."""
        return self in (Response.YES, Response.MAYBE)


ATTENDANCE_FIELDS = frozenset(
    {
        "attended_rev",
        "attended_at",
        "attended_points",
        "attended_answers",
        "attended_circle",
        "attended_team",
        "walk_in",
    }
)
"""an RSVP item's attributes the attendance page owns (store/sessions.py)"""


class Rsvp(BaseModel):
    """One member's response to one live session, in the theme's partition (one item per
    (theme, member)), with what the reminders and the animator's list need about them,
    so that neither reads the profile."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    theme_id: str
    member_id: str
    response: Response
    at: AwareDatetime
    """when the member last changed their response"""
    first_name: str = ""
    last_name: str = ""
    locale: Locale = "en"
    timezone: str = "UTC"
    attended: bool = False
    """ticked present by an animator after the session"""
    waiting_since: AwareDatetime | None = None
    """when a member on the waiting list asked for a seat: the list's order"""
    promoted_at: AwareDatetime | None = None
    """when a seat freed for them and they were moved from the waiting list to yes"""
    attendance: dict[str, Any] = Field(default_factory=dict)
    """what the attendance page wrote beside the response (store/sessions.py: the tick's
    revision, what it earned, a walk-in): a response written again keeps it"""

    @model_validator(mode="before")
    @classmethod
    def _attendance(cls, item: Any) -> Any:
        if isinstance(item, dict) and "attendance" not in item:
            kept = {k: v for k, v in item.items() if k in ATTENDANCE_FIELDS}
            return {**item, "attendance": kept}
        return item


class Answer(BaseModel):
    """A member's reply to a theme: one per (theme, member), editable until the deadline."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    theme_id: str
    member_id: str
    text: str
    visibility: Visibility = Visibility.CIRCLE
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: int = 1
    week: str = ""
    points: int = 0
    circle: str = ""
    team: str = ""
    first_name: str = ""
    """empty on an anonymous answer: its author's name is not kept with it"""
    last_initial: str = ""
    """the initial of the roster's last name when the answer was written (named answers;
    empty on those written before it was kept)"""
    attribution: Attribution = Attribution.NAMED
    useful: int = 0
    """"useful" votes received (the score stream counts them)"""
    useful_circles: frozenset[str] = frozenset()
    """the circles (folded) of the members who found it useful"""
    library_at: str = ""
    """when it entered the library (store/library.py); empty when it is not there"""
    library_by: str = ""
    """how it entered: `star` (an admin) or `votes`"""

    @property
    def anonymous(self) -> bool:
        return self.attribution is Attribution.ANONYMOUS


def readable_in(answer: Answer, circle: str) -> bool:
    """Who reads an answer: everyone when it is shared with the organisation, else the
    author's circle only (`circle`: the reader's; "" for one who reads no circle)."""
    if answer.visibility is Visibility.ORGANISATION:
        return True
    return bool(circle) and group_key(answer.circle) == group_key(circle)
