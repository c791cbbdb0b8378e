"""HTTP API: the personal answer link (GET shows the form, POST stores the answer)."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre import clock
from palabre.config import Settings
from palabre.observability import logger, metrics
from palabre.tokens import InvalidToken
from palabre.wiring import answer_pages, pages

app = APIGatewayHttpResolver()


@app.get("/answer/<token>")
def show_answer(token: str) -> Response:
    return answer_pages(Settings.from_env()).show(token, app.current_event.path, clock.now())


@app.post("/answer/<token>")
def submit_answer(token: str) -> Response:
    body = app.current_event.decoded_body or ""
    return answer_pages(Settings.from_env()).submit(
        token, app.current_event.path, body, clock.now()
    )


@app.exception_handler(InvalidToken)
def invalid_link(_: InvalidToken) -> Response:
    # Forged, unknown, expired or for another purpose: the same plain page for all.
    return pages(Settings.from_env()).not_found()


@app.not_found
def no_route(_: Exception) -> Response:
    return pages(Settings.from_env()).not_found()


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
