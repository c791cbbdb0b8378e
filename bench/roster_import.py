"""Importing a roster: our own speed (parse + validate every cell of 200,000 rows, the
largest roster accepted), and the whole import of 5,000 rows through the real handlers
against in-process moto (the import, then its chunks staged, switched and settled), with
the DynamoDB requests and item writes it makes (what it would cost on AWS). The apply is
bounded by its writes: the figure per write, times a roster's writes, says what a larger
one costs (200,000 rows on moto would take the whole bench's time)."""

import os
import random
import statistics
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palabre.imports.calendar import CalendarContext

ROWS = 200_000
"""rows validated: the largest roster accepted"""
APPLIED = 5_000
WRITES_PER_CHANGE = 2
"""the apply's goal: bounded by DynamoDB writes only — 2 per member changed (staged,
settled), none for one unchanged; beside them a few per chunk (its item put and deleted,
the pointer's marks) and per roster (the pointer, the directory, the history)"""
WRITES_PER_CHUNK = 5
WRITES_PER_ROSTER = 20


def allowed_writes(changed: int) -> int:
    """The writes the goal allows an apply of `changed` members."""
    from palabre.imports.chunks import CHUNK_MEMBERS

    chunks = -(-changed // CHUNK_MEMBERS)
    return WRITES_PER_CHANGE * changed + WRITES_PER_CHUNK * chunks + WRITES_PER_ROSTER


"""rows applied through the handlers on moto (ten chunks): enough to see the cost per
write, which is what a larger roster's apply is made of"""
GOAL_ROWS_PER_SECOND = 20_000
ADMIN = "manager000000@bench.palabre.example"
"""the roster's first admin: the first upload comes from AdminAddress, the next from an
active admin"""
ZONES = ["Europe/Paris"] * 8 + ["America/Montreal", "Asia/Tokyo", "Europe/London"]


def roster(rows: int = ROWS, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = ["email;first_name;last_name;circle;team;locale;timezone;role"]
    for n in range(rows):
        lines.append(
            f"manager{n:06d}@bench.palabre.example;Prénom{n};Nom{n};"
            f"Cercle {n // 10:04d};Équipe {n % 40:02d};{rng.choice(['fr', 'en'])};"
            f"{rng.choice(ZONES)};{'admin' if n % 500 == 0 else 'member'}"
        )
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def in_process_moto() -> Any:
    """moto in this process, with the local stack's speed fixes (sam_moto.moto_patches),
    as `palabre local` runs it."""
    from moto import mock_aws

    from sam_moto import moto_patches

    moto_patches.apply()
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1"
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _no_calendar() -> "CalendarContext":
    raise AssertionError("checking a roster reads no calendar")


def validate_rate(data: bytes, runs: int = 1) -> float:
    """Rows validated per second of CPU (the machine is shared: wall time would measure
    the neighbours too)."""
    from palabre.imports.importer import Organisation, check

    org = Organisation("bench", "Europe/Paris", "fr")
    samples = []
    rows = 0
    for _ in range(runs):
        started = time.process_time()
        checked = check("roster", "bench.csv", data, org, _no_calendar)
        samples.append(time.process_time() - started)
        if checked.issues:
            raise RuntimeError(checked.issues[:3])
        rows = checked.rows
    return rows / statistics.median(samples)


_WRITES = {"PutItem": 1, "UpdateItem": 1, "DeleteItem": 1}


def _written(operation: str, params: dict[str, Any]) -> int:
    """Items a request writes (a transaction's cost twice as much on AWS: said apart)."""
    if operation == "BatchWriteItem":
        return sum(len(w) for w in params.get("RequestItems", {}).values())
    if operation == "TransactWriteItems":
        return len(params.get("TransactItems", []))
    return _WRITES.get(operation, 0)


def measure() -> dict[str, Any]:
    import palabre.aws
    from palabre_cli.local import make_stack
    from sam_moto.clock import LocalClock

    largest = roster(ROWS)
    figures: dict[str, Any] = {
        "megabytes": len(largest) / 1e6,
        "validate": validate_rate(largest),
    }
    del largest
    data = roster(APPLIED)
    figures["applied megabytes"] = len(data) / 1e6
    with in_process_moto():
        palabre.aws.reset()
        stack = make_stack(
            endpoint=None,
            clock=LocalClock(datetime(2026, 11, 30, 7, tzinfo=UTC)),
            log_level="ERROR",
            # the first roster of an empty organisation comes from AdminAddress
            parameters={"AdminAddress": ADMIN},
        )
        requests: Counter[str] = Counter()
        writes: Counter[str] = Counter()

        def counted(params: dict[str, Any], model: Any, **_: Any) -> None:
            requests.update([model.name])
            writes.update({model.name: _written(model.name, params)})

        palabre.aws.client("dynamodb").meta.events.register(
            "provide-client-params.dynamodb.*", counted
        )
        bucket = stack.uploads_bucket("roster")
        for label in ("first upload", "same file again"):
            requests.clear()
            writes.clear()
            stack.client("s3").put_object(
                Bucket=bucket,
                Key="roster/bench.csv",
                Body=data,
                Metadata={"uploader": ADMIN},
            )
            started = time.perf_counter()
            ran = stack.pollers.poll_buckets()
            imported = time.perf_counter() - started
            [report] = [r for i in ran for r in (i.result or {}).get("reports", {}).values()]
            if not report["ok"]:
                raise RuntimeError(report["errors"][:3])
            chunks = [i for i in stack.drain() if i.function == "RosterApplyFunction"]
            elapsed = time.perf_counter() - started
            if any(i.error for i in chunks):
                raise RuntimeError([i.error for i in chunks if i.error][:1])
            total = sum(writes.values())
            figures[label] = {
                "seconds": elapsed,
                "import seconds": imported,
                "rows/s": APPLIED / elapsed,
                "requests": dict(requests),
                "writes": total,
                "changed": report["created"] + report["updated"] + report["deactivated"],
                "chunk invocations": len(chunks),
                "ms per write": elapsed * 1000 / total if total else 0.0,
            }
        palabre.aws.reset()
    return figures
