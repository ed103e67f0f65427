"""全部订单: the desk's history of every order, filtered and paged."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import labels
from ..access import role_required
from ..choices import choices
from ..extensions import db
from ..models import ExportState
from ..models.orders import OrderState
from ..reports import exports as export_views
from ..services import export_jobs, teams
from ..services.orders.history import HistoryFilter, order_history
from . import bp
from .forms import HistoryFilterForm
from .routes import fill_place_choices

PAGING_ARGS = ("after", "before")


def history_filter_form(args) -> HistoryFilterForm:
    """The history's filter form from a query string, validated, with its choices."""
    form = HistoryFilterForm(args)
    form.state.choices = choices([("", _("All")), *((s.value, _(labels.ORDER_STATES[s.value])) for s in OrderState)])
    form.stars.choices = choices([(0, _("All")), *((n, "★" * n) for n in range(5, 0, -1))])
    form.team_id.choices = choices([(0, _("All")), *teams.team_pairs()])
    fill_place_choices(form)
    form.validate()
    return form


def history_filter(form: HistoryFilterForm) -> HistoryFilter:
    """The filter a validated form asks for; a field with an error is left out (and shown beside it)."""
    def clean(field):
        return field.data if field.data and not field.errors else None

    return HistoryFilter(
        state=clean(form.state), category_id=clean(form.category_id), service_id=clean(form.service_id),
        district_id=clean(form.district_id), date_from=clean(form.date_from),
        date_to=clean(form.date_to), stars=clean(form.stars), overdue_only=bool(form.overdue.data),
        q=(clean(form.q) or "")[:40], volunteer=(clean(form.volunteer) or "")[:40], team_id=clean(form.team_id),
    )


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


@bp.route("/history")
@role_required("coordinator")
def history():
    filters = {k: v for k, v in request.args.items() if k not in PAGING_ARGS and v}
    form = history_filter_form(request.args)
    page = order_history(
        history_filter(form), after=_cursor("after"), before=_cursor("before"),
        per_page=current_app.config["QUEUE_PAGE_SIZE"],
    )
    return render_template("coordinator/history.html", page=page, filters=filters, filter_form=form)


@bp.route("/history/export.<any(csv, xlsx):fmt>", methods=["POST"])
@role_required("coordinator")
def export_history(fmt: str):
    """The orders the history's filters (in the query string) keep, as a file; a large .xlsx is made
    by the export worker. A POST: each export is written in the audit log, a large one queues a job."""
    f = history_filter(history_filter_form(request.args))
    if fmt == "xlsx" and export_jobs.too_large_to_answer(f):
        job = export_jobs.queue_export(current_user, f, fmt, with_contact=True, locale=str(get_locale()))
        db.session.commit()
        return redirect(url_for("coordinator.export_job", job_id=job.id), 303)
    return export_views.export_orders(f, fmt)


def _job_or_404(job_id: int):
    job = export_jobs.job_of(current_user, job_id)
    if job is None:
        abort(404)
    return job


@bp.route("/exports/<int:job_id>")
@role_required("coordinator")
def export_job(job_id: int):
    """An export being made: its progress while it runs, its file when done."""
    return render_template("coordinator/export_job.html", job=_job_or_404(job_id))


@bp.route("/exports/<int:job_id>/file")
@role_required("coordinator")
def export_file(job_id: int):
    job = _job_or_404(job_id)
    path = export_jobs.file_of(job)
    if job.status != ExportState.DONE or not path.exists():
        abort(404)
    response = send_file(path, as_attachment=True, download_name=export_jobs.download_name(job), max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
