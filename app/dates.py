"""Beijing-time dates, written by Flask-Babel the way each language writes them.

zh ``2026年12月5日 周六 09:00``, en ``Sat, Dec 5, 2026 09:00``. Flask-Babel
converts to the configured zone (``BABEL_DEFAULT_TIMEZONE``, Asia/Shanghai)
and Babel spells the month and the day of the week from CLDR; only the order
of the parts is chosen here, one pattern per language and kind.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_datetime, format_timedelta, get_locale

BEIJING = ZoneInfo("Asia/Shanghai")

# LDML patterns (https://unicode.org/reports/tr35/tr35-dates.html): letters are fields, the rest literal.
PATTERNS: dict[str, dict[str, str]] = {
    "zh": {
        "date": "y年M月d日",
        "weekday": "y年M月d日 EEE",
        "time": "HH:mm",
        "datetime": "y年M月d日 HH:mm",
        "this_year": "M月d日 HH:mm",
        "window": "M月d日EEE HH:mm",
    },
    "en": {
        "date": "MMM d, y",
        "weekday": "EEE, MMM d, y",
        "time": "HH:mm",
        "datetime": "MMM d, y HH:mm",
        "this_year": "MMM d, HH:mm",
        "window": "EEE, MMM d HH:mm",
    },
}


def _patterns() -> dict[str, str]:
    return PATTERNS.get(get_locale().language, PATTERNS["en"])


def to_beijing(value: datetime) -> datetime:
    return value.astimezone(BEIJING)


def format_moment(value: date | datetime, kind: str = "datetime") -> str:
    """``kind``: date, weekday, time, datetime, short (no year when it is this year)."""
    patterns = _patterns()
    if not isinstance(value, datetime):
        return format_date(value, patterns["weekday" if kind == "weekday" else "date"])
    if kind == "short":
        this_year = to_beijing(value).year == datetime.now(BEIJING).year
        kind = "this_year" if this_year else "datetime"
    return format_datetime(value, patterns[kind])


def format_window(starts: datetime, ends: datetime) -> str:
    """A service window short enough for a table cell: 11月28日周六 09:00–11:00."""
    return f"{format_datetime(starts, _patterns()['window'])}–{format_datetime(ends, 'HH:mm')}"


def format_elapsed(elapsed: timedelta) -> str:
    """"3天" / "3 days": the largest unit the time reaches 1.1 times, rounded."""
    return format_timedelta(elapsed, threshold=1.1)
