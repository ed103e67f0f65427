"""The back office's menu forms: a service with its delivery rules, a category."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .. import labels
from ..choices import choices
from ..forms import AppForm, checkboxes
from ..models.menu import DeliveredBy, DispatchMode
from ..services.menu_admin import CANCEL_OPEN_ORDERS, KEEP_OPEN_ORDERS
from ..validators import MULTI_LINE, SINGLE_LINE

# The icons a category may show (drawn from the sprite; see assets/icons.txt).
CATEGORY_ICONS = ("buildings", "heart", "megaphone", "mortarboard", "palette", "tree", "people", "award")


def _minutes(label, low: int = 15, high: int = 720, required: bool = False, default: int | None = None) -> IntegerField:
    first = InputRequired(message=_l("Enter a number.")) if required else Optional()
    return IntegerField(label, default=default, validators=[
        first, NumberRange(min=low, max=high, message=_l("Between %(low)s and %(high)s.", low=low, high=high)),
    ])


class ServiceForm(AppForm):
    category_id = SelectField(_l("Category"), coerce=int, validators=[DataRequired(message=_l("Choose a category."))])
    name = StringField(_l("Name of the service"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=60), SINGLE_LINE])
    summary = StringField(_l("One line for the menu"), validators=[Optional(), Length(max=200), SINGLE_LINE])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000), MULTI_LINE])
    duration_minutes = _minutes(_l("Usual length (minutes)"), required=True, default=90)
    min_duration_minutes = _minutes(_l("Shortest (minutes)"))
    max_duration_minutes = _minutes(_l("Longest (minutes)"))
    earliest_start = TimeField(_l("Not before"), validators=[Optional()])
    latest_end = TimeField(_l("Not after"), validators=[Optional()])
    default_volunteers = IntegerField(_l("Volunteers per order"), default=1, validators=[
        InputRequired(message=_l("Enter a number.")),
        NumberRange(min=1, max=20, message=_l("Between %(low)s and %(high)s.", low=1, high=20))])
    min_notice_days = IntegerField(_l("Minimum notice (days)"), default=3, validators=[
        InputRequired(message=_l("Enter a number.")),
        NumberRange(min=0, max=60, message=_l("Between %(low)s and %(high)s.", low=0, high=60))])
    audience_limit = IntegerField(_l("Largest audience"), default=100, validators=[
        InputRequired(message=_l("Enter a number.")),
        NumberRange(min=1, max=100000, message=_l("Between %(low)s and %(high)s.", low=1, high=100000))])
    online = BooleanField(_l("Delivered online"))
    dispatch_mode = SelectField(_l("How orders reach volunteers"),
                                choices=choices(list(labels.DISPATCH_MODES.items())),
                                default=DispatchMode.DISPATCH.value)
    district_ids = checkboxes(_l("Districts it is offered in (none: every district)"))
    delivered_by = SelectField(_l("Who may deliver it"), choices=choices(list(labels.DELIVERED_BY.items())),
                               default=DeliveredBy.LISTED.value)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        from ..services.menu_admin import SERVICE_FIELDS

        values = {key: getattr(self, key).data for key in SERVICE_FIELDS}
        for key in ("name", "summary", "description"):
            values[key] = (values[key] or "").strip()
        values["online"] = bool(values["online"])
        values["district_ids"] = sorted(self.district_ids.data or [])
        return values

    def version_seen(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None


class CategoryForm(AppForm):
    name = StringField(_l("Name of the category"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=40), SINGLE_LINE])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000), MULTI_LINE])
    icon = SelectField(_l("Icon"), choices=choices((i, i) for i in CATEGORY_ICONS), default="heart")
    dispatch_target_hours = _minutes(_l("Time limit to dispatch (working hours)"), low=1, high=720)
    accept_target_hours = _minutes(_l("Time limit to fill the crew (working hours)"), low=1, high=720)
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        return {"name": self.name.data.strip(), "description": (self.description.data or "").strip(),
                "icon": self.icon.data, "dispatch_target_hours": self.dispatch_target_hours.data,
                "accept_target_hours": self.accept_target_hours.data}


class RetireForm(AppForm):
    """Retiring a service that still has open orders: what happens to them."""

    open_orders = RadioField(_l("What happens to them"), choices=choices([
        (KEEP_OPEN_ORDERS, _l("They go on as booked: only new orders stop")),
        (CANCEL_OPEN_ORDERS, _l("Cancel those not yet under way: the requesters and volunteers are told")),
    ]), validators=[DataRequired(message=_l("Choose what happens to the open orders."))])
    note = TextAreaField(_l("Note to the requesters (optional)"),
                         validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Retire the service"))
