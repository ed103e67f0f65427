from flask import Blueprint

bp = Blueprint("verify", __name__)

from . import routes  # noqa: E402,F401
