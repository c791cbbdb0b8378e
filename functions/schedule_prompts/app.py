"""EventBridge Scheduler, every few minutes: queue the themes and reminders now due."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.observability import logger, metrics, tracer
from palabre.wiring import dispatcher


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The first call imports the settings and the event's model (pydantic's), not the
    # cold start (docs/performance.md).
    from palabre.config import DispatchSettings
    from palabre.core.local_time import ScheduledEvent

    tick = ScheduledEvent.model_validate(event)
    settings = DispatchSettings.from_env()
    report = dispatcher(
        settings, time_left=lambda: context.get_remaining_time_in_millis() / 1000
    ).tick(tick.time)
    # Idle ticks count too: every tick publishes (an empty metric set only logs a warning).
    metrics.add_metric(name="Ticks", unit=MetricUnit.Count, value=1)
    for job, queued in report.queued.items():
        metrics.add_metric(name=f"Queued{job.title()}s", unit=MetricUnit.Count, value=queued)
    return asdict(report)
