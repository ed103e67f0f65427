"""The service menu: categories, services, search."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..chrome import render_page
from ..extensions import db
from ..fragments import render_cached
from ..models import Service, ServiceStatus
from ..services.menu import grouped, published_menu
from . import bp


@bp.route("/")
def home():
    q = (request.args.get("q") or "").strip()[:40]
    rows = published_menu(q)
    # The grid is the same for everyone reading the same menu in the same language.
    grid = render_cached("menu/_grid.html", key=(bool(q), rows), build=lambda: {"grouped": grouped(rows)}, q=q)
    if q:
        return render_template("menu/index.html", grid=grid, q=q, count=len(rows))
    return render_page("menu/index.html", key=rows, grid=grid, q=q, count=len(rows))  # the whole menu


@bp.route("/services/<int:service_id>")
def service(service_id: int):
    svc = db.session.scalar(
        select(Service).where(Service.id == service_id).options(joinedload(Service.category))
    )
    if svc is None or svc.status == ServiceStatus.DRAFT.value:
        abort(404)
    return render_template("menu/service.html", service=svc)
