"""心愿 at the desk: the wishes waiting, each asked about, answered with a reason, turned into an order of a
menu service, or taken on as a one-off service."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..access import role_required, signed_in_user
from ..choices import choices
from ..extensions import db
from ..forms import AppForm, show_errors
from ..models import Order, Wish
from ..models.base import utcnow
from ..services import sla, wishes
from ..services.errors import ValidationFailed
from ..services.menu import category_pairs, orderable_by_category, services_by_category
from ..services.teams import team_pairs
from ..validators import MULTI_LINE, SINGLE_LINE
from . import bp


class ConvertForm(AppForm):
    service_id = SelectField(_l("Service on the menu"), coerce=int,
                             validators=[DataRequired(message=_l("Choose a service."))])
    service_date = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date."))])
    start_time = TimeField(_l("From"), validators=[DataRequired(message=_l("Choose a time."))])
    end_time = TimeField(_l("Until"), validators=[DataRequired(message=_l("Choose a time."))])
    submit = SubmitField(_l("Make it an order"))


class OneOffForm(AppForm):
    category_id = SelectField(_l("Category"), coerce=int, validators=[DataRequired(message=_l("Choose a category."))])
    name = StringField(_l("Name of the one-off service"), validators=[
        DataRequired(message=_l("Name it.")), Length(max=60), SINGLE_LINE])
    crew = IntegerField(_l("Volunteers needed"), default=1, validators=[
        DataRequired(message=_l("Enter a number.")), NumberRange(min=1, max=20)])
    team_id = SelectField(_l("Delivered by"), coerce=int, default=0)
    service_date = DateField(_l("Date"), validators=[DataRequired(message=_l("Choose a date."))])
    start_time = TimeField(_l("From"), validators=[DataRequired(message=_l("Choose a time."))])
    end_time = TimeField(_l("Until"), validators=[DataRequired(message=_l("Choose a time."))])
    submit = SubmitField(_l("Take it on as a one-off service"))

    def plan(self) -> wishes.OneOff:
        return wishes.OneOff(category_id=self.category_id.data, name=self.name.data, crew=self.crew.data,
                             day=self.service_date.data, start=self.start_time.data, end=self.end_time.data,
                             team_id=self.team_id.data or None)


class AskForm(AppForm):
    question = TextAreaField(_l("Your question to the requester"), validators=[
        DataRequired(message=_l("Write the question.")), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Ask"))


class WishRejectForm(AppForm):
    reason_code = SelectField(_l("Reason"), choices=choices([("", _l("Choose…")), *wishes.WISH_REASONS.items()]),
                              validators=[DataRequired(message=_l("Choose a reason."))])
    note = TextAreaField(_l("Details for the requester"), validators=[Optional(), Length(max=500), MULTI_LINE])
    submit = SubmitField(_l("Answer"))


def _convert_form(wish: Wish) -> ConvertForm:
    form = ConvertForm(prefix="convert", data={"service_date": wish.date_from})
    menu = ((service_id, f"{category} · {name}") for _c, category, service_id, name in orderable_by_category())
    form.service_id.choices = choices([(0, _("Choose…")), *menu])
    return form


def _one_off_form(wish: Wish) -> OneOffForm:
    form = OneOffForm(prefix="oneoff", data={"service_date": wish.date_from, "category_id": wish.category_id or 0,
                                             "name": wish.title})
    form.category_id.choices = choices([(0, _("Choose…")), *category_pairs(services_by_category())])
    form.team_id.choices = choices([(0, _("Volunteers who list its category")),
                                    *((tid, _("Team %(name)s", name=name)) for tid, name in team_pairs())])
    return form


def _wish_or_404(wish_id: int) -> Wish:
    return db.session.get(Wish, wish_id) or abort(404)


def _render(wish: Wish, status: int = 200, **forms):
    return render_template("coordinator/wish.html", wish=wish, reasons=wishes.WISH_REASONS,
                           clock=sla.wish_clocks([wish]).get(wish.id), now=utcnow(),
                           convert_form=forms.get("convert_form") or _convert_form(wish),
                           one_off_form=forms.get("one_off_form") or _one_off_form(wish),
                           ask_form=forms.get("ask_form") or AskForm(prefix="ask", formdata=None),
                           reject_form=forms.get("reject_form")
                           or WishRejectForm(prefix="reject", formdata=None)), status


@bp.route("/wishes")
@role_required("coordinator")
def wishes_list():
    found = wishes.for_desk()
    return render_template("coordinator/wishes.html", wishes=found, clocks=sla.wish_clocks(found), now=utcnow())


@bp.route("/wishes/<int:wish_id>")
@role_required("coordinator")
def wish(wish_id: int):
    return _render(_wish_or_404(wish_id))


def _answer(found: Wish, form, form_name: str, act, done: Callable[[object], Response]):
    """Check ``form``, then ``act()`` on the wish and commit, then ``done(result)``; or the wish's page again with
    what was typed and every message beside its field (409 when someone else answered first)."""
    if not form.validate_on_submit():
        return _render(found, 422, **{form_name: form})
    try:
        result = act()
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        return _render(found, show_errors(form, err), **{form_name: form})
    return done(result)


def _to_order(say: Callable[[str], str]) -> Callable[[Order], Response]:
    """Done: the order made of the wish, with ``say(its number)`` above it."""
    def done(order: Order) -> Response:
        flash(say(order.number), "success")
        return redirect(url_for("coordinator.order", order_id=order.id), 303)
    return done


def _to_wishes(say: Callable[[], str]) -> Callable[[object], Response]:
    """Done: back to the wishes, with ``say()`` above them."""
    def done(_result: object) -> Response:
        flash(say(), "success")
        return redirect(url_for("coordinator.wishes_list"), 303)
    return done


@bp.route("/wishes/<int:wish_id>/convert", methods=["POST"])
@role_required("coordinator")
def convert_wish(wish_id: int):
    found = _wish_or_404(wish_id)
    form = _convert_form(found)
    return _answer(found, form, "convert_form", lambda: wishes.convert(
        found, signed_in_user(), form.service_id.data, form.service_date.data, form.start_time.data,
        form.end_time.data),
        _to_order(lambda n: _("The wish is now order %(n)s, in the queue; the requester is told.", n=n)))


@bp.route("/wishes/<int:wish_id>/one-off", methods=["POST"])
@role_required("coordinator")
def take_on_wish(wish_id: int):
    found = _wish_or_404(wish_id)
    form = _one_off_form(found)
    return _answer(found, form, "one_off_form", lambda: wishes.take_on(found, signed_in_user(), form.plan()),
                   _to_order(lambda n: _("Taken on as a one-off service: order %(n)s is in the queue; "
                                         "the requester is told.", n=n)))


@bp.route("/wishes/<int:wish_id>/ask", methods=["POST"])
@role_required("coordinator")
def ask_about_wish(wish_id: int):
    found = _wish_or_404(wish_id)
    form = AskForm(prefix="ask")
    return _answer(found, form, "ask_form", lambda: wishes.ask(found, signed_in_user(), form.question.data),
                   _to_wishes(lambda: _("Asked; the requester is told. The time limit stops until they answer.")))


@bp.route("/wishes/<int:wish_id>/reject", methods=["POST"])
@role_required("coordinator")
def reject_wish(wish_id: int):
    found = _wish_or_404(wish_id)
    form = WishRejectForm(prefix="reject")
    return _answer(found, form, "reject_form", lambda: wishes.reject(
        found, signed_in_user(), form.reason_code.data, form.note.data or ""),
        _to_wishes(lambda: _("Answered; the requester is told.")))
