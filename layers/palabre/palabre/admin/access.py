"""Who may open the animators' space, and which POSTs it acts on.

The link (purpose `admin`, ADMIN_LIFETIME) names an admin, sealed; the space opens only
for an active admin of the current roster: a member's link, an admin who left the roster
or lost the role, an expired or forged link, all get the plain 404 of any bad link.
Rotating the signing key revokes every admin link. A POST must also come from the
space's own pages (origin.py)."""

from dataclasses import dataclass
from datetime import datetime

from palabre.core.links import writer
from palabre.core.models import Member
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.members import MemberStore


@dataclass(frozen=True)
class AdminView:
    admin: Member
    token: str

    @property
    def base(self) -> str:
        """The path of the space's home: its pages are under it."""
        return f"/admin/{self.token}"


class AdminAccess:
    def __init__(self, members: MemberStore, signer: Signer) -> None:
        self.members = members
        self.signer = signer

    def open(self, token: str, now: datetime) -> AdminView:
        admin = writer(self.members.get(self.signer.member_of(token, now, Purpose.ADMIN)))
        if not admin.is_admin:
            raise InvalidToken
        return AdminView(admin, token)
