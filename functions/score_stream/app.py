"""DynamoDB stream (INSERTs of prompts, answers and votes; live sessions' responses whose
attendance changed) -> points and standings, and the library's entries by votes."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from palabre.core import clock
from palabre.observability import logger, metrics, tracer
from palabre.wiring import library, score_keeper

if TYPE_CHECKING:
    from palabre.core.points import Change

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # The first call imports the settings and the journey (pydantic's models, the score
    # and library stores), not the cold start (docs/performance.md).
    from palabre.config import ScoreSettings
    from palabre.scoring.awards import change_of
    from palabre.store.table import from_dynamo

    settings = ScoreSettings.from_env()
    keeper = score_keeper(settings)
    changes: list[Change] = []

    def record_handler(record: DynamoDBRecord) -> None:
        # A malformed item raises here: only that record fails, and is retried alone.
        stream = record.raw_event["dynamodb"]
        change = change_of(
            from_dynamo(stream.get("NewImage", {})),
            _day(stream),
            old=from_dynamo(stream.get("OldImage", {})),
        )
        if change is not None:
            changes.append(change)

    with processor(records=event["Records"], handler=record_handler, lambda_context=context):
        processor.process()
    # Once per batch: totals move once per distinct member, team and circle.
    applied = keeper.apply(changes)
    metrics.add_metric(name="AwardsApplied", unit=MetricUnit.Count, value=applied.applied)
    metrics.add_metric(name="AwardsAlreadyApplied", unit=MetricUnit.Count, value=applied.already)
    # After the counts: an answer enters once its "useful" votes are counted on it.
    voted = [c.useful for c in changes if c.useful]
    if voted:
        entered = library(settings).consider(voted, settings.library_votes, clock.now())
        metrics.add_metric(name="LibraryEntries", unit=MetricUnit.Count, value=len(entered))
    return processor.response()


def _day(stream: dict[str, Any]) -> str:
    """The day (UTC) the stream recorded the change: the same for every retry of it."""
    recorded = stream.get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(float(recorded), UTC) if recorded else clock.now()
    return moment.strftime("%Y%m%d")
