"""The order form and the rating form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..auth.forms import PHONE
from ..choices import choices
from ..forms import AppForm
from ..services import orders as order_service
from ..validators import MULTI_LINE, SINGLE_LINE


class OrderForm(AppForm):
    service_date = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date."))])
    start_time = TimeField(_l("From"), validators=[DataRequired(message=_l("Choose a time."))])
    end_time = TimeField(_l("Until"), validators=[DataRequired(message=_l("Choose a time."))])
    district_id = SelectField(
        _l("District"), coerce=int,
        validators=[DataRequired(message=_l("Choose a district."))],
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200), SINGLE_LINE])
    unit = StringField(_l("Work unit"), validators=[DataRequired(), Length(max=80), SINGLE_LINE])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=40), SINGLE_LINE])
    contact_phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=20), SINGLE_LINE, PHONE])
    audience_size = IntegerField(
        _l("Audience size"),
        validators=[DataRequired(message=_l("Enter a number.")), NumberRange(min=1, max=10000)],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500), MULTI_LINE])
    form_token = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    again = BooleanField()  # "order again": the requester saw the same order placed a moment ago
    submit = SubmitField(_l("Place order"))

    def add_rule_errors(self, service) -> None:
        """The service's rules checked on every value that parsed, beside the form's own messages."""
        def parsed(field):
            return field.data if not field.errors else None

        for name, message in order_service.rule_errors(
            service, service_date=parsed(self.service_date), start_time=parsed(self.start_time),
            end_time=parsed(self.end_time), district_id=parsed(self.district_id),
            audience_size=parsed(self.audience_size),
        ):
            getattr(self, name).errors = [*getattr(self, name).errors, message]

    def order_request(self, service) -> order_service.OrderRequest:
        return order_service.OrderRequest(
            service_id=service.id, service_date=self.service_date.data, start_time=self.start_time.data,
            end_time=self.end_time.data, district_id=self.district_id.data, address=self.address.data,
            contact_name=self.contact_name.data, contact_phone=self.contact_phone.data,
            audience_size=self.audience_size.data, unit=self.unit.data, note=self.note.data or "",
            form_token=self.form_token.data,
        )


class RatingForm(AppForm):
    stars = RadioField(
        _l("Rating"),
        choices=choices((str(n), str(n)) for n in range(5, 0, -1)),
        validators=[DataRequired(message=_l("Choose 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Submit rating"))
