"""The service menu: categories, services, search."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Service, ServiceStatus
from ..services.menu import published_menu
from . import bp


@bp.route("/")
def home():
    q = (request.args.get("q") or "").strip()[:40]
    categories = published_menu(q)
    count = sum(len(c["services"]) for c in categories)
    return render_template("menu/index.html", categories=categories, q=q, count=count)


@bp.route("/services/<int:service_id>")
def service(service_id: int):
    svc = db.session.scalar(
        select(Service).where(Service.id == service_id).options(joinedload(Service.category))
    )
    if svc is None or svc.status == ServiceStatus.DRAFT.value:
        abort(404)
    return render_template("menu/service.html", service=svc)
