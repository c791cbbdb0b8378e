"""The animators' space's pages: each extends templates/web/admin_layout.html (its
navigation, in the admin's language) and is rendered through AdminPages.render."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.admin.access import AdminAccess, AdminView
from palabre.core import clock
from palabre.core.links import Links
from palabre.store.activity import ActivityLog
from palabre.store.sending import SendingHealth
from palabre.web import Pages, headers


class AdminPages:
    def __init__(
        self,
        access: AdminAccess,
        activity: ActivityLog,
        pages: Pages,
        health: SendingHealth | None = None,
    ) -> None:
        self.access = access
        self.activity = activity
        self.pages = pages
        self.health = health
        """the deliverability guard's pause: every page says when sending is paused"""

    def open(self, token: str, now: datetime) -> AdminView:
        return self.access.open(token, now)

    def render(
        self, view: AdminView, name: str, *, status: int = 200, **context: Any
    ) -> Response[str]:
        admin = view.admin
        page = self.pages.render(
            name,
            admin.locale,
            status=status,
            base=view.base,
            admin_name=admin.display_name,
            zone=ZoneInfo(admin.timezone),
            section=context.pop("section", name.removeprefix("admin_")),
            paused=self._paused(view),
            **context,
        )
        # Its forms must carry their Origin (origin.check_origin): under the members'
        # pages' no-referrer, browsers send "Origin: null" with every POST. same-origin
        # still keeps the link out of any other site's logs.
        page.headers["Referrer-Policy"] = "same-origin"
        return page

    def _paused(self, view: AdminView) -> dict[str, Any] | None:
        """While the deliverability guard holds new sends: since when, and the link to the
        page that shows why and resumes (a relative link: the same API serves it)."""
        pause = self.health.last_pause() if self.health is not None else None
        if pause is None or not pause.active:
            return None
        links = Links("", self.access.signer)
        return {
            "since": datetime.fromisoformat(pause.since).astimezone(ZoneInfo(view.admin.timezone)),
            # issued now: a pause older than the link's lifetime still gets a live link
            "resume_url": links.resume(pause.since, view.admin.id, clock.now()),
        }

    def redirect(self, view: AdminView, page: str = "", query: str = "") -> Response[str]:
        """After a POST: 303 to a page of the space (`page` "": its home)."""
        location = f"{view.base}/{page}" if page else view.base
        return Response(
            status_code=303,
            headers={
                **headers(self.pages.templates_dir),
                "Location": f"{location}?{query}" if query else location,
            },
            body="",
        )

    def forbidden(self, locale: str) -> Response[str]:
        """A POST from another site's page (its Origin): nothing was done."""
        return self.pages.render("admin_forbidden", locale, status=403)

    def activity_page(self, token: str, now: datetime, before: str = "") -> Response[str]:
        view = self.open(token, now)
        # A cursor is a sort key this page gave: anything else starts from the newest.
        cursor = before if len(before) <= 80 and before[:1].isdigit() else ""
        actions, more = self.activity.recent(cursor)
        return self.render(view, "admin_activity", actions=actions, more=more)
