"""The hours ledger: a service's hours are credited once, when the people served confirm it by
rating it or, when nobody does, by the sweep after the auto-confirm days; every credit is a row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import workflow
from app.models import HourEntry, Notification, Order, OrderEvent, VolunteerProfile
from app.models.hours import star_progress
from app.services import orders as order_service
from app.services.hours import record_of
from app.services.invariants import broken_invariants
from app.services.settings import update_settings
from app.services.sweep import sweep
from tests.conftest import IS_PG, csrf_token, run_concurrently


def ledger(db, order: Order) -> list[tuple[int, Decimal, str]]:
    return [tuple(r) for r in db.session.execute(
        select(HourEntry.volunteer_id, HourEntry.hours, HourEntry.source)
        .where(HourEntry.order_id == order.id).order_by(HourEntry.volunteer_id))]


def credited(db, user) -> Decimal:
    db.session.expire_all()
    return db.session.scalar(select(VolunteerProfile.hours_credited).where(VolunteerProfile.user_id == user.id))


def test_a_rating_writes_each_crew_members_hours_into_the_ledger(db, users, make_order):
    order = make_order("rated", needed=2)
    crew = sorted((users["volunteer"].id, users["volunteer3"].id))
    assert ledger(db, order) == [(crew[0], Decimal("2"), "service"), (crew[1], Decimal("2"), "service")]
    assert credited(db, users["volunteer"]) == Decimal("2")
    assert broken_invariants() == []


def test_completed_but_not_rated_counts_nothing_yet(db, users, make_order):
    order = make_order("completed")
    assert ledger(db, order) == [] and credited(db, users["volunteer"]) == 0


def test_the_sweep_confirms_an_unrated_order_after_the_days_allowed(db, users, make_order):
    update_settings({"auto_confirm_days": 3}, users["admin"])
    db.session.commit()
    order = make_order("completed")
    due = order.completed_at + timedelta(days=3)
    with freeze_time(due - timedelta(minutes=1)):
        assert sweep(24).confirmed == 0
    assert db.session.get(Order, order.id).state == "completed"
    with freeze_time(due):
        result = sweep(24)
    assert result.confirmed == 1
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.state == "confirmed" and order.confirmed_at == due
    assert ledger(db, order) == [(users["volunteer"].id, Decimal("2"), "service")]
    assert credited(db, users["volunteer"]) == Decimal("2")
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                               .order_by(OrderEvent.id.desc())).first()
    assert (event.action, event.actor_id) == ("confirm", None)
    told = db.session.scalars(select(Notification.user_id).where(Notification.event_id == event.id)).all()
    assert told == [users["volunteer"].id]
    with freeze_time(due + timedelta(days=1)):
        assert sweep(24).confirmed == 0  # once
    assert broken_invariants() == []


def test_a_rating_after_the_auto_confirm_counts_the_stars_not_the_hours_again(db, users, make_order):
    order = make_order("confirmed")
    assert credited(db, users["volunteer"]) == Decimal("2")
    order_service.rate_order(order, users["requester"], 4, "不错")
    db.session.commit()
    assert db.session.get(Order, order.id).state == "rated"
    assert ledger(db, order) == [(users["volunteer"].id, Decimal("2"), "service")]
    assert credited(db, users["volunteer"]) == Decimal("2")
    profile = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == users["volunteer"].id))
    assert (profile.rating_sum, profile.rating_count) == (4, 1)
    assert broken_invariants() == []


def test_the_database_refuses_a_second_service_entry_for_one_job(db, users, make_order):
    order = make_order("rated")
    job = order.crew[0]
    db.session.add(HourEntry(volunteer_id=job.volunteer_id, order_id=order.id, assignment_id=job.id,
                             hours=Decimal("2"), source="service"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def _rate(order_id: int) -> str:
    from app.extensions import db
    from app.models import User

    order = db.session.get(Order, order_id)
    order_service.rate_order(order, db.session.get(User, order.requester_id), 5, "好")
    db.session.commit()
    return "rated"


def test_the_auto_confirm_racing_a_rating_credits_the_hours_once(app, db, users, make_order):
    """Whichever wins, the hours are in the ledger once and the kept totals agree."""
    outcomes = set()
    for _ in range(10):
        order = make_order("completed")
        due = workflow.confirm_due_at(order)
        with freeze_time(due, tick=True):
            results = run_concurrently(app, 2, lambda i, oid=order.id: sweep(24) if i == 0 else _rate(oid))
        swept, rated = results
        assert not isinstance(swept, Exception), repr(swept)
        db.session.expire_all()
        state = db.session.get(Order, order.id).state
        assert state == "rated"  # a rating after the confirm still counts its stars
        assert [h for _, h, _ in ledger(db, order)] == [Decimal("2")]
        outcomes.add("confirm first" if swept.confirmed else "rating first")
        if rated != "rated":
            assert isinstance(rated, workflow.WorkflowError), repr(rated)
    assert broken_invariants() == []
    print(f"\nauto-confirm vs rating ({'PostgreSQL' if IS_PG else 'SQLite'}): {sorted(outcomes)}")


@pytest.mark.parametrize(("hours", "stars", "next_at", "to_next"), [
    ("0", 0, 100, "100"), ("99.5", 0, 100, "0.5"), ("100", 1, 300, "200"), ("299.5", 1, 300, "0.5"),
    ("300", 2, 600, "300"), ("999.5", 3, 1000, "0.5"), ("1000", 4, 1500, "500"), ("1500", 5, None, "0"),
])
def test_star_levels_at_their_edges(hours, stars, next_at, to_next):
    progress = star_progress(Decimal(hours))
    assert (progress.stars, progress.next_at, progress.to_next) == (stars, next_at, Decimal(to_next))


def test_my_jobs_shows_the_star_level_and_the_hours_to_the_next(db, users, make_order, login_as):
    make_order("rated")
    page = login_as("volunteer").get("/jobs/").get_data(as_text=True)
    level = page.split('data-testid="star-level"', 1)[1].split("</p>", 1)[0]
    assert "0 星" in level and "98.0" in level and "100" in level


def test_my_hours_lists_each_credit_with_its_service_and_the_sums_per_year(db, users, make_order, login_as):
    first, second = make_order("rated"), make_order("confirmed")
    make_order("rated", needed=2, requester="requester")  # volunteer and volunteer3
    page = login_as("volunteer3").get("/jobs/hours").get_data(as_text=True)
    rows = page.split('data-testid="hours-ledger"', 1)[1].split("</ul>", 1)[0]
    assert rows.count("+2.0") == 1 and first.number not in rows  # only their own
    page = login_as("volunteer").get("/jobs/hours").get_data(as_text=True)
    rows = page.split('data-testid="hours-ledger"', 1)[1].split("</ul>", 1)[0]
    assert rows.count("+2.0") == 3 and first.number in rows and second.number in rows
    assert "交通安全法规宣讲" in rows and "服务（签到至签退）" in rows
    assert "6.0" in page.split('data-testid="credited-hours"', 1)[1].split("</", 1)[0]
    record = record_of(users["volunteer"])
    assert sum(h for _, h in record.by_year) == record.total == Decimal("6")
    years = page.split('data-testid="hours-by-year"', 1)[1].split("</ul>", 1)[0]
    assert all(f"{y} 年：{h} 小时" in years for y, h in record.by_year)


# --- disputes: the hours held until the center decides --------------------------------------------


def _net(db, order) -> Decimal:
    return sum((h for _, h, _ in ledger(db, order)), Decimal(0))


def test_a_low_rating_opens_a_dispute_and_holds_the_hours(db, users, make_order):
    order = make_order("completed")
    order_service.rate_order(order, users["requester"], 2, "志愿者迟到了")
    db.session.commit()
    assert db.session.get(Order, order.id).state == "disputed"
    assert sorted(s for _, _, s in ledger(db, order)) == ["hold", "service"]
    assert _net(db, order) == 0 and credited(db, users["volunteer"]) == 0
    assert broken_invariants() == []


@pytest.mark.parametrize(("decision", "hours", "net"), [("credit", None, "2"), ("adjust", "1.5", "1.5"),
                                                         ("void", None, "0")])
def test_the_center_decides_a_dispute(db, users, make_order, login_as, decision, hours, net):
    order = make_order("disputed")  # rated 5 stars, then a problem reported: credited, then held
    assert credited(db, users["volunteer"]) == 0
    coordinator = login_as("coordinator")
    page = f"/dispatch/orders/{order.id}"
    form = {"csrf_token": csrf_token(coordinator, page), "reason_code": decision, "note": "已核实"}
    if decision == "adjust":
        missing = coordinator.post(f"{page}/resolve", data=form)  # adjusted, but by how much?
        assert missing.status_code == 422 and "已核实" in missing.get_data(as_text=True)
        form["hours"] = hours
    assert coordinator.post(f"{page}/resolve", data=form).status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "resolved"
    assert _net(db, order) == Decimal(net) == credited(db, users["volunteer"])
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                               .order_by(OrderEvent.id.desc())).first()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.event_id == event.id)))
    assert told == {users["requester"].id, users["volunteer"].id}
    assert broken_invariants() == []


def test_a_problem_is_reported_within_a_week_of_the_service_only(db, users, make_order, login_as):
    order = make_order("rated")
    requester = login_as("requester")
    assert "服务有问题" in requester.get(f"/my/orders/{order.id}").get_data(as_text=True)
    with freeze_time(order.ends_at + timedelta(days=7) - timedelta(minutes=1)):
        assert workflow.can(order, "dispute", users["requester"])
    with freeze_time(order.ends_at + timedelta(days=7)):
        assert not workflow.can(order, "dispute", users["requester"])
    form = {"csrf_token": csrf_token(requester, f"/my/orders/{order.id}"), "reason_code": "", "note": "没来"}
    refused = requester.post(f"/my/orders/{order.id}/dispute", data=form)
    assert refused.status_code == 422 and "没来" in refused.get_data(as_text=True)
    form["reason_code"] = "not_delivered"
    assert requester.post(f"/my/orders/{order.id}/dispute", data=form).status_code == 303
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "disputed" and credited(db, users["volunteer"]) == 0
    again = requester.post(f"/my/orders/{order.id}/dispute", data=form)
    assert again.status_code == 409


def test_a_volunteer_cannot_report_or_decide(db, users, make_order, login_as):
    order = make_order("disputed")
    with pytest.raises(workflow.NotPermitted):
        workflow.apply(order, "resolve", users["volunteer"], reason_code="credit")
    db.session.rollback()


def test_the_volunteer_sees_their_hours_held_during_a_dispute(db, users, make_order, login_as):
    order = make_order("disputed")
    page = login_as("volunteer").get(f"/jobs/{order.crew[0].id}").get_data(as_text=True)
    assert 'data-testid="hours-held"' in page and "中心核实问题期间暂缓记入" in page


def test_the_desk_sees_a_finished_orders_hours_summary_and_rating_and_no_suggestions(db, users, make_order,
                                                                                       login_as):
    order = make_order("rated")
    page = login_as("coordinator").get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    result = page.split('data-testid="result"', 1)[1]
    assert "2.0 小时" in result and "顺利完成" in result and "很好" in result
    assert 'id="suggestions"' not in page and "已等待" not in page


def test_reaching_a_star_level_is_told_once(db, users, make_order, login_as):
    from app.models import counters

    db.session.add(HourEntry(volunteer_id=users["volunteer"].id, hours=Decimal("98"), source="correction",
                             note="往年服务补录"))
    counters.recount(db.session)
    db.session.commit()
    make_order("rated")  # +2: 100 hours, the first star
    make_order("rated")  # +2: still one star
    stars = db.session.scalars(select(Notification).where(Notification.kind == "star_reached")).all()
    assert [n.user_id for n in stars] == [users["volunteer"].id]
    page = login_as("volunteer").get("/notifications/").get_data(as_text=True)
    assert "您升至新的星级" in page and "/notifications/" in page
    assert broken_invariants() == []
