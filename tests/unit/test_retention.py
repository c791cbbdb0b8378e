"""The TTL instant personal items are written with (core/retention.py)."""

from datetime import UTC, datetime

from palabre.core.retention import expires_at


def test_retention_counts_calendar_months() -> None:
    start = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    assert expires_at(start, 24) == int(datetime(2028, 12, 7, 8, 30, tzinfo=UTC).timestamp())
    assert expires_at(start, 1) == int(datetime(2027, 1, 7, 8, 30, tzinfo=UTC).timestamp())


def test_a_month_end_lands_on_the_shorter_months_last_day() -> None:
    start = datetime(2027, 8, 31, tzinfo=UTC)
    assert expires_at(start, 6) == int(datetime(2028, 2, 29, tzinfo=UTC).timestamp())
