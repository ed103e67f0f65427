"""The volunteer application and profile: what they deliver, where, when, and who they are."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import labels
from ..choices import choices
from ..extensions import db
from ..forms import AppForm, checkboxes
from ..id_numbers import normalized, resident_id_problem
from ..models import Category, District, Service, ServiceStatus
from ..models.users import PERIODS, availability_bit
from ..services.volunteers import VolunteerDetails
from ..validators import MULTI_LINE, SINGLE_LINE

MAX_AWAY_LINES = 30
MAX_AWAY_DAYS = 366
_AWAY_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:~|～|至|-{2}|到)\s*(\d{4}-\d{2}-\d{2}))?$")


def parse_away(text: str) -> list[tuple[date, date]]:
    """Dates away, one a line: 2026-12-24, or a range 2026-12-24~2027-01-02. ValueError names the line."""
    found = []
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_AWAY_LINES:
        raise ValueError(_l("At most %(n)s lines.", n=MAX_AWAY_LINES))
    for n, line in enumerate(lines, start=1):
        match = _AWAY_LINE.match(line)
        try:
            first = date.fromisoformat(match.group(1)) if match else None
            last = date.fromisoformat(match.group(2)) if match and match.group(2) else first
        except ValueError:
            first = None
        if first is None or last < first or last - first > timedelta(days=MAX_AWAY_DAYS):
            raise ValueError(_l("Line %(n)s: write a date as 2026-12-24 or a range as 2026-12-24~2026-12-31.", n=n))
        found.append((first, last))
    return found


def away_text(profile) -> str:
    return "\n".join(a.starts_on.isoformat() if a.starts_on == a.ends_on
                     else f"{a.starts_on.isoformat()}~{a.ends_on.isoformat()}" for a in profile.away)


def grid_value(availability: int) -> list[int]:
    """The checked boxes of the grid: one number a bit (``availability_bit``)."""
    bits = (availability_bit(d, p) for d in range(7) for p in range(len(PERIODS)))
    return [bit for bit in bits if availability & bit]


class ProfileForm(AppForm):
    """What an approved volunteer edits: services, categories, districts, the grid, dates away, skills."""

    services = checkboxes(_l("Services I can deliver"))
    categories = checkboxes(_l("Whole categories I can deliver"))
    districts = checkboxes(_l("Districts I serve (none: anywhere)"))
    availability = checkboxes(_l("When I am usually free"))
    away = TextAreaField(_l("Dates away"), validators=[Optional(), Length(max=1000), MULTI_LINE])
    skills = TextAreaField(_l("Skills"), validators=[Optional(), Length(max=500), MULTI_LINE])
    certificates = TextAreaField(_l("Certificates"), validators=[Optional(), Length(max=500), MULTI_LINE])
    bio = TextAreaField(_l("About me"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Save my profile"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        published = db.session.scalars(select(Service).where(Service.status == ServiceStatus.PUBLISHED,
                                                                  Service.one_off.is_(False))
                                       .order_by(Service.category_id, Service.position))
        self.services.choices = choices((s.id, s.name) for s in published)
        self.categories.choices = choices((c.id, c.name) for c in db.session.scalars(
            select(Category).order_by(Category.position)))
        self.districts.choices = choices((d.id, d.name) for d in db.session.scalars(
            select(District).order_by(District.position)))
        self.availability.choices = choices((availability_bit(d, p), f"{d}-{p}")
                                            for d in range(7) for p in range(len(PERIODS)))

    def validate_away(self, field) -> None:
        try:
            parse_away(field.data)
        except ValueError as err:
            raise ValidationError(str(err)) from err

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.services.data or self.categories.data):
            self.categories.errors = [*self.categories.errors,
                                      _l("Choose at least one service or category you can deliver.")]
            return False
        return valid

    def details(self) -> VolunteerDetails:
        def rows(model, ids):
            return list(db.session.scalars(select(model).where(model.id.in_(ids or [])))) if ids else []

        return VolunteerDetails(
            services=rows(Service, self.services.data), categories=rows(Category, self.categories.data),
            districts=rows(District, self.districts.data), availability=sum(set(self.availability.data or [])),
            away=parse_away(self.away.data), skills=(self.skills.data or "").strip(),
            certificates=(self.certificates.data or "").strip(), bio=(self.bio.data or "").strip(),
        )

    def fill_from(self, profile) -> None:
        self.services.data = [s.id for s in profile.services]
        self.categories.data = [c.id for c in profile.categories]
        self.districts.data = [d.id for d in profile.districts]
        self.availability.data = grid_value(profile.availability)
        self.away.data = away_text(profile)
        self.skills.data, self.certificates.data, self.bio.data = profile.skills, profile.certificates, profile.bio


class ApplyForm(ProfileForm):
    real_name = StringField(_l("Real name"), validators=[
        DataRequired(message=_l("Enter your name as on your ID.")), Length(max=40), SINGLE_LINE])
    id_type = SelectField(_l("ID type"), choices=choices([("", _l("Choose…")), *labels.ID_TYPES.items()]),
                          validators=[DataRequired(message=_l("Choose the type of your ID."))])
    id_number = StringField(_l("ID number"), filters=[normalized], validators=[
        DataRequired(message=_l("Enter your ID number.")), Length(min=5, max=30), SINGLE_LINE])
    submit = SubmitField(_l("Send my application"))

    def validate_id_number(self, field) -> None:
        if self.id_type.data == "resident_id":
            problem = resident_id_problem(field.data or "")
            if problem == "format":
                raise ValidationError(_l("A resident ID number has 18 characters: 17 digits, then a digit or X."))
            if problem == "birth":
                raise ValidationError(_l("The date of birth in this number does not exist."))
            if problem == "check":
                raise ValidationError(_l("This number's check digit is wrong: check it against your card."))
        elif not re.fullmatch(r"[0-9A-Z()\-]+", field.data or ""):
            raise ValidationError(_l("Letters, digits and - only."))

    def details(self) -> VolunteerDetails:
        details = super().details()
        details.real_name = self.real_name.data.strip()
        details.id_type, details.id_number = self.id_type.data, self.id_number.data
        return details
