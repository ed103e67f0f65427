"""R1: every action x every from-state x every kind of actor, generated from ``workflow.TRANSITIONS``.

For each combination the target is built in its from-state through the
workflow itself (``make_order`` and direct ``workflow.apply`` calls), then the
action is applied as the actor:

- legal (by an oracle derived from the declared table, not from ``can``):
  the target reaches the table's to-state, exactly one event is written for
  the call, followed by exactly the follow-on events of the system actor the
  design prescribes (the last accept fills the order, a close withdraws the
  crew, ...);
- illegal: the documented error class is raised and, after the rollback, the
  orders / assignments / order_events / ratings tables are unchanged.

A few HTTP checks at the end: an illegal action answers 409 with the
localized message, never 500.
"""

from __future__ import annotations

import contextlib
import html
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from freezegun import freeze_time
from sqlalchemy import func, select

from app import workflow
from app.models import Assignment, Order, OrderEvent, Rating, User, VolunteerProfile
from app.models.base import utcnow
from app.models.orders import AssignmentState, OrderState
from app.services import orders as order_service
from tests.conftest import csrf_token, order_request, service_named

NEW = workflow.NEW
HOLDING = ("accepted", "checked_in", "completed")

# --- actors ---------------------------------------------------------------------------

# kind -> (roles, owns the order, owns the slot); "system" and the deactivated kinds apart.
ACTOR_FACTS: dict[str, tuple[frozenset[str], bool, bool]] = {
    "requester_owner": (frozenset({"requester"}), True, False),
    "other_requester": (frozenset({"requester"}), False, False),
    "slot_volunteer": (frozenset({"volunteer"}), False, True),
    "other_volunteer": (frozenset({"volunteer"}), False, False),
    "coordinator": (frozenset({"coordinator"}), False, False),
    "admin_only": (frozenset({"admin"}), False, False),
}
ACTOR_KINDS = (*ACTOR_FACTS, "system", "deactivated_coordinator", "deactivated_owner")


def expected_error(t: workflow.Transition, from_state: str, order_state: str | None,
                   kind: str, target_is_assignment: bool) -> type[workflow.WorkflowError] | None:
    """What ``apply`` must do, read off the declared table: ``None`` for success.

    The checks come in the documented order: role and ownership (403) before
    the state (409).
    """
    if t.entity != ("assignment" if target_is_assignment else "order"):
        return workflow.IllegalTransition
    if kind == "system":
        permitted = workflow.SYSTEM_ROLE in t.roles
    elif kind.startswith("deactivated"):
        permitted = False
    else:
        roles, owns_order, owns_slot = ACTOR_FACTS[kind]
        permitted = any(
            role in roles
            and (
                rule is None
                or (rule == workflow.OWNS_ORDER and owns_order)
                or (rule == workflow.OWNS_SLOT and owns_slot and target_is_assignment)
            )
            for role, rule in t.roles.items()
        )
    if not permitted:
        return workflow.NotPermitted
    if from_state not in t.sources:
        return workflow.IllegalTransition
    if target_is_assignment and order_state not in t.order_states:
        return workflow.IllegalTransition
    return None


def text(message) -> str:
    """A (lazy) message in English; outside a request there is no user locale."""
    with force_locale("en"):
        return str(message)


def inputs_for(t: workflow.Transition) -> dict:
    kwargs: dict = {}
    if t.needs_reason:
        allowed = workflow.REASON_LISTS[t.reasons]
        kwargs["reason_code"] = "other" if "other" in allowed else next(iter(allowed))
    if t.action == "complete":
        kwargs.update(hours="2", summary="顺利完成")
    return kwargs


def clock_for(t: workflow.Transition, order: Order):
    """A moment the action's time rule allows: check-in at the start, check-out at the end
    (the window's 2 hours served); the others now. The rules' edges have tests of their
    own (test_time_rules)."""
    moment = {"check_in_window": order.starts_at, "after_start": order.ends_at,
              "confirm_due": workflow.confirm_due_at(order)}.get(t.time_rule)
    return freeze_time(moment) if moment else contextlib.nullcontext()


# --- what the tables hold ---------------------------------------------------------------


