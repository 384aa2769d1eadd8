"""Rates such as ``"100/min"`` or ``"10/15m"``: how many in how many seconds. Pure: settings read it too."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"100/min"`` -> (100, 60); ``"10/15m"`` -> (10, 900); None or ``""`` -> None (no limit)."""
    if rate is None or not rate.strip():
        return None
    match = _RATE.match(rate.lower())
    if not match:
        raise ValueError(f"A rate reads like '100/min', '1000/hour' or '10/15m', not {rate!r}.")
    count, multiple, unit = match.groups()
    seconds = int(multiple or 1) * _UNITS[unit[0]]
    if seconds <= 0:
        raise ValueError(f"A rate's period must be positive, not {rate!r}.")
    return int(count), seconds
