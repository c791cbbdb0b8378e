"""SQS batch of send jobs -> emails through SES, each recorded exactly once."""

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre import aws
from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import send_batch

if TYPE_CHECKING:
    from palabre.core.jobs import Delivery
    from palabre.sending.job_record import JobRecord


@cache
def processor() -> BatchProcessor:
    """Built by the first call, with its record model: Powertools' parser and pydantic
    were a third of a cold start (docs/performance.md)."""
    from palabre.sending.job_record import JobRecord

    return BatchProcessor(event_type=EventType.SQS, model=JobRecord)


# SES's daily quota is a rolling 24 hours: a job refused for it waits this long before
# its next try, so its few receives (the queue's maxReceiveCount) outlast the quota.
QUOTA_BACKOFF_SECONDS = 6 * 3600
# Left to the invocation after its last wait for the pace: one email's rendering and send.
SPARE_MS = 5000


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # The first call imports the settings and the journey, not the cold start.
    from palabre.config import SenderSettings
    from palabre.core.jobs import jobs_in
    from palabre.mail.outbox import QuotaExhausted

    settings = SenderSettings.from_env()
    batch = send_batch(settings)
    if batch.pace is not None:
        batch.pace.budget = lambda: (context.get_remaining_time_in_millis() - SPARE_MS) / 1000
        # the batch's emails take their instants of the pace ten at a time
        batch.pace.expect(sum(jobs_in(r.get("body", "")) for r in event.get("Records", [])))
    waiting: list[JobRecord] = []

    def record_handler(record: "JobRecord") -> str:
        if waiting:
            waiting.append(record)  # the quota is spent: leave the rest queued, untried
            raise QuotaExhausted("daily quota already reached in this batch")
        try:
            delivered = batch.deliver(record.body.jobs, clock.now, _throttles(record))
        except QuotaExhausted:
            waiting.append(record)  # with its other job: a retry finds what was sent
            raise
        except Exception:
            logger.exception("job failed", extra={"jobs": [j.body() for j in record.body.jobs]})
            raise  # the message comes back: the job that was sent is then already sent
        for delivery in delivered.deliveries:
            _count(delivery)
        if delivered.requeued:
            logger.info(
                "jobs queued again", extra={"jobs": delivered.requeued, "why": delivered.why}
            )
            metrics.add_metric(
                name=f"Requeued_{delivered.why}", unit=MetricUnit.Count, value=delivered.requeued
            )
        return ",".join(d.outcome.value for d in delivered.deliveries)

    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor(), context=context
        )
    finally:
        # Also when every job of the batch failed, and Powertools raises instead of returning
        if waiting:
            _postpone(settings.send_queue_url, waiting)
        batch.count(clock.now())


def _throttles(record: "JobRecord") -> int:
    from palabre.sending.batch import THROTTLES  # imported by the first call's journey

    attribute = record.messageAttributes.get(THROTTLES)
    return int(attribute.stringValue or 0) if attribute is not None else 0


def _count(delivery: "Delivery") -> None:
    metrics.add_metric(name=f"Delivery_{delivery.outcome}", unit=MetricUnit.Count, value=1)
    if delivery.reason is not None:
        metrics.add_metric(name=f"Skipped_{delivery.reason}", unit=MetricUnit.Count, value=1)


def _postpone(url: str, records: "list[JobRecord]") -> None:
    sqs = aws.client("sqs")
    for start in range(0, len(records), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(i),
                    "ReceiptHandle": r.receiptHandle,
                    "VisibilityTimeout": QUOTA_BACKOFF_SECONDS,
                }
                for i, r in enumerate(records[start : start + 10])
            ],
        )
    # An alarm on this metric tells the operators (docs/operations.md).
    metrics.add_metric(name="DailyQuotaReached", unit=MetricUnit.Count, value=1)
    logger.warning("SES daily quota reached; jobs postponed", extra={"jobs": len(records)})
