"""HTTP API: the pages behind every personal link an email carries — answers, live
sessions' responses (RSVP), "useful" votes, unsubscribing, the member's space (its themes,
library, preferences and questions to the circle), an admin's library stars, the admin
report's exports and question cancelling, a live session's attendance, and resuming
sending after the deliverability guard paused it. GET only ever shows; POST acts."""

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from palabre.core import clock
from palabre.core.tokens import Purpose
from palabre.web import answer_bad_links, body_text, form_fields, headers, http_handler
from palabre.wiring import (
    answer_pages,
    ask_pages,
    attendance_pages,
    cancel_pages,
    exports,
    library_pages,
    pages,
    preferences_pages,
    resume_pages,
    rsvp_pages,
    signer,
    space_pages,
    subscription_pages,
    vote_pages,
)

if TYPE_CHECKING:
    from palabre.config import PagesSettings, PersonalLinksSettings, ResumeSettings

app = APIGatewayHttpResolver()


# Read on each call. Imported by the first: the settings' pydantic models were a third of
# a cold start (docs/performance.md).
def pages_settings() -> "PagesSettings":
    from palabre.config import PagesSettings

    return PagesSettings.from_env()


def links_settings() -> "PersonalLinksSettings":
    from palabre.config import PersonalLinksSettings

    return PersonalLinksSettings.from_env()


def resume_settings() -> "ResumeSettings":
    from palabre.config import ResumeSettings

    return ResumeSettings.from_env()


def posted(purpose: Purpose, token: str) -> str:
    """A POST's body as text, read only once its link is known good: a bad link gets the
    plain 404 whatever its body, a good one whose body is not UTF-8 a 400 page."""
    signer(pages_settings()).verify(purpose, token, clock.now())
    event = app.current_event
    return body_text(event.body, event.is_base64_encoded)


def posted_form(purpose: Purpose, token: str) -> dict[str, list[str]]:
    content_type = app.current_event.headers.get("content-type", "")
    return form_fields(posted(purpose, token), limit=4096, content_type=content_type)


def page_number() -> int:
    """The `page` query parameter of a paged page; the first for anything else."""
    page = app.current_event.get_query_string_value("page") or "1"
    return int(page) if page.isdigit() and len(page) < 6 else 1


@app.get("/answer/<token>")
def show_answer(token: str) -> Response[str]:
    event = app.current_event
    saved = event.get_query_string_value("saved")  # the thank-you page, after a POST
    pages_ = answer_pages(links_settings())
    return pages_.show(token, event.path, clock.now(), saved)


@app.post("/answer/<token>")
def submit_answer(token: str) -> Response[str]:
    """Saved: a redirect to the thank-you page (303); refused: the form again (400/409)."""
    body = posted(Purpose.ANSWER, token)
    return answer_pages(links_settings()).submit(token, app.current_event.path, body, clock.now())


@app.get("/vote/<token>")
def show_vote(token: str) -> Response[str]:
    return vote_pages(pages_settings()).show(token, app.current_event.path, clock.now())


@app.post("/vote/<token>")
def cast_vote(token: str) -> Response[str]:
    return vote_pages(pages_settings()).cast(token, app.current_event.path, clock.now())


@app.get("/rsvp/<token>")
def show_rsvp(token: str) -> Response[str]:
    """The choice the email's link proposes (`r`), or, after a POST, what it did."""
    event = app.current_event
    proposed = event.get_query_string_value("r")
    done = event.get_query_string_value("done")
    pages_ = rsvp_pages(pages_settings())
    return pages_.show(token, event.path, clock.now(), proposed, done)


@app.post("/rsvp/<token>")
def respond(token: str) -> Response[str]:
    """Recorded: a redirect to the page (303); refused: the page again (400/409)."""
    body = posted(Purpose.RSVP, token)
    return rsvp_pages(pages_settings()).submit(token, app.current_event.path, body, clock.now())


@app.get("/unsubscribe/<token>")
def show_subscription(token: str) -> Response[str]:
    pages_ = subscription_pages(pages_settings())
    return pages_.show(token, app.current_event.path, clock.now())


@app.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response[str]:
    form = posted_form(Purpose.UNSUBSCRIBE, token)
    pages_ = subscription_pages(pages_settings())
    return pages_.submit(token, app.current_event.path, form, clock.now())


