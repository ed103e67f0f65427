"""The back office: home, accounts, settings, the audit log."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import labels
from ..access import signed_in_user
from ..extensions import db
from ..forms import ActionForm
from ..models import User
from ..services import accounts
from ..services.audit import AuditFilter, audit_page, decoded, entries_for
from ..services.backoffice import waiting_counts
from ..services.errors import ValidationFailed
from ..services.settings import current_settings, update_settings
from . import bp
from .forms import AccountSearchForm, AuditFilterForm, RolesForm, SettingsForm

AUDIT_PAGE_SIZE = 50
ACCOUNTS_PAGE_SIZE = 25




@bp.app_template_filter("audit_value")
def audit_value(stored: str | None, action: str) -> str:
    """A stored before/after value as words: an account's roles and states by name, switches as yes/no."""
    value = decoded(stored)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(str(labels.ROLES.get(v, v)) for v in value) or "—"
    if isinstance(value, dict):  # an export's filters
        return "; ".join(f"{k}={v}" for k, v in value.items()) or _("Everything")
    if action.startswith("user."):
        return str(labels.ACCOUNT_STATES.get(value, value))
    return str(value)


@bp.route("/")
def home():
    recent = audit_page(AuditFilter(), per_page=8).entries
    return render_template("admin/home.html", counts=waiting_counts(), recent=recent)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(obj=current_settings())
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            changed = update_settings(form.values(), signed_in_user())
        except ValidationFailed as err:
            db.session.rollback()
            getattr(form, err.field).errors.append(err.message)
        else:
            db.session.commit()
            flash(_("Settings saved. They apply at once.") if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return redirect(url_for("admin.settings"), 303)
    return render_template("admin/settings.html", form=form, history=entries_for("setting")), status


def _clean(field):
    return field.data if field.data and not field.errors else None


@bp.route("/audit")
def audit():
    form = AuditFilterForm(request.args)
    form.validate()
    f = AuditFilter(action=_clean(form.action), target_type=_clean(form.target_type),
                    date_from=_clean(form.date_from), date_to=_clean(form.date_to))
    page = audit_page(f, after=request.args.get("after", type=int), per_page=AUDIT_PAGE_SIZE)
    filters = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("admin/audit.html", form=form, page=page, filters=filters)


@bp.route("/users")
def users():
    form = AccountSearchForm(request.args)
    form.validate()
    f = accounts.AccountFilter(q=(_clean(form.q) or "").strip(), role=_clean(form.role), status=_clean(form.status))
    page = accounts.search_accounts(f, after=request.args.get("after", type=int), per_page=ACCOUNTS_PAGE_SIZE)
    filters = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("admin/users.html", form=form, page=page, filters=filters)


def _account_or_404(user_id: int) -> User:
    account = db.session.get(User, user_id)
    if account is None:
        abort(404)
    return account


def _render_account(account: User, roles_form: RolesForm | None = None, status: int = 200,
                    temporary_password: str | None = None):
    if roles_form is None:
        roles_form = RolesForm(formdata=None, data={"roles": sorted(account.roles)})
    return render_template(
        "admin/user.html", account=account, roles_form=roles_form, action_form=ActionForm(),
        history=entries_for("user", account.id), temporary_password=temporary_password,
    ), status


def _back_to(account: User):
    return redirect(url_for("admin.user", user_id=account.id), 303)


@bp.route("/users/<int:user_id>")
def user(user_id: int):
    return _render_account(_account_or_404(user_id))


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def change_roles(user_id: int):
    account = _account_or_404(user_id)
    form = RolesForm()
    if not form.validate_on_submit():
        return _render_account(account, form, 422)
    try:
        changed = accounts.change_roles(account, form.roles.data, signed_in_user())
    except ValidationFailed as err:
        db.session.rollback()
        form.roles.errors.append(err.message)
        return _render_account(account, form, 409)
    db.session.commit()
    flash(_("Roles saved.") if changed else _("Nothing was changed."), "success" if changed else "info")
    return _back_to(account)


def _act_on(user_id: int, act: Callable[[User, User], bool], done: str):
    """Run a one-button account action and say how it went; a refused one changes nothing."""
    account = _account_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        act(account, signed_in_user())
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _back_to(account)
    db.session.commit()
    flash(done, "success")
    return _back_to(account)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    return _act_on(user_id, accounts.deactivate_account,
                   _("The account is deactivated and signed out everywhere."))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    return _act_on(user_id, accounts.reactivate_account, _("The account can sign in again."))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    """The temporary password is in this response only: not flashed into a cookie, not stored."""
    account = _account_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        password = accounts.reset_password(account, signed_in_user())
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.message, "danger")
        return _back_to(account)
    db.session.commit()
    return _render_account(account, temporary_password=password)
