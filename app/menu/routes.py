"""The service menu: categories, services, search."""

from __future__ import annotations

import json

from flask import abort, current_app, render_template, request, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..assets import asset_url
from ..extensions import db
from ..models import Service, ServiceStatus
from ..services.menu import published_menu
from ..services.reference import grid_key, kept
from ..services.teams import covering_teams
from . import bp

THEME_COLOUR = "#c8102e"  # the brand red of the navigation bar (static/css/app.css)
BACKGROUND_COLOUR = "#f6f7f9"
FAVICON_MAX_AGE = 24 * 3600


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
    if svc is None or svc.status == ServiceStatus.DRAFT.value or svc.one_off:
        abort(404)
    return render_template("menu/service.html", service=svc,
                           teams=covering_teams(svc) if svc.by_teams_only else [])


@bp.route("/manifest.webmanifest")
def web_manifest():
    """The web app manifest: a phone can pin the site to its home screen under the center's name."""
    body = {
        "name": str(_("Yi Alliance volunteer menu")),
        "short_name": str(_("Yi Alliance")),
        "lang": "en" if get_locale().language == "en" else "zh-CN",
        "start_url": url_for("menu.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": asset_url(f"img/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
             "purpose": "any maskable"}
            for size in (192, 512)
        ],
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"  # the icons' hashed names change with a release
    response.vary.add("Cookie")  # the language chosen is kept in the session
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/favicon.ico")
def favicon():
    """For clients that ask for /favicon.ico without reading the page's <link rel="icon">."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=FAVICON_MAX_AGE)
