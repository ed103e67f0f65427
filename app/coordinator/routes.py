"""The coordinator's dispatch console: queue, order page, dispatch, crews, reject."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2 import pass_environment
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from .. import labels, workflow
from ..access import role_required
from ..choices import choices
from ..dates import format_elapsed, format_window
from ..extensions import db
from ..forms import ReasonForm
from ..fragments import render_cached, render_each
from ..models import Assignment
from ..models.base import utcnow
from ..services import matching
from ..services import orders as order_service
from ..services.errors import ValidationFailed
from ..services.menu import services_by_category
from ..services.places import district_pairs
from ..timeline import render_timeline
from . import bp
from .forms import BulkForm, DispatchForm, NeededForm, QueueFilterForm, TopDispatchForm


@bp.app_template_filter("window")
@pass_environment
def service_window(env, order) -> str:
    """"11月28日周六 09:00–11:00": the service's day and hours, short enough for a table cell."""
    return format_window(order.starts_at, order.ends_at)


def _order_or_404(order_id: int):
    order = order_service.order_for_coordinator(order_id)
    if order is None:
        abort(404)
    return order


def _back_to_order(order_id: int):
    return redirect(url_for("coordinator.order", order_id=order_id), 303)


def _queue_filter_form() -> tuple[QueueFilterForm, tuple]:
    """The filter form, validated, and what its rendering depends on besides the language."""
    form = QueueFilterForm(request.args)
    form.state.choices = choices([("", _("All")), ("submitted", labels.ORDER_STATES["submitted"]),
                                  ("dispatched", labels.ORDER_STATES["dispatched"])])
    # Both lists from one kept read: the service list is grouped by category.
    rows = services_by_category()
    districts = district_pairs()
    categories = list(dict.fromkeys((cid, cname) for cid, cname, _sid, _sname in rows))
    form.category_id.choices = choices([(0, _("All")), *categories])
    form.service_id.choices = choices([(0, _("All")), *((sid, sname) for _c, _n, sid, sname in rows)])
    form.district_id.choices = choices([(0, _("All")), *districts])
    form.validate()
    shown = tuple((k, v) for k, v in request.args.items(multi=True) if k not in ("after", "before"))
    return form, (shown, rows, districts)


def _clean(field):
    return field.data if field.data and not field.errors else None


# A filter validated once is the same filter for every later request with the same
# arguments (and the same services and districts): kept, like the filter bar.
_parsed_filters: dict[tuple, order_service.QueueFilter] = {}
PARSED_FILTERS_KEPT = 256


def _queue_filter(filters: dict) -> tuple[order_service.QueueFilter, QueueFilterForm | None, tuple]:
    """The queue's filter from the request, the validated form (None when it was not
    needed: nothing filtered, or these arguments seen before; the form is then only
    built to render a filter bar not kept yet), and what the filter bar's rendering
    depends on besides the language."""
    rows, districts = services_by_category(), district_pairs()
    if not filters:
        return order_service.QueueFilter(), None, ((), rows, districts)
    shown = tuple((k, v) for k, v in request.args.items(multi=True) if k not in ("after", "before"))
    depends_on = (shown, rows, districts)
    if (kept := _parsed_filters.get(depends_on)) is not None:
        return kept, None, depends_on
    form, depends_on = _queue_filter_form()
    f = order_service.QueueFilter(
        state=_clean(form.state),
        category_id=_clean(form.category_id),
        service_id=_clean(form.service_id),
        district_id=_clean(form.district_id),
        date_from=_clean(form.date_from),
        date_to=_clean(form.date_to),
        overdue_only=bool(form.overdue.data),
        q=(form.q.data or "")[:40],
    )
    if len(_parsed_filters) >= PARSED_FILTERS_KEPT:
        _parsed_filters.pop(next(iter(_parsed_filters)), None)
    _parsed_filters[depends_on] = f
    return f, form, depends_on


