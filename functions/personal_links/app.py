"""HTTP API: the pages behind every personal link an email carries — answers, live
sessions' responses (RSVP), "useful" votes, unsubscribing, the member's space (its themes,
library, preferences and questions to the circle), an admin's library stars, the admin
report's exports and question cancelling, a live session's attendance, and resuming
sending after the deliverability guard paused it. GET only ever shows; POST acts."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.config import PagesSettings, PersonalLinksSettings, ResumeSettings
from palabre.core import clock
from palabre.core.tokens import InvalidToken, LinkSecretUnusable, Purpose
from palabre.observability import logger, metrics, tracer
from palabre.web import UnreadableForm, body_text, form_fields, headers
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

app = APIGatewayHttpResolver()


def posted(purpose: Purpose, token: str) -> str:
    """A POST's body as text, read only once its link is known good: a bad link gets the
    plain 404 whatever its body, a good one whose body is not UTF-8 a 400 page."""
    signer(PagesSettings.from_env()).verify(purpose, token, clock.now())
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
    pages_ = answer_pages(PersonalLinksSettings.from_env())
    return pages_.show(token, event.path, clock.now(), saved)


@app.post("/answer/<token>")
def submit_answer(token: str) -> Response[str]:
    """Saved: a redirect to the thank-you page (303); refused: the form again (400/409)."""
    body = posted(Purpose.ANSWER, token)
    return answer_pages(PersonalLinksSettings.from_env()).submit(
        token, app.current_event.path, body, clock.now()
    )


@app.get("/vote/<token>")
def show_vote(token: str) -> Response[str]:
    return vote_pages(PagesSettings.from_env()).show(token, app.current_event.path, clock.now())


@app.post("/vote/<token>")
def cast_vote(token: str) -> Response[str]:
    return vote_pages(PagesSettings.from_env()).cast(token, app.current_event.path, clock.now())


@app.get("/rsvp/<token>")
def show_rsvp(token: str) -> Response[str]:
    """The choice the email's link proposes (`r`), or, after a POST, what it did."""
    event = app.current_event
    proposed = event.get_query_string_value("r")
    done = event.get_query_string_value("done")
    pages_ = rsvp_pages(PagesSettings.from_env())
    return pages_.show(token, event.path, clock.now(), proposed, done)


@app.post("/rsvp/<token>")
def respond(token: str) -> Response[str]:
    """Recorded: a redirect to the page (303); refused: the page again (400/409)."""
    body = posted(Purpose.RSVP, token)
    return rsvp_pages(PagesSettings.from_env()).submit(
        token, app.current_event.path, body, clock.now()
    )


@app.get("/unsubscribe/<token>")
def show_subscription(token: str) -> Response[str]:
    pages_ = subscription_pages(PagesSettings.from_env())
    return pages_.show(token, app.current_event.path, clock.now())


@app.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response[str]:
    form = posted_form(Purpose.UNSUBSCRIBE, token)
    pages_ = subscription_pages(PagesSettings.from_env())
    return pages_.submit(token, app.current_event.path, form, clock.now())


@app.get("/space/<token>")
def show_space(token: str) -> Response[str]:
    return space_pages(PersonalLinksSettings.from_env()).show(token, clock.now())


@app.get("/space/<token>/history")
def show_history(token: str) -> Response[str]:
    before = app.current_event.get_query_string_value("before")
    return space_pages(PersonalLinksSettings.from_env()).history(token, clock.now(), before)


@app.get("/space/<token>/themes/<theme_id>")
def show_space_theme(token: str, theme_id: str) -> Response[str]:
    number = page_number()
    return space_pages(PersonalLinksSettings.from_env()).theme(token, theme_id, clock.now(), number)


@app.get("/space/<token>/library")
def show_library(token: str) -> Response[str]:
    query = app.current_event.get_query_string_value("q") or ""
    return library_pages(PersonalLinksSettings.from_env()).show(token, clock.now(), query)


@app.get("/star/<token>")
def show_star(token: str) -> Response[str]:
    return library_pages(PersonalLinksSettings.from_env()).star_page(
        token, app.current_event.path, clock.now()
    )


@app.post("/star/<token>")
def star(token: str) -> Response[str]:
    body = posted(Purpose.STAR, token)
    return library_pages(PersonalLinksSettings.from_env()).star(
        token, app.current_event.path, body, clock.now()
    )


