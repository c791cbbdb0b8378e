"""A message of the send queue as the send function's batch processor parses it. Apart
from the handler, which imports it with its first call: Powertools' parser and the jobs'
pydantic models are not a cold start's to load (docs/performance.md)."""

from aws_lambda_powertools.utilities.parser.models.sqs import SqsRecordModel
from pydantic import Json

from palabre.core.jobs import JobMessage


class JobRecord(SqsRecordModel):
    """A message of the send queue: its body is one job, or two (see palabre.queue). A
    body that is not fails its record alone, which the queue retries, then parks in its
    dead-letter queue."""

    body: Json[JobMessage]  # parsed jobs where SqsRecordModel has text
