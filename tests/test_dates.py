"""Dates and durations a person reads: Beijing time, written the way each language writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import session

from app.dates import format_elapsed, format_moment, format_window

# 01:30 UTC is 09:30 in Beijing, on the same day; 17:00 UTC is the next day there.
MORNING = datetime(2026, 12, 5, 1, 30, tzinfo=UTC)
LATE = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("locale", "kind", "value", "expected"), [
    ("zh_Hans_CN", "datetime", MORNING, "2026年12月5日 09:30"),
    ("zh_Hans_CN", "weekday", MORNING, "2026年12月5日 周六"),
    ("zh_Hans_CN", "time", MORNING, "09:30"),
    ("zh_Hans_CN", "date", LATE, "2026年12月5日"),
    ("zh_Hans_CN", "weekday", date(2026, 12, 7), "2026年12月7日 周一"),
    ("en", "datetime", MORNING, "Dec 5, 2026 09:30"),
    ("en", "weekday", LATE, "Sat, Dec 5, 2026"),
    ("en", "time", LATE, "01:00"),
])
def test_moments_in_beijing_time(app, locale, kind, value, expected):
    with app.test_request_context():
        session["locale"] = locale
        assert format_moment(value, kind) == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("zh_Hans_CN", "12月5日周六 09:30–11:00"), ("en", "Sat, Dec 5 09:30–11:00"),
])
def test_service_window(app, locale, expected):
    with app.test_request_context():
        session["locale"] = locale
        assert format_window(MORNING, MORNING + timedelta(minutes=90)) == expected


@pytest.mark.parametrize(("locale", "elapsed", "expected"), [
    ("zh_Hans_CN", timedelta(days=3, hours=2), "3天"),
    ("zh_Hans_CN", timedelta(minutes=65), "65分钟"),  # under 1.1 hours: still minutes
    ("zh_Hans_CN", timedelta(minutes=67), "1小时"),
    ("en", timedelta(days=1), "24 hours"),
    ("en", timedelta(days=2), "2 days"),
])
def test_elapsed_uses_the_largest_unit_reached_one_point_one_times(app, locale, elapsed, expected):
    with app.test_request_context():
        session["locale"] = locale
        assert format_elapsed(elapsed) == expected
