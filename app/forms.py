"""Forms shared by several roles: a reason for closing something, a bare action.

Every form of the app derives from ``AppForm``.
"""

from __future__ import annotations

from functools import cache

from babel.support import Translations
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, Optional

from .choices import choices
from .validators import MULTI_LINE
from .workflow import REASONS


@cache
def wtforms_translations(locale: str) -> Translations:
    """WTForms' own messages in ``locale``, read from its catalog once per process."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


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
