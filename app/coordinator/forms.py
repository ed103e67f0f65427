"""The dispatch console's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import NumberRange, Optional


class DispatchForm(FlaskForm):
    volunteer_ids = SelectMultipleField(_l("Volunteers"), coerce=int)
    submit = SubmitField(_l("Dispatch"))


class TopDispatchForm(FlaskForm):
    submit = SubmitField(_l("Dispatch to the top suggestions"))


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    state = SelectField(_l("State"), validators=[Optional()])
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    district_id = SelectField(_l("District"), coerce=int, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Search"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10000)])
