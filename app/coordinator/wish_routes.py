"""心愿 at the desk: the wishes waiting, each answered with a reason or turned into an order."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from ..access import role_required, signed_in_user
from ..choices import choices
from ..extensions import db
from ..forms import AppForm
from ..models import Wish
from ..services import wishes
from ..services.errors import ValidationFailed
from ..services.menu import services_by_category
from ..validators import MULTI_LINE
from . import bp


class ConvertForm(AppForm):
    service_id = SelectField(_l("Service on the menu"), coerce=int,
                             validators=[DataRequired(message=_l("Choose a service."))])
    service_date = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date."))])
    start_time = TimeField(_l("From"), validators=[DataRequired(message=_l("Choose a time."))])
    end_time = TimeField(_l("Until"), validators=[DataRequired(message=_l("Choose a time."))])
    submit = SubmitField(_l("Make it an order"))


class WishRejectForm(AppForm):
    reason_code = SelectField(_l("Reason"), choices=choices([("", _l("Choose…")), *wishes.WISH_REASONS.items()]),
                              validators=[DataRequired(message=_l("Choose a reason."))])
    note = TextAreaField(_l("Details for the requester"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Answer"))


def _convert_form(wish: Wish) -> ConvertForm:
    form = ConvertForm(prefix="convert", data={"service_date": wish.date_from})
    menu = ((service_id, f"{category} · {name}") for _c, category, service_id, name in services_by_category())
    form.service_id.choices = choices([(0, _("Choose…")), *menu])
    return form


def _wish_or_404(wish_id: int) -> Wish:
    return db.session.get(Wish, wish_id) or abort(404)


def _render(wish: Wish, status: int = 200, convert_form=None, reject_form=None):
    return render_template("coordinator/wish.html", wish=wish, reasons=wishes.WISH_REASONS,
                           convert_form=convert_form or _convert_form(wish),
                           reject_form=reject_form or WishRejectForm(prefix="reject", formdata=None)), status


@bp.route("/wishes")
@role_required("coordinator")
def wishes_list():
    return render_template("coordinator/wishes.html", wishes=wishes.for_desk())


@bp.route("/wishes/<int:wish_id>")
@role_required("coordinator")
def wish(wish_id: int):
    return _render(_wish_or_404(wish_id))


def _answer_errors(form, err: ValidationFailed) -> int:
    for field, message in err.errors:
        if field and hasattr(form, field):
            getattr(form, field).errors.append(message)
        else:
            flash(str(message), "danger")
    return 409 if err.field is None else 422


@bp.route("/wishes/<int:wish_id>/convert", methods=["POST"])
@role_required("coordinator")
def convert_wish(wish_id: int):
    found = _wish_or_404(wish_id)
    form = _convert_form(found)
    if not form.validate_on_submit():
        return _render(found, 422, convert_form=form)
    try:
        order = wishes.convert(found, signed_in_user(), form.service_id.data,
                               form.service_date.data, form.start_time.data, form.end_time.data)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _render(found, _answer_errors(form, err), convert_form=form)
    flash(_("The wish is now order %(n)s, in the queue; the requester is told.", n=order.number), "success")
    return redirect(url_for("coordinator.order", order_id=order.id), 303)


@bp.route("/wishes/<int:wish_id>/reject", methods=["POST"])
@role_required("coordinator")
def reject_wish(wish_id: int):
    found = _wish_or_404(wish_id)
    form = WishRejectForm(prefix="reject")
    if not form.validate_on_submit():
        return _render(found, 422, reject_form=form)
    try:
        wishes.reject(found, signed_in_user(), form.reason_code.data, form.note.data or "")
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _render(found, _answer_errors(form, err), reject_form=form)
    flash(_("Answered; the requester is told."), "success")
    return redirect(url_for("coordinator.wishes_list"), 303)
