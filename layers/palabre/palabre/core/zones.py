"""Timezones: the IANA names a roster, a setting or the CLI may use."""

from functools import cache
from importlib import resources

# IANA's placeholder for "no zone set", not a place anyone lives.
_NOT_ZONES = {"Factory"}


@cache
def _zones() -> dict[str, str]:
    # The IANA list the tzdata package ships, not available_timezones(): that one adds
    # whatever the host's zoneinfo folder holds (localtime, posixrules...), so a roster
    # could pass on one machine and fail on another.
    names = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return {name.casefold(): name for name in names if name not in _NOT_ZONES}


def known_zone(value: str) -> str | None:
    """The IANA name `value` spells (in any case), or None if it names no zone."""
    return _zones().get(value.strip().casefold())
