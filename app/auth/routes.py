"""Register, log in, log out, switch language."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..choices import choices
from ..extensions import db, limiter
from ..models import District, User
from ..services.accounts import register_user
from ..services.errors import ValidationFailed
from . import bp
from .forms import LanguageForm, LoginForm, LogoutForm, RegisterForm
from .sessions import is_safe_next, start_session

audit = logging.getLogger("app.audit")


def _login_key() -> str:
    return "login:" + (request.form.get("phone") or "").strip()[:20]


def district_pairs() -> list[tuple[int, str]]:
    rows = db.session.execute(select(District.id, District.name).order_by(District.position))
    return [(i, n) for i, n in rows]


def district_choices():
    return choices([(0, _("Choose…")), *district_pairs()])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per 15 minutes", methods=["POST"], deduct_when=lambda r: r.status_code == 200)
@limiter.limit(
    "10 per 15 minutes", methods=["POST"], key_func=_login_key,
    deduct_when=lambda r: r.status_code == 200,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("menu.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.phone == form.phone.data.strip()))
        if user is not None and user.active and user.check_password(form.password.data):
            target = request.args.get("next")
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            login_user(user, remember=form.remember.data)
            start_session()
            audit.info("login ok user=%s", user.id)
            return redirect(target if is_safe_next(target) else url_for("menu.home"))
        audit.info("login failed")
        flash(_("Wrong mobile number or password."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if LogoutForm().validate_on_submit():
        current_user.rotate_session()
        db.session.commit()
        audit.info("logout user=%s", current_user.id)
        logout_user()
        locale = session.get("locale")
        session.clear()
        if locale:
            session["locale"] = locale
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
            getattr(form, err.field).errors.append(err.message)
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            start_session()
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("menu.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("menu.home"))
