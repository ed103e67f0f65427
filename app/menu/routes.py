"""The service menu: categories, services, search."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Service, ServiceStatus
from ..services.menu import published_menu
from ..services.reference import grid_key, kept
from . import bp


@bp.route("/")
def home():
    q = (request.args.get("q") or "").strip()[:40]
    if q:
        categories = published_menu(q)
        grid = Markup(render_template("menu/_grid.html", categories=categories, q=q))
        return render_template("menu/index.html", grid=grid, q=q, count=sum(len(c["services"]) for c in categories))
    # The whole menu's grid is the same for every reader in a language: rendered once, kept.
    language = str(get_locale())
    grid = kept(grid_key(language),
                lambda: Markup(render_template("menu/_grid.html", categories=published_menu(), q="")))
    return render_template("menu/index.html", grid=grid, q=q)


@bp.route("/services/<int:service_id>")
def service(service_id: int):
    svc = db.session.scalar(
        select(Service).where(Service.id == service_id).options(joinedload(Service.category))
    )
    if svc is None or svc.status == ServiceStatus.DRAFT.value:
        abort(404)
    return render_template("menu/service.html", service=svc)
