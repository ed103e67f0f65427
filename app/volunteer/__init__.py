from flask import Blueprint

bp = Blueprint("volunteer", __name__)

from . import routes  # noqa: E402,F401
