"""The animators' space's pages: each extends templates/web/admin_layout.html (its
navigation, in the admin's language) and is rendered through AdminPages.render."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.admin.access import AdminAccess, AdminView
from palabre.store.activity import ActivityLog
from palabre.web import Pages, headers

SECTIONS = ("imports", "deliverability", "exports", "activity")
"""the space's pages under its home, in the navigation's order"""


class AdminPages:
    def __init__(self, access: AdminAccess, activity: ActivityLog, pages: Pages) -> None:
        self.access = access
        self.activity = activity
        self.pages = pages

    def open(self, token: str, now: datetime) -> AdminView:
        return self.access.open(token, now)

    def render(
        self, view: AdminView, name: str, *, status: int = 200, **context: Any
    ) -> Response[str]:
        admin = view.admin
        return self.pages.render(
            name,
            admin.locale,
            status=status,
            base=view.base,
            admin_name=admin.display_name,
            zone=ZoneInfo(admin.timezone),
            section=context.pop("section", name.removeprefix("admin_")),
            **context,
        )

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
