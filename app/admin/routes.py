"""The back office: home, settings, the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import labels
from ..extensions import db
from ..models import User
from ..services.audit import AuditFilter, audit_page, decoded, entries_for
from ..services.backoffice import waiting_counts
from ..services.errors import ValidationFailed
from ..services.settings import current_settings, update_settings
from . import bp
from .forms import AuditFilterForm, SettingsForm

AUDIT_PAGE_SIZE = 50


def _me() -> User:
    """The signed-in administrator as a row of this session (no query: already loaded)."""
    return db.session.get(User, current_user.id)


@bp.app_template_filter("audit_value")
def audit_value(stored: str | None, action: str) -> str:
    """A stored before/after value as words: roles by name, switches as yes/no, none as a dash."""
    value = decoded(stored)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        names = labels.ROLES if action == "user.roles" else {}
        return "、".join(str(names.get(v, v)) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
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
            changed = update_settings(form.values(), _me())
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
