"""Matching: each eligibility rule, the scoring and the ordering, weights from WEIGHTS only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from app import workflow
from app.models import Assignment, Category, District, Order, Service, Team, VolunteerAway, VolunteerProfile
from app.models.menu import DeliveredBy
from app.models.users import ALL_WEEK, availability_bit
from app.services import matching
from app.services import orders as order_service
from app.services.matching import WEIGHTS, Candidate, Volunteer, rank, score, top
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def request_context(app, db):
    with app.test_request_context():
        yield


def volunteer(phone: str, name: str, *, services=(), categories=(), districts=(), approved=True,
              availability=None):
    user = make_user(phone, name, ["volunteer"], approved=approved)
    profile = user.profile
    profile.services = list(services)
    profile.categories = list(categories)
    profile.districts = list(districts)
    if availability is not None:
        profile.availability = availability
    workflow.db.session.flush()
    return user


def by_id(candidates) -> dict[int, Candidate]:
    return {c.volunteer.id: c for c in candidates}


@pytest.fixture
def bda(db):
    return db.session.scalar(select(District).where(District.code == "bda"))


# --- eligibility -------------------------------------------------------------------------


def test_only_approved_active_volunteers_are_proposed(db, make_order, bda):
    order = make_order("submitted")
    qualified = dict(services=[order.service], districts=[bda])
    approved = volunteer("13911110001", "甲", **qualified)
    pending = volunteer("13911110002", "乙", **qualified, approved=False)
    suspended = volunteer("13911110003", "丙", **qualified)
    suspended.profile.status = "suspended"
    inactive = volunteer("13911110004", "丁", **qualified)
    inactive.active = False
    db.session.flush()

    found = by_id(rank(order))
    assert found[approved.id].eligible
    assert not found[pending.id].eligible and not found[suspended.id].eligible
    assert str(found[pending.id].blocked) == str(matching._l("Not an approved volunteer"))
    assert inactive.id not in found
    proposed = {u.id for u in top(order, 50)}
    assert approved.id in proposed and not proposed & {pending.id, suspended.id, inactive.id}


def test_who_declined_is_shown_greyed_with_why(db, users, make_order):
    order = make_order("dispatched")
    offer = order.assignments[0]
    workflow.apply(offer, "decline", offer.volunteer, reason_code="too_far")
    db.session.commit()
    c = by_id(rank(order))[offer.volunteer_id]
    assert not c.eligible and str(c.blocked) == str(matching._l("Declined this order"))
    assert offer.volunteer_id not in {u.id for u in top(order, 50)}


def test_who_is_already_on_the_order_or_placed_it_is_not_proposed(db, users, make_order):
    order = make_order("dispatched", requester="volunteer2")
    found = by_id(rank(order))
    assert str(found[users["volunteer"].id].blocked) == str(matching._l("Already on this order"))
    assert str(found[users["volunteer2"].id].blocked) == str(matching._l("Placed this order"))


@pytest.mark.parametrize("holding", ["accepted", "in_service"])
def test_an_overlapping_accepted_job_blocks_the_volunteer(db, users, make_order, holding):
    busy_job = make_order(holding)  # users["volunteer"] holds it
    order = make_order("submitted")
    # Same day; overlap by half an hour.
    db.session.execute(update(Order).where(Order.id == order.id).values(
        starts_at=busy_job.ends_at - timedelta(minutes=30), ends_at=busy_job.ends_at + timedelta(hours=1)))
    db.session.commit()
    db.session.refresh(order)
    c = by_id(rank(order))[users["volunteer"].id]
    assert not c.eligible and str(c.blocked) == str(matching._l("Busy at that time"))
    assert users["volunteer"].id not in {u.id for u in top(order, 50)}


def test_a_capped_list_of_blocked_volunteers_is_the_head_of_the_full_one(db, users, make_order):
    """Many busy at once: only the first few busy ones are ranked, and the list is still exact."""
    elsewhere = make_order("submitted")
    busy = [volunteer(f"1393333{i:04d}", f"忙{i}") for i in range(8)]
    crew = [*busy, users["volunteer2"]]  # the requester of the order below is busy too
    db.session.execute(update(Order).where(Order.id == elsewhere.id).values(needed=len(crew)))
    db.session.refresh(elsewhere)
    for a in order_service.dispatch_order(elsewhere, crew, users["coordinator"]):
        workflow.apply(a, "accept", a.volunteer)
    order = make_order("submitted", requester="volunteer2")
    db.session.execute(update(Order).where(Order.id == order.id).values(
        starts_at=elsewhere.starts_at, ends_at=elsewhere.ends_at))
    db.session.refresh(order)
    order_service.dispatch_order(order, [busy[2]], users["coordinator"])  # busy, and on this order
    busy[0].profile.status = busy[1].profile.status = "suspended"  # busy, but not approved
    db.session.commit()

    full = rank(order, eligible=0)
    why = {c.volunteer.id: c.why for c in full}
    assert why[busy[2].id] == "on_order" and why[busy[0].id] == why[busy[1].id] == "not_approved"
    assert why[users["volunteer2"].id] == "busy" and why[busy[3].id] == "busy"
    assert [c.why for c in full] == sorted((c.why for c in full), key=matching.BLOCK_ORDER.index)
    for k in range(1, len(full) + 1):
        assert [c.volunteer.id for c in rank(order, eligible=0, blocked=k)] == [c.volunteer.id for c in full[:k]]


def test_a_job_that_ends_when_the_order_starts_does_not_block(db, users, make_order):
    earlier = make_order("accepted")
    order = make_order("submitted")
    db.session.execute(update(Order).where(Order.id == order.id).values(
        starts_at=earlier.ends_at, ends_at=earlier.ends_at + timedelta(hours=2)))
    db.session.commit()
    db.session.refresh(order)
    assert by_id(rank(order))[users["volunteer"].id].eligible


def test_an_open_offer_or_a_finished_job_elsewhere_does_not_block(db, users, make_order):
    offered_elsewhere = make_order("dispatched")
    done = make_order("completed")
    order = make_order("submitted")
    db.session.execute(update(Order).where(Order.id.in_([offered_elsewhere.id, done.id])).values(
        starts_at=order.starts_at, ends_at=order.ends_at))
    db.session.commit()
    assert by_id(rank(order))[users["volunteer"].id].eligible


# --- scoring and ordering --------------------------------------------------------------------


def fake_order(service_id=1, category_id=10, district_id=100):
    return SimpleNamespace(service_id=service_id, district_id=district_id,
                           service=SimpleNamespace(category_id=category_id))


def fake_candidate(services=(), categories=(), districts=(), free=True, open_jobs=0, rating=None,
                   hours="0"):
    order = fake_order()
    volunteer = Volunteer(
        id=1, name="志愿者", team="", approved=True, availability=ALL_WEEK if free else 0,
        delivers_service=order.service_id in services,
        delivers_category=order.service.category_id in categories,
        serves_district=order.district_id in districts,
    )
    return Candidate(volunteer, open_jobs=open_jobs, average_rating=rating, hours_this_month=Decimal(hours))


def scored(c: Candidate) -> float:
    score(c, fake_order(), 0, 0)
    return c.score


def test_each_reason_adds_its_weight():
    assert scored(fake_candidate(free=False)) == 0
    assert scored(fake_candidate(services=[1], free=False)) == WEIGHTS["service"]
    # This service counts once, not again for its category.
    assert scored(fake_candidate(services=[1], categories=[10], free=False)) == WEIGHTS["service"]
    assert scored(fake_candidate(categories=[10], free=False)) == WEIGHTS["category"]
    assert scored(fake_candidate(districts=[100], free=False)) == WEIGHTS["district"]
    assert scored(fake_candidate()) == WEIGHTS["available"]
    assert scored(fake_candidate(free=False, open_jobs=2)) == 2 * WEIGHTS["per_open_job"]
    assert scored(fake_candidate(free=False, rating=4.5)) == pytest.approx(1.5 * WEIGHTS["per_star"])
    assert scored(fake_candidate(free=False, hours="6")) == 6 * WEIGHTS["per_hour_this_month"]


def test_the_reasons_are_shown():
    c = fake_candidate(services=[1], districts=[100], open_jobs=1, rating=4.0, hours="2")
    score(c, fake_order(), 0, 0)
    shown = [str(r) for r in c.reasons]
    for expected in ("Delivers this service", "Serves this district", "Usually free then"):
        assert str(matching._l(expected)) in shown
    assert len(shown) == 6  # plus open jobs, rating, hours this month


def test_weights_come_from_weights_only(monkeypatch):
    monkeypatch.setattr(matching, "WEIGHTS", dict.fromkeys(WEIGHTS, 0.0))
    everything = fake_candidate(services=[1], categories=[10], districts=[100], open_jobs=3, rating=5, hours="9")
    assert scored(everything) == 0
    monkeypatch.setattr(matching, "WEIGHTS", {**dict.fromkeys(WEIGHTS, 0.0), "district": 7.0})
    assert scored(fake_candidate(services=[1], districts=[100])) == 7.0


def test_ranking_order(db, users, make_order, bda):
    order = make_order("submitted")  # 交通安全法规宣讲 in 经开区, weekday morning
    svc = order.service
    other_category = db.session.scalar(select(Category).where(Category.id != svc.category_id))
    sibling = db.session.scalar(select(Service).where(Service.category_id == svc.category_id,
                                                      Service.id != svc.id))
    none = 0  # available nowhere in the week
    exact = volunteer("13922220001", "专", services=[svc], districts=[bda], availability=none)
    same_category = volunteer("13922220002", "类", categories=[svc.category], districts=[bda], availability=none)
    sibling_only = volunteer("13922220003", "邻", services=[sibling], districts=[bda], availability=none)
    elsewhere = volunteer("13922220004", "远", categories=[other_category], availability=none)
    twin = volunteer("13922220005", "双", categories=[svc.category], districts=[bda], availability=none)
    loaded = volunteer("13922220006", "忙", categories=[svc.category], districts=[bda], availability=none)
    db.session.commit()
    # An open offer elsewhere costs one step of load.
    other = make_order("submitted", service="插花艺术体验")
    order_service.dispatch_order(other, [loaded], users["coordinator"])
    db.session.commit()

    ranked = [c.volunteer.id for c in rank(order) if c.volunteer.id in
              {exact.id, same_category.id, sibling_only.id, elsewhere.id, twin.id, loaded.id}]
    # Equal scores keep the older account first; who lists neither the service nor its category is not ranked.
    assert ranked == [exact.id, same_category.id, twin.id, loaded.id]
    found = by_id(rank(order))
    assert found[exact.id].score == WEIGHTS["service"] + WEIGHTS["district"]
    assert found[loaded.id].score == found[twin.id].score + WEIGHTS["per_open_job"]
    picked = by_id(rank(order, only=[sibling_only.id, elsewhere.id]))
    assert {c.why for c in picked.values()} == {"not_qualified"}


def test_one_kept_statement_ranks_each_order_by_its_own_values(db, users, make_order, bda):
    """The statements are built once with the order's values bound: two orders, two answers."""
    traffic = make_order("submitted")  # 交通安全法规宣讲
    flowers = make_order("submitted", service="插花艺术体验")
    for_traffic = volunteer("13922230001", "交", services=[traffic.service], availability=0)
    for_flowers = volunteer("13922230002", "花", services=[flowers.service], availability=0)
    db.session.commit()
    matching._statement.cache_clear()
    matching._ranking_statement.cache_clear()

    def first_of_the_two(order):
        return next(c.volunteer.id for c in rank(order) if c.volunteer.id in (for_traffic.id, for_flowers.id))

    assert [first_of_the_two(o) for o in (traffic, flowers, traffic)] == [for_traffic.id, for_flowers.id,
                                                                          for_traffic.id]
    assert matching._ranking_statement.cache_info().currsize == 1  # one statement for both parts:
    assert matching._statement.cache_info().currsize == 2  # the eligible part and the blocked part


