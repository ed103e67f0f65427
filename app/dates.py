"""Beijing-time dates, written by Babel the way each language writes them.

zh ``2026年12月5日 周六 09:00``, en ``Sat, Dec 5, 2026 09:00``. Babel
converts to Beijing time and spells the month and the day of the week from
CLDR in the request's locale (``i18n.request_locale``, asked of Flask-Babel
once a request); only the order of the parts is chosen here, one pattern per
language and kind.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from flask_babel import get_locale

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


def _patterns(locale: Locale) -> dict[str, str]:
    return PATTERNS.get(locale.language, PATTERNS["en"])


def to_beijing(value: datetime) -> datetime:
    return value.astimezone(BEIJING)


def format_moment(value: date | datetime, kind: str = "datetime", locale: Locale | None = None) -> str:
    """``kind``: date, weekday, time, datetime, short (no year when it is this year).

    ``locale``: the page's, when a template has it at hand; else Flask-Babel's.
    """
    locale = locale or get_locale()
    patterns = _patterns(locale)
    if not isinstance(value, datetime):
        return format_date(value, patterns["weekday" if kind == "weekday" else "date"], locale=locale)
    if kind == "short":
        this_year = to_beijing(value).year == datetime.now(BEIJING).year
        kind = "this_year" if this_year else "datetime"
    return _write(value, patterns[kind], locale)


def _write(value: datetime, pattern: str, locale: Locale) -> str:
    if pattern == "HH:mm":  # the same in every language: no CLDR lookup
        return to_beijing(value).strftime("%H:%M")
    return format_datetime(value, pattern, tzinfo=BEIJING, locale=locale)


def format_window(starts: datetime, ends: datetime, locale: Locale | None = None) -> str:
    """A service window short enough for a table cell: 11月28日周六 09:00–11:00."""
    locale = locale or get_locale()
    return f"{_write(starts, _patterns(locale)['window'], locale)}–{_write(ends, 'HH:mm', locale)}"


def format_elapsed(elapsed: timedelta, locale: Locale | None = None) -> str:
    """"3天" / "3 days": the largest unit the time reaches 1.1 times, rounded."""
    return format_timedelta(elapsed, threshold=1.1, locale=locale or get_locale())
