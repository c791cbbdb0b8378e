"""SQS batch of send jobs -> emails through SES, each recorded exactly once."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from palabre import aws
from palabre.config import SenderSettings
from palabre.core import clock
from palabre.core.jobs import Delivery, JobMessage
from palabre.mail.outbox import QuotaExhausted
from palabre.observability import logger, metrics, tracer
from palabre.wiring import job_sender


class JobRecord(SqsRecordModel):
    """A message of the send queue: its body is one job, or two (see palabre.queue). A
    body that is not fails its record alone, which the queue retries, then parks in its
    dead-letter queue."""

    body: Json[JobMessage]  # parsed jobs where SqsRecordModel has text


processor = BatchProcessor(event_type=EventType.SQS, model=JobRecord)
# SES's daily quota is a rolling 24 hours: a job refused for it waits this long before
# its next try, so its few receives (the queue's maxReceiveCount) outlast the quota.
QUOTA_BACKOFF_SECONDS = 6 * 3600


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    sender = job_sender(SenderSettings.from_env())
    waiting: list[JobRecord] = []

    def record_handler(record: JobRecord) -> str:
        if waiting:
            waiting.append(record)  # the quota is spent: leave the rest queued, untried
            raise QuotaExhausted("daily quota already reached in this batch")
        outcomes: list[str] = []
        failed: Exception | None = None
        for job in record.body.jobs:
            try:
                delivery = sender.deliver(job, clock.now())
            except QuotaExhausted:
                waiting.append(record)  # with its other job: a retry finds what was sent
                raise
            except Exception as error:  # noqa: BLE001 - its partner is tried all the same
                logger.exception("job failed", extra={"job": job.body()})
                failed = failed or error
                continue
            outcomes.append(delivery.outcome.value)
            _count(delivery)
        if failed is not None:
            # The message comes back: the job that was sent is then already sent.
            raise failed
        return ",".join(outcomes)

    try:
        return process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    finally:
        # Also when every job of the batch failed, and Powertools raises instead of returning
        if waiting:
            _postpone(waiting)


def _count(delivery: Delivery) -> None:
    metrics.add_metric(name=f"Delivery_{delivery.outcome}", unit=MetricUnit.Count, value=1)
    if delivery.reason is not None:
        metrics.add_metric(name=f"Skipped_{delivery.reason}", unit=MetricUnit.Count, value=1)


def _postpone(records: list[JobRecord]) -> None:
    account, name = records[0].eventSourceARN.rsplit(":", 2)[1:]
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
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
    logger.warning("SES daily quota reached; jobs postponed", extra={"jobs": len(records)})
