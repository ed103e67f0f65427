"""Register, log in (landing by role), log out, change password, sign out everywhere, switch language."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, fresh_login_required, login_fresh, login_required
from sqlalchemy import select

from .. import labels
from ..access import signed_in_user
from ..choices import choices
from ..extensions import db, limiter
from ..forms import show_errors
from ..models import User
from ..services.accounts import choose_channels, choose_start_page, register_user, start_choices, start_role
from ..services.errors import ValidationFailed
from ..services.places import district_pairs
from . import bp
from .audit import record
from .forms import (
    LanguageForm,
    LoginForm,
    LogoutForm,
    MessagesForm,
    NewPasswordForm,
    PasswordChangeForm,
    RegisterForm,
    SignOutEverywhereForm,
    StartPageForm,
)
from .sessions import begin_session, end_session, is_safe_next, revoke_sessions


def _login_key() -> str:
    return "login:" + (request.form.get("phone") or "").strip()[:20]


def _failed(response) -> bool:
    """Only failed attempts count: a failure re-renders the form (200), success redirects."""
    return response.status_code == 200


# Where each role's work starts; services.accounts.start_role says whose page opens after signing in.
LANDING_PAGES = {"admin": "admin.home", "coordinator": "coordinator.queue", "volunteer": "volunteer.jobs",
                 "requester": "menu.home"}


def landing_url(user) -> str:
    """The page a person's work starts on: the one they chose, else back office, dispatch queue, 我的任务, the menu."""
    return url_for(LANDING_PAGES.get(start_role(user) or "", "menu.home"))


def district_choices(pairs: tuple[tuple[int, str], ...] | None = None):
    """The district select's choices: ``pairs`` (id, name), every district by default, after a prompt."""
    return choices([(0, _("Choose…")), *(district_pairs() if pairs is None else pairs)])


# Per client address and per account, failures only (S11). Production keeps the
# counters in Redis so that every worker sees the same numbers.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", methods=["POST"], deduct_when=_failed)
@limiter.limit("10 per 15 minutes", methods=["POST"], key_func=_login_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated and login_fresh():
        return redirect(landing_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        phone = form.phone.data.strip()
        user = db.session.scalar(select(User).where(User.phone == phone))
        if user is not None and user.active and user.check_password(form.password.data):
            target = request.args.get("next")
            begin_session(user, remember=form.remember.data)
            record("login", "ok", user_id=user.id, remember=bool(form.remember.data))
            return redirect(target if is_safe_next(target) else landing_url(user))
        record("login", "failed", login=phone)
        flash(_("Wrong mobile number or password."), "danger")
    elif form.is_submitted():
        record("login", "failed", login=form.phone.data or "", reason="invalid_form")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if LogoutForm().validate_on_submit():
        user_id = current_user.id
        current_user.rotate_session()
        db.session.commit()
        end_session()
        record("logout", "ok", user_id=user_id)
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    form.district_id.choices = district_choices()
    if form.validate_on_submit():
        try:
            user = register_user(
                name=form.name.data,
                phone=form.phone.data,
                unit=form.unit.data,
                district_id=form.district_id.data,
                password=form.password.data,
            )
        except ValidationFailed as err:
            db.session.rollback()
            getattr(form, err.field).errors.append(err.message)
        else:
            db.session.commit()
            begin_session(user)
            record("register", "ok", user_id=user.id)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("menu.home"))
    return render_template("auth/register.html", form=form)


def _start_form(user: User, form: StartPageForm | None = None) -> StartPageForm | None:
    """The choice of a first page, for someone holding two roles or more (None otherwise)."""
    held = start_choices(user)
    if not held:
        return None
    form = form or StartPageForm(start_page=user.start_page or "")
    form.start_page.choices = choices([("", _("By my roles' priority")),
                                       *((role, labels.START_PAGES[role]) for role in held)])
    return form


def _render_account(password_form=None, status: int = 200, start_form: StartPageForm | None = None,
                    messages_form: MessagesForm | None = None):
    return render_template(
        "auth/account.html",
        password_form=password_form or PasswordChangeForm(),
        everywhere_form=SignOutEverywhereForm(),
        messages_form=messages_form or MessagesForm(sms_opt_in=current_user.sms_opt_in, email=current_user.email,
                                                    email_opt_in=current_user.email_opt_in, formdata=None),
        start_form=_start_form(current_user, start_form),
    ), status


@bp.route("/account")
@login_required
def account():
    return _render_account()


@bp.route("/account/messages", methods=["POST"])
@login_required
def messages():
    form = MessagesForm()
    if form.validate_on_submit():
        user = signed_in_user()
        try:
            choose_channels(user, bool(form.sms_opt_in.data), form.email.data or "", bool(form.email_opt_in.data))
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            db.session.commit()
            flash(_channels_saved(user), "success")
            return redirect(url_for("auth.account"), 303)
    return _render_account(status=422, messages_form=form)


def _channels_saved(user: User) -> str:
    if user.sms_opt_in and user.email_opt_in:
        return _("Saved: you will get text messages and email.")
    if user.email_opt_in:
        return _("Saved: you will get email, no text messages.")
    return _("Saved: you will get text messages.") if user.sms_opt_in else _("Saved: no text messages.")


@bp.route("/account/start-page", methods=["POST"])
@login_required
def start_page():
    user = signed_in_user()
    form = StartPageForm()
    if form.validate_on_submit():
        try:
            choose_start_page(user, form.start_page.data)
        except ValidationFailed as err:
            form.start_page.errors.append(err.message)
        else:
            db.session.commit()
            flash(_("Saved: after signing in you start on %(page)s.", page=labels.START_PAGES[start_role(user)])
                  if user.start_page else _("Saved: after signing in your roles' priority decides."), "success")
            return redirect(url_for("auth.account"), 303)
    return _render_account(status=422, start_form=form)


@bp.route("/account/password", methods=["POST"])
@fresh_login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = signed_in_user()  # the account itself, not the proxy
        if not user.check_password(form.current.data):
            form.current.errors.append(_("This is not your current password."))
            record("password_change", "failed", user_id=current_user.id)
            return _render_account(form, 422)
        user.set_password(form.password.data)  # rotates the session token too
        db.session.commit()
        begin_session(user, remember=bool(session.get("remember")))
        record("password_change", "ok", user_id=user.id)
        flash(_("Your password was changed. Other devices are signed out."), "success")
        return redirect(url_for("auth.account"), 303)
    return _render_account(form, 422)


@bp.route("/account/new-password", methods=["GET", "POST"])
@login_required
def new_password():
    """The password to choose after a temporary one; nobody else comes here (no current password asked)."""
    if not current_user.must_change_password:
        return redirect(url_for("auth.account"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        user = signed_in_user()
        user.set_password(form.password.data)  # rotates the session token and clears the pending change
        db.session.commit()
        begin_session(user, remember=bool(session.get("remember")))
        record("password_change", "ok", user_id=user.id, after_reset=True)
        flash(_("Your new password is saved."), "success")
        return redirect(landing_url(user), 303)
    return render_template("auth/new_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    if not SignOutEverywhereForm().validate_on_submit():
        return _render_account(status=400)
    user = signed_in_user()
    revoke_sessions(user)
    db.session.commit()
    # This device stays signed in, on the new token, but no longer remembered.
    begin_session(user, remember=False)
    record("sign_out_everywhere", "ok", user_id=user.id)
    flash(_("Every other device is signed out."), "success")
    return redirect(url_for("auth.account"), 303)


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("menu.home"))
