"""Applying to volunteer (any signed-in person) and the volunteer's own profile."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..access import role_required, signed_in_user
from ..extensions import db
from ..services import volunteers
from ..services.errors import ValidationFailed
from . import bp
from .profile_forms import ApplyForm, ProfileForm


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    """The application form; once sent, where it stands. A volunteer already goes to their profile."""
    me = signed_in_user()
    profile = me.profile
    if profile is not None and profile.state in ("approved", "suspended"):
        return redirect(url_for("volunteer.profile"), 303)
    if profile is not None and profile.state == "pending":
        if ApplyForm().is_submitted():
            abort(409)
        return render_template("volunteer/apply.html", form=None, profile=profile)
    form = ApplyForm()
    if not form.is_submitted() and profile is not None:  # rejected: start from what they sent
        form.fill_from(profile)
        form.real_name.data, form.id_type.data = profile.real_name, profile.id_type
    if form.validate_on_submit():
        try:
            volunteers.apply(me, form.details())
        except ValidationFailed as err:
            db.session.rollback()
            flash(err.message, "danger")
            return redirect(url_for("volunteer.apply"), 303)
        db.session.commit()
        flash(_("Thank you! Your application is waiting for the center's approval."), "success")
        return redirect(url_for("volunteer.apply"), 303)
    status = 422 if form.is_submitted() else 200
    rejected = profile is not None and profile.state == "rejected"
    return render_template("volunteer/apply.html", form=form, profile=profile, rejected=rejected), status


@bp.route("/profile", methods=["GET", "POST"])
@role_required("volunteer")
def profile():
    me = signed_in_user()
    mine = me.profile
    if mine is None:
        return redirect(url_for("volunteer.apply"), 303)
    form = ProfileForm()
    if not form.is_submitted():
        form.fill_from(mine)
    if form.validate_on_submit():
        back_to_review = volunteers.update_profile(mine, form.details(), me)
        db.session.commit()
        if back_to_review:
            flash(_("Saved. Your new services or districts wait for the center's approval."), "warning")
        else:
            flash(_("Your profile is saved."), "success")
        return redirect(url_for("volunteer.profile"), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("volunteer/profile.html", form=form, profile=mine), status