def fingerprint(db) -> tuple:
    """Every row of the order tables, in id order: equal fingerprints, nothing changed."""
    rows = []
    with db.session.no_autoflush:  # a pending new target must not be written by this read
        for model in (Order, Assignment, OrderEvent, Rating):
            table = model.__table__
            rows.append(tuple(tuple(r) for r in db.session.execute(select(table).order_by(table.c.id))))
    return tuple(rows)


def max_event_id(db) -> int:
    with db.session.no_autoflush:
        return db.session.scalar(select(func.coalesce(func.max(OrderEvent.id), 0)))


# --- the from-states --------------------------------------------------------------------


@dataclass
class Ctx:
    order: Order | None  # None: the order itself is the new target
    target: Order | Assignment | None  # None: a new object, made by ``new_target`` for each attempt
    slot_owner: User
    owner: User
    new_target: Callable[[], Order | Assignment] | None = None
    # (fingerprint, last event id, snapshot of the order) while nothing changed
    seen: tuple | None = None


def _offers(order: Order) -> list[Assignment]:
    return sorted(order.assignments, key=lambda a: a.id)


def _by_volunteer(order: Order, user: User) -> Assignment:
    return next(a for a in order.assignments if a.volunteer_id == user.id)


def _new_order(db, users) -> Order:
    """An order as ``place_order`` builds it, before ``submit``."""
    svc = service_named("交通安全法规宣讲")
    req = order_request(svc)
    return Order(
        service_id=svc.id, requester_id=users["requester"].id, district_id=req.district_id,
        unit=req.unit, address=req.address, contact_name=req.contact_name,
        contact_phone=req.contact_phone, audience_size=req.audience_size, note="",
        starts_at=order_service.beijing_to_utc(req.service_date, req.start_time),
        ends_at=order_service.beijing_to_utc(req.service_date, req.end_time),
        needed=1, accepted_count=0,
    )


def _new_assignment(order: Order, volunteer: User) -> Assignment:
    return Assignment(order=order, order_id=order.id, volunteer_id=volunteer.id,
                      expires_at=utcnow() + timedelta(hours=24))


def _build_order_ctx(name: str, db, users, make_order) -> Ctx:
    req, vol = users["requester"], users["volunteer"]
    if name == "new":
        return Ctx(None, None, vol, req, new_target=lambda: _new_order(db, users))
    if name == "dispatched_partly_filled":
        order = make_order("dispatched", needed=2)
        workflow.apply(_by_volunteer(order, users["volunteer3"]), "accept", users["volunteer3"])
        db.session.commit()
        return Ctx(order, order, vol, req)
    if name == "cancelled_after_accept":
        order = make_order("accepted")
        workflow.apply(order, "cancel", users["coordinator"], reason_code="schedule_changed")
        db.session.commit()
        return Ctx(order, order, vol, req)
    order = make_order(name)
    return Ctx(order, order, vol, req)


