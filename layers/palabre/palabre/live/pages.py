"""The RSVP link's page: GET shows the session and the three choices (the email's choice
preselected), POST records one and redirects (303) to the page again with `?done=1`,
which reads the member's own write back and says what it did."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response

from palabre.core.i18n import Translatable, translations
from palabre.core.links import Links
from palabre.core.markdown import prompt_html
from palabre.live.rsvp import Rsvps, RsvpView, Started, parse_choice
from palabre.live.session import live_session
from palabre.store.rsvps import ChangedMeanwhile
from palabre.web import Pages, form_fields, headers

DONE = "1"
"""the `done` query parameter of the page a POST redirects to"""


class RsvpPages:
    def __init__(self, rsvps: Rsvps, pages: Pages, templates_dir: Path) -> None:
        self.rsvps = rsvps
        self.pages = pages
        self.templates_dir = templates_dir

    def show(
        self, token: str, path: str, now: datetime, proposed: str | None, done: str | None
    ) -> Response[str]:
        view = self.rsvps.open(token, now, consistent=done == DONE)
        return self._page(view, path, now, proposed=proposed or "", done=done == DONE)

    def submit(self, token: str, path: str, body: str, now: datetime) -> Response[str]:
        # An invalid link, or a member no longer in the roster: the plain 404 first.
        view = self.rsvps.open(token, now, write=True)
        fields = form_fields(body, limit=1024)
        wanted = (fields.get("response") or [""])[-1]
        try:
            choice = parse_choice(wanted)
            self.rsvps.respond(token, choice, now)
        except Translatable as invalid:
            tr = translations(self.templates_dir, view.locale or self.pages.default_locale)
            return self._page(view, path, now, error=invalid.text(tr), status=400)
        except Started as started:
            return self._page(started.view, path, now, status=409)
        except ChangedMeanwhile:
            return self._page(view, path, now, proposed=wanted, conflict=True, status=409)
        return Response(
            status_code=303,
            headers={**headers(self.templates_dir), "Location": f"{path}?done={DONE}"},
            body="",
        )

    def _page(
        self,
        view: RsvpView,
        path: str,
        now: datetime,
        *,
        proposed: str = "",
        done: bool = False,
        error: str = "",
        conflict: bool = False,
        status: int = 200,
    ) -> Response[str]:
        locale = view.locale or self.pages.default_locale
        current = view.rsvp.response.value if view.rsvp else ""
        # The email's choice, else the member's own; "waiting" shows as the "yes" it was.
        selected = proposed if proposed in ("yes", "no", "maybe") else current
        if selected == "waiting":
            selected = "yes"
        issued = view.theme.ends_at or now
        return self.pages.render(
            "rsvp",
            locale,
            status=status,
            theme=view.theme,
            title=view.theme.title_for(locale),
            prompt_html=prompt_html(view.theme, locale),
            live=live_session(view.theme, ZoneInfo(view.timezone), locale),
            current=current,
            selected=selected,
            position=view.position,
            seats_left=view.seats_left,
            state=view.state.value,
            left=view.left,
            done=done,
            error=error,
            conflict=conflict,
            action=path,
            space_url=Links("..", self.rsvps.signer).space(view.member_id, issued),
        )
