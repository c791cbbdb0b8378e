"""An animator records who came to a live session, from the link in the attendance list
each admin gets once it ends. A mail scanner may open that link: GET only shows the
list; POST records it. Only an active admin of the current roster may: anyone else's
link (or one whose admin has left) is the plain 404 of any bad link.

The list is the invitees who said yes or maybe, and those ticked already, by name, PAGE at
a time (a session may have thousands): each page's form records only the people it
lists. Anyone else the session's prompt went to can be added by their address (a
walk-in). Ticking writes `attended` on their response and unticking removes it,
idempotently (store/sessions.py); the score stream turns each change into the points and
participation of an answer."""

from dataclasses import dataclass
from datetime import datetime

from palabre.core.i18n import N_, Translatable
from palabre.core.local_time import session_start
from palabre.core.models import Member, Theme, ThemeKind
from palabre.core.text import fold
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store import keys
from palabre.store.members import profile_member
from palabre.store.sessions import Invitee, SessionStore
from palabre.store.table import Table
from palabre.store.themes import theme_from

PAGE = 200
"""people one page lists, and its form records"""
MAX_LISTED = PAGE
"""people one form records at most"""
MAX_BODY = 64 * 1024
MAX_ADDRESS = 254
UNREADABLE = N_("This form could not be read: nothing was recorded.")


@dataclass(frozen=True)
class AttendanceView:
    theme: Theme
    admin: Member
    invitees: list[Invitee]

    @property
    def listed(self) -> list[Invitee]:
        """Who the page lists: those coming, and anyone ticked already, by name."""
        shown = [i for i in self.invitees if i.attended or (i.rsvp and i.rsvp.response.coming)]
        return sorted(shown, key=lambda i: (fold(i.last_name), fold(i.first_name), i.member_id))

    def pages(self) -> int:
        return max(1, -(-len(self.listed) // PAGE))

    def page(self, number: int) -> list[Invitee]:
        """The people of page `number` (from 1; past the last, the last)."""
        first = (max(1, min(number, self.pages())) - 1) * PAGE
        return self.listed[first : first + PAGE]

    def started(self, now: datetime) -> bool:
        return now >= session_start(self.theme)


@dataclass(frozen=True)
class AttendanceForm:
    listed: frozenset[str]
    present: frozenset[str]
    walk_in: str
    page: int = 1
    """the page the form was on (the redirect goes back to it)"""


def _page_number(text: str | None) -> int:
    """A page's number as a link or a form gives it; 1 when it is no number."""
    value = (text or "").strip()
    return max(1, int(value)) if value.isdigit() and len(value) < 6 else 1


def parse_form(fields: dict[str, list[str]]) -> AttendanceForm:
    listed = frozenset(fields.get("listed", []))
    present = frozenset(fields.get("present", []))
    walk_in = (fields.get("email") or [""])[-1].strip()
    if len(listed) > MAX_LISTED or not present <= listed:
        raise Translatable(UNREADABLE)
    if len(walk_in) > MAX_ADDRESS:
        raise Translatable(N_("This address is too long: nothing was recorded."))
    page = _page_number((fields.get("page") or [""])[-1])
    return AttendanceForm(listed, present, walk_in, page)


class Attendance:
    def __init__(self, table: Table, signer: Signer) -> None:
        self.table = table
        self.sessions = SessionStore(table)
        self.signer = signer

    def open(self, token: str, now: datetime) -> AttendanceView:
        theme_id, admin_id = self.signer.context_and_member(Purpose.ATTENDANCE, token, now)
        found = {
            i["SK"]: i
            for i in self.table.get_many(
                [keys.theme(theme_id), keys.member(admin_id)], consistent=True
            )
        }
        theme = theme_from(found["THEME"]) if "THEME" in found else None
        admin = profile_member(found.get("PROFILE"), self.table)
        if theme is None or theme.kind is not ThemeKind.LIVE or theme.starts_at is None:
            raise InvalidToken
        if admin is None or not admin.is_admin:
            raise InvalidToken
        return AttendanceView(theme, admin, self.sessions.invitees(theme_id))

    def record(self, view: AttendanceView, form: AttendanceForm, now: datetime) -> int:
        """Records the form (every change checked first: a bad one records nothing);
        how many people changed."""
        if not view.started(now):
            raise Translatable(N_("The session has not started yet: nothing was recorded."))
        by_id = {i.member_id: i for i in view.invitees}
        unknown = form.listed - set(by_id)
        if unknown:
            raise Translatable(UNREADABLE)
        wanted = {member: member in form.present for member in sorted(form.listed)}
        if form.walk_in:
            by_address = {i.email.casefold(): i for i in view.invitees if i.email}
            found = by_address.get(form.walk_in.casefold())
            if found is None:
                raise Translatable(
                    N_("Nobody invited has the address %(email)s: nothing was recorded."),
                    email=form.walk_in,
                )
            wanted[found.member_id] = True
        changed = 0
        for member, present in wanted.items():
            if self.sessions.mark(view.theme, by_id[member], present, now):
                changed += 1
        return changed