def _build_assignment_ctx(name: str, db, users, make_order) -> Ctx:
    req, vol, v3, v4 = users["requester"], users["volunteer"], users["volunteer3"], users["volunteer4"]
    coord = users["coordinator"]
    if name.startswith("new"):
        order = make_order({"new": "dispatched", "new_on_submitted": "submitted",
                            "new_on_accepted": "accepted"}[name])
        return Ctx(order, None, v3, req, new_target=lambda: _new_assignment(order, v3))
    if name == "offered":
        order = make_order("dispatched")
    elif name == "offered_last_slot":
        order = make_order("dispatched", needed=2)  # offered to volunteer and volunteer3
        order_service.dispatch_order(order, [v4], coord)
        workflow.apply(_by_volunteer(order, v3), "accept", v3)
        db.session.commit()
    elif name == "offered_first_of_two":
        order = make_order("dispatched", needed=2)
    elif name == "accepted":
        order = make_order("accepted")
    elif name == "accepted_partly_filled":
        order = make_order("dispatched", needed=2)
        workflow.apply(_by_volunteer(order, vol), "accept", vol)
        db.session.commit()
    elif name == "checked_in":
        order = make_order("in_service")
    elif name == "checked_in_crew":
        order = make_order("in_service", needed=2)
    elif name == "checked_in_crew_last":
        order = make_order("in_service", needed=2)
        a3 = _by_volunteer(order, v3)
        with freeze_time(order.ends_at):
            workflow.apply(a3, "complete", v3, hours="1.5", summary="好")
        db.session.commit()
    elif name == "accepted_crew_in_service":
        order = make_order("accepted", needed=2)
        with freeze_time(order.starts_at):
            workflow.apply(_by_volunteer(order, v3), "check_in", v3)
        db.session.commit()
    elif name == "completed":
        order = make_order("completed")
    elif name == "completed_rated":
        order = make_order("rated")
    elif name == "declined":
        order = make_order("dispatched")
        workflow.apply(_by_volunteer(order, vol), "decline", vol, reason_code="too_far")
        db.session.commit()
    elif name == "expired":
        order = make_order("dispatched")
        workflow.apply(_by_volunteer(order, vol), "expire", workflow.SYSTEM)
        db.session.commit()
    elif name == "withdrawn":
        order = make_order("accepted")
        workflow.apply(_by_volunteer(order, vol), "withdraw", coord, reason_code="volunteer_unavailable")
        db.session.commit()
    elif name == "withdrawn_order_cancelled":
        order = make_order("dispatched")
        workflow.apply(order, "cancel", req, reason_code="requester_withdrew")
        db.session.commit()
    else:  # pragma: no cover
        raise AssertionError(name)
    return Ctx(order, _by_volunteer(order, vol), vol, req)


# (context name, from-state of the target, order state)
ORDER_CONTEXTS: dict[str, tuple[str, str | None]] = {
    "new": (NEW, None),
    **{s.value: (s.value, s.value) for s in OrderState},
    "dispatched_partly_filled": ("dispatched", "dispatched"),
    "cancelled_after_accept": ("cancelled", "cancelled"),
}
ASSIGNMENT_CONTEXTS: dict[str, tuple[str, str]] = {
    "new": (NEW, "dispatched"),
    "new_on_submitted": (NEW, "submitted"),
    "new_on_accepted": (NEW, "accepted"),
    "offered": ("offered", "dispatched"),
    "offered_first_of_two": ("offered", "dispatched"),
    "offered_last_slot": ("offered", "dispatched"),
    "accepted": ("accepted", "accepted"),
    "accepted_partly_filled": ("accepted", "dispatched"),
    "accepted_crew_in_service": ("accepted", "in_service"),
    "checked_in": ("checked_in", "in_service"),
    "checked_in_crew": ("checked_in", "in_service"),
    "checked_in_crew_last": ("checked_in", "in_service"),
    "completed": ("completed", "completed"),
    "completed_rated": ("completed", "rated"),
    "declined": ("declined", "dispatched"),
    "expired": ("expired", "dispatched"),
    "withdrawn": ("withdrawn", "dispatched"),
    "withdrawn_order_cancelled": ("withdrawn", "cancelled"),
}
# Every state of both machines has at least one context.
assert {s for s, _ in ORDER_CONTEXTS.values()} == {NEW, *(s.value for s in OrderState)}
assert {s for s, _ in ASSIGNMENT_CONTEXTS.values()} == {NEW, *(s.value for s in AssignmentState)}

CASES = [("order", c, t.action) for c in ORDER_CONTEXTS for t in workflow.TRANSITIONS] + [
    ("assignment", c, t.action) for c in ASSIGNMENT_CONTEXTS for t in workflow.TRANSITIONS
]
TOTAL = len(CASES) * len(ACTOR_KINDS)
CHECKED: list[tuple] = []
# One test per (target, action of its own machine); the other machine's
# actions on that target (all "does not exist") are grouped into one test.
TEST_CASES = [(e, c, (a,)) for e, c, a in CASES if workflow.BY_ACTION[a].entity == e] + [
    (e, c, tuple(t.action for t in workflow.TRANSITIONS if t.entity != e))
    for e, contexts in (("order", ORDER_CONTEXTS), ("assignment", ASSIGNMENT_CONTEXTS)) for c in contexts
]
assert sum(len(a) for _, _, a in TEST_CASES) == len(CASES)


# --- the expected follow-ons -----------------------------------------------------------------


