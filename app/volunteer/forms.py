"""Closing a job: hours and a summary."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, HiddenField, MultipleFileField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..choices import choices
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
    photos = MultipleFileField(_l("Photos (optional, JPEG or PNG)"))
    submit = SubmitField(_l("Complete"))


class CheckInForm(AppForm):
    """On arrival: the 6-digit code the requester's order page shows (or the token of its QR)."""

    code = StringField(_l("Check-in code"), validators=[
        Optional(), Regexp(r"^\s*\d{6}\s*$", message=_l("Six digits, as the requester's page shows them."))])
    token = HiddenField()
    submit = SubmitField(_l("Check in"))


class ReviewForm(AppForm):
    """How the order was organised, for the center only."""

    stars = RadioField(_l("How was it organised?"), coerce=int, choices=choices((n, str(n)) for n in range(1, 6)),
                       validators=[InputRequired(message=_l("Choose from 1 to 5 stars."))])
    comment = TextAreaField(_l("What should the center know? (optional)"),
                            validators=[Optional(), Length(max=300), MULTI_LINE])
    submit = SubmitField(_l("Send to the center"))
