"""The coordinator's dispatch console: queue, order page, dispatch, crews, reject."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.exc import IntegrityError

from .. import labels, workflow
from ..access import role_required
from ..choices import choices
from ..dates import format_window
from ..extensions import db
from ..forms import CheckInByHandForm, ResolveForm, reason_form_for
from ..models import Assignment
from ..models.base import utcnow
from ..services import matching, photos, reliability, sla, teams, volunteer_reviews
from ..services import orders as order_service
from ..services.errors import ValidationFailed
from ..services.menu import services_by_category
from ..services.orders.queue import QUEUE_STATES
from ..services.places import district_pairs
from . import bp
from .forms import BulkForm, DispatchForm, NeededForm, QueueFilterForm, TopDispatchForm


@bp.app_template_filter("window")
@pass_context
def service_window(context: Context, order) -> str:
    """"11月28日周六 09:00–11:00": the service's day and hours, short enough for a table cell."""
    return format_window(order.starts_at, order.ends_at, context.get("locale"))


def _order_or_404(order_id: int):
    order = order_service.order_for_coordinator(order_id)
    if order is None:
        abort(404)
    return order


def _back_to_order(order_id: int):
    return redirect(url_for("coordinator.order", order_id=order_id), 303)


def _queue_filter_form() -> QueueFilterForm:
    """The filter form from the query string, validated, its choices from the kept menu and districts."""
    form = QueueFilterForm(request.args)
    form.state.choices = choices([("", _("All")), *((state, _(labels.ORDER_STATES[state])) for state in QUEUE_STATES)])
    fill_place_choices(form)
    form.validate()
    return form


def fill_place_choices(form: QueueFilterForm) -> None:
    """The category, service and district choices of a filter form, from the kept menu and districts."""
    rows = services_by_category()
    categories = list(dict.fromkeys((cid, cname) for cid, cname, _sid, _sname in rows))
    form.category_id.choices = choices([(0, _("All")), *categories])
    form.service_id.choices = choices([(0, _("All")), *((sid, sname) for _c, _n, sid, sname in rows)])
    form.district_id.choices = choices([(0, _("All")), *district_pairs()])


def _clean(field):
    return field.data if field.data and not field.errors else None


def _queue_filter(form: QueueFilterForm) -> order_service.QueueFilter:
    return order_service.QueueFilter(
        state=_clean(form.state),
        category_id=_clean(form.category_id),
        service_id=_clean(form.service_id),
        district_id=_clean(form.district_id),
        date_from=_clean(form.date_from),
        date_to=_clean(form.date_to),
        overdue_only=bool(form.overdue.data),
        q=(form.q.data or "")[:40],
    )


@bp.route("/")
@role_required("coordinator")
def queue():
    filters = {k: v for k, v in request.args.items() if k not in ("after", "before") and v}
    form = _queue_filter_form()
    page = order_service.dispatch_queue(
        _queue_filter(form) if filters else order_service.QueueFilter(),
        after=request.args.get("after") or None, before=request.args.get("before") or None,
        per_page=current_app.config["QUEUE_PAGE_SIZE"],
    )
    return render_template(
        "coordinator/queue.html", page=page, filters=filters, filtered=bool(filters),
        filter_form=form, bulk_form=BulkForm(formdata=None), clocks=sla.clocks_of(page.rows), now=utcnow(),
    )


@bp.route("/bulk", methods=["POST"])
@role_required("coordinator")
def bulk():
    form = BulkForm()
    target = form.next.data if _is_queue_url(form.next.data) else url_for("coordinator.queue")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(target, 303)
    orders = order_service.orders_for_coordinator(form.order_ids.data[:100])
    if form.action.data == "reject":
        result = order_service.bulk_apply(
            orders, order_service.reject_order, current_user, form.reason_code.data, form.note.data or ""
        )
        done = _("Rejected %(n)s order(s).", n=len(result.done))
    else:
        result = order_service.bulk_apply(orders, order_service.dispatch_to_top, current_user)
        done = _("Dispatched %(n)s order(s) to their top suggestions.", n=len(result.done))
    db.session.commit()
    if result.done:
        flash(done, "success")
    for order, message in result.failed:
        flash(_("Order %(number)s: %(message)s", number=order.number, message=message), "warning")
    return redirect(target, 303)