@app.get("/space/<token>")
def show_space(token: str) -> Response[str]:
    return space_pages(links_settings()).show(token, clock.now())


@app.get("/space/<token>/history")
def show_history(token: str) -> Response[str]:
    before = app.current_event.get_query_string_value("before")
    return space_pages(links_settings()).history(token, clock.now(), before)


@app.get("/space/<token>/themes/<theme_id>")
def show_space_theme(token: str, theme_id: str) -> Response[str]:
    number = page_number()
    return space_pages(links_settings()).theme(token, theme_id, clock.now(), number)


@app.get("/space/<token>/library")
def show_library(token: str) -> Response[str]:
    query = app.current_event.get_query_string_value("q") or ""
    return library_pages(links_settings()).show(token, clock.now(), query)


@app.get("/star/<token>")
def show_star(token: str) -> Response[str]:
    return library_pages(links_settings()).star_page(token, app.current_event.path, clock.now())


@app.post("/star/<token>")
def star(token: str) -> Response[str]:
    body = posted(Purpose.STAR, token)
    return library_pages(links_settings()).star(token, app.current_event.path, body, clock.now())


@app.get("/space/<token>/ask")
def show_ask(token: str) -> Response[str]:
    event = app.current_event
    asked = event.get_query_string_value("asked") == "1"  # the confirmation, after a POST
    return ask_pages(links_settings()).show(token, event.path, clock.now(), asked)


@app.post("/space/<token>/ask")
def ask(token: str) -> Response[str]:
    """Asked: a redirect to the confirmation (303); refused: the form again (400/403/409)."""
    body = posted(Purpose.SPACE, token)
    return ask_pages(links_settings()).submit(token, app.current_event.path, body, clock.now())


@app.get("/space/<token>/preferences")
def show_preferences(token: str) -> Response[str]:
    event = app.current_event
    saved = event.get_query_string_value("saved")  # what the POST before it did
    return preferences_pages(pages_settings()).show(token, event.path, clock.now(), saved)


@app.post("/space/<token>/preferences")
def change_preferences(token: str) -> Response[str]:
    """Changed: a redirect to the page (303); refused: the page again, with why (400)."""
    form = posted_form(Purpose.SPACE, token)
    return preferences_pages(pages_settings()).submit(
        token, app.current_event.path, form, clock.now()
    )


@app.get("/cancel/<token>")
def show_cancel(token: str) -> Response[str]:
    return cancel_pages(pages_settings()).show(token, app.current_event.path, clock.now())


@app.post("/cancel/<token>")
def cancel_question(token: str) -> Response[str]:
    return cancel_pages(pages_settings()).cancel(token, app.current_event.path, clock.now())


@app.get("/attendance/<token>")
def show_attendance(token: str) -> Response[str]:
    event = app.current_event
    saved = event.get_query_string_value("saved") == "1"  # after a POST
    number = page_number()
    pages_ = attendance_pages(pages_settings())
    return pages_.show(token, event.path, clock.now(), saved, number)


@app.post("/attendance/<token>")
def record_attendance(token: str) -> Response[str]:
    """Recorded: a redirect to the page (303); refused: the page again, with why (400)."""
    body = posted(Purpose.ATTENDANCE, token)
    return attendance_pages(pages_settings()).record(
        token, app.current_event.path, body, clock.now()
    )


@app.get("/resume/<token>")
def show_resume(token: str) -> Response[str]:
    return resume_pages(resume_settings()).show(token, app.current_event.path, clock.now())


@app.post("/resume/<token>")
def resume_sending(token: str) -> Response[str]:
    return resume_pages(resume_settings()).resume(token, app.current_event.path, clock.now())


@app.get("/export/<token>")
def download_export(token: str) -> Response[str]:
    """A CSV of the admin report: a fresh five-minute presigned URL, minted on each click."""
    settings = pages_settings()
    location = exports(settings).download_url(token, clock.now())
    return Response(
        status_code=302,
        headers={**headers(settings.templates_dir), "Location": location},
        body="",
    )


answer_bad_links(app, lambda: pages(pages_settings()))


lambda_handler = http_handler(app)
