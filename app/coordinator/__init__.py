from flask import Blueprint

bp = Blueprint("coordinator", __name__)

from . import history_routes, routes  # noqa: E402,F401
