"""HTML pages served by the HTTP API: rendered in the reader's language, with headers
that keep the personal link in the URL private and forbid inline script."""

import base64
import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from markupsafe import Markup

from palabre.core.i18n import LOCALES
from palabre.core.tokens import InvalidToken, LinkSecretUnusable
from palabre.observability import logger, metrics, tracer

STYLE = "web/style.css"


@cache
def _style(templates_dir: Path) -> tuple[Markup, str]:
    css = (templates_dir / STYLE).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return Markup(css), f"'sha256-{digest}'"


def headers(templates_dir: Path, form_action: tuple[str, ...] = ()) -> dict[str, str]:
    """`form_action`: origins besides the page's own that its forms post to (the uploads
    bucket, for the admin space's upload form)."""
    _, style_hash = _style(templates_dir)
    targets = " ".join(("'self'", *form_action))
    return {
        # No script at all; the one inline stylesheet is allowed by its hash.
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {style_hash}; img-src 'self' data:; "
            f"form-action {targets}; base-uri 'none'; frame-ancestors 'none'"
        ),
        "Referrer-Policy": "no-referrer",  # the token is in the URL
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


class UnreadableForm(Exception):
    """A form body that is not UTF-8 text: the page says so (400), nothing changes."""


def body_text(body: str | None, base64_encoded: bool | None) -> str:
    """A request's body as text. API Gateway base64-encodes a form post; its bytes may
    be anything (Powertools' decoded_body would raise UnicodeDecodeError: a 500)."""
    if not body:
        return ""
    if not base64_encoded:
        return body
    try:
        return base64.b64decode(body.encode()).decode("utf-8")
    except (UnicodeDecodeError, ValueError):
        raise UnreadableForm from None


def form_fields(
    body: str, *, limit: int, fields: int = 10, content_type: str = ""
) -> dict[str, list[str]]:
    """A form body, bounded: form-encoded, or multipart/form-data (what RFC 8058 asks mail
    providers to send a one-click unsubscribe as). Too many fields read as none (a 400
    follows)."""
    if content_type.partition(";")[0].strip().lower() == "multipart/form-data":
        return _multipart(body[:limit], content_type, fields)
    try:
        return parse_qs(body[:limit], keep_blank_values=True, max_num_fields=fields)
    except ValueError:
        return {}


def _multipart(body: str, content_type: str, fields: int) -> dict[str, list[str]]:
    # The email package's parser loads with the first such form, not with the handler.
    from email import policy
    from email.parser import BytesParser

    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body.encode())
    if not message.is_multipart():
        return {}
    found: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        # Decoded, a leaf part's payload is bytes; a nested multipart's is None.
        value = part.get_payload(decode=True)
        text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else ""
        found.setdefault(name, []).append(text)
    return found if sum(map(len, found.values())) <= fields else {}


def accepted_language(header: str | None, default: str) -> str:
    """The language a page with no member behind it (a bad link) is shown in: the
    browser's first choice among ours, by its q-values (RFC 9110), else `default`."""
    best, best_q = default, 0.0
    for entry in (header or "")[:500].split(",")[:20]:
        tag, _, params = entry.strip().partition(";")
        language = tag.strip().lower().partition("-")[0]
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                continue
        if language in LOCALES and 0 < q <= 1 and q > best_q:
            best, best_q = language, q
    return best


class Pages:
    def __init__(self, templates_dir: Path, organisation: str, default_locale: str) -> None:
        self.templates_dir = templates_dir
        self.organisation = organisation
        self.default_locale = default_locale

    def render(
        self,
        name: str,
        locale: str,
        status: int = 200,
        form_action: tuple[str, ...] = (),
        **context: Any,
    ) -> Response[str]:
        # Jinja2 and Babel load with the first page, not with the handler: a request for
        # an export link, or a cold start's import, does not pay for them.
        from palabre.mail.render import render

        style, _ = _style(self.templates_dir)
        body = render(
            self.templates_dir,
            f"web/{name}.html",
            locale,
            style=style,
            organisation=self.organisation,
            **context,
        )
        return Response(
            status_code=status,
            content_type="text/html; charset=utf-8",
            body=body,
            headers=headers(self.templates_dir, form_action),
        )

    # These three know no member: they speak the browser's language (Accept-Language).
    def not_found(self, accept_language: str | None = None) -> Response[str]:
        """The same page whatever was wrong with the link: it reveals nothing."""
        return self.render("not_found", self._language(accept_language), status=404)

    def unreadable(self, accept_language: str | None = None) -> Response[str]:
        """A good link's form whose body is not text (400): nothing was saved."""
        return self.render("unreadable", self._language(accept_language), status=400)

    def unavailable(self, accept_language: str | None = None) -> Response[str]:
        """The link secret cannot serve (503): not the reader's fault, nor their link's."""
        return self.render("unavailable", self._language(accept_language), status=503)

    def _language(self, accept_language: str | None) -> str:
        return accepted_language(accept_language, self.default_locale)


def answer_bad_links(app: APIGatewayHttpResolver, pages: Callable[[], Pages]) -> None:
    """The plain pages an HTTP function answers, in the browser's language, a bad link
    (forged, unknown, expired, another purpose: the same page for all), a form that is
    not text, a link secret that cannot serve (the deployment's fault: counted for its
    alarm) and a route it does not serve."""

    def language() -> str | None:
        return app.current_event.headers.get("accept-language")

    def invalid_link(_: InvalidToken) -> Response[str]:
        return pages().not_found(language())

    def unreadable_form(_: UnreadableForm) -> Response[str]:
        return pages().unreadable(language())

    def unusable_secret(_: LinkSecretUnusable) -> Response[str]:
        # wiring.signer logged the error line; the metric is what an alarm watches.
        metrics.add_metric(name="LinkSecretUnusable", unit=MetricUnit.Count, value=1)
        return pages().unavailable(language())

    def no_route(_: Exception) -> Response[str]:
        return pages().not_found(language())

    app.exception_handler(InvalidToken)(invalid_link)
    app.exception_handler(UnreadableForm)(unreadable_form)
    app.exception_handler(LinkSecretUnusable)(unusable_secret)
    app.not_found(no_route)


def http_handler(
    app: APIGatewayHttpResolver,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler of an HTTP function: logged with the request's id, traced,
    each response counted by its class (Responses2xx … Responses5xx)."""

    @metrics.log_metrics
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response = app.resolve(event, context)
        metrics.add_metric(
            name=f"Responses{response['statusCode'] // 100}xx", unit=MetricUnit.Count, value=1
        )
        return response

    return lambda_handler
