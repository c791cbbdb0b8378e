"""The personal links emails carry: signed, opaque, expiring.

Every member id a link carries is sealed (Signer.hide), the author of a vote or star link
with the ids of the link around it: a member id is derived from an address, and a reader
must not be able to check a guessed colleague's address against a link
(docs/architecture.md, "Personal links")."""

from datetime import datetime, timedelta

from palabre.core.local_time import ATTENDANCE_GRACE
from palabre.core.models import Member
from palabre.core.tokens import InvalidToken, Purpose, Signer

# Mail clients may act on List-Unsubscribe long after delivery: a generous lifetime.
UNSUBSCRIBE_LIFETIME = timedelta(days=400)
VOTE_LIFETIME = timedelta(days=60)
# An admin may come back to a week's exports long after its report.
EXPORT_LIFETIME = timedelta(days=90)
# A member's space: as long-lived as the unsubscribe link; each email renews it.
SPACE_LIFETIME = timedelta(days=400)
# An admin stars from a weekly report or a page of their space.
STAR_LIFETIME = timedelta(days=60)
# A question closes seven days after it is sent, at most ten after it is asked.
CANCEL_LIFETIME = timedelta(days=30)
# Held jobs wait in the queue (14 days' retention), but a pause is an emergency: its link
# lasts a week from the pause, long enough for a weekend and a day off; after that,
# `palabre sending resume`.
RESUME_LIFETIME = timedelta(days=7)
# An animator ticks who came in the days after a live session (core.local_time).
ATTENDANCE_LIFETIME = ATTENDANCE_GRACE
# The animators' space: every weekly report carries a fresh link; two weeks lets one
# missed report pass. Rotating the signing key revokes every one of them.
ADMIN_LIFETIME = timedelta(days=14)


REPLY_PREFIX = "reply+"
"""the local part of a reply address, before its token"""
UNSUBSCRIBE_PREFIX = "unsubscribe+"
"""the local part of an unsubscribe address (List-Unsubscribe's mailto:), before its token"""


class Offboarded(InvalidToken):
    """A member no longer in the roster wrote through one of their links."""


def in_roster(member: Member | None) -> bool:
    return member is not None and member.active


def writer(member: Member | None) -> Member:
    """The member a personal link writes as (an answer, a vote, a question, a star, an
    absence): one still in the roster. Anyone else gets the plain page of any bad link
    (Offboarded is an InvalidToken), and nothing is written. Every link opens its
    member's profile anyway, so this costs no request; reading and unsubscribing stay
    theirs."""
    if member is None or not in_roster(member):
        raise Offboarded
    return member


