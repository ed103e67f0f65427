"""Forms shared by several roles: a reason for closing something, a bare action.

Every form of the app derives from ``AppForm``.
"""

from __future__ import annotations

from functools import cache

from babel.support import Translations
from flask import flash
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .choices import choices
from .validators import MULTI_LINE
from .workflow import BY_HAND_REASONS, DISPUTE_REASONS, REASONS, RESOLUTIONS


def show_errors(form, err) -> int:
    """A service's refusal (``ValidationFailed``) on its form: each message beside its field, one about the
    whole form (someone else acted first) as a flash. The status to answer: 409 for the latter, else 422."""
    status = 422
    for field, message in err.errors:
        if field is not None and field in form:
            form[field].errors.append(message)
        else:
            flash(str(message), "danger")
            status = 409
    return status


@cache
def wtforms_translations(locale: str) -> Translations:
    """WTForms' own messages in ``locale``, read from its catalog once per process."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


def checkboxes(label) -> SelectMultipleField:
    """A choice of several ids, as checkboxes (``checkbox_group`` in the macros draws them); none is fine."""
    return SelectMultipleField(label, coerce=int, widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput(), validators=[Optional()])


class AppForm(FlaskForm):
    """Flask-WTF reads WTForms' message catalog from disk for every request
    that builds a form; here it is read once per language."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations(str(get_locale()))


class ActionForm(AppForm):
    """A button that changes something: only the CSRF token."""

    submit = SubmitField()


class ReasonForm(AppForm):
    reason_code = SelectField(
        _l("Reason"),
        choices=choices([("", _l("Choose…")), *REASONS.items()]),
        validators=[DataRequired(message=_l("Choose a reason."))],
    )
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Confirm"))


def reason_form_for(action: str, role: str, **kwargs) -> ReasonForm:
    """A reason form offering only the reasons that fit ``action`` done as ``role``."""
    from .workflow import reasons_for

    form = ReasonForm(**kwargs)
    form.reason_code.choices = choices([("", _l("Choose…")), *reasons_for(action, role).items()])
    form.action = action
    return form


class DisputeForm(ReasonForm):
    """服务有问题: what went wrong, told to the center."""

    reason_code = SelectField(
        _l("What went wrong"),
        choices=choices([("", _l("Choose…")), *DISPUTE_REASONS.items()]),
        validators=[DataRequired(message=_l("Choose a reason."))],
    )
    submit = SubmitField(_l("Report the problem"))


class ResolveForm(AppForm):
    """How the center decides a dispute: the hours as logged, adjusted, or none; always with a reason."""

    reason_code = SelectField(
        _l("Decision"),
        choices=choices([("", _l("Choose…")), *RESOLUTIONS.items()]),
        validators=[DataRequired(message=_l("Choose a decision."))],
    )
    hours = DecimalField(_l("Hours for each volunteer"), places=1,
                         validators=[Optional(), NumberRange(min=0.5, max=24, message=_l("Between 0.5 and 24."))])
    note = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Say why.")), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Decide"))


class CheckInByHandForm(ReasonForm):
    """The center checks a volunteer in by hand: why, marked on the record."""

    reason_code = SelectField(
        _l("Why by hand"),
        choices=choices([("", _l("Choose…")), *BY_HAND_REASONS.items()]),
        validators=[DataRequired(message=_l("Choose a reason."))],
    )
    submit = SubmitField(_l("Check in"))