def _is_queue_url(target: str | None) -> bool:
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and parts.path == url_for("coordinator.queue")


# The order page lists the best suggestions, not every volunteer of the city: the best
# ten (a crew of up to five with as many to spare), forty on request or for a larger crew.
SHOWN_FIRST, SHOWN_MORE, SHOWN_BLOCKED = 10, 40, 10


def shown_eligible(order, more: bool) -> int:
    """How many eligible volunteers the order page suggests."""
    return SHOWN_MORE if more or 2 * order.needed > SHOWN_FIRST else SHOWN_FIRST


def _resolve_form(order, form: ResolveForm | None) -> ResolveForm | None:
    """The form deciding a dispute, where one waits (as submitted after an error, else blank)."""
    if not workflow.can(order, "resolve", current_user):
        return None
    return form or ResolveForm(formdata=None)


def _render_order(order, status=200, more: bool = False, **forms):
    shown = shown_eligible(order, more)
    # Suggestions only while volunteers can be offered the order: a settled one shows its result instead.
    dispatchable = workflow.takes_offers(order)
    team = request.args.get("team", type=int)
    among = teams.member_ids(team) if team and dispatchable else None  # the suggestions of one team
    candidates = matching.rank(order, eligible=shown, blocked=SHOWN_BLOCKED, only=among) if dispatchable else []
    dispatch_form = forms.pop("dispatch_form", None) or DispatchForm()
    dispatch_form.volunteer_ids.choices = choices(
        (c.volunteer.id, c.volunteer.name) for c in candidates if c.eligible
    )
    return render_template(
        "coordinator/order.html",
        order=order,
        reviews=[] if dispatchable else volunteer_reviews.of_order(order.id),  # the settled parts: one more
        teams=teams.team_pairs() if dispatchable else (), team=team,
        events=order_service.timeline(order.id),
        candidates=candidates,
        dispatchable=dispatchable,
        picked=frozenset(dispatch_form.volunteer_ids.data or ()),
        # As many eligible as asked for: there may be more.
        can_show_more=shown < SHOWN_MORE and sum(1 for c in candidates if c.eligible) == shown,
        crew=order_service.crew_of(order),
        dispatch_form=dispatch_form,
        top_form=TopDispatchForm(),
        needed_form=forms.pop("needed_form", None) or NeededForm(formdata=None, needed=order.needed),
        reason_form=forms.pop("reason_form", None),  # None: blank reason boxes, kept
        resolve_form=_resolve_form(order, forms.pop("resolve_form", None)),
        by_hand_form=forms.pop("by_hand_form", None) or CheckInByHandForm(formdata=None),
        can_change_crew=order_service.may_change_crew(order),
        clock=sla.clocks_of([order]).get(order.id), now=utcnow(),
        reliability=reliability.of_volunteers([c.volunteer.id for c in candidates]),
        order_photos=[] if dispatchable else photos.of_order(order.id),  # the settled parts
        **forms,
    ), status


@bp.route("/orders/<int:order_id>")
@role_required("coordinator")
def order(order_id: int):
    return _render_order(_order_or_404(order_id), more=request.args.get("more") == "1")


def _dispatch(order, volunteers):
    try:
        offered = order_service.dispatch_order(order, volunteers, current_user)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("That volunteer was already offered this order."), "warning")
        return _back_to_order(order.id)
    flash(_("Offered to %(n)s volunteer(s).", n=len(offered)), "success")
    return _back_to_order(order.id)


