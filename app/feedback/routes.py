"""观众评价: the page an attendee's phone opens from the link or QR on the requester's order page.

Public (no account). It shows the service and its day, never who ordered it or where; one answer
per device; rate-limited per address like the sign-in.
"""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..choices import choices
from ..extensions import db, limiter
from ..forms import AppForm
from ..models import Order
from ..services import feedback
from ..services.errors import ValidationFailed
from ..validators import MULTI_LINE
from . import bp


class FeedbackForm(AppForm):
    stars = RadioField(_l("How was it?"), coerce=int, choices=choices((n, str(n)) for n in range(1, 6)),
                       validators=[InputRequired(message=_l("Choose from 1 to 5 stars."))])
    comment = TextAreaField(_l("Anything to tell the center? (optional)"),
                            validators=[Optional(), Length(max=300), MULTI_LINE])
    submit = SubmitField(_l("Send"))


def _order_or_404(feedback_token: str) -> Order:
    order_id = feedback.order_id_of(feedback_token)
    order = db.session.get(Order, order_id) if order_id else None
    if order is None:
        abort(404)
    return order


def _failed(response) -> bool:
    return response.status_code == 422


@bp.route("/<feedback_token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit("60 per hour", methods=["POST"])
def give(feedback_token: str):
    order = _order_or_404(feedback_token)
    device = request.cookies.get(feedback.DEVICE_COOKIE)
    form = FeedbackForm()
    status = 200
    if form.validate_on_submit():
        device = device or feedback.new_device()
        try:
            feedback.give(order, device, form.stars.data, form.comment.data or "")
        except ValidationFailed as err:
            flash(str(err.message), "warning")
        else:
            flash(_("Thank you! The center reads every answer."), "success")
        response = make_response(redirect(url_for("feedback.give", feedback_token=feedback_token), 303))
        response.set_cookie(feedback.DEVICE_COOKIE, device, max_age=int(feedback.OPEN_FOR.total_seconds()),
                            path="/feedback", httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
        return response
    if form.is_submitted():
        status = 422
    return render_template("feedback/give.html", order=order, form=form, open=feedback.is_open(order),
                           given=feedback.already_given(order, device)), status
