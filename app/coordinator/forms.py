"""The dispatch console's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..choices import choices
from ..forms import AppForm
from ..services.orders import MAX_CREW
from ..validators import DateWithin
from ..workflow import reasons_for


class DispatchForm(AppForm):
    volunteer_ids = SelectMultipleField(_l("Volunteers"), coerce=int)
    submit = SubmitField(_l("Dispatch"))


class TopDispatchForm(AppForm):
    submit = SubmitField(_l("Dispatch to the top suggestions"))


class NeededForm(AppForm):
    needed = IntegerField(
        _l("Volunteers needed"),
        validators=[InputRequired(message=_l("Enter a number.")),
                    NumberRange(min=1, max=MAX_CREW, message=_l("Between 1 and %(max)s volunteers."))],
    )
    submit = SubmitField(_l("Change"))


class QueueFilterForm(AppForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    state = SelectField(_l("State"), validators=[Optional()])
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    service_id = SelectField(_l("Service"), coerce=int, validators=[Optional()])
    district_id = SelectField(_l("District"), coerce=int, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional(), DateWithin()])
    date_to = DateField(_l("Until"), validators=[Optional(), DateWithin()])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=40)])
    after = HiddenField()
    before = HiddenField()


class HistoryFilterForm(QueueFilterForm):
    """全部订单's filters: the queue's, any state, the rating and the volunteer."""

    stars = SelectField(_l("Rating"), coerce=int, validators=[Optional()])
    volunteer = StringField(_l("Volunteer"), validators=[Optional(), Length(max=40)])
    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()])
    export = HiddenField()

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


BULK_ACTIONS = ("dispatch_top", "reject")


class BulkForm(AppForm):
    """Several queue rows at once: dispatch each to its top suggestions, or reject each."""

    order_ids = SelectMultipleField(
        _l("Orders"), coerce=int, validate_choice=False,
        validators=[DataRequired(message=_l("Select at least one order."))],
    )
    action = SelectField(choices=choices((a, a) for a in BULK_ACTIONS), validators=[DataRequired()])
    reason_code = SelectField(
        _l("Reason"), choices=choices([("", _l("Choose…")), *reasons_for("reject", "coordinator").items()]),
        validators=[Optional()]
    )
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=500)])
    next = HiddenField()

    def validate_reason_code(self, field) -> None:
        if self.action.data == "reject" and not field.data:
            raise ValidationError(_l("Choose a reason."))
