"""The menu's life cycle in the back office: publish and retire services, each step in the audit log.

A service moves draft → published → retired (a retired one may be published
again). Only a published service is on the public menu; the kept copies of the
menu are deleted when the change is committed (``reference``), so every app
server sees it at once. A retired service keeps its past orders. While orders of the service are still
open, retiring asks what happens to them (``OPEN_ORDER_CHOICES``): they go on as
booked, or those not yet under way are cancelled, each through the workflow
(its reason, its event, the requester and volunteers told) as one change with
the retirement.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import workflow
from ..extensions import db
from ..models import Category, District, Order, Service, ServiceStatus, User
from ..models.menu import DeliveredBy
from ..models.orders import OrderState
from .audit import log_action
from .errors import ValidationFailed
from .teams import covering_teams

OPEN_ORDER_STATES = (OrderState.SUBMITTED.value, OrderState.DISPATCHED.value,
                     OrderState.ACCEPTED.value, OrderState.IN_SERVICE.value)

MOVES: dict[str, frozenset[str]] = {  # to state: the states it may come from
    ServiceStatus.PUBLISHED.value: frozenset({ServiceStatus.DRAFT.value, ServiceStatus.RETIRED.value}),
    ServiceStatus.RETIRED.value: frozenset({ServiceStatus.PUBLISHED.value, ServiceStatus.DRAFT.value}),
}


def open_order_count(service: Service) -> int:
    """How many orders of ``service`` are neither finished nor closed."""
    return db.session.scalar(
        select(func.count(Order.id)).where(Order.service_id == service.id, Order.state.in_(OPEN_ORDER_STATES))
    ) or 0


# What may happen to a retired service's open orders: they go on as booked, or those not yet
# under way are cancelled (an order under way is finished as usual either way).
KEEP_OPEN_ORDERS = "keep"
CANCEL_OPEN_ORDERS = "cancel"
OPEN_ORDER_CHOICES = (KEEP_OPEN_ORDERS, CANCEL_OPEN_ORDERS)
RETIRED_REASON = "service_retired"


def open_orders(service: Service) -> list[Order]:
    """The open orders of ``service``, soonest first."""
    return list(db.session.scalars(
        select(Order).where(Order.service_id == service.id, Order.state.in_(OPEN_ORDER_STATES))
        .order_by(Order.starts_at, Order.id)
    ))


def next_statuses(service: Service) -> list[str]:
    """The statuses ``service`` may move to from where it is, in the life cycle's order."""
    return [status for status, sources in MOVES.items() if service.status in sources]


def set_status(actor: User, service: Service, status: str, open_orders_choice: str | None = None,
               note: str = "") -> Service:
    """Move ``service`` to ``status`` (published or retired); flushes, never commits.

    Retiring a service with open orders needs ``open_orders_choice`` (one of
    ``OPEN_ORDER_CHOICES``); cancelling applies the workflow's ``cancel`` to each
    order that allows it, so a refusal there (``WorkflowError``) leaves the caller
    to roll everything back.
    """
    if service.status not in MOVES.get(status, frozenset()):
        raise ValidationFailed("status", _l("The service's life cycle does not allow this step."))
    cancelled = 0
    if status == ServiceStatus.RETIRED.value:
        count = open_order_count(service)
        if count and open_orders_choice not in OPEN_ORDER_CHOICES:
            raise ValidationFailed("open_orders", _l(
                "This service has %(count)d open orders: choose what happens to them.", count=count))
        if count and open_orders_choice == CANCEL_OPEN_ORDERS:
            cancelled = _cancel_open_orders(actor, service, note)
    before = service.status
    service.status = status
    after: dict[str, object] = {"status": status}
    if cancelled:
        after["orders_cancelled"] = cancelled
    log_action(actor, f"service.{status}", "service", service.id, label=service.name,
               before={"status": before}, after=after)
    db.session.flush()
    return service


def _cancel_open_orders(actor: User, service: Service, note: str) -> int:
    cancelled = 0
    for order in open_orders(service):
        if workflow.is_open(order, "cancel"):
            workflow.apply(order, "cancel", actor, reason_code=RETIRED_REASON, note=note)
            cancelled += 1
    return cancelled


# --- editing: services and categories -------------------------------------------------------

# What the service form edits, as the columns are named; written to the audit log before and after.
SERVICE_FIELDS = ("category_id", "name", "summary", "description", "duration_minutes", "min_duration_minutes",
                  "max_duration_minutes", "earliest_start", "latest_end", "default_volunteers",
                  "min_notice_days", "audience_limit", "online", "dispatch_mode", "delivered_by")
CATEGORY_FIELDS = ("name", "description", "icon", "dispatch_target_hours", "accept_target_hours")


def _recorded(service: Service) -> dict:
    """What the audit log keeps of a service: its edited columns and the districts it is offered in."""
    return {**{k: _plain(getattr(service, k)) for k in SERVICE_FIELDS},
            "districts": [d.name for d in service.districts]}


