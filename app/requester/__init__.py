from flask import Blueprint

bp = Blueprint("requester", __name__)

from . import routes, wish_routes  # noqa: E402,F401
