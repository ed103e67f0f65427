"""The coordinator's dispatch console: queue, order page, dispatch, reject."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import labels, workflow
from ..access import role_required
from ..auth.routes import district_pairs
from ..choices import choices
from ..extensions import db
from ..forms import ReasonForm
from ..models import Assignment, Category
from ..services import matching
from ..services import orders as order_service
from ..services.errors import ValidationFailed
from . import bp
from .forms import DispatchForm, QueueFilterForm, TopDispatchForm


def _order_or_404(order_id: int):
    order = order_service.order_for_coordinator(order_id)
    if order is None:
        abort(404)
    return order


@bp.route("/")
@role_required("coordinator")
def queue():
    form = QueueFilterForm(request.args)
    form.state.choices = choices([("", _("All")), ("submitted", labels.ORDER_STATES["submitted"]),
                                  ("dispatched", labels.ORDER_STATES["dispatched"])])
    categories = db.session.execute(select(Category.id, Category.name).order_by(Category.position))
    form.category_id.choices = choices([(0, _("All")), *categories])
    form.district_id.choices = choices([(0, _("All")), *district_pairs()])
    form.validate()
    f = order_service.QueueFilter(
        state=form.state.data or None,
        category_id=form.category_id.data or None,
        district_id=form.district_id.data or None,
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
        overdue_only=bool(form.overdue.data),
        q=(form.q.data or "")[:40],
    )
    page = form.page.data if form.page.data and not form.page.errors else 1
    orders, has_more = order_service.dispatch_queue(f, page=page)
    return render_template(
        "coordinator/queue.html", form=form, orders=orders, page=page, has_more=has_more,
        reject_form=ReasonForm(),
    )


def _render_order(order, status=200, **forms):
    candidates = matching.rank(order)
    dispatch_form = forms.pop("dispatch_form", None) or DispatchForm()
    dispatch_form.volunteer_ids.choices = choices((c.volunteer.id, c.volunteer.name) for c in candidates if c.eligible)
    return render_template(
        "coordinator/order.html",
        order=order,
        candidates=candidates,
        dispatch_form=dispatch_form,
        top_form=TopDispatchForm(),
        reason_form=forms.pop("reason_form", None) or ReasonForm(),
        **forms,
    ), status


@bp.route("/orders/<int:order_id>")
@role_required("coordinator")
def order(order_id: int):
    return _render_order(_order_or_404(order_id))


def _dispatch(order, volunteers):
    try:
        offered = order_service.dispatch_order(order, volunteers, current_user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("That volunteer was already offered this order."), "warning")
        return redirect(url_for("coordinator.order", order_id=order.id), 303)
    flash(_("Offered to %(n)s volunteer(s).", n=len(offered)), "success")
    return redirect(url_for("coordinator.order", order_id=order.id), 303)


@bp.route("/orders/<int:order_id>/dispatch", methods=["POST"])
@role_required("coordinator")
def dispatch(order_id: int):
    order = _order_or_404(order_id)
    form = DispatchForm()
    eligible = {c.volunteer.id: c.volunteer for c in matching.rank(order) if c.eligible}
    form.volunteer_ids.choices = choices((i, v.name) for i, v in eligible.items())
    if form.validate_on_submit():
        try:
            return _dispatch(order, [eligible[i] for i in form.volunteer_ids.data])
        except ValidationFailed as err:
            db.session.rollback()
            form.volunteer_ids.errors.append(err.message)
    return _render_order(_order_or_404(order_id), 422, dispatch_form=form)


@bp.route("/orders/<int:order_id>/dispatch-top", methods=["POST"])
@role_required("coordinator")
def dispatch_top(order_id: int):
    order = _order_or_404(order_id)
    if not TopDispatchForm().validate_on_submit():
        abort(400)
    open_offers = len(order.open_offers)
    wanted = max(order.needed - order.accepted_count - open_offers, 1)
    volunteers = matching.top(order, wanted)
    if not volunteers:
        flash(_("No eligible volunteer is free for this order."), "warning")
        return redirect(url_for("coordinator.order", order_id=order_id), 303)
    return _dispatch(order, volunteers)


@bp.route("/orders/<int:order_id>/<any(reject, cancel):action>", methods=["POST"])
@role_required("coordinator")
def close(order_id: int, action: str):
    order = _order_or_404(order_id)
    form = ReasonForm()
    if form.validate_on_submit():
        workflow.apply(order, action, current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(labels.ACTIONS[action], "info")
        return redirect(url_for("coordinator.order", order_id=order_id), 303)
    return _render_order(order, 422, reason_form=form)


@bp.route("/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@role_required("coordinator")
def withdraw(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        workflow.apply(
            assignment, "withdraw", current_user, reason_code=form.reason_code.data, note=form.note.data or ""
        )
        db.session.commit()
        flash(_("The volunteer was withdrawn from the order."), "info")
    else:
        flash(_("Choose a reason."), "danger")
    return redirect(url_for("coordinator.order", order_id=assignment.order_id), 303)
