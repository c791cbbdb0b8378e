"""A message of the roster apply queue as its function's batch processor parses it. Apart
from the handler, which imports it with its first call: Powertools' parser and pydantic
are not a cold start's to load (docs/performance.md)."""

from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel
from pydantic import Json

from palabre.imports.chunks import ChunkMessage


class ChunkRecord(SqsRecordModel):
    """A message of the roster apply queue: which chunk, of which version, to do what.
    A failed chunk is retried by the queue (its writes are idempotent), then parked."""

    body: Json[ChunkMessage]
