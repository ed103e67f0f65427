"""The menu's life cycle in the back office: publish and retire services, each step in the audit log.

A service moves draft → published → retired (a retired one may be published
again). Only a published service is on the public menu; the kept copies of the
menu are deleted when the change is committed (``reference``), so every app
server sees it at once. A retired service keeps its past orders. Retiring is
refused while orders of the service are still open: the message names how
many, and no order changes state here (that is the workflow's business).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import Order, Service, ServiceStatus, User
from ..models.orders import OrderState
from .audit import log_action
from .errors import ValidationFailed

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


def set_status(actor: User, service: Service, status: str) -> Service:
    """Move ``service`` to ``status`` (published or retired); flushes, never commits."""
    if service.status not in MOVES.get(status, frozenset()):
        raise ValidationFailed("status", _l("The service's life cycle does not allow this step."))
    if status == ServiceStatus.RETIRED.value:
        count = open_order_count(service)
        if count:
            raise ValidationFailed("status", _l(
                "This service has %(count)d open orders; finish or cancel them before retiring it.",
                count=count))
    before = service.status
    service.status = status
    log_action(actor, f"service.{status}", "service", service.id, label=service.name,
               before={"status": before}, after={"status": status})
    db.session.flush()
    return service
