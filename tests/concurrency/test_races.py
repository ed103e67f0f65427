"""R3-R7: races between real connections, on PostgreSQL and on the SQLite file database.

Every test starts threads released together by a barrier (``run_concurrently``),
each with its own app context, session and connection, and repeats the race
on fresh orders. The tests that run on SQLite too are not marked ``pg``: the
workflow's compare-and-set UPDATEs (and, on SQLite, the write lock it takes
before reading) must hold without ``SELECT ... FOR UPDATE`` (R7). None of
them needs to be PostgreSQL-only: all pass on SQLite with the same counts
(``pg`` would mark one that could not, with the reason beside it).

A test-only pause between the checks and the writes (``widened``) makes a
read-check-write implementation lose reliably instead of now and then.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import time as clock_time
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app import workflow
from app.models import Assignment, DailyFigure, DailyFiguresRebuilt, Order, OrderEvent, User, counters
from app.models.base import utcnow
from app.services import daily_figures
from app.services import orders as order_service
from app.services.invariants import broken_invariants
from app.services.sweep import sweep
from tests.conftest import IS_PG, make_user, order_request, run_concurrently, service_named
from tests.state_machine.test_transitions_exhaustive import fingerprint

FILLED = "All places on this order are already filled."


def english(message) -> str:
    with force_locale("en"):
        return str(message)


@pytest.fixture
def crowd(db, monkeypatch):
    """``crowd(n)``: ids of n extra volunteers (no password hashing: nobody logs in as them)."""
    monkeypatch.setattr(User, "set_password", lambda self, password: setattr(self, "password_hash", "!"))
    made: list[int] = []

    def _crowd(n: int) -> list[int]:
        while len(made) < n:
            i = len(made)
            made.append(make_user(f"1397777{i:04d}", f"志愿者{i:02d}", ["volunteer"]).id)
        db.session.commit()
        return made[:n]

    return _crowd


@pytest.fixture
def widened(monkeypatch):
    """Sleep a moment after the checks, before the writes of accept and of every state change."""

    def pause(real):
        def paused(*args, **kwargs):
            time.sleep(0.002)
            return real(*args, **kwargs)

        return paused

    monkeypatch.setattr(counters, "take_place", pause(counters.take_place))
    monkeypatch.setattr(workflow, "_compare_and_set", pause(workflow._compare_and_set))


def offered_order(db, users, make_order, volunteer_ids: list[int], needed: int) -> tuple[int, list[int]]:
    """A dispatched order with ``needed`` places, offered to every volunteer given."""
    order = make_order("submitted", needed=needed)
    volunteers = [db.session.get(User, i) for i in volunteer_ids]
    offers = order_service.dispatch_order(order, volunteers, users["coordinator"])
    db.session.commit()
    return order.id, [a.id for a in offers]


def accept(assignment_id: int) -> str:
    """One volunteer's accept, as the route does it: load fresh, apply, commit."""
    from app.extensions import db

    job = db.session.get(Assignment, assignment_id)
    workflow.apply(job, "accept", db.session.get(User, job.volunteer_id))
    db.session.commit()
    return "won"


def events_of(db, order_id: int) -> list[tuple[str, int | None]]:
    return [tuple(r) for r in db.session.execute(
        select(OrderEvent.action, OrderEvent.assignment_id)
        .where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
    )]


# --- R3: the last places ---------------------------------------------------------------------


