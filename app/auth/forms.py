"""Sign-up, login, password and language forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..choices import choices
from ..forms import AppForm
from ..validators import SINGLE_LINE, NotCommonPassword

PHONE = Regexp(r"^1[3-9]\d{9}$", message=_l("Enter an 11-digit mobile number."))
PASSWORD_MIN, PASSWORD_MAX = 8, 128


def new_password_validators():
    return [
        DataRequired(),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX, message=_l("8 to 128 characters.")),
        NotCommonPassword(),
    ]


class LoginForm(AppForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20), SINGLE_LINE])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField(_l("Keep me signed in for 30 days"))
    submit = SubmitField(_l("Sign in"))


class RegisterForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=40), SINGLE_LINE])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20), SINGLE_LINE, PHONE])
    unit = StringField(_l("Work unit"), validators=[DataRequired(), Length(max=80), SINGLE_LINE])
    district_id = SelectField(_l("District"), coerce=int, validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=new_password_validators())
    password2 = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create account"))


class PasswordChangeForm(AppForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    password = PasswordField(_l("New password"), validators=new_password_validators())
    password2 = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class NewPasswordForm(AppForm):
    """After a temporary password: the person's own, chosen before anything else."""

    password = PasswordField(_l("New password"), validators=new_password_validators())
    password2 = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Save my new password"))


class MessagesForm(AppForm):
    """How a person hears about their orders besides the app."""

    sms_opt_in = BooleanField(_l("Also send me text messages (reminders, offers, changes to my orders)"))
    email = StringField(_l("Email address"), validators=[Length(max=120), SINGLE_LINE])
    email_opt_in = BooleanField(_l("Also send me the same by email"))
    submit = SubmitField(_l("Save"))


class StartPageForm(AppForm):
    """Where a person holding several roles starts after signing in; the choices are their roles' pages."""

    start_page = SelectField(_l("Where I start after signing in"), validate_choice=False)
    submit = SubmitField(_l("Save"))


class SignOutEverywhereForm(AppForm):
    submit = SubmitField(_l("Sign out on every other device"))


class LogoutForm(AppForm):
    submit = SubmitField(_l("Sign out"))


class LanguageForm(AppForm):
    locale = SelectField(choices=choices([("zh_Hans_CN", "中文"), ("en", "English")]))