def _snapshot(db, order_id: int) -> dict:
    with db.session.no_autoflush:
        order = db.session.get(Order, order_id)
        rows = db.session.execute(
            select(Assignment.id, Assignment.state).where(Assignment.order_id == order_id).order_by(Assignment.id)
        ).all()
    return {"state": order.state, "count": order.accepted_count, "needed": order.needed,
            "assignments": dict(rows)}


def expected_follow_ons(action: str, target_id: int | None, from_state: str, pre: dict) -> tuple[list[str], str]:
    """The system's follow-on actions after a legal ``action``, and the order's state afterwards."""
    state, count, needed, rows = pre["state"], pre["count"], pre["needed"], pre["assignments"]
    to = workflow.BY_ACTION[action].target
    if action in ("reject", "cancel"):
        live = [i for i, s in rows.items() if s in ("offered", "accepted")]
        return ["withdraw"] * len(live), to
    if workflow.BY_ACTION[action].entity == "order":
        return [], to
    if action in ("accept", "claim") and count + 1 >= needed and state == "dispatched":
        others = [i for i, s in rows.items() if s == "offered" and i != target_id]
        return ["fill"] + ["withdraw"] * len(others), "accepted"
    if action in ("withdraw", "release") and from_state == "accepted" and state == "accepted":
        return ["reopen"], "dispatched"
    if action in ("check_in", "check_in_by_hand") and state == "accepted":
        return ["start"], "in_service"
    if action == "complete" and state == "in_service":
        crew = [s for i, s in rows.items() if s in HOLDING and i != target_id]
        if all(s == "completed" for s in crew):
            return ["finish"], "completed"
    return [], state


# --- the exhaustive test ------------------------------------------------------------------------


def quick_user(db, phone: str, name: str, roles: list[str], active: bool = True) -> User:
    """Like ``make_user`` without hashing a password (nobody logs in as these)."""
    user = User(phone=phone, name=name, unit="测试单位", district_id=1, password_hash="!", active=active)
    user.set_roles(roles)
    db.session.add(user)
    if "volunteer" in roles:
        db.session.add(VolunteerProfile(user=user, status="approved"))
    db.session.flush()
    return user


@pytest.fixture
def actors(db, users) -> dict[str, Callable[[Ctx], User | None]]:
    other_requester = quick_user(db, "13911100001", "别的点单人", ["requester"])
    other_volunteer = quick_user(db, "13911100002", "别的志愿者", ["volunteer"])
    admin_only = quick_user(db, "13911100003", "仅管理员", ["admin"])
    gone = quick_user(db, "13911100004", "已停用调度", ["coordinator"], active=False)
    db.session.commit()
    return {
        "requester_owner": lambda ctx: ctx.owner,
        "other_requester": lambda ctx: other_requester,
        "slot_volunteer": lambda ctx: ctx.slot_owner,
        "other_volunteer": lambda ctx: other_volunteer,
        "coordinator": lambda ctx: users["coordinator"],
        "admin_only": lambda ctx: admin_only,
        "system": lambda ctx: workflow.SYSTEM,
        "deactivated_coordinator": lambda ctx: gone,
        # The owner of the target (the order's requester, the slot's volunteer), deactivated.
        "deactivated_owner": lambda ctx: ctx.slot_owner if ctx.target is not ctx.order else ctx.owner,
    }


def _build(entity: str, ctx_name: str, db, users, make_order) -> Ctx:
    if entity == "order":
        return _build_order_ctx(ctx_name, db, users, make_order)
    return _build_assignment_ctx(ctx_name, db, users, make_order)


