"""The coordinator's dispatch console: queue, filters, paging, bulk, crews, sweep."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from app import workflow
from app.models import Assignment, Notification, Order, OrderEvent
from app.models.base import utcnow
from app.services import orders as order_service
from app.services.errors import ValidationFailed
from app.services.orders import QueueFilter, dispatch_queue
from app.services.sweep import sweep
from tests.conftest import csrf_token, make_user, order_request, service_named

# --- helpers ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def request_context(app, db, request):
    """Domain errors render their message in the reader's language: give them a request.

    The command-line tests run without one, as cron does.
    """
    if "command" in request.node.name:
        yield
        return
    with app.test_request_context():
        yield


def place(users, service="交通安全法规宣讲", days=5, requester="requester", **overrides):
    svc = service_named(service)
    req = order_request(svc, service_date=date.today() + timedelta(days=svc.min_notice_days + days), **overrides)
    return order_service.place_order(users[requester], req)


def queue_ids(f: QueueFilter | None = None, per_page: int = 50) -> list[int]:
    return [row.id for row in dispatch_queue(f or QueueFilter(), per_page=per_page).rows]


def offers_of(order: Order) -> list[Assignment]:
    return list(workflow.db.session.scalars(
        select(Assignment).where(Assignment.order_id == order.id, Assignment.state == "offered")
    ))


# --- what the queue holds ---------------------------------------------------------------


def test_queue_holds_submitted_and_dispatched_with_a_shortfall(db, users, make_order):
    submitted = make_order("submitted")
    fully_offered = make_order("dispatched", needed=2)
    short = make_order("dispatched", needed=1)
    order_service.change_needed(short, 3, users["coordinator"])  # 1 offered, 2 to go
    accepted = make_order("accepted")
    declined = make_order("dispatched")
    offer = offers_of(declined)[0]
    workflow.apply(offer, "decline", offer.volunteer, reason_code="too_far")
    db.session.commit()

    ids = queue_ids()
    assert submitted.id in ids and short.id in ids and declined.id in ids
    assert fully_offered.id not in ids and accepted.id not in ids
    row = next(r for r in dispatch_queue(QueueFilter()).rows if r.id == short.id)
    assert (row.needed, row.accepted_count, row.offered, row.to_offer) == (3, 0, 1, 2)


def test_most_urgent_first_then_longest_waiting(db, users):
    later = place(users, days=9)
    sooner_new = place(users, days=3)
    soonest = place(users, days=1)
    db.session.execute(update(Order).where(Order.id == sooner_new.id)
                       .values(starts_at=soonest.starts_at, ends_at=soonest.ends_at,
                               submitted_at=soonest.submitted_at + timedelta(minutes=5)))
    db.session.commit()
    assert queue_ids() == [soonest.id, sooner_new.id, later.id]


def test_filters(db, users, make_order):
    talk = place(users, "交通安全法规宣讲", days=1, unit="星河电子有限公司")
    flowers = place(users, "插花艺术体验", days=6, district_id=3)
    theirs = place(users, "生物多样性科普", days=4, requester="volunteer2", unit="经开区工会")
    dispatched = make_order("dispatched")
    order_service.change_needed(dispatched, 2, users["coordinator"])
    db.session.commit()
    everything = {talk.id, flowers.id, theirs.id, dispatched.id}
    assert set(queue_ids()) == everything

    assert set(queue_ids(QueueFilter(state="dispatched"))) == {dispatched.id}
    assert dispatched.id not in queue_ids(QueueFilter(state="submitted"))
    assert queue_ids(QueueFilter(category_id=flowers.service.category_id)) == [flowers.id]
    assert queue_ids(QueueFilter(service_id=theirs.service_id)) == [theirs.id]
    assert queue_ids(QueueFilter(district_id=3)) == [flowers.id]
    day = lambda o: (o.starts_at + timedelta(hours=8)).date()  # noqa: E731 (Beijing date)
    assert queue_ids(QueueFilter(date_from=day(theirs), date_to=day(flowers))) == [theirs.id, flowers.id]
    assert queue_ids(QueueFilter(date_to=day(talk))) == [talk.id]
    assert queue_ids(QueueFilter(q="星河")) == [talk.id]
    assert queue_ids(QueueFilter(q=users["volunteer2"].name)) == [theirs.id]
    assert queue_ids(QueueFilter(q=flowers.number)) == [flowers.id]
    assert queue_ids(QueueFilter(q="100%_")) == []

    assert queue_ids(QueueFilter(overdue_only=True)) == []
    db.session.execute(update(Order).where(Order.id == talk.id).values(overdue_at=utcnow()))
    db.session.commit()
    assert queue_ids(QueueFilter(overdue_only=True)) == [talk.id]


def test_keyset_pages_walk_forward_and_back_without_gaps(db, users):
    orders = [place(users, days=1 + i % 3) for i in range(7)]
    db.session.commit()
    everything = queue_ids()
    assert sorted(everything) == sorted(o.id for o in orders)

    pages, cursor = [], None
    while True:
        page = dispatch_queue(QueueFilter(), after=cursor, per_page=3)
        pages.append([r.id for r in page.rows])
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [len(p) for p in pages] == [3, 3, 1]
    assert sum(pages, []) == everything

    back = dispatch_queue(QueueFilter(), before=page.prev_cursor, per_page=3)
    assert [r.id for r in back.rows] == pages[1]
    first = dispatch_queue(QueueFilter(), before=back.prev_cursor, per_page=3)
    assert [r.id for r in first.rows] == pages[0] and first.prev_cursor is None
    assert [r.id for r in dispatch_queue(QueueFilter(), after="junk", per_page=3).rows] == pages[0]


def test_queue_page_shows_each_row(db, users, login_as, make_order):
    order = make_order("dispatched")
    order_service.change_needed(order, 3, users["coordinator"])
    db.session.execute(update(Order).where(Order.id == order.id).values(overdue_at=utcnow()))
    db.session.commit()
    page = login_as("coordinator").get("/dispatch/").get_data(as_text=True)
    row = re.search(rf'<tr class="overdue" data-order="{order.id}".*?</tr>', page, re.S).group(0)
    for text in (order.number, order.service.name, order.unit, order.district.name, "30", 'data-testid="overdue"'):
        assert text in row
    assert re.search(r"3 / 0 / 1", row)


def test_filters_over_http_keep_their_values(db, users, login_as):
    talk = place(users, unit="星河电子有限公司")
    place(users, "插花艺术体验")
    db.session.commit()
    coordinator = login_as("coordinator")
    page = coordinator.get("/dispatch/?q=星河&district_id=17&date_from=bad").get_data(as_text=True)
    assert page.count('data-testid="order-link"') == 1 and talk.number in page
    assert 'value="星河"' in page and "is-invalid" in page


@pytest.mark.parametrize("role", ["requester", "volunteer"])
def test_only_coordinators_open_the_console(db, login_as, role, make_order):
    order = make_order("submitted")
    client = login_as(role)
    assert client.get("/dispatch/").status_code == 403
    assert client.get(f"/dispatch/orders/{order.id}").status_code == 403


def test_queue_page_issues_a_fixed_number_of_queries(db, users, login_as, count_queries):
    coordinator = login_as("coordinator")
    assert coordinator.get("/dispatch/").status_code == 200  # warm up: the first request loads more

    def measure() -> int:
        with count_queries() as q:
            response = coordinator.get("/dispatch/")
        assert response.status_code == 200
        return q.count, response.get_data(as_text=True).count('data-testid="order-link"')

    services = ["交通安全法规宣讲", "插花艺术体验", "生物多样性科普", "急救知识与技能培训"]
    for i in range(5):
        place(users, services[i % 4], days=1 + i % 5)
    db.session.commit()
    few, rows = measure()
    assert rows == 5
    for i in range(55):
        order = place(users, services[i % 4], days=1 + i % 5, unit=f"单位{i}")
        if i % 3 == 0:  # dispatched with a shortfall
            order_service.dispatch_order(order, [users["volunteer"]], users["coordinator"])
            order_service.change_needed(order, 2, users["coordinator"])
    db.session.commit()
    many, rows = measure()
    assert rows == coordinator.application.config["QUEUE_PAGE_SIZE"]  # one page
    assert few == many <= 6, (few, many)


# --- bulk -----------------------------------------------------------------------------------


def bulk_post(client, ids, **data):
    token = csrf_token(client, "/dispatch/")
    return client.post("/dispatch/bulk", data={"csrf_token": token, "order_ids": ids, "next": "/dispatch/?q=x",
                                               **data})


def test_bulk_reject_needs_a_reason_and_rejects_each(db, users, login_as):
    a, b, keep = place(users), place(users), place(users)
    db.session.commit()
    coordinator = login_as("coordinator")
    response = bulk_post(coordinator, [a.id, b.id], action="reject")
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).where(Order.state == "rejected")) == 0

    response = bulk_post(coordinator, [a.id, b.id], action="reject", reason_code="duplicate", note="重复")
    assert response.status_code == 303 and response.location == "/dispatch/?q=x"
    db.session.expire_all()
    states = dict(db.session.execute(select(Order.id, Order.state)).all())
    assert states == {a.id: "rejected", b.id: "rejected", keep.id: "submitted"}
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.action == "reject")).all()
    assert {(e.reason_code, e.note) for e in events} == {("duplicate", "重复")}


def test_bulk_dispatch_to_top_goes_on_when_one_order_fails(db, users, login_as, make_order):
    a, b = place(users), place(users, "插花艺术体验")
    gone = make_order("rejected")
    db.session.commit()
    coordinator = login_as("coordinator")
    response = bulk_post(coordinator, [a.id, gone.id, b.id], action="dispatch_top", next="https://evil.example/")
    assert response.status_code == 303 and response.location == "/dispatch/"
    db.session.expire_all()
    assert db.session.get(Order, a.id).state == db.session.get(Order, b.id).state == "dispatched"
    assert db.session.get(Order, gone.id).state == "rejected"
    assert len(offers_of(a)) == a.needed and len(offers_of(b)) == b.needed
    flashes = coordinator.get("/dispatch/").get_data(as_text=True)
    assert gone.number in flashes


# --- crews ------------------------------------------------------------------------------------


def test_lowering_the_crew_to_the_accepted_count_fills_the_order(db, users, make_order):
    order = make_order("dispatched", needed=3)
    first = offers_of(order)[0]
    workflow.apply(first, "accept", first.volunteer)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        order_service.change_needed(order, 0, users["coordinator"])
    with pytest.raises(workflow.NotPermitted):
        order_service.change_needed(order, 1, users["volunteer"])

    order_service.change_needed(order, 1, users["coordinator"])
    db.session.commit()
    assert (order.state, order.needed, order.accepted_count) == ("accepted", 1, 1)
    actions = [(e.action, e.actor_id, e.reason_code) for e in order.events[-3:]]
    assert actions == [("fill", None, None), ("withdraw", None, "slots_filled"), ("withdraw", None, "slots_filled")]
    assert offers_of(order) == []
    with pytest.raises(workflow.IllegalTransition):
        order_service.change_needed(order, 2, users["coordinator"])


def test_the_crew_cannot_shrink_below_the_accepted(db, users, make_order):
    order = make_order("dispatched", needed=3)
    for offer in offers_of(order)[:2]:
        workflow.apply(offer, "accept", offer.volunteer)
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        order_service.change_needed(order, 1, users["coordinator"])
    assert err.value.field == "needed"
    db.session.rollback()
    assert (order.needed, order.accepted_count, order.state) == (3, 2, "dispatched")


def test_change_crew_and_slots_over_http(db, users, login_as, make_order):
    order = make_order("dispatched", needed=1)
    coordinator = login_as("coordinator")
    url = f"/dispatch/orders/{order.id}"
    token = csrf_token(coordinator, url)
    bad = coordinator.post(f"{url}/needed", data={"csrf_token": token, "needed": "99"})
    assert bad.status_code == 422 and 'value="99"' in bad.get_data(as_text=True)
    assert coordinator.post(f"{url}/needed", data={"csrf_token": token, "needed": "3"}).status_code == 303
    page = coordinator.get(url).get_data(as_text=True)
    slots = re.findall(r'data-testid="slot" data-state="(\w+)"', page)
    assert slots == ["offered", "empty", "empty"]
    assert order.id in queue_ids()


def _suggested(page: str) -> list[int]:
    """The volunteers the page offers to dispatch to, in order."""
    return [int(v) for v in re.findall(r'name="volunteer_ids" value="(\d+)"', page)]


def test_the_order_page_suggests_the_best_ten_and_more_on_request_or_for_a_larger_crew(
        db, users, login_as, make_order):
    traffic = service_named("交通安全法规宣讲")
    for i in range(12):  # each delivers the orders' category: each may be suggested
        make_user(f"1396666{i:04d}", f"候选{i}", ["volunteer"]).profile.categories = [traffic.category]
    db.session.commit()
    order, crew_of_six = make_order("submitted"), make_order("submitted", needed=6)
    coordinator = login_as("coordinator")
    url = f"/dispatch/orders/{order.id}"
    first = coordinator.get(url).get_data(as_text=True)
    more = coordinator.get(f"{url}?more=1").get_data(as_text=True)
    assert len(_suggested(first)) == 10 and 'data-testid="more-suggestions"' in first
    assert len(_suggested(more)) > 10 and _suggested(more)[:10] == _suggested(first)
    assert 'data-testid="more-suggestions"' not in more
    larger = coordinator.get(f"/dispatch/orders/{crew_of_six.id}").get_data(as_text=True)
    assert len(_suggested(larger)) == len(_suggested(more)) and 'data-testid="more-suggestions"' not in larger


def test_a_refused_pick_shows_every_suggestion_with_the_picks_kept(db, users, login_as, make_order):
    traffic = service_named("交通安全法规宣讲")
    for i in range(12):  # each delivers the orders' category: each may be suggested
        make_user(f"1396667{i:04d}", f"候选{i}", ["volunteer"]).profile.categories = [traffic.category]
    db.session.commit()
    order = make_order("submitted")
    coordinator = login_as("coordinator")
    url = f"/dispatch/orders/{order.id}"
    last = _suggested(coordinator.get(f"{url}?more=1").get_data(as_text=True))[-1]
    refused = coordinator.post(f"{url}/dispatch", data={
        "csrf_token": csrf_token(coordinator, url), "volunteer_ids": [str(last), str(users["requester"].id)]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and len(_suggested(page)) > 10
    assert re.search(rf'value="{last}" id="v{last}"[^>]*checked>', page), "the pick is kept"
    assert len(re.findall(r'name="volunteer_ids"[^>]*checked>', page)) == 1


@pytest.mark.pg
def test_five_volunteers_race_for_two_places(app, db, users, make_order):
    order = make_order("submitted", needed=2)
    crew = [make_user(f"1390000{i:04d}", f"志愿者{i}", ["volunteer"]) for i in range(5)]
    offers = order_service.dispatch_order(order, crew, users["coordinator"])
    db.session.commit()
    offer_ids = [(a.id, a.volunteer_id) for a in offers]

    def accept(i: int):
        from app.extensions import db as session_db
        from app.models import User

        assignment_id, volunteer_id = offer_ids[i]
        with app.test_request_context():
            assignment = session_db.session.get(Assignment, assignment_id)
            workflow.apply(assignment, "accept", session_db.session.get(User, volunteer_id))
            session_db.session.commit()
        return "ok"

    from tests.conftest import run_concurrently

    results = run_concurrently(app, 5, accept)
    wins = [r for r in results if r == "ok"]
    losses = [r for r in results if isinstance(r, workflow.WorkflowError)]
    assert len(wins) == 2 and len(losses) == 3, results
    filled = str(workflow._l("All places on this order are already filled."))
    assert all(str(err.message) == filled for err in losses), [str(e.message) for e in losses]
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.state, order.accepted_count) == ("accepted", 2)
    held = db.session.scalar(select(func.count()).where(Assignment.order_id == order.id,
                                                        Assignment.state == "accepted"))
    assert held == 2
    from app.services.invariants import broken_invariants

    assert broken_invariants() == []


# --- deadlines --------------------------------------------------------------------------------


def test_sweep_expires_an_offer_frees_the_slot_and_is_idempotent(db, users, make_order):
    order = make_order("dispatched", needed=1)
    assert order.id not in queue_ids()
    offer = offers_of(order)[0]
    db.session.execute(update(Assignment).where(Assignment.id == offer.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    stale = place(users)
    db.session.execute(update(Order).where(Order.id == stale.id)
                       .values(submitted_at=utcnow() - timedelta(hours=30)))
    db.session.commit()

    first = sweep(24)
    assert (first.expired, first.overdue) == (1, 1)
    db.session.expire_all()
    assert db.session.get(Assignment, offer.id).state == "expired"
    assert order.id in queue_ids() and stale.id in queue_ids(QueueFilter(overdue_only=True))
    expiry = db.session.scalar(select(OrderEvent).where(OrderEvent.action == "expire"))
    assert (expiry.order_id, expiry.actor_id) == (order.id, None)
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "expire")))
    assert users["coordinator"].id in told and users["volunteer"].id in told

    def snapshot():
        return (
            db.session.scalar(select(func.count()).select_from(OrderEvent)),
            db.session.scalar(select(func.count()).select_from(Notification)),
            db.session.scalar(select(Order.overdue_at).where(Order.id == stale.id)),
        )

    before = snapshot()
    second = sweep(24)
    assert (second.expired, second.overdue, second.skipped) == (0, 0, 0)
    assert snapshot() == before


def test_sweep_command_skips_an_offer_it_may_not_expire(app, db, make_order):
    order = make_order("dispatched")
    # An offer left open on an order that is no longer dispatched: the expiry loses, the sweep goes on.
    db.session.execute(update(Assignment).where(Assignment.order_id == order.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.execute(update(Order).where(Order.id == order.id).values(state="accepted"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "sweep"])
    assert result.exit_code == 0, result.output
    assert "expired=0 overdue=0 confirmed=0 skipped=1" in result.output
