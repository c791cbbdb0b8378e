"""A POST to the animators' space must come from its own pages (its Origin header): a
page elsewhere cannot make an admin's browser apply an import or retry a queue.

Apart from access.py, and light: the handler registers ForeignOrigin's page when it is
imported, and a cold start should not load the roster's models for it."""

from urllib.parse import urlsplit


class ForeignOrigin(Exception):
    """A POST whose Origin header is not the space's own: refused (403), nothing done."""

    def __init__(self, locale: str = "") -> None:
        super().__init__("a POST from another origin")
        self.locale = locale
        """the admin's language, when their link was good"""


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