def _check_one(db, users, actors, ctx: Ctx, entity, ctx_name, action, kind) -> tuple[list[str], bool]:
    """Apply ``action`` as ``kind`` to the target of ``ctx``.

    Returns what went wrong (empty: nothing) and whether the action succeeded
    (then the context is used up).
    """
    t = workflow.BY_ACTION[action]
    from_state, order_state = (ORDER_CONTEXTS if entity == "order" else ASSIGNMENT_CONTEXTS)[ctx_name]
    label = f"{entity}:{ctx_name} {action} by {kind}"
    is_assignment = entity == "assignment"
    if ctx.seen is None:
        ctx.seen = (fingerprint(db), max_event_id(db), _snapshot(db, ctx.order.id) if ctx.order is not None else None)
    before, last_event, pre = ctx.seen
    if ctx.target is not None:
        assert ctx.target.state == from_state, label
    if pre is not None:
        assert pre["state"] == order_state, label
    expected = expected_error(t, from_state, order_state, kind, is_assignment)
    actor = actors[kind](ctx)
    target = ctx.target if ctx.new_target is None else ctx.new_target()
    order_of_target = target if isinstance(target, Order) else target.order
    target_id = target.id
    if kind == "deactivated_owner":
        actor.active = False  # never committed: the rollback below restores it
    problems: list[str] = []
    try:
        with clock_for(t, order_of_target):
            workflow.apply(target, action, actor, note="exhaustive", **inputs_for(t))
    except workflow.WorkflowError as err:
        db.session.rollback()
        if expected is None:
            return [f"{label}: expected success, got {type(err).__name__}: {text(err.message)}"], False
        if type(err) is not expected:
            problems.append(f"{label}: expected {expected.__name__}, got {type(err).__name__}: {text(err.message)}")
        if not text(err.message).strip() or err.status_code != expected.status_code:
            problems.append(f"{label}: bad message or status {err.status_code} {err.message!r}")
        if fingerprint(db) != before:
            problems.append(f"{label}: tables changed by an illegal action")
        return problems, False
    except Exception as err:  # collected: any other exception is a failure of this combination
        db.session.rollback()
        return [f"{label}: unexpected {type(err).__name__}: {err}"], True
    db.session.commit()
    if expected is not None:
        return [f"{label}: expected {expected.__name__}, but it succeeded"], True

    db.session.expire_all()
    target = db.session.get(Assignment if is_assignment else Order, target.id)
    if target.state != t.target:
        problems.append(f"{label}: state {target.state}, table says {t.target}")
    for stamp in t.stamps:
        if getattr(target, stamp) is None:
            problems.append(f"{label}: {stamp} not stamped")
    order_id = order_of_target.id
    events = db.session.execute(
        select(OrderEvent.action, OrderEvent.actor_id, OrderEvent.entity, OrderEvent.from_state,
               OrderEvent.to_state, OrderEvent.assignment_id)
        .where(OrderEvent.id > last_event).order_by(OrderEvent.id)
    ).all()
    if pre is None:  # the insert of a new order: only its submit event
        follow, order_after = [], t.target
    else:
        follow, order_after = expected_follow_ons(action, target_id, from_state, pre)
    first = (action, actor.id if actor else None, t.entity, None if from_state == NEW else from_state,
             t.target, target.id if is_assignment else None)
    if not events or tuple(events[0]) != first:
        problems.append(f"{label}: first event {events[:1]} != {first}")
    got_follow = [(e.action, e.actor_id) for e in events[1:]]
    if got_follow != [(a, None) for a in follow]:
        problems.append(f"{label}: follow-on events {got_follow}, expected {follow} by the system")
    order = db.session.get(Order, order_id)
    if order.state != order_after:
        problems.append(f"{label}: order ended {order.state}, expected {order_after}")
    return problems, True


@pytest.mark.parametrize(("entity", "ctx_name", "actions"), TEST_CASES,
                         ids=[f"{e}-{c}-{a[0] if len(a) == 1 else 'other_machine'}" for e, c, a in TEST_CASES])
def test_transition(db, users, make_order, actors, entity, ctx_name, actions):
    problems: list[str] = []
    ctx = None
    for action, kind in itertools.product(actions, ACTOR_KINDS):
        if ctx is None:  # an illegal attempt changes nothing (checked), so the target is reused
            ctx = _build(entity, ctx_name, db, users, make_order)
        found, used_up = _check_one(db, users, actors, ctx, entity, ctx_name, action, kind)
        problems += found
        if used_up:
            ctx = None
        CHECKED.append((entity, ctx_name, action, kind))
    assert not problems, "\n".join(problems)


