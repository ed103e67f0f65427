from flask import Blueprint

bp = Blueprint("volunteer", __name__)

from . import profile_routes, routes  # noqa: E402,F401
