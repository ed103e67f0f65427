from flask import Blueprint

bp = Blueprint("requester", __name__)

from . import routes  # noqa: E402,F401