def test_combination_count():
    """Printed with ``-s`` or ``-rA``: how many combinations the table produced."""
    same_entity = [(e, c, a) for e, c, a in CASES if workflow.BY_ACTION[a].entity == e]
    legal = sum(
        expected_error(workflow.BY_ACTION[a], *(ORDER_CONTEXTS if e == "order" else ASSIGNMENT_CONTEXTS)[c],
                       k, e == "assignment") is None
        for e, c, a in CASES for k in ACTOR_KINDS
    )
    print(f"\nR1: {len(CASES)} (target in a from-state, action) cases x {len(ACTOR_KINDS)} actor kinds"
          f" = {TOTAL} combinations ({len(same_entity) * len(ACTOR_KINDS)} with an action of the target's own"
          f" machine); {legal} legal, {TOTAL - legal} illegal; {len(CHECKED)} checked in this run")
    assert len(same_entity) * len(ACTOR_KINDS) >= 1500
    assert legal >= 40
    if len(CHECKED) >= len(TEST_CASES):  # the whole module ran in this process
        assert len(CHECKED) == TOTAL


# --- through HTTP: 409 with the localized message, never 500 -------------------------------------


def _localized(msgid: str) -> set[str]:
    """The message in Chinese and in English; the Chinese one must be a real translation."""
    with force_locale("zh_Hans_CN"):
        zh = gettext(msgid)
    with force_locale("en"):
        en = gettext(msgid)
    assert zh != en, f"no Chinese translation for {msgid!r}"
    return {zh, en}


def _assert_409(response, message) -> None:
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 409, body[:500]
    wanted = _localized(message)
    assert any(m in body for m in wanted), (wanted, body)
    assert "Traceback" not in body


def test_http_accept_twice_is_409(db, users, make_order, login_as):
    order = make_order("dispatched")
    job = order.assignments[0].id
    volunteer = login_as("volunteer")
    token = csrf_token(volunteer, f"/jobs/{job}")
    assert volunteer.post(f"/jobs/{job}/accept", data={"csrf_token": token}).status_code == 303
    before = fingerprint(db)
    second = volunteer.post(f"/jobs/{job}/accept", data={"csrf_token": token})
    _assert_409(second, "All places on this order are already filled.")
    assert fingerprint(db) == before
    assert volunteer.get(f"/jobs/{job}").status_code == 200


def test_http_cancel_cancelled_is_409(db, users, make_order, login_as):
    order = make_order("cancelled")
    requester = login_as("requester")
    token = csrf_token(requester, f"/my/orders/{order.id}")
    before = fingerprint(db)
    response = requester.post(f"/my/orders/{order.id}/cancel",
                              data={"csrf_token": token, "reason_code": "requester_withdrew", "note": ""})
    _assert_409(response, "This order was cancelled.")
    assert fingerprint(db) == before
    assert requester.get(f"/my/orders/{order.id}").status_code == 200


def test_http_rate_not_completed_is_409(db, users, make_order, login_as):
    order = make_order("in_service")
    requester = login_as("requester")
    token = csrf_token(requester, f"/my/orders/{order.id}")
    before = fingerprint(db)
    response = requester.post(f"/my/orders/{order.id}/rate",
                              data={"csrf_token": token, "stars": "5", "comment": "好"})
    _assert_409(response, "This cannot be done in the order's current state.")
    assert fingerprint(db) == before


def test_http_coordinator_reject_accepted_is_409(db, users, make_order, login_as):
    order = make_order("accepted")
    coordinator = login_as("coordinator")
    token = csrf_token(coordinator, f"/dispatch/orders/{order.id}")
    before = fingerprint(db)
    response = coordinator.post(f"/dispatch/orders/{order.id}/reject",
                                data={"csrf_token": token, "reason_code": "out_of_scope", "note": ""})
    _assert_409(response, "This cannot be done in the order's current state.")
    assert fingerprint(db) == before
    assert coordinator.get(f"/dispatch/orders/{order.id}").status_code == 200


def test_http_volunteer_check_in_before_accept_is_409(db, users, make_order, login_as):
    order = make_order("dispatched")
    job = order.assignments[0].id
    volunteer = login_as("volunteer")
    token = csrf_token(volunteer, f"/jobs/{job}")
    before = fingerprint(db)
    response = volunteer.post(f"/jobs/{job}/check-in", data={"csrf_token": token})
    _assert_409(response, "This cannot be done in the order's current state.")
    assert fingerprint(db) == before
