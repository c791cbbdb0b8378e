"""SES receiving -> a reply to a theme's email becomes the member's answer (the receipt
rule stored the message under inbound/ first)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import inbound_replies


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The first call imports the settings and the journey (pydantic's models, the mail
    # reader and renderer), not the cold start (docs/performance.md).
    from palabre.config import InboundReplySettings
    from palabre.inbound.replies import Receipt

    replies = inbound_replies(InboundReplySettings.from_env())
    outcomes = []
    for record in event["Records"]:
        handled = replies.receive(Receipt.of(record), clock.now())
        metrics.add_metric(name=f"Reply_{handled.outcome}", unit=MetricUnit.Count, value=1)
        if handled.told is not None:  # a stranger's message dropped, an email SES refused…
            metrics.add_metric(name=f"ReplyNotice_{handled.told}", unit=MetricUnit.Count, value=1)
        outcomes.append(handled.outcome)
    return {"outcomes": outcomes}
