"""Who may open the animators' space, and which POSTs it acts on.

The link (purpose `admin`, ADMIN_LIFETIME) names an admin, sealed; the space opens only
for an active admin of the current roster: a member's link, an admin who left the roster
or lost the role, an expired or forged link, all get the plain 404 of any bad link.
Rotating the signing key revokes every admin link. A POST must also come from the
space's own pages (its Origin header): a page elsewhere cannot make an admin's browser
apply an import or retry a queue."""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from palabre.core.links import writer
from palabre.core.models import Member
from palabre.core.tokens import InvalidToken, Purpose, Signer
from palabre.store.members import MemberStore


class ForeignOrigin(Exception):
    """A POST whose Origin header is not the space's own: refused (403), nothing done."""

    def __init__(self, locale: str = "") -> None:
        super().__init__("a POST from another origin")
        self.locale = locale
        """the admin's language, when their link was good"""


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


def check_origin(origin: str | None, host: str, locale: str = "") -> None:
    """A POST's Origin (RFC 6454) must name the host the request reached (API Gateway's
    domainName: the custom domain, or execute-api's): the space's own pages. Browsers
    send Origin with every POST; a request without one, with "null" (a sandboxed frame, a
    redirect across sites) or from another site is refused. The function cannot be told
    its own address (its API's URL would make the template's resources a cycle); the
    scheme is the API's own, https (http only on the local stack)."""
    given = urlsplit((origin or "").strip())
    if (
        not origin
        or given.scheme not in ("https", "http")
        or not host
        or given.netloc.lower() != host.strip().lower()
    ):
        raise ForeignOrigin(locale)
