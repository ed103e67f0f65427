"""The numbers as tables to export, with Chinese headers (what the screens show, row for row)."""

from __future__ import annotations

from flask_babel import gettext as _

from .. import labels
from ..services import reports
from ..services.exports import Table


def hours_table(period: reports.Period, scope: reports.Scope) -> Table:
    rows = [
        (v.volunteer_number or "", v.name, v.team, v.hours, v.jobs, v.total, v.stars)
        for v in reports.hours_by_volunteer(period, scope)
    ]
    return Table(
        _("Volunteer hours"),
        [_("Volunteer No."), _("Name"), _("Team"), _("Hours in the period"), _("Services in the period"),
         _("Hours in all"), _("Star level")],
        rows, [14, 10, 18, 12, 12, 12, 8],
    )


def services_table(period: reports.Period, scope: reports.Scope) -> Table:
    rows = [
        (s.category, s.name, s.orders, s.accepted, s.delivered, s.cancelled, s.rejected, s.unmet,
         s.median_to_dispatch, s.average_stars, s.hours)
        for s in sorted(reports.service_figures(period, scope), key=lambda s: -s.orders)
    ]
    return Table(
        _("Menu analysis"),
        [_("Category"), _("Service"), _("Orders"), _("Places filled"), _("Delivered"), _("Cancelled"),
         _("Rejected"), _("Rejected for want of a volunteer"), _("Median hours to dispatch"), _("Rating"),
         _("Hours")],
        rows, [14, 24, 8, 8, 8, 8, 8, 10, 10, 8, 8],
    )


def reasons_table(period: reports.Period, scope: reports.Scope) -> Table:
    rows = [
        (str(labels.ACTIONS.get(action, action)), str(labels.ROLES.get(role, _("The system"))),
         str(labels.ALL_REASONS.get(reason, reason)), n)
        for action, role, reason, n in reports.reason_counts(period, scope)
    ]
    return Table(_("Reasons"), [_("Step"), _("Given by"), _("Reason"), _("Times")], rows, [20, 10, 24, 8])


TABLES = {"hours": hours_table, "services": services_table, "reasons": reasons_table}
