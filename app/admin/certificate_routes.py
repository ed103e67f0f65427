"""志愿服务记录证明 in the back office: issue a record for a volunteer and a period, print it, revoke it."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..access import signed_in_user
from ..dates import BEIJING
from ..extensions import db
from ..forms import AppForm, show_errors
from ..models import ServiceCertificate, VolunteerProfile
from ..models.base import utcnow
from ..services import certificates
from ..services.errors import ValidationFailed
from ..validators import MULTI_LINE, SINGLE_LINE
from . import bp


class IssueForm(AppForm):
    period_start = DateField(_l("From"), validators=[DataRequired(message=_l("Choose a date."))])
    period_end = DateField(_l("Until"), validators=[DataRequired(message=_l("Choose a date."))])
    note = TextAreaField(_l("Explanation (说明)"), validators=[Optional(), Length(max=300), MULTI_LINE])
    submit = SubmitField(_l("Issue the record"))


class RevokeForm(AppForm):
    reason = StringField(_l("Why it no longer stands"), validators=[
        DataRequired(message=_l("Say why the record no longer stands.")), Length(max=300), SINGLE_LINE])
    submit = SubmitField(_l("Revoke"))


def _profile_or_404(profile_id: int) -> VolunteerProfile:
    return db.session.get(VolunteerProfile, profile_id) or abort(404)


@bp.route("/volunteers/<int:profile_id>/certificates/new", methods=["GET", "POST"])
def issue_certificate(profile_id: int):
    profile = _profile_or_404(profile_id)
    today = utcnow().astimezone(BEIJING).date()
    form = IssueForm(data={"period_start": date(today.year, 1, 1), "period_end": today})
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            made = certificates.issue(signed_in_user(), profile, form.period_start.data,
                                      form.period_end.data, form.note.data or "")
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Issued: record %(n)s.", n=made.number), "success")
            return redirect(url_for("admin.certificate", certificate_id=made.id), 303)
    return render_template("admin/certificate_new.html", profile=profile, form=form,
                           missing=certificates.missing(profile),
                           issued=certificates.of_volunteer(profile.user_id)), status


def _certificate_or_404(certificate_id: int) -> ServiceCertificate:
    return db.session.get(ServiceCertificate, certificate_id) or abort(404)


@bp.route("/certificates/<int:certificate_id>")
def certificate(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    context = certificates.page_context(found)
    return render_template("certificates/certificate.html", certificate=found, revoke_form=RevokeForm(formdata=None),
                           pdf_url=url_for("admin.certificate_pdf", certificate_id=found.id),
                           evidence=certificates.evidence(context["lines"], found.volunteer_id), **context)


@bp.route("/certificates/<int:certificate_id>.pdf")
def certificate_pdf(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    from ..services import pdf  # WeasyPrint loads Pango: only where a PDF is asked for

    return pdf.record(found)


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
def revoke_certificate(certificate_id: int):
    found = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            certificates.revoke(signed_in_user(), found, form.reason.data)
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            flash(str(err.message), "danger")
        else:
            flash(_("Revoked: its verification page says so from now on."), "success")
            return redirect(url_for("admin.certificate", certificate_id=certificate_id), 303)
    return render_template("certificates/certificate.html", certificate=found, revoke_form=form,
                           pdf_url=url_for("admin.certificate_pdf", certificate_id=found.id),
                           **certificates.page_context(found)), 422

