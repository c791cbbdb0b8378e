"""How long personal items are kept: the table's TTL attribute (docs/privacy.md).

DynamoDB deletes an item within a few days of the instant its `expires_at` names (epoch
seconds); the stream's REMOVE records are ignored by the score stream (it scores INSERTs),
so an expired answer takes no points back.
"""

import calendar
from datetime import datetime

TTL_ATTRIBUTE = "expires_at"


def expires_at(start: datetime, months: int) -> int:
    """`months` calendar months after `start` (the last day of a shorter month), in
    epoch seconds."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())
