"""SQS: one chunk of a roster being applied -> staged (or settled), the version switched
once every chunk is staged (palabre.imports.chunks)."""

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

from palabre.config import RosterChunkSettings
from palabre.core import clock
from palabre.imports.chunks import ChunkMessage
from palabre.observability import logger, metrics, tracer
from palabre.wiring import roster_apply


class ChunkRecord(SqsRecordModel):
    """A message of the roster apply queue: which chunk, of which version, to do what.
    A failed chunk is retried by the queue (its writes are idempotent), then parked."""

    body: Json[ChunkMessage]


processor = BatchProcessor(event_type=EventType.SQS, model=ChunkRecord)


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    apply = roster_apply(RosterChunkSettings.from_env())

    def record_handler(record: ChunkRecord) -> None:
        message = record.body
        follow = apply.handle(message, clock.now())
        if follow:
            assert apply.queue is not None
            apply.queue.send(follow)
            apply.settling_queued(message.version)
        metrics.add_metric(name="RosterChunks", unit=MetricUnit.Count, value=1)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