class Links:
    """Each link's expiry counts from `issued`: the instant the email is about (a theme's
    answer deadline, a week's end), never the wall clock, so that every attempt at the
    same email carries the same links, byte for byte."""

    def __init__(self, base_url: str, signer: Signer, inbound_domain: str = "") -> None:
        """`inbound_domain`: where replies to emails are received (the InboundDomain
        parameter); empty when nothing reads them."""
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.inbound_domain = inbound_domain

    def reply_address(self, theme_id: str, member_id: str, expires: datetime) -> str:
        """The Reply-To of a theme's emails: replying answers the theme (palabre.inbound).
        Its expiry is the answer link's; "" when no inbound domain is set."""
        if not self.inbound_domain:
            return ""
        token = self.signer.reply_token(member_id, theme_id, expires)
        return f"{REPLY_PREFIX}{token}@{self.inbound_domain}"

    def answer(self, theme_id: str, member_id: str, expires: datetime) -> str:
        member = self.signer.hide(member_id, Purpose.ANSWER, theme_id)
        token = self.signer.sign(Purpose.ANSWER, [theme_id, member], expires)
        return f"{self.base_url}/answer/{token}"

    def rsvp(self, theme_id: str, member_id: str, expires: datetime, response: str = "") -> str:
        """A member's response to a live session (`expires`: the session's end): the page
        asks to confirm `response` (yes, no, maybe), preselected; only its POST records."""
        member = self.signer.hide(member_id, Purpose.RSVP, theme_id)
        token = self.signer.sign(Purpose.RSVP, [theme_id, member], expires)
        return f"{self.base_url}/rsvp/{token}" + (f"?r={response}" if response else "")

    def unsubscribe(self, member_id: str, issued: datetime, scope: str = "nothing") -> str:
        """`scope` is what a one-click unsubscribe from this email stops: the digests
        (no_digest) or everything (nothing)."""
        member = self.signer.hide(member_id, Purpose.UNSUBSCRIBE)
        token = self.signer.sign(
            Purpose.UNSUBSCRIBE, [member, scope], issued + UNSUBSCRIBE_LIFETIME
        )
        return f"{self.base_url}/unsubscribe/{token}"

    def unsubscribe_address(self, member_id: str, issued: datetime, scope: str = "nothing") -> str:
        """The address a mail client writes to when its reader unsubscribes by email
        (List-Unsubscribe's mailto:, read by palabre.inbound): the link's scope and
        lifetime; "" when no inbound domain is set."""
        if not self.inbound_domain:
            return ""
        token = self.signer.unsubscribe_token(member_id, scope, issued + UNSUBSCRIBE_LIFETIME)
        return f"{UNSUBSCRIBE_PREFIX}{token}@{self.inbound_domain}"

    def unsubscribing(
        self, member_id: str, issued: datetime, scope: str = "nothing"
    ) -> dict[str, str]:
        """An email's ways to unsubscribe, as its context carries them (mail/personal.py
        writes them in List-Unsubscribe): the link, and the address if replies are read."""
        return {
            "unsubscribe_url": self.unsubscribe(member_id, issued, scope),
            "unsubscribe_address": self.unsubscribe_address(member_id, issued, scope),
        }

    def export(self, week: str, name: str, member_id: str, issued: datetime) -> str:
        member = self.signer.hide(member_id, Purpose.EXPORT, week, name)
        token = self.signer.sign(Purpose.EXPORT, [week, name, member], issued + EXPORT_LIFETIME)
        return f"{self.base_url}/export/{token}"

    def vote(
        self,
        theme_id: str,
        author_id: str,
        voter_id: str,
        issued: datetime,
    ) -> str:
        """The author sealed with the theme and the voter (Signer.seal), anonymous or not:
        the link must not name who wrote the answer, to its reader or to anyone it is
        forwarded to."""
        author = self.signer.seal(author_id, theme_id, voter_id)
        voter = self.signer.hide(voter_id, Purpose.VOTE, theme_id)
        token = self.signer.sign(Purpose.VOTE, [theme_id, author, voter], issued + VOTE_LIFETIME)
        return f"{self.base_url}/vote/{token}"

    def star(
        self,
        theme_id: str,
        author_id: str,
        admin_id: str,
        issued: datetime,
    ) -> str:
        """An admin's link to put an answer in the library, or take it out (its author
        sealed, as in a vote link)."""
        author = self.signer.seal(author_id, theme_id, admin_id)
        admin = self.signer.hide(admin_id, Purpose.STAR, theme_id)
        token = self.signer.sign(Purpose.STAR, [theme_id, author, admin], issued + STAR_LIFETIME)
        return f"{self.base_url}/star/{token}"

    def space_theme(self, member_id: str, theme_id: str, issued: datetime) -> str:
        """A theme's page in the member's space."""
        return f"{self.space(member_id, issued)}/themes/{theme_id}"

    def space(self, member_id: str, issued: datetime) -> str:
        token = self.signer.sign(
            Purpose.SPACE, [self.signer.hide(member_id, Purpose.SPACE)], issued + SPACE_LIFETIME
        )
        return f"{self.base_url}/space/{token}"

    def cancel(self, theme_id: str, admin_id: str, issued: datetime) -> str:
        """An admin's link to cancel a member's question."""
        admin = self.signer.hide(admin_id, Purpose.CANCEL, theme_id)
        token = self.signer.sign(Purpose.CANCEL, [theme_id, admin], issued + CANCEL_LIFETIME)
        return f"{self.base_url}/cancel/{token}"

    def resume(self, since: str, admin_id: str, issued: datetime) -> str:
        """An admin's link to resume sending after the pause that began at `since`: it
        resumes that pause only, never a later one (that one sends its own email)."""
        admin = self.signer.hide(admin_id, Purpose.RESUME, since)
        token = self.signer.sign(Purpose.RESUME, [since, admin], issued + RESUME_LIFETIME)
        return f"{self.base_url}/resume/{token}"

    def attendance(self, theme_id: str, admin_id: str, issued: datetime) -> str:
        """An admin's link to tick who came to a live session; `issued`: its end."""
        admin = self.signer.hide(admin_id, Purpose.ATTENDANCE, theme_id)
        token = self.signer.sign(
            Purpose.ATTENDANCE, [theme_id, admin], issued + ATTENDANCE_LIFETIME
        )
        return f"{self.base_url}/attendance/{token}"

    def admin(self, admin_id: str, issued: datetime) -> str:
        """An admin's link to the animators' space (palabre.admin), for ADMIN_LIFETIME."""
        admin = self.signer.hide(admin_id, Purpose.ADMIN)
        token = self.signer.sign(Purpose.ADMIN, [admin], issued + ADMIN_LIFETIME)
        return f"{self.base_url}/admin/{token}"
