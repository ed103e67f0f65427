"""抢单: the claim board, claiming a place, and giving a place back."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import workflow
from ..access import role_required
from ..extensions import db
from ..forms import ActionForm, reason_form_for
from ..models import Order
from ..services.errors import ValidationFailed
from ..services.orders.claims import claim_board, claim_order, claims_held
from ..services.settings import current_settings
from . import bp
from .routes import _my_job_or_404, _render_job


@bp.route("/claims")
@role_required("volunteer")
def claims():
    limit = current_settings().claim_limit
    return render_template("volunteer/claims.html", orders=claim_board(current_user), held=claims_held(current_user),
                           limit=limit, claim_form=ActionForm())


@bp.route("/claims/<int:order_id>", methods=["POST"])
@role_required("volunteer")
def claim(order_id: int):
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        job = claim_order(order, current_user, current_settings().claim_limit)
    except ValidationFailed as refused:
        db.session.rollback()
        flash(str(refused.message), "warning")
        return redirect(url_for("volunteer.claims"), 303)
    db.session.commit()
    flash(_("The place is yours. Thank you! Check in on the day from this page."), "success")
    return redirect(url_for("volunteer.job", assignment_id=job.id), 303)


@bp.route("/<int:assignment_id>/release", methods=["POST"])
@role_required("volunteer")
def release(assignment_id: int):
    job = _my_job_or_404(assignment_id)
    form = reason_form_for("release", "volunteer")
    if form.validate_on_submit():
        workflow.apply(job, "release", current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(_("You gave the place back; the center is told."), "info")
        return redirect(url_for("volunteer.jobs"), 303)
    return _render_job(job, 422, release_form=form)
