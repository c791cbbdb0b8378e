"""Deliverability, for animators: the addresses Palabre no longer writes to and why, the
last seven days' bounce and complaint rates, and lifting a suppression once an address
is fixed.

A bounced address is lifted on the animator's word (the address was corrected in the
mail system, or a full mailbox emptied). A complaint is a person who told their mail
provider our email was unwanted: writing to them again needs their consent, so the
animator must tick that they asked to receive Palabre again; without the tick nothing
is lifted. Lifting changes no rate: the bounce or complaint happened, and the guard's
counts (and SES's) keep it."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from palabre.core.deliverability import BOUNCE_LIMIT, COMPLAINT_LIMIT, Figures
from palabre.core.i18n import N_, Translatable
from palabre.core.models import Member, member_id
from palabre.core.text import is_email
from palabre.store import keys
from palabre.store.members import MemberStore, RosterVersion, profile_member
from palabre.store.sending import SendingHealth

SHOWN = 200
"""suppressed addresses a page lists, the newest: each is a form, and a page must stay
well under a Lambda response's 6 MB whatever the roster's size"""
# The rates at which SES puts an account under review (bounces/pause_notice.py).
SES_BOUNCE_REVIEW = 0.05
SES_COMPLAINT_REVIEW = 0.001


@dataclass(frozen=True)
class Suppressed:
    email: str
    reason: str
    """bounce or complaint"""
    detail: str
    """what SES said: a bounce's diagnostic, a complaint's feedback type"""
    at: str
    member: Member | None
    """who it is, if the roster knows the address"""


@dataclass(frozen=True)
class Rates:
    figures: Figures
    bounce_limit: float = BOUNCE_LIMIT
    complaint_limit: float = COMPLAINT_LIMIT
    ses_bounce: float = SES_BOUNCE_REVIEW
    ses_complaint: float = SES_COMPLAINT_REVIEW


class Lifted(StrEnum):
    LIFTED = "lifted"
    NOT_SUPPRESSED = "not_suppressed"
    """lifted already (another tab, another animator): nothing to do"""
    CHANGED = "changed"
    """it bounced or complained again since the page was shown: nothing lifted"""


class Deliverability:
    def __init__(self, members: MemberStore, health: SendingHealth) -> None:
        self.members = members
        self.health = health

    def suppressed(self, shown: int = SHOWN) -> tuple[list[Suppressed], bool]:
        """The `shown` newest suppressed addresses, with the member each belongs to, and
        whether older ones are left out: one Query that stops after `shown` + 1 (the page
        costs the same whatever the history), one BatchGetItem per hundred shown."""
        newest = self.members.suppressions(detail=True, newest=shown + 1)
        entries = [e for e in newest if e["email"]]
        kept = entries[:shown]
        wanted = [keys.member(member_id(e["email"])) for e in kept]
        profiles = self.members.table.get_many(wanted) if wanted else []
        version = RosterVersion(self.members.table)  # the pointer read once, if at all
        by_id = {i["PK"].removeprefix("MEMBER#"): profile_member(i, version) for i in profiles}
        return [
            Suppressed(
                e["email"],
                e["reason"],
                e.get("detail", ""),
                e["at"],
                by_id.get(member_id(e["email"])),
            )
            for e in kept
        ], len(newest) > shown

    def rates(self, now: datetime) -> Rates:
        return Rates(self.health.last_week(now))

    def lift(self, form_email: str, form_at: str, consented: bool) -> tuple[Lifted, str]:
        """Lifts the suppression of `form_email` shown at `form_at`; returns what was
        done and the suppression's reason. Raises Translatable for a request it refuses
        (nothing changed): not an address, or a complaint without the tick."""
        email = form_email.strip().lower()
        if not is_email(email):
            raise Translatable(N_("This is not an email address."))
        found = self.members.suppression(email)
        if found is None:
            return Lifted.NOT_SUPPRESSED, ""
        if found["at"] != form_at:
            return Lifted.CHANGED, found["reason"]
        if found["reason"] == "complaint" and not consented:
            raise Translatable(
                N_(
                    "%(email)s complained about our emails: tick that they asked to "
                    "receive them again."
                ),
                email=email,
            )
        if not self.members.unsuppress(email, found["at"]):
            return Lifted.CHANGED, found["reason"]
        return Lifted.LIFTED, found["reason"]