@bp.route("/")
@role_required("coordinator")
def queue():
    filters = {k: v for k, v in request.args.items() if k not in ("after", "before") and v}
    f, form, depends_on = _queue_filter(filters)
    page = order_service.dispatch_queue(
        f, after=request.args.get("after") or None, before=request.args.get("before") or None,
        per_page=current_app.config["QUEUE_PAGE_SIZE"],
    )
    # The filter bar and the bulk bar's fields look the same for every coordinator
    # asking for the same filters: rendered once, then served from memory.
    filter_bar = render_cached(
        "coordinator/_queue_filters.html", depends_on, build=lambda: {"form": form or _queue_filter_form()[0]},
        filtered=bool(filters),
    )
    bulk_fields = render_cached(
        "coordinator/_bulk_fields.html", "bulk", build=lambda: {"form": BulkForm(formdata=None)}
    )
    return render_template(
        "coordinator/queue.html", page=page, rows=_queue_rows(page), filters=filters,
        bulk_fields=bulk_fields, filter_bar=filter_bar, filtered=bool(filters),
    )


def _queue_rows(page: order_service.QueuePage) -> Markup:
    """Each row rendered once per content and waiting time as shown ("3天"), then kept."""
    now = utcnow()
    return render_each("coordinator/_queue_row.html", (
        (row.order, row.offered, format_elapsed(now - row.order.submitted_at))
        for row in page.rows
    ))


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


class CandidateRow(NamedTuple):
    """All one suggestion's row shows, hashable: the key it is kept under (words looked up on a miss)."""

    volunteer: matching.Volunteer
    eligible: bool
    score: str
    why: str | None
    reason_keys: tuple
    dispatchable: bool
    picked: bool  # ticked: the coordinator's pick, shown again when the offer was refused

    @property
    def blocked(self) -> object | None:
        return matching.BLOCKS[self.why] if self.why else None

    @property
    def reasons(self) -> list:
        return [matching.reason_text(key) for key in self.reason_keys]


def _candidate_rows(candidates: list[matching.Candidate], dispatchable: bool, picked: frozenset[int]) -> Markup:
    """Each suggestion rendered once per volunteer and what is shown of them, then kept."""
    return render_each("coordinator/_candidate_row.html", (
        CandidateRow(c.volunteer, c.eligible, f"{c.score:.0f}" if c.eligible else "—", c.why,
                     tuple(c.reason_keys), dispatchable, c.volunteer.id in picked)
        for c in candidates
    ))


def _render_order(order, status=200, more: bool = False, **forms):
    shown = shown_eligible(order, more)
    candidates = matching.rank(order, eligible=shown, blocked=SHOWN_BLOCKED)
    dispatch_form = forms.pop("dispatch_form", None) or DispatchForm()
    dispatch_form.volunteer_ids.choices = choices(
        (c.volunteer.id, c.volunteer.name) for c in candidates if c.eligible
    )
    return render_template(
        "coordinator/order.html",
        order=order,
        events=render_timeline(order.id),
        candidates=candidates,
        candidate_rows=_candidate_rows(candidates, order.state in order_service.QUEUE_STATES,
                                       frozenset(dispatch_form.volunteer_ids.data or ())),
        # As many eligible as asked for: there may be more.
        can_show_more=shown < SHOWN_MORE and sum(1 for c in candidates if c.eligible) == shown,
        slots=crew_slots(order),
        dispatch_form=dispatch_form,
        top_form=TopDispatchForm(),
        needed_form=forms.pop("needed_form", None) or NeededForm(formdata=None, needed=order.needed),
        reason_form=forms.pop("reason_form", None),  # None: blank reason boxes, kept
        can_change_crew=order.state in order_service.CREW_STATES,
        **forms,
    ), status


def crew_slots(order) -> list[Assignment | None]:
    """The order's N places: accepted volunteers first, then open offers, then empty ones.

    Offers beyond N are listed too: several volunteers can be asked for one
    place, and the first to accept takes it.
    """
    holding = [a for a in order.assignments if a.holds_slot]
    offered = [a for a in order.assignments if a.state == "offered"]
    slots: list[Assignment | None] = [*holding, *offered]
    slots.extend([None] * max(order.needed - len(slots), 0))
    return slots


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
    form = ReasonForm()
    if form.validate_on_submit():
        workflow.apply(order, action, current_user, reason_code=form.reason_code.data, note=form.note.data or "")
        db.session.commit()
        flash(labels.ACTIONS[action], "info")
        return _back_to_order(order_id)
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
    return _back_to_order(assignment.order_id)