def _plain(value: object) -> object:
    return value.strftime("%H:%M") if hasattr(value, "strftime") else value


def rule_errors(values: dict) -> list[tuple[str | None, object]]:
    """The delivery rules that contradict each other, each beside its field."""
    errors: list[tuple[str | None, object]] = []
    low, high = values.get("min_duration_minutes"), values.get("max_duration_minutes")
    if low is not None and high is not None and low > high:
        errors.append(("max_duration_minutes", _l("The longest may not be shorter than the shortest.")))
    duration = values.get("duration_minutes")
    if duration is not None and ((low is not None and duration < low) or (high is not None and duration > high)):
        errors.append(("duration_minutes", _l("The usual length must lie within the allowed range.")))
    start, end = values.get("earliest_start"), values.get("latest_end")
    if start is not None and end is not None:
        span = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if span <= 0:
            errors.append(("latest_end", _l("The latest end must come after the earliest start.")))
        elif low is not None and span < low:
            errors.append(("latest_end", _l("The hours of the day allowed are shorter than the shortest service.")))
    return errors


def _name_taken(model: type, name: str, own_id: int | None) -> bool:
    query = select(model.id).where(model.name == name)
    if own_id is not None:
        query = query.where(model.id != own_id)
    return db.session.scalar(query) is not None


def save_service(actor: User, service: Service | None, values: dict, version: int | None = None) -> Service:
    """Create ``service`` (None) as a draft at the end of its category, or change it; flushes, never
    commits. ``version``: the one the form was made from; an older one means another administrator
    saved in between (refused, nothing written)."""
    errors = rule_errors(values)
    if _name_taken(Service, values["name"], service.id if service else None):
        errors.append(("name", _l("Another service already has this name.")))
    if values.get("delivered_by") == DeliveredBy.TEAMS.value and not covering_teams(service):
        errors.append(("delivered_by", _l("No team covers this service yet: add it to a team's services first, "
                                          "or nobody could deliver it.")))
    if service is not None and version is not None and version != service.version_id:
        errors.append((None, _l("Someone else saved this service while you were editing it. "
                                "Reload the page to see their changes, then make yours again.")))
    if errors:
        raise ValidationFailed.of(errors)
    before = None if service is None else _recorded(service)
    if service is None:
        last = db.session.scalar(select(func.max(Service.position)).where(Service.category_id == values["category_id"]))
        service = Service(status=ServiceStatus.DRAFT.value, position=(last or 0) + 1)
        db.session.add(service)
    for key in SERVICE_FIELDS:
        setattr(service, key, values[key])
    if "district_ids" in values:
        service.districts = list(db.session.scalars(select(District).where(District.id.in_(values["district_ids"]))
                                                    .order_by(District.position)))
    db.session.flush()  # a concurrent save since the page was read fails here (the version column)
    after = _recorded(service)
    changed = {k for k in after if before is None or before[k] != after[k]}
    if changed:
        log_action(actor, "service.create" if before is None else "service.edit", "service", service.id,
                   label=service.name, before=None if before is None else {k: before[k] for k in changed},
                   after={k: after[k] for k in changed})
    return service


def save_category(actor: User, category: Category | None, values: dict) -> Category:
    """Create a category at the end of the menu, or change one; flushes, never commits."""
    if _name_taken(Category, values["name"], category.id if category else None):
        raise ValidationFailed("name", _l("Another category already has this name."))
    before = None if category is None else {k: getattr(category, k) for k in CATEGORY_FIELDS}
    if category is None:
        last = db.session.scalar(select(func.max(Category.position)))
        category = Category(position=(last or 0) + 1)
        db.session.add(category)
    for key in CATEGORY_FIELDS:
        setattr(category, key, values[key])
    db.session.flush()
    log_action(actor, "category.create" if before is None else "category.edit", "category", category.id,
               label=category.name, before=before, after={k: getattr(category, k) for k in CATEGORY_FIELDS})
    return category


def move(actor: User, item: Service | Category, step: int) -> bool:
    """Swap ``item`` with its neighbour (``step`` -1: up, 1: down) among its siblings; False at an end."""
    model = type(item)
    siblings = select(model).order_by(model.position, model.id)
    if isinstance(item, Service):
        siblings = siblings.where(Service.category_id == item.category_id)
    ordered = list(db.session.scalars(siblings))
    at = ordered.index(item)
    if not 0 <= at + step < len(ordered):
        return False
    ordered[at], ordered[at + step] = ordered[at + step], ordered[at]
    for position, sibling in enumerate(ordered, start=1):
        if sibling.position != position:
            sibling.position = position
    log_action(actor, f"{model.__name__.lower()}.move", model.__name__.lower(), item.id, label=item.name,
               after={"position": item.position})
    db.session.flush()
    return True
