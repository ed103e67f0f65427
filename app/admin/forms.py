"""The back office's forms: settings, accounts, the audit log's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import labels
from ..choices import choices
from ..forms import AppForm
from ..services.settings import BOUNDS, MAX_LENGTH, TEXT_RULES
from ..validators import MULTI_LINE, SINGLE_LINE


def _hours_or_days(key: str) -> IntegerField:
    low, high = BOUNDS[key]
    return IntegerField(labels.SETTINGS[key], validators=[
        InputRequired(message=_l("Enter a number.")),
        NumberRange(min=low, max=high, message=_l("Between %(low)s and %(high)s.", low=low, high=high)),
    ])


def _well_formed(key: str):
    """The settings service's own rule for ``key`` (``TEXT_RULES``), as a field validator."""
    well_formed, message = TEXT_RULES[key]

    def check(_form, field) -> None:
        if field.data and not well_formed(field.data.strip()):
            raise ValidationError(message)

    return check


def _text(key: str, *extra) -> StringField:
    return StringField(labels.SETTINGS[key], validators=[Optional(), Length(max=MAX_LENGTH[key]), SINGLE_LINE, *extra])


class SettingsForm(AppForm):
    """One field per setting, named as the setting (``services.settings.CenterSettings``)."""

    dispatch_deadline_hours = _hours_or_days("dispatch_deadline_hours")
    offer_deadline_hours = _hours_or_days("offer_deadline_hours")
    accept_target_hours = _hours_or_days("accept_target_hours")
    work_days = StringField(labels.SETTINGS["work_days"], validators=[
        InputRequired(message=_l("Enter the working weekdays.")), Length(max=MAX_LENGTH["work_days"]),
        _well_formed("work_days")])
    work_hours = StringField(labels.SETTINGS["work_hours"], validators=[
        InputRequired(message=_l("Enter the working hours.")), Length(max=MAX_LENGTH["work_hours"]),
        _well_formed("work_hours")])
    holidays = TextAreaField(labels.SETTINGS["holidays"], validators=[
        Optional(), Length(max=MAX_LENGTH["holidays"]), MULTI_LINE, _well_formed("holidays")])
    auto_confirm_days = _hours_or_days("auto_confirm_days")
    check_in_opens_minutes = _hours_or_days("check_in_opens_minutes")
    hours_tolerance_minutes = _hours_or_days("hours_tolerance_minutes")
    claim_limit = _hours_or_days("claim_limit")
    center_name = StringField(labels.SETTINGS["center_name"], validators=[
        InputRequired(message=_l("Enter the center's name.")), Length(max=MAX_LENGTH["center_name"]), SINGLE_LINE])
    issuer_head = _text("issuer_head")
    issuer_handler = _text("issuer_handler")
    issuer_phone = _text("issuer_phone", Regexp(r"^[0-9+\-() ]*$", message=_l("Digits, spaces and - only.")))
    requester_approval = BooleanField(labels.SETTINGS["requester_approval"])
    volunteer_changes_need_approval = BooleanField(labels.SETTINGS["volunteer_changes_need_approval"])
    submit = SubmitField(_l("Save settings"))

    def values(self) -> dict[str, object]:
        return {name: field.data for name, field in self._fields.items() if name in labels.SETTINGS}


class AuditFilterForm(AppForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = SelectField(_l("Action"), validators=[Optional()],
                         choices=choices([("", _l("All")), *labels.AUDIT_ACTIONS.items()]))
    target_type = SelectField(_l("About"), validators=[Optional()],
                              choices=choices([("", _l("All")), *labels.AUDIT_TARGETS.items()]))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])


class AccountSearchForm(AppForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Name or mobile number"), validators=[Optional(), Length(max=40), SINGLE_LINE])
    role = SelectField(_l("Role"), validators=[Optional()],
                       choices=choices([("", _l("All")), *labels.ROLES.items()]))
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=choices([("", _l("All")), ("active", _l("Active")), ("inactive", _l("Deactivated"))]))


class RolesForm(AppForm):
    roles = SelectMultipleField(
        _l("Roles"), choices=choices(labels.ROLES.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        validators=[DataRequired(message=_l("Keep at least one role."))],
    )
    submit = SubmitField(_l("Save roles"))
