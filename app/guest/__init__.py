from flask import Blueprint

bp = Blueprint("guest", __name__)

from . import routes  # noqa: E402,F401
