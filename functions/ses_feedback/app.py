"""SNS <- SES configuration set: a permanent bounce or a complaint suppresses the address;
too many pause new sends, and the admins are emailed."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import pause_notice, sending_table, table


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    # The first call imports the settings and the journey (pydantic's models, the member
    # and sending stores), not the cold start (docs/performance.md).
    from palabre.bounces.feedback import suppress, suppressions_in
    from palabre.bounces.guard import notice_due, watch
    from palabre.config import FeedbackSettings
    from palabre.store.sending import SendingHealth

    settings = FeedbackSettings.from_env()
    store = table(settings)
    health = SendingHealth(sending_table(settings))
    suppressed = []
    for record in event.records:
        suppressions = suppressions_in(record.sns.message)
        for suppression in suppressions:
            suppress(store, suppression, clock.now())
            suppressed.append(suppression.email)
            logger.info("address suppressed", extra={"reason": suppression.reason})
        pause = watch(health, suppressions, clock.now())
        if pause is not None:
            # An alarm on this metric tells the operators (docs/operations.md).
            metrics.add_metric(name="SendingPaused", unit=MetricUnit.Count, value=1)
            logger.warning(
                "new sends paused",
                extra={"reason": pause.reason, "figures": vars(pause.figures)},
            )
        # Once per pause (a claim on it), and again on Lambda's retry if the email failed.
        due = notice_due(health, pause) if suppressions else None
        if due is not None:
            told = pause_notice(settings).tell_once(health, due, clock.now())
            logger.info("admins told of the pause", extra={"admins": told})
    metrics.add_metric(name="Suppressed", unit=MetricUnit.Count, value=len(suppressed))
    return {"suppressed": len(suppressed)}
