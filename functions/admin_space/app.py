"""HTTP API: the animators' space, behind an admin's personal link (`/admin/{token}`):
the dashboard, the uploads with their preview, deliverability, exports and the activity
of admins. GET only ever shows; every POST must come from the space's own pages (its
Origin), and is recorded in the activity log."""

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from palabre.admin.origin import ForeignOrigin, check_origin
from palabre.core import clock
from palabre.observability import logger, metrics
from palabre.web import answer_bad_links, body_text, form_fields, http_handler
from palabre.wiring import (
    admin_pages,
    dashboard_pages,
    deliverability_pages,
    export_pages,
    import_pages,
    pages,
)

if TYPE_CHECKING:
    from palabre.admin.access import AdminView
    from palabre.config import AdminSettings

app = APIGatewayHttpResolver()

FORM_LIMIT = 8192


def admin_settings() -> "AdminSettings":
    """Read on each call. Imported by the first: the settings' pydantic models were a
    third of a cold start (docs/performance.md)."""
    from palabre.config import AdminSettings

    return AdminSettings.from_env()


def admin_form(token: str) -> tuple["AdminView", dict[str, list[str]]]:
    """A POST's admin and form, read only once the link is known good (a bad link gets
    the plain 404 whatever its body) and the request comes from the space's own pages
    (ForeignOrigin: a 403 page, nothing done)."""
    settings = admin_settings()
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
    return dashboard_pages(admin_settings()).show(token, clock.now(), query)


@app.get("/admin/<token>/activity")
def show_activity(token: str) -> Response[str]:
    before = app.current_event.get_query_string_value("before") or ""
    return admin_pages(admin_settings()).activity_page(token, clock.now(), before)


@app.get("/admin/<token>/deliverability")
def show_deliverability(token: str) -> Response[str]:
    settings = admin_settings()
    view = admin_pages(settings).open(token, clock.now())
    return deliverability_pages(settings).show(view, clock.now())


@app.post("/admin/<token>/deliverability/unsuppress")
def unsuppress(token: str) -> Response[str]:
    view, form = admin_form(token)
    return deliverability_pages(admin_settings()).lift(view, form, clock.now())


@app.post("/admin/<token>/deliverability/retry")
def retry_parked(token: str) -> Response[str]:
    view, form = admin_form(token)
    return deliverability_pages(admin_settings()).retry(view, form, clock.now())


@app.get("/admin/<token>/exports")
def show_exports(token: str) -> Response[str]:
    return export_pages(admin_settings()).show(token, clock.now())


@app.get("/admin/<token>/exports/<name>")
def download_export(token: str, name: str) -> Response[str]:
    """A spreadsheet built now: a redirect to a five-minute presigned URL of it."""
    return export_pages(admin_settings()).download(token, name, clock.now())


def here(path: str) -> str:
    """This API's absolute URL of `path`, as the browser reached it (API Gateway gives
    the scheme in X-Forwarded-Proto, the host as domainName)."""
    event = app.current_event
    scheme = event.headers.get("x-forwarded-proto", "https")
    return f"{'http' if scheme == 'http' else 'https'}://{event.request_context.domain_name}{path}"


@app.get("/admin/<token>/imports")
def show_imports(token: str) -> Response[str]:
    query = app.current_event.get_query_string_value
    return import_pages(admin_settings()).imports(
        token,
        clock.now(),
        back_to=here(f"/admin/{token}/imports"),
        before=query("before") or "",
        uploaded=query("key") or "",
    )


@app.get("/admin/<token>/imports/<upload_id>")
def show_upload(token: str, upload_id: str) -> Response[str]:
    query = app.current_event.get_query_string_value
    return import_pages(admin_settings()).upload(
        token, upload_id, clock.now(), notice=query("notice") or "", show=query("show") or ""
    )


@app.post("/admin/<token>/imports/<upload_id>/apply")
def apply_upload(token: str, upload_id: str) -> Response[str]:
    view, _ = admin_form(token)
    return import_pages(admin_settings()).apply(view, upload_id, clock.now())


@app.post("/admin/<token>/imports/<upload_id>/decline")
def decline_upload(token: str, upload_id: str) -> Response[str]:
    view, _ = admin_form(token)
    return import_pages(admin_settings()).decline(view, upload_id, clock.now())


def foreign_origin(refused: ForeignOrigin) -> Response[str]:
    metrics.add_metric(name="AdminForeignOrigin", unit=MetricUnit.Count, value=1)
    logger.warning("admin POST from another origin", origin=app.current_event.headers.get("origin"))
    settings = admin_settings()
    return admin_pages(settings).forbidden(refused.locale or settings.default_locale)


app.exception_handler(ForeignOrigin)(foreign_origin)
answer_bad_links(app, lambda: pages(admin_settings()))


lambda_handler = http_handler(app)
