"""The attendance page: GET shows who said yes or maybe, with a box to tick for each, and
a field for someone who came without answering; POST records it and answers with a
redirect (303) to the same page, `?saved=1`. A bad form is the page again with why
(400), nothing recorded."""

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
from palabre.live.session import live_session, meeting_url
from palabre.web import Pages, form_fields, headers


class AttendancePages:
    def __init__(self, attendance: Attendance, pages: Pages) -> None:
        self.attendance = attendance
        self.pages = pages

    def show(self, token: str, path: str, now: datetime, saved: bool) -> Response[str]:
        view = self.attendance.open(token, now)
        return self._page(view, path, now, saved=saved)

    def record(self, token: str, path: str, body: str, now: datetime) -> Response[str]:
        view = self.attendance.open(token, now)
        try:
            if len(body) > MAX_BODY:
                raise Translatable(UNREADABLE)
            form = parse_form(form_fields(body, limit=MAX_BODY, fields=2 * MAX_LISTED + 2))
            self.attendance.record(view, form, now)
        except Translatable as invalid:
            error = invalid.text(translations(self.pages.templates_dir, view.admin.locale))
            return self._page(view, path, now, error=error, status=400)
        return Response(
            status_code=303,
            headers={**headers(self.pages.templates_dir), "Location": f"{path}?saved=1"},
            body="",
        )

    def _page(
        self,
        view: AttendanceView,
        path: str,
        now: datetime,
        *,
        saved: bool = False,
        error: str = "",
        status: int = 200,
    ) -> Response[str]:
        admin = view.admin
        listed = view.listed
        return self.pages.render(
            "attendance",
            admin.locale,
            status=status,
            title=view.theme.title,
            live=live_session(view.theme, ZoneInfo(admin.timezone), admin.locale),
            location_url=meeting_url(view.theme.location),
            started=view.started(now),
            people=[
                {
                    "id": i.member_id,
                    "name": i.name,
                    "circle": i.circle,
                    "response": i.rsvp.response.value if i.rsvp else "",
                    "walk_in": not (i.rsvp and i.rsvp.response.coming),
                    "attended": i.attended,
                }
                for i in listed
            ],
            attended=sum(1 for i in view.invitees if i.attended),
            invited=len(view.invitees),
            saved=saved,
            error=error,
            action=path,
        )
