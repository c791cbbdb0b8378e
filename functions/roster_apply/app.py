"""SQS: one chunk of a roster being applied -> staged (or settled), the version switched
once every chunk is staged (palabre.imports.chunks)."""

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

from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import roster_apply

if TYPE_CHECKING:
    from palabre.imports.chunk_record import ChunkRecord


@cache
def processor() -> BatchProcessor:
    """Built by the first call, with its record model: Powertools' parser and pydantic
    were a third of a cold start (docs/performance.md)."""
    from palabre.imports.chunk_record import ChunkRecord

    return BatchProcessor(event_type=EventType.SQS, model=ChunkRecord)


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    from palabre.config import RosterChunkSettings  # the first call's, not the cold start's

    apply = roster_apply(RosterChunkSettings.from_env())

    def record_handler(record: "ChunkRecord") -> None:
        message = record.body
        follow = apply.handle(message, clock.now())
        if follow:
            assert apply.queue is not None
            apply.queue.send(follow)
            apply.settling_queued(message.version)
        metrics.add_metric(name="RosterChunks", unit=MetricUnit.Count, value=1)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor(), context=context
    )
