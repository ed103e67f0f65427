"""Closing a job: hours and a summary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from ..forms import AppForm
from ..validators import MULTI_LINE, FiniteNumber


class CompleteForm(AppForm):
    hours = DecimalField(
        _l("Hours served"), places=1,
        validators=[
            DataRequired(message=_l("Enter the hours served.")),
            FiniteNumber(),
            NumberRange(min=0.5, max=24, message=_l("Hours must be between 0.5 and 24.")),
        ],
    )
    summary = TextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Complete"))
