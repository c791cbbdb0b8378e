"""A member's response to a live session, through the invitation's links (purpose rsvp).

A link in an email can be opened by a mail scanner: GET only shows the choice, POST
records it. Changeable until the session starts; a "yes" past the session's capacity
joins the waiting list, and a seat a "yes" gives up goes to the first on it
(store/rsvps.py counts the seats)."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from palabre.core.i18n import N_, Translatable
from palabre.core.links import in_roster, writer
from palabre.core.models import Member, Response, Rsvp, Theme, ThemeKind
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.rsvps import ChangedMeanwhile, RsvpStore, waiting_order
from palabre.store.table import Table

CHOICES = (Response.YES, Response.MAYBE, Response.NO)
"""what a member may answer (the waiting list is where a "yes" lands when full)"""
ATTEMPTS = 3
"""reads and writes tried when a response changes meanwhile (two tabs, a promotion)"""


class SessionState(StrEnum):
    OPEN = "open"
    STARTED = "started"
    """started or over: the responses are what they were"""
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RsvpView:
    theme: Theme
    member_id: str
    member: Member | None
    rsvp: Rsvp | None
    taken: int
    position: int
    """on the waiting list (1 is next); 0 when not waiting"""
    state: SessionState

    @property
    def left(self) -> bool:
        """No longer in the roster: the page only reads (core.links.writer)."""
        return not in_roster(self.member)

    @property
    def locale(self) -> str:
        if self.member is not None:
            return self.member.locale
        return self.rsvp.locale if self.rsvp else ""

    @property
    def timezone(self) -> str:
        if self.member is not None:
            return self.member.timezone
        return self.rsvp.timezone if self.rsvp else "UTC"

    @property
    def seats_left(self) -> int | None:
        if self.theme.capacity is None:
            return None
        return max(0, self.theme.capacity - self.taken)


class Started(Exception):
    """The session has started (or was cancelled): responses are closed."""

    def __init__(self, view: RsvpView) -> None:
        super().__init__("responses are closed")
        self.view = view


def parse_choice(value: str) -> Response:
    """A posted choice, or Translatable saying what to choose."""
    try:
        choice = Response(value.strip().lower())
    except ValueError:
        choice = None
    if choice not in CHOICES:
        raise Translatable(N_("Choose yes, no or maybe."))
    return choice


class Rsvps:
    def __init__(self, table: Table, signer: Signer) -> None:
        self.store = RsvpStore(table)
        self.signer = signer

    def open(
        self, token: str, now: datetime, *, consistent: bool = False, write: bool = False
    ) -> RsvpView:
        """One BatchGetItem (theme, profile, response, seats); a Query of the responses
        only for a member on the waiting list (their position). `write`: to respond,
        which only a member still in the roster may."""
        theme_id, member_id = self.signer.context_and_member(Purpose.RSVP, token, now)
        seating = self.store.seating(theme_id, member_id, consistent=consistent)
        theme = seating.theme
        if theme is None or theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
            raise InvalidToken
        if write:
            writer(seating.member)
        position = 0
        if seating.rsvp is not None and seating.rsvp.response is Response.WAITING:
            ahead = [
                r
                for r in self.store.waiting(theme_id)
                if waiting_order(r) < waiting_order(seating.rsvp)
            ]
            position = len(ahead) + 1
        if not theme.active:
            state = SessionState.CANCELLED
        elif now >= theme.starts_at:
            state = SessionState.STARTED
        else:
            state = SessionState.OPEN
        return RsvpView(
            theme=theme,
            member_id=member_id,
            member=seating.member,
            rsvp=seating.rsvp,
            taken=seating.taken,
            position=position,
            state=state,
        )

    def respond(self, token: str, choice: Response, now: datetime) -> RsvpView:
        """Records the member's choice and returns the page's view of it; Started once
        the session has started. A change made meanwhile (another tab, a promotion) is
        read again and the choice applied to it."""
        for _ in range(ATTEMPTS):
            view = self.open(token, now, consistent=True, write=True)
            if view.state is not SessionState.OPEN:
                raise Started(view)
            member = view.member
            assert member is not None  # writer() refused anyone else
            before = view.rsvp
            current = before.response if before else None
            try:
                if choice is Response.YES and current not in (Response.YES, Response.WAITING):
                    self.store.take_seat(view.theme, member, before, now)
                elif choice is not Response.YES and current is not choice:
                    self.store.answer(view.theme, member, before, choice, now)
            except ChangedMeanwhile:
                continue
            return self.open(token, now, consistent=True)
        raise ChangedMeanwhile
