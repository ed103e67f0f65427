"""Beijing-time dates written the way each language writes them, fast.

Pages such as the dispatch queue print several dates per row; Babel's
general formatter costs tens of microseconds per call, these simple patterns
a few. The output matches the CLDR patterns the pages used before:
zh ``2026年12月5日 周六 09:00``, en ``Sat, Dec 5, 2026 09:00``.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
ZH_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_beijing(value: datetime) -> datetime:
    return value.astimezone(BEIJING)


def format_day(day: date, lang: str, weekday: bool = False, year: bool = True) -> str:
    """The calendar day: 2026年12月5日 [周六] / [Sat, ]Dec 5, 2026."""
    if lang == "zh":
        text = f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"
        return f"{text} {ZH_WEEKDAYS[day.weekday()]}" if weekday else text
    text = f"{EN_MONTHS[day.month - 1]} {day.day}" + (f", {day.year}" if year else "")
    return f"{EN_WEEKDAYS[day.weekday()]}, {text}" if weekday else text


def format_moment(value: date | datetime, lang: str, kind: str = "datetime") -> str:
    """``kind``: date, weekday, time, datetime, short (no year when it is this year)."""
    if not isinstance(value, datetime):
        return format_day(value, lang, weekday=kind == "weekday")
    local = to_beijing(value)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if kind == "time":
        return clock
    if kind in ("date", "weekday"):
        return format_day(local.date(), lang, weekday=kind == "weekday")
    this_year = kind == "short" and local.year == datetime.now(UTC).astimezone(BEIJING).year
    day = format_day(local.date(), lang, year=not this_year)
    return f"{day}, {clock}" if lang == "en" and this_year else f"{day} {clock}"


def format_window(starts: datetime, ends: datetime, lang: str) -> str:
    """A service window short enough for a table cell: 11月28日周六 09:00–11:00."""
    s, e = to_beijing(starts), to_beijing(ends)
    if lang == "zh":
        day = f"{s.month}月{s.day}日{ZH_WEEKDAYS[s.weekday()]}"
    else:
        day = f"{EN_WEEKDAYS[s.weekday()]}, {EN_MONTHS[s.month - 1]} {s.day}"
    return f"{day} {s.hour:02d}:{s.minute:02d}–{e.hour:02d}:{e.minute:02d}"


# Babel's units for an elapsed time, largest first, with the words each language uses.
_ELAPSED_UNITS = (
    (3600 * 24 * 365, "年", "year"),
    (3600 * 24 * 30, "个月", "month"),
    (3600 * 24 * 7, "周", "week"),
    (3600 * 24, "天", "day"),
    (3600, "小时", "hour"),
    (60, "分钟", "minute"),
    (1, "秒钟", "second"),
)


def format_elapsed(seconds: float, lang: str, threshold: float = 1.1) -> str:
    """"3天" / "3 days": what ``babel.dates.format_timedelta(threshold=1.1)`` writes, without its cost.

    The largest unit the time reaches ``threshold`` times is used, rounded.
    """
    seconds = abs(math.floor(seconds))  # whole seconds, as Babel counts them
    for size, zh, en in _ELAPSED_UNITS:
        value = seconds / size
        if value >= threshold or size == 1:
            n = max(1, round(value)) if value >= threshold else round(value)
            if lang == "zh":
                return f"{n}{zh}"
            return f"{n} {en}" if n == 1 else f"{n} {en}s"
    raise AssertionError("unreachable")