@app.get("/space/<token>/ask")
def show_ask(token: str) -> Response[str]:
    event = app.current_event
    asked = event.get_query_string_value("asked") == "1"  # the confirmation, after a POST
    return ask_pages(PersonalLinksSettings.from_env()).show(token, event.path, clock.now(), asked)


@app.post("/space/<token>/ask")
def ask(token: str) -> Response[str]:
    """Asked: a redirect to the confirmation (303); refused: the form again (400/403/409)."""
    body = posted(Purpose.SPACE, token)
    return ask_pages(PersonalLinksSettings.from_env()).submit(
        token, app.current_event.path, body, clock.now()
    )


@app.get("/space/<token>/preferences")
def show_preferences(token: str) -> Response[str]:
    event = app.current_event
    saved = event.get_query_string_value("saved")  # what the POST before it did
    return preferences_pages(PagesSettings.from_env()).show(token, event.path, clock.now(), saved)


@app.post("/space/<token>/preferences")
def change_preferences(token: str) -> Response[str]:
    """Changed: a redirect to the page (303); refused: the page again, with why (400)."""
    form = posted_form(Purpose.SPACE, token)
    return preferences_pages(PagesSettings.from_env()).submit(
        token, app.current_event.path, form, clock.now()
    )


@app.get("/cancel/<token>")
def show_cancel(token: str) -> Response[str]:
    return cancel_pages(PagesSettings.from_env()).show(token, app.current_event.path, clock.now())


@app.post("/cancel/<token>")
def cancel_question(token: str) -> Response[str]:
    return cancel_pages(PagesSettings.from_env()).cancel(token, app.current_event.path, clock.now())


@app.get("/attendance/<token>")
def show_attendance(token: str) -> Response[str]:
    event = app.current_event
    saved = event.get_query_string_value("saved") == "1"  # after a POST
    number = page_number()
    pages_ = attendance_pages(PagesSettings.from_env())
    return pages_.show(token, event.path, clock.now(), saved, number)


@app.post("/attendance/<token>")
def record_attendance(token: str) -> Response[str]:
    """Recorded: a redirect to the page (303); refused: the page again, with why (400)."""
    body = posted(Purpose.ATTENDANCE, token)
    return attendance_pages(PagesSettings.from_env()).record(
        token, app.current_event.path, body, clock.now()
    )


@app.get("/resume/<token>")
def show_resume(token: str) -> Response[str]:
    return resume_pages(ResumeSettings.from_env()).show(token, app.current_event.path, clock.now())


@app.post("/resume/<token>")
def resume_sending(token: str) -> Response[str]:
    return resume_pages(ResumeSettings.from_env()).resume(
        token, app.current_event.path, clock.now()
    )


@app.get("/export/<token>")
def download_export(token: str) -> Response[str]:
    """A CSV of the admin report: a fresh five-minute presigned URL, minted on each click."""
    settings = PagesSettings.from_env()
    location = exports(settings).download_url(token, clock.now())
    return Response(
        status_code=302,
        headers={**headers(settings.templates_dir), "Location": location},
        body="",
    )


def _browser_language() -> str | None:
    return app.current_event.headers.get("accept-language")


def invalid_link(_: InvalidToken) -> Response[str]:
    # Forged, unknown, expired or for another purpose: the same plain page for all.
    return pages(PagesSettings.from_env()).not_found(_browser_language())


def unreadable_form(_: UnreadableForm) -> Response[str]:
    return pages(PagesSettings.from_env()).unreadable(_browser_language())


def unusable_secret(_: LinkSecretUnusable) -> Response[str]:
    # wiring.signer logged the error line; the metric is what an alarm watches.
    metrics.add_metric(name="LinkSecretUnusable", unit=MetricUnit.Count, value=1)
    return pages(PagesSettings.from_env()).unavailable(_browser_language())


# Registered by a call rather than as a decorator: Powertools' exception_handler has no
# return annotation, and as a decorator it would leave invalid_link untyped.
app.exception_handler(InvalidToken)(invalid_link)
app.exception_handler(UnreadableForm)(unreadable_form)
app.exception_handler(LinkSecretUnusable)(unusable_secret)


@app.not_found
def no_route(_: Exception) -> Response[str]:
    return pages(PagesSettings.from_env()).not_found(_browser_language())


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    metrics.add_metric(
        name=f"Responses{response['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1
    )
    return response
