"""Importing a 20,000-row roster: our own speed (parse + validate every cell), and the
whole import through the real handler against in-process moto, with the DynamoDB
requests it makes (what it would cost on AWS)."""

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

ROWS = 20_000
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


def validate_rate(data: bytes) -> float:
    from palabre.imports.importer import Organisation, check

    org = Organisation("bench", "Europe/Paris", "fr")
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        checked = check("roster", "bench.csv", data, org, _no_calendar)
        samples.append(time.perf_counter() - started)
        if checked.issues:
            raise RuntimeError(checked.issues[:3])
    return ROWS / statistics.median(samples)


def measure() -> dict[str, Any]:
    import palabre.aws
    from palabre_cli.local import make_stack
    from sam_moto.clock import LocalClock

    data = roster()
    figures: dict[str, Any] = {"megabytes": len(data) / 1e6, "validate": validate_rate(data)}
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
        palabre.aws.client("dynamodb").meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: requests.update([model.name])
        )
        bucket = stack.uploads_bucket("roster")
        for label in ("first upload", "same file again"):
            requests.clear()
            stack.client("s3").put_object(
                Bucket=bucket,
                Key="roster/bench.csv",
                Body=data,
                Metadata={"uploader": ADMIN},
            )
            started = time.perf_counter()
            ran = stack.pollers.poll_buckets()
            elapsed = time.perf_counter() - started
            [report] = [r for i in ran for r in (i.result or {}).get("reports", {}).values()]
            if not report["ok"]:
                raise RuntimeError(report["errors"][:3])
            figures[label] = {
                "seconds": elapsed,
                "rows/s": ROWS / elapsed,
                "requests": dict(requests),
            }
        palabre.aws.reset()
    return figures