@bp.route("/orders/<int:order_id>/dispatch", methods=["POST"])
@role_required("coordinator")
def dispatch(order_id: int):
    order = _order_or_404(order_id)
    form = DispatchForm()
    # The picks are checked against a ranking of exactly those volunteers, now.
    picked = request.form.getlist("volunteer_ids", type=int)
    eligible = {c.volunteer.id: c.volunteer for c in matching.rank(order, only=picked, blocked=0)}
    form.volunteer_ids.choices = choices((i, v.name) for i, v in eligible.items())
    if form.validate_on_submit():
        try:
            return _dispatch(order, matching.users_of([eligible[i] for i in form.volunteer_ids.data]))
        except ValidationFailed as err:
            db.session.rollback()
            form.volunteer_ids.errors.append(err.message)
    return _render_order(_order_or_404(order_id), 422, more=True, dispatch_form=form)  # the picks among them


@bp.route("/orders/<int:order_id>/dispatch-top", methods=["POST"])
@role_required("coordinator")
def dispatch_top(order_id: int):
    order = _order_or_404(order_id)
    if not TopDispatchForm().validate_on_submit():
        abort(400)
    try:
        offered = order_service.dispatch_to_top(order, current_user)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.message, "warning")
        return _back_to_order(order_id)
    except IntegrityError:
        db.session.rollback()
        flash(_("That volunteer was already offered this order."), "warning")
        return _back_to_order(order_id)
    flash(_("Offered to %(n)s volunteer(s).", n=len(offered)), "success")
    return _back_to_order(order_id)


@bp.route("/orders/<int:order_id>/needed", methods=["POST"])
@role_required("coordinator")
def change_needed(order_id: int):
    order = _order_or_404(order_id)
    form = NeededForm()
    if form.validate_on_submit():
        try:
            order_service.change_needed(order, form.needed.data, current_user)
            db.session.commit()
            flash(_("The order now needs %(n)s volunteer(s).", n=form.needed.data), "success")
            return _back_to_order(order_id)
        except ValidationFailed as err:
            db.session.rollback()
            form.needed.errors.append(err.message)
            order = _order_or_404(order_id)
    return _render_order(order, 422, needed_form=form)


@bp.route("/orders/<int:order_id>/<any(reject, cancel):action>", methods=["POST"])
@role_required("coordinator")
def close(order_id: int, action: str):
    order = _order_or_404(order_id)
    form = reason_form_for(action, "coordinator")
    if form.validate_on_submit():
        workflow.apply(order, action, current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(labels.ACTIONS[action], "info")
        return _back_to_order(order_id)
    return _render_order(order, 422, reason_form=form)


@bp.route("/orders/<int:order_id>/resolve", methods=["POST"])
@role_required("coordinator")
def resolve(order_id: int):
    order = _order_or_404(order_id)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            workflow.apply(order, "resolve", current_user, reason_code=form.reason_code.data,
                           note=form.note.data, hours=form.hours.data)
        except workflow.MissingInput as err:  # adjusted hours missing or out of range: said beside the field
            db.session.rollback()
            getattr(form, err.field).errors.append(err.message)
        else:
            db.session.commit()
            flash(labels.ACTIONS["resolve"], "success")
            return _back_to_order(order_id)
    return _render_order(order, 422, resolve_form=form)


@bp.route("/assignments/<int:assignment_id>/check-in", methods=["POST"])
@role_required("coordinator")
def check_in_by_hand(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    form = CheckInByHandForm()
    if form.validate_on_submit():
        workflow.apply(assignment, "check_in_by_hand", current_user, reason_code=form.reason_code.data,
                       note=form.note.data or "")
        db.session.commit()
        flash(labels.ACTIONS["check_in_by_hand"], "success")
        return _back_to_order(assignment.order_id)
    return _render_order(assignment.order, 422, by_hand_form=form)


@bp.route("/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@role_required("coordinator")
def withdraw(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    form = reason_form_for("withdraw", "coordinator")
    if form.validate_on_submit():
        workflow.apply(
            assignment, "withdraw", current_user, reason_code=form.reason_code.data, note=form.note.data or ""
        )
        db.session.commit()
        flash(_("The volunteer was withdrawn from the order."), "info")
    else:
        flash(_("Choose a reason."), "danger")
    return _back_to_order(assignment.order_id)
