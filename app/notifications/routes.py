"""The notification centre, for every role."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ActionForm
from ..services import notifications as service
from ..templating import notification_link
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


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    """Opening a notice marks it read, then goes to what it is about."""
    notice = service.notification_of(current_user, notification_id)
    if notice is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.mark_read(notice)
    db.session.commit()
    return redirect(notification_link(notice), 303)
