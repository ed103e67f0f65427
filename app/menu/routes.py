"""The service menu: categories, services, search."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Category, Service, ServiceStatus
from . import bp


@bp.route("/")
def home():
    q = (request.args.get("q") or "").strip()[:40]
    query = (
        select(Service)
        .where(Service.status == ServiceStatus.PUBLISHED.value)
        .options(joinedload(Service.category))
        .join(Category)
        .order_by(Category.position, Service.position)
    )
    if q:
        query = query.where(Service.name.contains(q, autoescape=True))
    services = db.session.scalars(query).all()
    grouped: dict[Category, list[Service]] = {}
    for s in services:
        grouped.setdefault(s.category, []).append(s)
    return render_template("menu/index.html", grouped=grouped, q=q, count=len(services))


@bp.route("/services/<int:service_id>")
def service(service_id: int):
    svc = db.session.scalar(
        select(Service).where(Service.id == service_id).options(joinedload(Service.category))
    )
    if svc is None or svc.status == ServiceStatus.DRAFT.value:
        abort(404)
    return render_template("menu/service.html", service=svc)
