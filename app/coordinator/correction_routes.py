"""补录 at the desk: a coordinator proposes hours for a volunteer, and follows their decision."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, DecimalField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from .. import labels
from ..access import role_required, signed_in_user
from ..extensions import db
from ..forms import AppForm
from ..services import corrections
from ..services.errors import ValidationFailed
from ..validators import MULTI_LINE, SINGLE_LINE
from . import bp


class CorrectionForm(AppForm):
    volunteer = StringField(_l("Volunteer number or phone"), validators=[
        DataRequired(message=_l("Who are the hours for?")), Length(max=20), SINGLE_LINE])
    served_on = DateField(_l("Date of the service"), validators=[DataRequired(message=_l("Choose a date."))])
    hours = DecimalField(_l("Hours"), places=1, validators=[
        InputRequired(message=_l("Enter a number.")),
        NumberRange(min=0.5, max=12, message=_l("Between %(low)s and %(high)s.", low="0.5", high=12))])
    activity = StringField(_l("What the service was"), validators=[
        DataRequired(message=_l("Say what the service was.")), Length(max=100), SINGLE_LINE])
    reason = TextAreaField(_l("Why it was not recorded at the time"), validators=[
        DataRequired(message=_l("Give the reason.")), Length(max=500), MULTI_LINE])
    evidence = TextAreaField(_l("Evidence"), validators=[
        DataRequired(message=_l("Say where the proof is (a sign-in sheet, photos, a witness).")),
        Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Propose for approval"))

    def proposal(self) -> corrections.Proposal:
        return corrections.Proposal(
            volunteer=self.volunteer.data, served_on=self.served_on.data, hours=self.hours.data,
            activity=self.activity.data.strip(), reason=self.reason.data.strip(), evidence=self.evidence.data.strip())


@bp.route("/corrections", methods=["GET", "POST"])
@role_required("coordinator")
def corrections_page():
    """Propose hours (补录) and see one's own proposals with their decisions."""
    form = CorrectionForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            corrections.propose(signed_in_user(), form.proposal())
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            for field, message in err.errors:
                getattr(form, field).errors.append(message)
        else:
            flash(_("Proposed. An administrator approves or rejects it; the hours count once approved."),
                  "success")
            return redirect(url_for("coordinator.corrections_page"), 303)
    mine = corrections.listing(proposed_by=current_user)
    return render_template("coordinator/corrections.html", form=form, corrections=mine,
                           statuses=labels.CORRECTION_STATUSES), status
