"""Sign-up, login and language forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..choices import choices

PHONE = Regexp(r"^1[3-9]\d{9}$", message=_l("Enter an 11-digit mobile number."))


class LoginForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in for 30 days"))
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), PHONE])
    unit = StringField(_l("Work unit"), validators=[DataRequired(), Length(max=80)])
    district_id = SelectField(_l("District"), coerce=int, validators=[DataRequired()])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=8, max=128, message=_l("8 to 128 characters."))],
    )
    password2 = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create account"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class LanguageForm(FlaskForm):
    locale = SelectField(choices=choices([("zh_Hans_CN", "中文"), ("en", "English")]))
