from flask import Blueprint

bp = Blueprint("volunteer", __name__)

from . import claim_routes, hours_routes, profile_routes, routes  # noqa: E402,F401
