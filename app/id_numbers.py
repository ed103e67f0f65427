"""Identity document numbers: the check of a 居民身份证 number (GB 11643-1999)."""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_DIGITS = "10X98765432"
RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The 18th character of a resident ID number from its first 17 digits."""
    return CHECK_DIGITS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def resident_id_problem(number: str) -> str | None:
    """Why ``number`` is no valid resident ID number ("format", "birth", "check"), or None."""
    if not RESIDENT_ID.match(number):
        return "format"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "birth"
    return None if check_digit(number[:17]) == number[17] else "check"


def normalized(number: str) -> str:
    """Spaces removed, letters upper-cased (a lower-case x is the same check digit)."""
    return re.sub(r"\s+", "", number or "").upper()
