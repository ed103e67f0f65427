"""The back office's volunteers: the application queue, approve, reject, suspend, resume, the ID number."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import labels
from ..access import signed_in_user
from ..extensions import db
from ..forms import ActionForm
from ..models import User, VolunteerProfile
from ..services import volunteers
from ..services.audit import decoded, entries_for
from ..services.errors import ValidationFailed
from . import bp
from .volunteer_forms import RejectForm, SuspendForm


@bp.app_template_filter("volunteer_audit_value")
def volunteer_audit_value(stored: str | None) -> str:
    """A volunteer's audit value in words: the state, the reason, what they deliver and where."""
    value = decoded(stored)
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return str(labels.VOLUNTEER_STATES.get(value, value))
    parts = []
    for key, item in value.items():
        if key == "status":
            parts.append(str(labels.VOLUNTEER_STATES.get(item, item)))
        elif key == "reason":
            reasons = {**labels.VOLUNTEER_REJECT_REASONS, **labels.VOLUNTEER_SUSPEND_REASONS}
            parts.append(str(reasons.get(item, item)))
        elif key == "availability":
            parts.append(_("%(n)s periods a week", n=bin(item or 0).count("1")))
        elif isinstance(item, list):
            parts.append("、".join(map(str, item)) or "—")
        elif item:
            parts.append(str(item))
    return "; ".join(parts)




def _profile_or_404(profile_id: int) -> VolunteerProfile:
    profile = db.session.get(VolunteerProfile, profile_id)
    if profile is None:
        abort(404)
    return profile


@bp.route("/volunteers")
def volunteers_list():
    state = request.args.get("state", "pending")
    if state not in labels.VOLUNTEER_STATES:
        state = "pending"
    return render_template("admin/volunteers/list.html", state=state, profiles=volunteers.applications(state))


def _render(profile: VolunteerProfile, status: int = 200, revealed: str | None = None, **forms):
    forms.setdefault("reject_form", RejectForm(formdata=None))
    forms.setdefault("suspend_form", SuspendForm(formdata=None))
    return render_template("admin/volunteers/detail.html", profile=profile, action_form=ActionForm(),
                           decisions=volunteers.decisions(profile), reason=volunteers.decision_reason(profile),
                           history=entries_for("volunteer", profile.id), revealed=revealed, **forms), status


@bp.route("/volunteers/<int:profile_id>")
def volunteer(profile_id: int):
    return _render(_profile_or_404(profile_id))


def _decide(profile_id: int, act: Callable[[VolunteerProfile, User], None], done: str):
    """Run one decision on an application; a decision the state no longer allows answers 409."""
    profile = _profile_or_404(profile_id)
    try:
        act(profile, signed_in_user())
        db.session.commit()
    except (ValidationFailed, IntegrityError) as err:  # moved on, or a number given at the same moment
        db.session.rollback()
        flash(err.message if isinstance(err, ValidationFailed)
              else _("Someone else changed this volunteer at the same time; try again."), "danger")
        return _render(_profile_or_404(profile_id), 409)
    flash(done, "success")
    return redirect(url_for("admin.volunteer", profile_id=profile.id), 303)


def _button_pressed() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/volunteers/<int:profile_id>/approve", methods=["POST"])
def approve_volunteer(profile_id: int):
    _button_pressed()
    return _decide(profile_id, volunteers.approve, _("Approved. The volunteer number is given and they are told."))


@bp.route("/volunteers/<int:profile_id>/resume", methods=["POST"])
def resume_volunteer(profile_id: int):
    _button_pressed()
    return _decide(profile_id, volunteers.resume, _("The volunteer may be suggested and offered orders again."))


def _with_reason(profile_id: int, form_class, act, done: str, form_name: str):
    form = form_class()
    if not form.validate_on_submit():
        return _render(_profile_or_404(profile_id), 422, **{form_name: form})
    return _decide(profile_id, lambda p, me: act(p, me, form.reason_code.data, (form.note.data or "").strip()),
                   done)


@bp.route("/volunteers/<int:profile_id>/reject", methods=["POST"])
def reject_volunteer(profile_id: int):
    return _with_reason(profile_id, RejectForm, volunteers.reject,
                        _("The application is rejected and the person told."), "reject_form")


@bp.route("/volunteers/<int:profile_id>/suspend", methods=["POST"])
def suspend_volunteer(profile_id: int):
    return _with_reason(profile_id, SuspendForm, volunteers.suspend,
                        _("Suspended: never suggested nor offered until resumed."), "suspend_form")


@bp.route("/volunteers/<int:profile_id>/id-number", methods=["POST"])
def reveal_id_number(profile_id: int):
    """The full ID number, in this response only, and written to the audit log."""
    _button_pressed()
    profile = _profile_or_404(profile_id)
    number = volunteers.reveal_id(profile, signed_in_user())
    db.session.commit()
    return _render(profile, revealed=number)
