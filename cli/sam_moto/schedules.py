"""EventBridge Scheduler expressions: rate(), cron() and at(), evaluated in their timezone."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # cron: 1 = SUN ... 7 = SAT


class Expression:
    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        self.text = expression.strip()
        self.zone = ZoneInfo(timezone)
        self.rate: timedelta | None = None
        self.fields: list[set[int] | None] | None = None
        self.at: datetime | None = None
        if match := _RATE.match(self.text):
            amount, unit = int(match.group(1)), match.group(2).rstrip("s")
            self.rate = timedelta(**{f"{unit}s": amount})
        elif match := _CRON.match(self.text):
            self.fields = _parse_cron(match.group(1))
        elif match := _AT.match(self.text):
            self.at = datetime.fromisoformat(match.group(1)).replace(tzinfo=self.zone)
        else:
            raise ValueError(f"unsupported schedule expression {expression!r}")

    def fires(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Every firing instant in (after, until], in order, as UTC datetimes."""
        if self.rate is not None:
            # Rates count from the Unix epoch, so every tick lands on a round minute.
            step = self.rate.total_seconds()
            epoch = datetime(1970, 1, 1, tzinfo=UTC)
            n = int((after - epoch).total_seconds() // step) + 1
            moment = epoch + timedelta(seconds=n * step)
            while moment <= until:
                yield moment
                moment += self.rate
        elif self.fields is not None:
            yield from _cron_fires(self.fields, self.zone, after, until)
        elif self.at is not None and after < self.at <= until:
            yield self.at.astimezone(UTC)


def _parse_cron(body: str) -> list[set[int] | None]:
    parts = body.split()
    if len(parts) != 6:
        raise ValueError(f"cron needs 6 fields: {body!r}")
    minute, hour, dom, month, dow, year = parts
    return [
        _field(minute, 0, 59),
        _field(hour, 0, 23),
        _field(dom, 1, 31),
        _field(month, 1, 12, _MONTHS, 1),
        _field(dow, 1, 7, _DAYS, 1),
        _field(year, 1970, 2199),
    ]


def _field(
    text: str, low: int, high: int, names: list[str] | None = None, base: int = 0
) -> set[int] | None:
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            start, end = (_value(p, names, base) for p in part.split("-"))
        else:
            start = _value(part, names, base)
            end = high if step > 1 else start
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: list[str] | None, base: int) -> int:
    if names and text.upper() in names:
        return names.index(text.upper()) + base
    return int(text)


def _cron_fires(
    fields: list[set[int] | None], zone: ZoneInfo, after: datetime, until: datetime
) -> Iterator[datetime]:
    minute, hour, dom, month, dow, year = fields
    day = after.astimezone(zone).date()
    last = until.astimezone(zone).date()
    while day <= last:
        cron_dow = (day.isoweekday() % 7) + 1  # Monday=2 ... Sunday=1
        if (
            (year is None or day.year in year)
            and (month is None or day.month in month)
            and (dom is None or day.day in dom)
            and (dow is None or cron_dow in dow)
        ):
            for h in sorted(hour if hour is not None else range(24)):
                for m in sorted(minute if minute is not None else range(60)):
                    local = datetime(day.year, day.month, day.day, h, m, tzinfo=zone)
                    moment = local.astimezone(UTC)
                    # A wall-clock time skipped by a DST change does not exist: AWS skips it.
                    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
                        continue
                    if after < moment <= until:
                        yield moment
        day += timedelta(days=1)
