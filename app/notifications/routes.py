"""The notification centre, for every role."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ActionForm
from ..services import notifications as service
from . import bp


@bp.route("/")
@login_required
def index():
    return render_template(
        "notifications/index.html", items=service.latest_for(current_user), form=ActionForm()
    )


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    service.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"), 303)
