"""The ranking's shortlist: the volunteers linked to the order's service or district first.

When enough of them score above what anybody else could reach
(``UNLINKED_CEILING``), they are the answer; otherwise everybody is ranked.
Either way a capped ranking is the head of the full one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import District, Service
from app.models.users import ALL_WEEK
from app.services.matching import UNLINKED_CEILING, WEIGHTS, Candidate, Volunteer, rank, score
from tests.test_matching import volunteer


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def test_the_ceiling_is_the_best_score_without_a_strong_link():
    best = Candidate(Volunteer(1, "", "", True, ALL_WEEK, False, True, False), average_rating=5.0)
    score(best, None, weekday=0, period=0)
    assert UNLINKED_CEILING == best.score == WEIGHTS["category"] + WEIGHTS["available"] + 2 * WEIGHTS["per_star"]


def test_the_shortlist_answers_when_it_can_and_steps_aside_when_it_cannot(db, users, make_order):
    svc = db.session.scalar(select(Service).where(Service.name == "交通安全法规宣讲"))
    bda = db.session.scalar(select(District).where(District.code == "bda"))
    linked = [volunteer(f"139444400{i:02d}", f"强{i}", services=[svc], districts=[bda]) for i in range(3)]
    near = volunteer("13944449901", "类", categories=[svc.category])  # below the ceiling: never above the linked
    db.session.commit()
    order = make_order("submitted")
    ranked = [c for c in rank(order) if c.eligible]
    full = [c.volunteer.id for c in ranked]
    # The first three settle a ranking of 1 to 3; beyond, everybody is ranked.
    assert {v.id for v in linked} <= set(full[:4]) and all(c.score > UNLINKED_CEILING for c in ranked[:3])
    assert near.id in full and next(c for c in ranked if c.volunteer.id == near.id).score < UNLINKED_CEILING
    for k in range(1, len(full) + 1):
        assert [c.volunteer.id for c in rank(order, eligible=k, blocked=0)] == full[:k]
