"""SNS <- SES configuration set: a permanent bounce or a complaint suppresses the address."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.bounces.feedback import suppress, suppressions_in
from palabre.config import FeedbackSettings
from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import table


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    store = table(FeedbackSettings.from_env())
    suppressed = []
    for record in event.records:
        for suppression in suppressions_in(record.sns.message):
            suppress(store, suppression, clock.now())
            suppressed.append(suppression.email)
            logger.info("address suppressed", extra={"reason": suppression.reason})
    metrics.add_metric(name="Suppressed", unit=MetricUnit.Count, value=len(suppressed))
    return {"suppressed": len(suppressed)}
