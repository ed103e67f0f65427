"""心愿 for the requester: describe a need no menu item fits; follow the center's answer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from ..access import role_required, signed_in_user
from ..auth.routes import district_choices
from ..choices import choices
from ..extensions import db
from ..forms import AppForm, show_errors
from ..models import Wish
from ..services import wishes
from ..services.errors import ValidationFailed
from ..services.menu import category_pairs, services_by_category
from ..validators import MULTI_LINE, SINGLE_LINE
from . import bp


class WishForm(AppForm):
    title = StringField(_l("What do you need?"), validators=[
        DataRequired(message=_l("Say it in a few words.")), Length(max=60), SINGLE_LINE])
    description = TextAreaField(_l("Describe it"), validators=[
        DataRequired(message=_l("Describe what should happen, for whom.")), Length(max=1000), MULTI_LINE])
    category_id = SelectField(_l("Closest category"), coerce=int)
    date_from = DateField(_l("Any day from"), validators=[DataRequired(message=_l("Choose a date."))])
    date_to = DateField(_l("Until"), validators=[DataRequired(message=_l("Choose a date."))])
    district_id = SelectField(_l("District"), coerce=int, validators=[DataRequired(message=_l("Choose a district."))])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200), SINGLE_LINE])
    audience_size = IntegerField(_l("Audience size"), validators=[
        DataRequired(message=_l("Enter a number.")), NumberRange(min=1, max=10000)])
    submit = SubmitField(_l("Send my wish"))

    def wish(self) -> wishes.WishRequest:
        return wishes.WishRequest(
            title=self.title.data, description=self.description.data, category_id=self.category_id.data or None,
            district_id=self.district_id.data, address=self.address.data, audience_size=self.audience_size.data,
            date_from=self.date_from.data, date_to=self.date_to.data)


class WishAnswerForm(AppForm):
    answer = TextAreaField(_l("Your answer"), validators=[
        DataRequired(message=_l("Write your answer.")), Length(max=1000), MULTI_LINE])
    submit = SubmitField(_l("Send my answer"))


def _wish_form() -> WishForm:
    form = WishForm()
    form.category_id.choices = choices([(0, _("Not sure")), *category_pairs(services_by_category())])
    form.district_id.choices = district_choices()
    return form


@bp.route("/wishes/new", methods=["GET", "POST"])
@role_required("requester")
def new_wish():
    form = _wish_form()
    if not form.is_submitted() and current_user.district_id:
        form.district_id.data = current_user.district_id
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            wishes.submit(signed_in_user(), form.wish())
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            for field, message in err.errors:
                getattr(form, field).errors.append(message)
        else:
            flash(_("Sent. The center answers here, and tells you in your messages."), "success")
            return redirect(url_for("requester.wishes_page"), 303)
    return render_template("requester/wish_new.html", form=form), status


def _answer_form(wish_id: int, submitted: bool = True) -> WishAnswerForm:
    """One form per wish waiting for an answer (a page may show several), told apart by their prefix."""
    prefix = f"wish{wish_id}"
    return WishAnswerForm(prefix=prefix) if submitted else WishAnswerForm(prefix=prefix, formdata=None)


def _wishes_page(status: int = 200, submitted: WishAnswerForm | None = None, wish_id: int | None = None):
    mine = wishes.of_requester(current_user)
    forms = {w.id: _answer_form(w.id, submitted=False) for w in mine if w.waits_for_requester}
    if submitted is not None:
        forms[wish_id] = submitted
    return render_template("requester/wishes.html", wishes=mine, reasons=wishes.WISH_REASONS,
                           answer_forms=forms), status


@bp.route("/wishes")
@role_required("requester")
def wishes_page():
    return _wishes_page()


@bp.route("/wishes/<int:wish_id>/answer", methods=["POST"])
@role_required("requester")
def answer_wish(wish_id: int):
    wish = db.session.get(Wish, wish_id)
    if wish is None or wish.requester_id != current_user.id:
        abort(404)
    form = _answer_form(wish.id)
    if not form.validate_on_submit():
        return _wishes_page(422, form, wish.id)
    try:
        wishes.answer(wish, signed_in_user(), form.answer.data)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _wishes_page(show_errors(form, err), form, wish.id)
    flash(_("Sent; the center carries on with your wish."), "success")
    return redirect(url_for("requester.wishes_page"), 303)
