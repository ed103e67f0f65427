"""Fixtures of the bad-input tests: Hypothesis settings, targets for every form, figures.

Hypothesis examples must not share function-scoped fixtures (each example
would see the previous one's state), so the forms' targets live in a
module-scoped fixture that makes a new target whenever a valid submission
used one up.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from app.extensions import db as _db
from app.extensions import limiter
from app.models import Service, User
from tests.conftest import IS_PG, _clean
from tests.security.world import drive, fresh_csrf, place, sign_in_directly

FIGURES: dict[str, int] = defaultdict(int)
DATABASE = "PostgreSQL" if IS_PG else "SQLite"

# ci: the figure of the goals (>= 100 per form per run, reproducible); dev: quick; long: local soak.
_PROFILES = {"ci": 150, "dev": 30, "long": 2000}
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or _PROFILES[os.environ.get("FUZZ_PROFILE", "ci")])
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section(f"bad-input figures ({DATABASE})")
    for name in sorted(FIGURES):
        terminalreporter.write_line(f"{name}: {FIGURES[name]}")


class Targets:
    """Signed-in clients and one object per form, replaced once a valid submission uses it up."""

    def __init__(self, app) -> None:
        self.app = app
        self._n = 40
        self._cache: dict[str, int] = {}
        with app.app_context():
            by_phone = {u.phone: u for u in _db.session.scalars(select(User))}
            self.requester = by_phone["13800000001"]
            self.volunteer = by_phone["13800000002"]
            self.coordinator = by_phone["13800000003"]
            self.service_id = _db.session.scalar(select(Service.id).where(Service.name == "交通安全法规宣讲"))
            self.clients = {}
            for role, user in (("requester", self.requester), ("volunteer", self.volunteer),
                               ("coordinator", self.coordinator)):
                client = app.test_client()
                sign_in_directly(client, user)
                self.clients[role] = client
            self.user_ids = {"requester": self.requester.id, "volunteer": self.volunteer.id,
                             "coordinator": self.coordinator.id}
        self.tokens = {role: fresh_csrf(c) for role, c in self.clients.items()}

    def _users(self):
        return (_db.session.get(User, self.user_ids["requester"]), _db.session.get(User, self.user_ids["volunteer"]),
                _db.session.get(User, self.user_ids["coordinator"]))

    def _order_in(self, state: str):
        requester, volunteer, coordinator = self._users()
        self._n += 1
        order = drive(place(requester, self._n), state, requester, [volunteer], coordinator)
        return order

    def get(self, kind: str) -> int:
        if kind not in self._cache:
            with self.app.app_context():
                self._cache[kind] = self._make(kind)
                _db.session.commit()
        return self._cache[kind]

    def used_up(self, kind: str) -> None:
        self._cache.pop(kind, None)

    def _make(self, kind: str) -> int:
        if kind in ("cancel", "reject"):
            return self._order_in("submitted").id
        if kind == "rate":
            return self._order_in("completed").id
        if kind == "decline":
            order = self._order_in("dispatched")
            return order.assignments[-1].id
        if kind == "complete":
            order = self._order_in("in_service")
            return order.assignments[-1].id
        raise KeyError(kind)


@pytest.fixture(scope="module")
def targets(app):
    limiter.reset()
    t = Targets(app)
    yield t
    with app.app_context():
        _db.session.rollback()
        _clean(app)
        _db.session.remove()

