"""A service's window rules in ``rule_errors``: hours of day and duration range, one minute inside and outside."""

from __future__ import annotations

from datetime import time

import pytest

from app.services.orders.ordering import rule_errors
from tests.conftest import service_named


@pytest.fixture
def service(db):
    svc = service_named("交通安全法规宣讲")
    svc.min_duration_minutes, svc.max_duration_minutes = 60, 120
    svc.earliest_start, svc.latest_end = time(8, 0), time(18, 0)
    return svc


def _fields(service, start: time, end: time) -> list[str]:
    return [field for field, _ in rule_errors(service, start_time=start, end_time=end)]


@pytest.mark.parametrize(("start", "end", "fields"), [
    (time(8, 0), time(9, 0), []),               # exactly 60 from the earliest start
    (time(7, 59), time(9, 0), ["start_time"]),  # a minute before the hours
    (time(16, 0), time(18, 0), []),             # exactly 120 to the latest end
    (time(16, 1), time(18, 1), ["end_time"]),   # a minute past the hours
    (time(10, 0), time(10, 59), ["end_time"]),  # a minute short
    (time(10, 0), time(12, 1), ["end_time"]),   # a minute long
    (time(3, 0), time(23, 30), ["start_time", "end_time", "end_time"]),  # every reason at once
    (time(10, 0), time(9, 0), ["end_time"]),
])
def test_window_rules_at_their_edges(service, start, end, fields):
    assert _fields(service, start, end) == fields


def test_a_service_without_window_rules_takes_any_window(db):
    svc = service_named("交通安全法规宣讲")
    assert _fields(svc, time(3, 0), time(23, 30)) == []