def test_fairness_rating_and_hours_come_from_the_record(db, users, make_order):
    make_order("rated")  # users["volunteer"]: 5 stars, 2 hours this month
    order = make_order("submitted")
    c = by_id(rank(order))[users["volunteer"].id]
    assert c.average_rating == 5.0 and c.hours_this_month == Decimal("2")
    assert c.open_jobs == 0


def test_blocked_volunteers_come_after_every_eligible_one(db, users, make_order):
    order = make_order("dispatched")
    candidates = rank(order)
    flags = [c.eligible for c in candidates]
    assert flags == sorted(flags, reverse=True) and not flags[-1]
    eligible = [c.score for c in candidates if c.eligible]
    assert eligible == sorted(eligible, reverse=True)
    assert [u.id for u in top(order, 2)] == [c.volunteer.id for c in candidates if c.eligible][:2]


def test_dispatch_to_top_offers_the_shortfall(db, users, make_order):
    order = make_order("dispatched", needed=1)
    order_service.change_needed(order, 3, users["coordinator"])
    expected = [u.id for u in top(order, 2)]
    offered = order_service.dispatch_to_top(order, users["coordinator"])
    assert [a.volunteer_id for a in offered] == expected
    assert len([a for a in order.assignments if a.state == "offered"]) == 3
    assert db.session.scalar(select(Assignment.id).where(Assignment.order_id == order.id,
                                                         Assignment.state != "offered")) is None


