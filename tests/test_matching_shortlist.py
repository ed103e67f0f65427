"""The ranking's shortlists: the volunteers linked to the order's service and district, then to either.

When enough of a shortlist score above what anybody outside it could reach
(``TIERS``), they are the answer and no wider list is read; otherwise the
next, and at last everybody, is ranked. Either way a capped ranking is the
head of the full one.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import District, Service
from app.models.users import ALL_WEEK
from app.services import matching
from app.services.matching import TIERS, UNLINKED_CEILING, WEIGHTS, Candidate, Volunteer, rank, score
from tests.conftest import recording_statements
from tests.test_matching import volunteer


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def _best_score(service: bool, category: bool, district: bool) -> float:
    best = Candidate(Volunteer(1, "", "", True, ALL_WEEK, service, category, district), average_rating=5.0)
    score(best, None, weekday=0, period=0)
    return best.score


def test_the_ceiling_is_the_best_score_without_a_strong_link():
    assert UNLINKED_CEILING == _best_score(False, True, False) == (
        WEIGHTS["category"] + WEIGHTS["available"] + 2 * WEIGHTS["per_star"])


def test_each_shortlist_has_the_ceiling_of_the_best_volunteer_outside_it():
    both, either = dict(TIERS)["both"], dict(TIERS)["either"]
    assert both == _best_score(False, True, True) > _best_score(True, True, False)  # category and district
    assert either == _best_score(False, True, False) > _best_score(False, False, False)
    assert _best_score(True, False, True) > both and _best_score(False, False, True) > either


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


@pytest.fixture
def tiered(db, users, make_order):
    """An order no demo volunteer delivers, and volunteers at each tier.

    Two linked to its service and district (80) and a third, busy and not free
    then (55: below volunteers outside that shortlist); one to the service
    alone (55), one to the district and category (60: the demo volunteers serve
    the same district, at 40 or 60), one to the category alone (35), one to
    nothing.
    """
    order = make_order("submitted", service="生物多样性科普")
    svc, district = order.service, db.session.get(District, order.district_id)
    both = [volunteer(f"139555500{i:02d}", f"双{i}", services=[svc], districts=[district]) for i in range(2)]
    low = volunteer("13955550100", "双忙", services=[svc], districts=[district], availability=0)
    low.profile.open_jobs = 2
    others = [
        volunteer("13955550101", "服务", services=[svc]),
        volunteer("13955550102", "区类", districts=[district], categories=[svc.category]),
        volunteer("13955550103", "类", categories=[svc.category]),
        volunteer("13955550104", "无"),
    ]
    db.session.commit()
    return order, both, [low, *others]


def test_every_cap_gives_the_head_of_the_full_ranking_whichever_shortlist_settles(tiered):
    order, both, others = tiered
    ranked = [c for c in rank(order) if c.eligible]
    full = [c.volunteer.id for c in ranked]
    assert full[:2] == sorted(v.id for v in both) and ranked[1].score > dict(TIERS)["both"]
    *qualified, unlinked = others  # who lists neither the service nor its category may not deliver it
    assert {v.id for v in qualified} <= set(full) and unlinked.id not in full
    for k in range(1, len(full) + 1):
        assert [c.volunteer.id for c in rank(order, eligible=k, blocked=0)] == full[:k], k


def _profile_scans_run(order, limit: int) -> int:
    """How many of the capped ranking's scans of the profiles ran (PostgreSQL's EXPLAIN ANALYZE)."""
    with recording_statements() as sent:
        matching.rank(order, eligible=limit, blocked=0)
    statement, parameters = sent.statements[-1], sent.parameters[-1]
    raw = _db.session.connection().connection.driver_connection
    (plan,), = raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).fetchall()
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    scans = [n for n in nodes(plan[0]["Plan"]) if n.get("Relation Name") == "volunteer_profiles"
             and n.get("Alias") != "member_profiles"]  # the members of the teams that cover it: a lookup by id
    assert len(scans) == len(TIERS) + 1  # one a shortlist, one for everybody
    return sum(1 for n in scans if n["Actual Loops"] > 0)


@pytest.mark.pg
def test_only_the_first_shortlist_that_settles_is_read(tiered):
    order, _, _ = tiered
    assert _profile_scans_run(order, 2) == 1  # the two linked to both settle it
    assert _profile_scans_run(order, 3) == 2  # the third best (60) is linked to the district
    assert _profile_scans_run(order, 50) == 3  # not 50 above any ceiling: everybody
