"""补录 in the back office: an administrator other than the proposer approves or rejects proposed hours."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from .. import labels
from ..access import signed_in_user
from ..extensions import db
from ..forms import AppForm
from ..models import HourCorrection
from ..services import corrections
from ..services.errors import ValidationFailed
from ..validators import MULTI_LINE
from . import bp


class DecisionForm(AppForm):
    note = TextAreaField(_l("Note (needed to reject)"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField()


def _prefix(correction_id: int) -> str:
    return f"c{correction_id}"  # one form per proposal on the page, each with ids of its own


def _render(status: int = 200, posted: DecisionForm | None = None, posted_id: int | None = None):
    listed = corrections.listing()
    forms = {c.id: posted if c.id == posted_id else DecisionForm(formdata=None, prefix=_prefix(c.id))
             for c in listed}
    return render_template("admin/corrections.html", corrections=listed, forms=forms,
                           statuses=labels.CORRECTION_STATUSES), status


@bp.route("/corrections")
def corrections_list():
    return _render()


@bp.route("/corrections/<int:correction_id>/<any(approve, reject):decision>", methods=["POST"])
def decide_correction(correction_id: int, decision: str):
    correction = db.session.get(HourCorrection, correction_id) or abort(404)
    form = DecisionForm(prefix=_prefix(correction_id))
    if not form.validate_on_submit():
        return _render(422, form, correction_id)
    note = (form.note.data or "").strip()
    try:
        if decision == "approve":
            corrections.approve(correction, signed_in_user(), note)
        else:
            corrections.reject(correction, signed_in_user(), note)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        for field, message in err.errors:
            if field == "note":
                form.note.errors.append(message)
            else:
                flash(str(message), "danger")
        return _render(409 if err.field is None else 422, form, correction_id)
    flash(_("Approved: the hours are in the volunteer's record.") if decision == "approve"
          else _("Rejected: the proposer can see why."), "success")
    return redirect(url_for("admin.corrections_list"), 303)
