"""The application queue's forms: why an application is rejected or a volunteer suspended."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import labels
from ..choices import choices
from ..forms import AppForm
from ..validators import MULTI_LINE


def _reason(reasons: dict) -> SelectField:
    return SelectField(_l("Reason"), choices=choices([("", _l("Choose…")), *reasons.items()]),
                       validators=[DataRequired(message=_l("Choose a reason."))])


def _note() -> TextAreaField:
    return TextAreaField(_l("Details"), validators=[Optional(), Length(max=300), MULTI_LINE])


class RejectForm(AppForm):
    reason_code = _reason(labels.VOLUNTEER_REJECT_REASONS)
    note = _note()
    submit = SubmitField(_l("Reject the application"))


class SuspendForm(AppForm):
    reason_code = _reason(labels.VOLUNTEER_SUSPEND_REASONS)
    note = _note()
    submit = SubmitField(_l("Suspend"))
