"""The page of an order the center placed for someone without an account, opened from the signed
link in their text message: its state, the check-in code when that exists, and the rating."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import workflow
from ..extensions import db, limiter
from ..requester.forms import RatingForm
from ..services import checkin_codes, proxy_orders
from ..services import orders as order_service
from . import bp


def _order_or_404(guest_token: str):
    order = proxy_orders.order_of(guest_token)
    if order is None:
        abort(404)
    return order


def _render(order, guest_token: str, rating_form=None, status: int = 200):
    person = order.requester
    may_rate = workflow.can(order, "rate", person)
    return render_template(
        "guest/order.html", order=order, guest_token=guest_token,
        rating_form=(rating_form or RatingForm()) if may_rate else None,
        code=checkin_codes.code_for(order) if checkin_codes.shown_now(order) else None,
    ), status


@bp.route("/<guest_token>")
@limiter.limit("60 per minute")
def order(guest_token: str):
    return _render(_order_or_404(guest_token), guest_token)


@bp.route("/<guest_token>/rate", methods=["POST"])
@limiter.limit("20 per minute")
def rate(guest_token: str):
    found = _order_or_404(guest_token)
    form = RatingForm()
    if not workflow.can(found, "rate", found.requester):
        workflow.apply(found, "rate", found.requester)  # refused: the state machine says why (409)
    if not form.validate_on_submit():
        return _render(found, guest_token, form, 422)
    order_service.rate_order(found, found.requester, int(form.stars.data), form.comment.data or "")
    db.session.commit()
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for("guest.order", guest_token=guest_token), 303)