@pytest.mark.parametrize(("volunteers", "trials"), [(5, 50), (20, 20)])
def test_last_places_exactly_two_win(app, db, users, make_order, crowd, widened, volunteers, trials):
    ids = crowd(volunteers)
    tally: Counter[str] = Counter()
    for trial in range(trials):
        order_id, offers = offered_order(db, users, make_order, ids, needed=2)
        results = run_concurrently(app, volunteers, lambda i, offers=offers: accept(offers[i]))
        outcomes = Counter(
            "won" if r == "won"
            else "full" if isinstance(r, workflow.IllegalTransition) and english(r.message) == FILLED
            else f"{type(r).__name__}: {r!r}"
            for r in results
        )
        assert outcomes == {"won": 2, "full": volunteers - 2}, (trial, outcomes)
        assert all(r.status_code == 409 for r in results if r != "won")
        db.session.expire_all()
        order = db.session.get(Order, order_id)
        assert (order.state, order.accepted_count) == ("accepted", 2), trial
        actions = Counter(a for a, _ in events_of(db, order_id))
        assert actions["accept"] == 2 and actions["fill"] == 1, actions
        assert actions["withdraw"] == volunteers - 2, actions  # the other offers closed: slots filled
        states = Counter(a.state for a in order.assignments)
        assert states == {"accepted": 2, "withdrawn": volunteers - 2}, states
        assert broken_invariants() == []
        tally.update(outcomes)
    print(f"\nR3 ({'PostgreSQL' if IS_PG else 'SQLite'}): {trials} races of {volunteers} volunteers"
          f" for 2 places: {dict(tally)}")


# --- R4: cancel against accept ------------------------------------------------------------------


def _cancel_vs_accept(app, db, users, make_order, order_first: str | None):
    """Run cancel and accept on a fresh order, concurrently (``None``) or in the order given.

    Returns what an observer can tell apart: the final states, the events and
    which of the two succeeded.
    """
    order_id, (job,) = offered_order(db, users, make_order, [users["volunteer"].id], needed=1)
    requester_id = users["requester"].id

    def cancel() -> str:
        from app.extensions import db as _db

        order = _db.session.get(Order, order_id)
        workflow.apply(order, "cancel", _db.session.get(User, requester_id), reason_code="requester_withdrew")
        _db.session.commit()
        return "ok"

    steps = {"cancel": cancel, "accept": lambda: accept(job)}
    if order_first is None:
        names = ("cancel", "accept")
        results = dict(zip(names, run_concurrently(app, 2, lambda i: steps[names[i]]()), strict=True))
    else:
        results = {}
        for name in (order_first, "accept" if order_first == "cancel" else "cancel"):
            try:
                results[name] = steps[name]()
            except workflow.WorkflowError as err:
                db.session.rollback()
                results[name] = err
    for r in results.values():
        if r not in ("ok", "won"):
            assert isinstance(r, workflow.WorkflowError) and r.status_code == 409, repr(r)
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    slot = db.session.get(Assignment, job)
    return (
        order.state, order.accepted_count, slot.state,
        tuple(a for a, _ in events_of(db, order_id)),
        tuple(sorted(k for k, r in results.items() if r in ("ok", "won"))),
    )


def test_cancel_against_accept_is_one_of_the_serial_outcomes(app, db, users, make_order, widened):
    serial = {
        _cancel_vs_accept(app, db, users, make_order, "cancel"): "cancel first",
        _cancel_vs_accept(app, db, users, make_order, "accept"): "accept first",
    }
    assert len(serial) == 2
    seen: Counter[str] = Counter()
    trials = 100
    for trial in range(trials):
        outcome = _cancel_vs_accept(app, db, users, make_order, None)
        assert outcome in serial, (trial, outcome, list(serial))
        state, count, slot_state, _, _ = outcome
        assert not (state == "cancelled" and (slot_state == "accepted" or count)), outcome
        seen[serial[outcome]] += 1
    assert broken_invariants() == []
    print(f"\nR4 ({'PostgreSQL' if IS_PG else 'SQLite'}): {trials} races of cancel against accept: {dict(seen)}")


# --- R5: the sweep against an accept, and against another sweep --------------------------------


