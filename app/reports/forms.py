"""The numbers' filters: a period and a scope."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..choices import choices
from ..forms import AppForm
from ..services.reports import LONGEST_PERIOD
from ..validators import DateWithin

PERIODS = {
    "week": _l("This week"), "month": _l("This month"), "quarter": _l("This quarter"), "year": _l("This year"),
    "last_week": _l("Last week"), "last_month": _l("Last month"), "last_quarter": _l("Last quarter"),
    "last_year": _l("Last year"), "custom": _l("Choose dates"),
}


class ReportFilterForm(AppForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    period = SelectField(_l("Period"), choices=choices(PERIODS.items()), default="month", validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional(), DateWithin()])
    end = DateField(_l("Until"), validators=[Optional(), DateWithin()])
    district_id = SelectField(_l("District"), coerce=int, validators=[Optional()])
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    service_id = SelectField(_l("Service"), coerce=int, validators=[Optional()])
    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the period as a whole (an empty date skips its own validators)."""
        valid = super().validate(extra_validators)
        if self.period.data != "custom" or self.start.errors or self.end.errors:
            return valid
        if not self.start.data:
            self.start.errors.append(_l("Enter the first day."))
        if not self.end.data:
            self.end.errors.append(_l("Enter the last day."))
        elif self.start.data and self.end.data < self.start.data:
            self.end.errors.append(_l("The end date is before the start date."))
        elif self.start.data and self.end.data - self.start.data > LONGEST_PERIOD:
            self.end.errors.append(_l("Choose at most three years."))
        return valid and not (self.start.errors or self.end.errors)
