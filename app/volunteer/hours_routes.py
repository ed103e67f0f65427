"""The volunteer's record of hours: every credit, the sums per year, the star level."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..access import role_required
from ..services.hours import record_of
from . import bp


@bp.route("/hours")
@role_required("volunteer")
def hours():
    return render_template("volunteer/hours.html", record=record_of(current_user))