def _expire_now(db, assignment_ids: list[int]) -> None:
    db.session.execute(
        update(Assignment).where(Assignment.id.in_(assignment_ids))
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()


def test_sweep_against_accept_has_one_outcome(app, db, users, make_order, widened):
    seen: Counter[str] = Counter()
    trials = 30
    for trial in range(trials):
        order_id, (job,) = offered_order(db, users, make_order, [users["volunteer"].id], needed=1)
        _expire_now(db, [job])
        results = run_concurrently(app, 2, lambda i, job=job: sweep(24) if i == 0 else accept(job))
        swept, accepted = results
        assert not isinstance(swept, Exception), repr(swept)
        db.session.expire_all()
        slot = db.session.get(Assignment, job)
        actions = Counter(a for a, _ in events_of(db, order_id))
        if slot.state == "expired":
            assert isinstance(accepted, workflow.IllegalTransition), repr(accepted)
            assert (swept.expired, actions["expire"], actions["accept"]) == (1, 1, 0), (swept, actions)
            assert db.session.get(Order, order_id).state == "dispatched"
        else:
            assert accepted == "won" and slot.state == "accepted", (trial, repr(accepted), slot.state)
            assert (swept.expired, actions["expire"], actions["accept"]) == (0, 0, 1), (swept, actions)
            assert db.session.get(Order, order_id).state == "accepted"
        assert broken_invariants() == []
        seen["expired" if slot.state == "expired" else "accepted"] += 1
    print(f"\nR5 ({'PostgreSQL' if IS_PG else 'SQLite'}): {trials} races of the sweep against an accept: {dict(seen)}")


def test_two_sweeps_at_once_expire_each_offer_once(app, db, users, make_order, crowd, widened):
    ids = crowd(3)
    for trial in range(10):
        offers: list[int] = []
        for _ in range(3):
            offers += offered_order(db, users, make_order, ids, needed=2)[1]
        _expire_now(db, offers)
        results = run_concurrently(app, 2, lambda i: sweep(24))
        assert not any(isinstance(r, Exception) for r in results), results
        assert sum(r.expired for r in results) == len(offers), results
        expiries = Counter(db.session.scalars(
            select(OrderEvent.assignment_id).where(OrderEvent.action == "expire", OrderEvent.assignment_id.in_(offers))
        ))
        assert expiries == dict.fromkeys(offers, 1), (trial, expiries)
        db.session.expire_all()
        assert {db.session.get(Assignment, i).state for i in offers} == {"expired"}
        # And once more, alone: nothing left to do, nothing changes.
        before = fingerprint(db)
        again = sweep(24)
        assert (again.expired, again.skipped) == (0, 0)
        assert fingerprint(db) == before
        assert broken_invariants() == []
    print(f"\nR5 ({'PostgreSQL' if IS_PG else 'SQLite'}): 10 runs of two sweeps at once over 6 due offers:"
          " each expired once")


# --- R6: double submits ------------------------------------------------------------------------------


def test_ten_identical_order_posts_make_one_order(app, db, users):
    requester_id = users["requester"].id
    service = service_named("交通安全法规宣讲")
    for trial in range(20):
        req = order_request(service, form_token=f"race-token-{trial:03d}")

        def submit(i, req=req):
            from app.extensions import db as _db

            return order_service.place_order_once(_db.session.get(User, requester_id), req)

        results = run_concurrently(app, 10, submit)
        assert not any(isinstance(r, Exception) for r in results), results
        assert len({order_id for order_id, _ in results}) == 1, results
        assert sum(created for _, created in results) == 1, results
        count = db.session.scalar(select(func.count()).select_from(Order).where(Order.form_token == req.form_token))
        assert count == 1
        assert [a for a, _ in events_of(db, results[0][0])] == ["submit"]
    assert broken_invariants() == []
    print(f"\nR6 ({'PostgreSQL' if IS_PG else 'SQLite'}): 20 x 10 identical submissions: 20 orders, 1 each")


@pytest.mark.parametrize("start", ["submitted", "dispatched"])
def test_double_dispatch_to_one_volunteer_offers_once(app, db, users, make_order, crowd, widened, start):
    """Two (and five) coordinator clicks at once: one live assignment, the others refused cleanly."""
    (other,) = crowd(1)
    volunteer_id = users["volunteer3"].id
    coordinator_id = users["coordinator"].id
    tally: Counter[str] = Counter()
    for trial, clicks in enumerate([2] * 10 + [5] * 5):
        if start == "submitted":
            order_id = make_order("submitted").id
        else:
            order_id = offered_order(db, users, make_order, [other], needed=1)[0]

        def dispatch(i, order_id=order_id):
            from app.extensions import db as _db

            order = _db.session.get(Order, order_id)
            offers = order_service.dispatch_order(
                order, [_db.session.get(User, volunteer_id)], _db.session.get(User, coordinator_id))
            _db.session.commit()
            return len(offers)

        results = run_concurrently(app, clicks, dispatch)
        refused = [r for r in results if not isinstance(r, int)]
        assert all(isinstance(r, (IntegrityError, workflow.IllegalTransition)) for r in refused), results
        assert sum(r for r in results if isinstance(r, int)) == 1, (trial, results)
        live = db.session.scalar(
            select(func.count()).select_from(Assignment)
            .where(Assignment.order_id == order_id, Assignment.volunteer_id == volunteer_id)
        )
        assert live == 1, (trial, results)
        actions = Counter(a for a, _ in events_of(db, order_id))
        assert actions["dispatch"] == 1 and actions["offer"] == (1 if start == "submitted" else 2), actions
        tally.update([type(r).__name__ for r in refused] + ["skipped (already live)" for r in results if r == 0])
    assert broken_invariants() == []
    print(f"\nR6 ({'PostgreSQL' if IS_PG else 'SQLite'}): 15 double dispatches from {start}: 1 live assignment"
          f" each; the other clicks refused with {dict(tally)}")


# --- no double booking: one volunteer accepts two overlapping jobs at once ----------------------


def test_one_volunteer_accepting_two_overlapping_jobs_at_once_gets_one(app, db, users, widened):
    """Each accept locks its own order; the volunteer's profile row is locked too, so the second
    accept waits for the first and sees its job: one wins, the other is told of the clash."""
    volunteer, coordinator = users["volunteer"], users["coordinator"]
    svc = service_named("交通安全法规宣讲")
    seen: Counter[str] = Counter()
    trials = 20
    for trial in range(trials):
        day = order_request(svc).service_date + timedelta(days=trial)
        jobs = []
        for start in ("09:00", "10:00"):  # 09:00-11:00 and 10:00-11:00
            req = order_request(svc, service_date=day, start_time=clock_time.fromisoformat(start))
            order = order_service.place_order(users["requester"], req)
            jobs += [a.id for a in order_service.dispatch_order(order, [volunteer], coordinator)]
        db.session.commit()
        results = run_concurrently(app, 2, lambda i, jobs=jobs: accept(jobs[i]))
        won = [r for r in results if r == "won"]
        lost = [r for r in results if r != "won"]
        assert len(won) == 1 and len(lost) == 1, (trial, results)
        assert isinstance(lost[0], workflow.Conflict), repr(lost[0])
        assert english(lost[0].message).startswith("You already have a job at that time: ")
        db.session.expire_all()
        states = sorted(db.session.get(Assignment, j).state for j in jobs)
        assert states == ["accepted", "offered"], (trial, states)
        held = next(a for a in map(db.session.get, [Assignment] * 2, jobs) if a.state == "accepted")
        assert held.order.number in english(lost[0].message)  # the refusal names the job held
        seen["first" if db.session.get(Assignment, jobs[0]).state == "accepted" else "second"] += 1
    assert broken_invariants() == []
    print(f"\nno double booking ({'PostgreSQL' if IS_PG else 'SQLite'}): {trials} races: {dict(seen)}")


def test_two_first_rebuilds_of_the_daily_figures_take_turns(app, db, make_order):
    """Neither finds the other's mark missing and both insert it: they take turns before reading it."""
    for state in ("rated", "cancelled", "submitted"):
        make_order(state)
    for trial in range(10):
        db.session.execute(delete(DailyFiguresRebuilt))
        db.session.execute(delete(DailyFigure))
        db.session.commit()
        results = run_concurrently(app, 2, lambda i: daily_figures.rebuild())
        assert not any(isinstance(r, Exception) for r in results), (trial, results)
        assert db.session.scalar(select(func.count()).select_from(DailyFiguresRebuilt)) == 1
        assert daily_figures.differences() == [], trial