def test_a_capped_ranking_is_the_head_of_the_full_one(db, users, make_order, bda):
    """The database picks the rows a page shows by the same score Python gives them."""
    svc = db.session.scalar(select(Service).where(Service.name == "交通安全法规宣讲"))
    volunteer("13933330001", "服务", services=[svc], districts=[bda])
    volunteer("13933330002", "类别", categories=[svc.category])
    volunteer("13933330003", "本区", districts=[bda], availability=0)
    volunteer("13933330004", "待审", districts=[bda], approved=False)
    make_order("rated")  # users["volunteer"]: rated 5 stars, 2 hours this month
    order = make_order("submitted")
    full = rank(order)
    eligible = [c.volunteer.id for c in full if c.eligible]
    blocked = [c.volunteer.id for c in full if not c.eligible]
    assert len(eligible) >= 4 and blocked
    for k in range(1, len(eligible) + 1):
        assert [c.volunteer.id for c in rank(order, eligible=k, blocked=0)] == eligible[:k]
    assert [c.volunteer.id for c in rank(order, eligible=0, blocked=1)] == blocked[:1]
    picked = eligible[1:3]
    assert [c.volunteer.id for c in rank(order, only=picked, blocked=0)] == picked


def test_rating_totals_and_hours_are_kept_by_the_workflow_and_checked(db, users, make_order):
    from app.models import VolunteerProfile
    from app.services.invariants import broken_invariants

    make_order("rated", needed=2)  # volunteer and volunteer3, 5 stars
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == users["volunteer3"].id))
    assert (profile.rating_sum, profile.rating_count) == (5, 1)
    assert profile.hours_credited == Decimal("2")  # the crew's hours, credited on rating
    assert order_service.credited_hours(users["volunteer3"]) == Decimal("2")
    assert broken_invariants() == []
    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.id == profile.id).values(rating_sum=9))
    assert any("rating totals 9/1" in p for p in broken_invariants())
    db.session.execute(update(VolunteerProfile).where(VolunteerProfile.id == profile.id).values(hours_credited=7))
    assert any("7.0 hours credited, jobs say 2" in p for p in broken_invariants())
    db.session.rollback()


