from flask import Blueprint

bp = Blueprint("coordinator", __name__)

from . import correction_routes, history_routes, proxy_routes, routes, wish_routes  # noqa: E402,F401
