"""Forms shared by several roles: a reason for closing something, a bare action."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .choices import choices
from .validators import MULTI_LINE
from .workflow import REASONS


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""

    submit = SubmitField()


class ReasonForm(FlaskForm):
    reason_code = SelectField(
        _l("Reason"),
        choices=choices([("", _l("Choose…")), *REASONS.items()]),
        validators=[DataRequired(message=_l("Choose a reason."))],
    )
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Confirm"))
