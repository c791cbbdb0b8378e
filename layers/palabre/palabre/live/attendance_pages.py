"""The attendance page: GET shows who said yes or maybe, a page of them at a time, with a
box to tick for each, and a field for someone who came without answering; POST records
that page's form and answers with a redirect (303) to the same page, `?saved=1`. A bad
form is the page again with why (400), nothing recorded."""

from datetime import datetime
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.core.i18n import Translatable, translations
from palabre.live.attendance import (
    MAX_BODY,
    MAX_LISTED,
    UNREADABLE,
    Attendance,
    AttendanceView,
    parse_form,
)
from palabre.live.session import live_session
from palabre.store.sessions import Invitee
from palabre.web import Pages, form_fields, headers


class AttendancePages:
    def __init__(self, attendance: Attendance, pages: Pages) -> None:
        self.attendance = attendance
        self.pages = pages

    def show(
        self, token: str, path: str, now: datetime, saved: bool, page: int = 1
    ) -> Response[str]:
        view = self.attendance.open(token, now)
        return self._page(view, path, now, page, saved=saved)

    def record(self, token: str, path: str, body: str, now: datetime) -> Response[str]:
        view = self.attendance.open(token, now)
        page = 1
        try:
            if len(body) > MAX_BODY:
                raise Translatable(UNREADABLE)
            form = parse_form(form_fields(body, limit=MAX_BODY, fields=2 * MAX_LISTED + 3))
            page = form.page
            self.attendance.record(view, form, now)
        except Translatable as invalid:
            error = invalid.text(translations(self.pages.templates_dir, view.admin.locale))
            return self._page(view, path, now, page, error=error, status=400)
        query = "saved=1" if page == 1 else f"page={page}&saved=1"
        return Response(
            status_code=303,
            headers={**headers(self.pages.templates_dir), "Location": f"{path}?{query}"},
            body="",
        )

    def _page(
        self,
        view: AttendanceView,
        path: str,
        now: datetime,
        page: int,
        *,
        saved: bool = False,
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        admin = view.admin
        pages = view.pages()
        page = max(1, min(page, pages))
        return self.pages.render(
            "attendance",
            admin.locale,
            status=status,
            title=view.theme.title_for(admin.locale),
            live=live_session(view.theme, ZoneInfo(admin.timezone), admin.locale),
            started=view.started(now),
            people=[
                {
                    "id": i.member_id,
                    "name": i.name,
                    "circle": i.circle,
                    "response": _shown_response(i),
                    "attended": i.attended,
                }
                for i in view.page(page)
            ],
            page=page,
            pages=pages,
            attended=sum(1 for i in view.invitees if i.attended),
            invited=len(view.invitees),
            saved=saved,
            error=error,
            action=path,
        )


def _shown_response(invitee: Invitee) -> str:
    """What the page says beside a name: "walk-in" for one who came without answering
    (added by address), else their response (yes, maybe, no, waiting)."""
    if invitee.rsvp is None or invitee.walk_in:
        return "walk-in"
    return invitee.rsvp.response.value