def test_the_database_scores_every_volunteer_as_score_does(db, users, make_order, bda):
    """The SQL that picks the rows and ``score()`` that explains them read the same weights the same way."""
    make_order("rated", needed=2)  # volunteer and volunteer3: a rating and hours this month
    make_order("dispatched")  # volunteer: an open job
    for _ in range(2):  # volunteer3: two places lapsed lately
        lapsed = make_order("dispatched")
        db.session.execute(update(Assignment).where(Assignment.order_id == lapsed.id).values(
            volunteer_id=users["volunteer3"].id, state="expired", lapse="expired", ended_at=workflow.utcnow()))
    order = make_order("submitted")
    svc, other = order.service, db.session.scalar(select(Category).where(Category.id != order.service.category_id))
    for i, links in enumerate([dict(services=[svc]), dict(categories=[svc.category]), dict(districts=[bda]),
                               dict(services=[svc], categories=[svc.category], districts=[bda]),
                               dict(categories=[other], availability=0), dict(availability=ALL_WEEK)]):
        volunteer(f"1392224{i:04d}", f"分{i}", **links)
    # The grid: free in the order's period, free in another only, free in it and away that day.
    for i, grid in enumerate([availability_bit(*matching.period_of(order.starts_at)), 1 << 20, ALL_WEEK]):
        v = volunteer(f"1392225{i:04d}", f"格{i}", services=[svc], availability=grid)
        if i == 2:
            day = order.starts_at.astimezone(matching.BEIJING).date()
            v.profile.away = [VolunteerAway(starts_on=day, ends_on=day)]
    db.session.commit()
    ranked = rank(order)
    assert {c.volunteer.id: c.lapses for c in ranked if c.lapses} == {users["volunteer3"].id: 2}
    explained = {c.volunteer.id: c.score for c in ranked}
    for eligible, blocked in ((None, None), (3, 0)):
        statement = matching._ranking_statement(eligible, blocked, False)
        rows = db.session.execute(statement, matching._params(order, workflow.utcnow(), None)).all()
        assert len(rows) >= (3 if eligible else 9)
        for row in rows:
            assert row.score == pytest.approx(explained[row.id]), row
    # Everyone, blocked for any reason or not, as a coordinator's picks are checked.
    everyone = list(db.session.scalars(select(VolunteerProfile.user_id)))
    explained = {c.volunteer.id: c.score for c in rank(order, only=everyone)}
    rows = db.session.execute(matching._ranking_statement(None, None, True),
                              matching._params(order, workflow.utcnow(), everyone)).all()
    assert {row.block for row in rows} >= {None, "not_qualified", "away"}
    for row in rows:
        assert row.score == pytest.approx(explained[row.id]), row


