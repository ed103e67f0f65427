"""数据看板 and 菜单分析: the center's numbers for a period, for coordinators and administrators."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from .. import labels
from ..access import role_required
from ..choices import choices
from ..dates import BEIJING
from ..models.base import utcnow
from ..services import reports, wishes
from ..services.menu import category_pairs, services_by_category
from ..services.places import district_pairs
from ..services.settings import current_settings
from ..services.teams import team_pairs
from . import bp
from .exports import send_table
from .forms import ReportFilterForm
from .tables import TABLES

READERS = ("coordinator", "admin")


def _filter_form() -> ReportFilterForm:
    form = ReportFilterForm(request.args)
    if request.args.get("start") and request.args.get("end"):
        form.period.data = "custom"  # dates typed mean those dates
    rows = services_by_category()
    form.category_id.choices = choices([(0, _("All")), *category_pairs(rows)])
    form.service_id.choices = choices([(0, _("All")), *((s, m) for _c, _n, s, m in rows)])
    form.district_id.choices = choices([(0, _("All")), *district_pairs()])
    form.team_id.choices = choices([(0, _("All")), *team_pairs()])
    if not form.period.data:
        form.period.data = "month"
    form.validate()
    return form


def _period_and_scope(form: ReportFilterForm) -> tuple[reports.Period, reports.Scope]:
    """What the form asks for; a field in error falls back to its default (and says why beside it)."""
    def clean(field):
        return field.data if field.data and not field.errors else None

    today = utcnow().astimezone(BEIJING).date()
    kind = form.period.data if not form.period.errors else "month"
    if kind == "custom" and (form.start.errors or form.end.errors):
        kind = "month"
    period = reports.period_of(kind, today, clean(form.start), clean(form.end))
    scope = reports.Scope(clean(form.district_id), clean(form.category_id), clean(form.service_id),
                          clean(form.team_id))
    return period, scope


def _chart_data(now: reports.Figures) -> dict:
    """The charts' datasets (drawn by static/js/dashboard.js; the same numbers are in the tables)."""
    states = [s for s in labels.ORDER_STATES if now.by_state.get(s)]
    return {
        "states": {"type": "bar", "labels": [_(labels.ORDER_STATES[s]) for s in states],
                   "series": [{"name": _("Orders"), "values": [now.by_state[s] for s in states]}]},
        "trend": {"type": "line", "labels": [f"{week:%m-%d}" if now.trend_by == "week" else f"{week:%Y-%m}"
                                             for week, _o, _h in now.trend],
                  "series": [{"name": _("Orders"), "values": [o for _w, o, _h in now.trend]},
                             {"name": _("Volunteer hours"), "values": [float(h) for _w, _o, h in now.trend]}]},
        "stars": {"type": "bar", "labels": ["★" * n for n in range(1, 6)],
                  "series": [{"name": _("Ratings"), "values": [now.stars[n] for n in range(1, 6)]}]},
    }


@bp.route("/")
@role_required(*READERS)
def dashboard():
    form = _filter_form()
    period, scope = _period_and_scope(form)
    now = reports.figures(period, scope)
    before = reports.figures(period.previous(), scope, detail=False)
    return render_template("reports/dashboard.html", form=form, now=now, before=before,
                           chart_data=_chart_data(now))


@bp.route("/services")
@role_required(*READERS)
def services():
    form = _filter_form()
    period, scope = _period_and_scope(form)
    return render_template(
        "reports/services.html", form=form, period=period,
        items=reports.service_figures(period, scope), reasons=reports.reason_counts(period, scope),
        uncovered=reports.uncovered_demand(period, scope), wishes=wishes.counts(period.start, period.end),
    )


@bp.route("/export/<any(hours, services, reasons):kind>.<any(csv, xlsx):fmt>", methods=["POST"])
@role_required(*READERS)
def export(kind: str, fmt: str):
    """A table of the numbers for the period and scope asked (in the query string), as a file; a POST,
    since each export is written in the audit log."""
    form = _filter_form()
    period, scope = _period_and_scope(form)
    table = TABLES[kind](period, scope)
    filters = {"period": f"{period.start}–{period.end}", **vars(scope)}
    return send_table(table, kind, fmt, f"export.{kind}", filters)


TOP = 10  # the rows of each ranking in the printed report


def _monthly_context() -> dict:
    """What the monthly report shows: the period's figures against the one before, and its rankings."""
    form = _filter_form()
    period, scope = _period_and_scope(form)
    now = reports.figures(period, scope)
    items = sorted(reports.service_figures(period, scope), key=lambda s: -s.orders)
    return dict(
        form=form, now=now, before=reports.figures(period.previous(), scope, detail=False),
        center=current_settings(), top_services=items[:TOP],
        unmet=sorted((s for s in items if s.unmet), key=lambda s: -s.unmet)[:TOP],
        unmet_total=sum(s.unmet for s in items),
        volunteers=reports.hours_by_volunteer(period, scope)[:TOP],
        reasons=reports.reason_counts(period, scope)[:TOP], uncovered=reports.uncovered_demand(period, scope)[:TOP],
        printed_at=utcnow(),
    )


@bp.route("/monthly")
@role_required(*READERS)
def monthly():
    """月度报告: the period's figures, charts and rankings on pages to print (a month by default)."""
    context = _monthly_context()
    return render_template("reports/monthly.html", chart_data=_chart_data(context["now"]), pdf=False, **context)


@bp.route("/monthly.pdf")
@role_required(*READERS)
def monthly_pdf():
    """The monthly report as a PDF for the center's leadership (the trend as a table: no script runs in a PDF)."""
    from ..services import pdf  # WeasyPrint loads Pango: only where a PDF is asked for

    context = _monthly_context()
    period = context["now"].period
    return pdf.download(pdf.render("reports/monthly_pdf.html", pdf=True, **context),
                        f"志愿服务月度报告-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf")
