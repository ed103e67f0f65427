from flask import Blueprint

bp = Blueprint("menu", __name__)

from . import routes  # noqa: E402,F401