# --- who may deliver: the teams that cover a service ----------------------------------------------


def test_a_service_delivered_by_teams_is_for_their_members_only(db, users, make_order, bda):
    order = make_order("submitted")
    svc = order.service
    lists_it = volunteer("13933330001", "列", services=[svc], districts=[bda])
    member = volunteer("13933330002", "队")  # lists nothing at all
    member_elsewhere = volunteer("13933330003", "外", districts=[db.session.get(District, 1)])
    db.session.add(Team(name="宣讲一队", members=[member, member_elsewhere], services=[svc]))
    db.session.add(Team(name="别的队", members=[lists_it], services=[]))
    db.session.commit()
    mine = [lists_it.id, member.id, member_elsewhere.id]
    assert {c.volunteer.id: c.why for c in rank(order, only=mine)} == {
        lists_it.id: None, member.id: "not_qualified", member_elsewhere.id: "not_qualified"}

    svc.delivered_by = DeliveredBy.TEAMS.value
    db.session.commit()
    why = {c.volunteer.id: c.why for c in rank(order, only=mine)}
    assert why == {lists_it.id: "not_qualified", member.id: None,
                   member_elsewhere.id: "not_qualified"}  # a member still serves only the districts named
    eligible = {c.volunteer.id for c in rank(order) if c.eligible}
    assert member.id in eligible and not {lists_it.id, member_elsewhere.id} & eligible
    assert {u.id for u in top(order, 50)} == eligible
