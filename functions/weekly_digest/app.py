"""EventBridge Scheduler, Monday 08:00 (organisation's time): build and queue the digests."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.observability import logger, metrics, tracer
from palabre.wiring import digest_builder


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The first call imports the settings and the event's model (pydantic's), not the
    # cold start (docs/performance.md).
    from palabre.config import DigestSettings
    from palabre.core.local_time import ScheduledEvent

    scheduled = ScheduledEvent.model_validate(event)
    run = digest_builder(DigestSettings.from_env()).run(scheduled.time)
    metrics.add_metric(name="DigestsQueued", unit=MetricUnit.Count, value=run.digests)
    return asdict(run)
