"""Send jobs: what the scheduler (and the digest) queue for the sender, one per email."""

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

BATCH = 10  # SendMessageBatch's limit: one SQS call per ten emails


class JobKind(StrEnum):
    PROMPT = "prompt"
    REMINDER = "reminder"
    DIGEST = "digest"
    REPORT = "report"


class Job(BaseModel):
    """One email to send: a theme's prompt or reminder, or a week's digest or report."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job: JobKind
    member: str
    theme: str | None = None
    week: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Job":
        weekly = self.job in (JobKind.DIGEST, JobKind.REPORT)
        if weekly and not self.week:
            raise ValueError(f"a {self.job} job needs its week")
        if not weekly and not self.theme:
            raise ValueError(f"a {self.job} job needs its theme")
        return self

    def body(self) -> str:
        return self.model_dump_json(exclude_none=True)


class QueueError(Exception):
    pass


class JobQueue:
    def __init__(self, sqs: Any, url: str, *, parallel: int = 8) -> None:
        self.sqs = sqs
        self.url = url
        self.parallel = parallel

    def send(self, jobs: Sequence[Job]) -> int:
        """Queues every job, ten per call; returns only once all of them are queued."""
        batches = [jobs[start : start + BATCH] for start in range(0, len(jobs), BATCH)]
        if len(batches) <= 1:
            for batch in batches:
                self._batch(batch)
            return len(jobs)
        # A page of a thousand members is a hundred calls: send them side by side (boto3
        # clients are thread-safe). Any failure propagates after the others finished.
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for future in [pool.submit(self._batch, batch) for batch in batches]:
                future.result()
        return len(jobs)

    def _batch(self, jobs: Sequence[Job]) -> None:
        entries = {str(i): job.body() for i, job in enumerate(jobs)}
        for _ in range(3):
            response = self.sqs.send_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": i, "MessageBody": body} for i, body in entries.items()],
            )
            failed = {f["Id"] for f in response.get("Failed", [])}
            entries = {i: body for i, body in entries.items() if i in failed}
            if not entries:
                return
        # Raising leaves the cursor where it was: the whole page is queued again later
        # and the sender's send record absorbs the entries that did get through.
        raise QueueError(f"SQS refused {len(entries)} messages: {json.dumps(list(entries))}")
