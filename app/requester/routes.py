"""The requester's pages: order, follow, cancel, rate."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import workflow
from ..access import role_required
from ..auth.routes import district_choices
from ..extensions import db
from ..forms import DisputeForm, reason_form_for
from ..models import Service
from ..services import checkin_codes, feedback, photos
from ..services import orders as order_service
from ..services.errors import ValidationFailed
from ..services.places import district_pairs
from ..services.qr import qr_svg
from . import bp
from .forms import OrderForm, RatingForm

DEFAULT_START = time(9, 0)  # the order form proposes a morning slot of the service's length


def _my_order_or_404(order_id: int):
    order = order_service.order_for_requester(order_id, current_user)
    if order is None:
        abort(404)
    return order


@bp.route("/orders")
@role_required("requester")
def orders():
    per_page = order_service.MY_ORDERS_PAGE
    before = request.args.get("before", type=int)
    rows = order_service.orders_of_requester(current_user, limit=per_page + 1, before=before)
    older = rows[per_page - 1].id if len(rows) > per_page else None
    return render_template("requester/orders.html", orders=rows[:per_page], older=older)


def _propose(form: OrderForm, service: Service, offered: tuple[tuple[int, str], ...]) -> None:
    """The order form as first shown: the requester's own details and the earliest morning slot."""
    form.form_token.data = secrets.token_urlsafe(24)
    form.unit.data = current_user.unit
    form.contact_name.data = current_user.name
    form.contact_phone.data = current_user.phone
    in_reach = {district_id for district_id, _name in offered}
    form.district_id.data = current_user.district_id if current_user.district_id in in_reach else 0
    form.service_date.data = order_service.earliest_service_date(service)
    form.start_time.data = DEFAULT_START
    form.end_time.data = (datetime.combine(date.min, DEFAULT_START)
                          + timedelta(minutes=service.duration_minutes)).time()


@bp.route("/orders/new/<int:service_id>", methods=["GET", "POST"])
@role_required("requester")
def new_order(service_id: int):
    service = db.session.get(Service, service_id)
    if service is None or not service.is_orderable:
        abort(404)
    form = OrderForm()
    offered = order_service.districts_offered(service, district_pairs())
    form.district_id.choices = district_choices(offered)
    duplicate = None
    if not form.is_submitted():
        _propose(form, service, offered)
    else:
        valid = form.validate_on_submit()
        form.add_rule_errors(service)
        if valid and not form.errors:
            request_ = form.order_request(service)
            duplicate = None if form.again.data else order_service.recent_duplicate(current_user, request_)
            if duplicate is None:
                return _place(form, request_)
    earliest = order_service.earliest_service_date(service)
    status = 422 if form.errors else 200
    return render_template("requester/new_order.html", form=form, service=service, earliest=earliest,
                           duplicate=duplicate), status


def _place(form: OrderForm, request_: order_service.OrderRequest):
    try:
        order_id, created = order_service.place_order_once(current_user, request_)
    except ValidationFailed as err:
        db.session.rollback()
        for name, message in err.errors:
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        service = db.session.get(Service, request_.service_id)
        earliest = order_service.earliest_service_date(service)
        return render_template("requester/new_order.html", form=form, service=service, earliest=earliest,
                               duplicate=None), 422
    if created:
        flash(_("Order placed. The center will dispatch it soon."), "success")
    return redirect(url_for("requester.order", order_id=order_id), 303)


def _render_order(order, cancel_form=None, rating_form=None, dispute_form=None) -> str:
    """The order page; a form is built only where it is shown (a blank cancel box otherwise)."""
    rating_form = (rating_form or RatingForm()) if workflow.can(order, "rate", current_user) else None
    dispute_form = (dispute_form or DisputeForm()) if workflow.can(order, "dispute", current_user) else None
    return render_template(
        "requester/order.html", order=order, events=order_service.timeline(order.id),
        may_cancel=workflow.can(order, "cancel", current_user), cancel_form=cancel_form, rating_form=rating_form,
        dispute_form=dispute_form, check_in=_check_in_code(order), attendees=_attendee_link(order),
        order_photos=photos.of_order(order.id) if order.completed_at else [],
    )


def _attendee_link(order) -> dict | None:
    """The link and QR attendees give feedback with, from the start of the service for 14 days."""
    if not feedback.is_open(order):
        return None
    link = url_for("feedback.give", feedback_token=feedback.token_for(order), _external=True)
    return {"link": link, "qr": qr_svg(link)}


def _check_in_code(order) -> dict | None:
    """The code and QR the volunteers check in with, while check-in is open."""
    if not checkin_codes.shown_now(order):
        return None
    link = url_for("volunteer.check_in_link", token=checkin_codes.token_for(order), _external=True)
    return {"code": checkin_codes.code_for(order), "qr": qr_svg(link)}


@bp.route("/orders/<int:order_id>")
@role_required("requester")
def order(order_id: int):
    return _render_order(_my_order_or_404(order_id))


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@role_required("requester")
def cancel(order_id: int):
    order = _my_order_or_404(order_id)
    form = reason_form_for("cancel", "requester")
    if form.validate_on_submit():
        workflow.apply(order, "cancel", current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(_("The order was cancelled."), "info")
        return redirect(url_for("requester.order", order_id=order_id), 303)
    return _render_order(order, cancel_form=form), 422


@bp.route("/orders/<int:order_id>/rate", methods=["POST"])
@role_required("requester")
def rate(order_id: int):
    order = _my_order_or_404(order_id)
    form = RatingForm()
    if form.validate_on_submit():
        order_service.rate_order(order, current_user, int(form.stars.data), form.comment.data or "")
        db.session.commit()
        flash(_("Thank you for your rating."), "success")
        return redirect(url_for("requester.order", order_id=order_id), 303)
    return _render_order(order, rating_form=form), 422


@bp.route("/orders/<int:order_id>/dispute", methods=["POST"])
@role_required("requester")
def dispute(order_id: int):
    order = _my_order_or_404(order_id)
    form = DisputeForm()
    if form.validate_on_submit():
        workflow.apply(order, "dispute", current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(_("Thank you. The center will look into it; the volunteers' hours wait for its decision."), "info")
        return redirect(url_for("requester.order", order_id=order_id), 303)
    return _render_order(order, dispute_form=form), 422
