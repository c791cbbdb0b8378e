"""HTTP API: the animators' space, behind an admin's personal link (`/admin/{token}`):
the dashboard, the uploads with their preview, deliverability, exports and the activity
of admins. GET only ever shows; every POST must come from the space's own pages (its
Origin), and is recorded in the activity log."""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from palabre.admin.access import AdminView, ForeignOrigin, check_origin
from palabre.config import AdminSettings
from palabre.core import clock
from palabre.observability import logger, metrics
from palabre.web import answer_bad_links, body_text, form_fields, http_handler
from palabre.wiring import admin_pages, dashboard_pages, export_pages, pages

app = APIGatewayHttpResolver()

FORM_LIMIT = 8192


def admin_form(token: str) -> tuple[AdminView, dict[str, list[str]]]:
    """A POST's admin and form, read only once the link is known good (a bad link gets
    the plain 404 whatever its body) and the request comes from the space's own pages
    (ForeignOrigin: a 403 page, nothing done)."""
    settings = AdminSettings.from_env()
    view = admin_pages(settings).open(token, clock.now())
    event = app.current_event
    host = event.request_context.domain_name
    check_origin(event.headers.get("origin"), host, view.admin.locale)
    content_type = event.headers.get("content-type", "")
    body = body_text(event.body, event.is_base64_encoded)
    return view, form_fields(body, limit=FORM_LIMIT, fields=50, content_type=content_type)


@app.get("/admin/<token>")
def show_dashboard(token: str) -> Response[str]:
    """The space's home: participation, the leaderboard, the themes to come, who has not
    answered yet (`?circle=` or `?team=` filters it)."""
    query = app.current_event.query_string_parameters or {}
    return dashboard_pages(AdminSettings.from_env()).show(token, clock.now(), query)


@app.get("/admin/<token>/activity")
def show_activity(token: str) -> Response[str]:
    before = app.current_event.get_query_string_value("before") or ""
    return admin_pages(AdminSettings.from_env()).activity_page(token, clock.now(), before)


@app.get("/admin/<token>/exports")
def show_exports(token: str) -> Response[str]:
    return export_pages(AdminSettings.from_env()).show(token, clock.now())


@app.get("/admin/<token>/exports/<name>")
def download_export(token: str, name: str) -> Response[str]:
    """A spreadsheet built now: a redirect to a five-minute presigned URL of it."""
    return export_pages(AdminSettings.from_env()).download(token, name, clock.now())


def foreign_origin(refused: ForeignOrigin) -> Response[str]:
    metrics.add_metric(name="AdminForeignOrigin", unit=MetricUnit.Count, value=1)
    logger.warning("admin POST from another origin", origin=app.current_event.headers.get("origin"))
    settings = AdminSettings.from_env()
    return admin_pages(settings).forbidden(refused.locale or settings.default_locale)


app.exception_handler(ForeignOrigin)(foreign_origin)
answer_bad_links(app, lambda: pages(AdminSettings.from_env()))


lambda_handler = http_handler(app)
