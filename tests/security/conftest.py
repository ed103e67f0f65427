"""Fixtures of the security tests and the figures they print at the end of the run."""

from __future__ import annotations

from collections import defaultdict

import pytest

from app.extensions import limiter
from tests.security.world import build_world

# Figures the tests add to; printed in the terminal summary (see the goals).
FIGURES: dict[str, int] = defaultdict(int)


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("security figures")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {FIGURES[name]}")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Login counters are per process in ``memory://``: every test starts at zero."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def world(app, db, users):
    return build_world(app, users)
