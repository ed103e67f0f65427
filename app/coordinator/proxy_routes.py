"""代下单 at the desk: an order placed for someone without an account, who follows it by text message."""

from __future__ import annotations

import secrets
from datetime import time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField

from ..access import role_required, signed_in_user
from ..auth.routes import district_choices
from ..choices import choices
from ..extensions import db
from ..models import Service
from ..requester.forms import OrderForm
from ..services import orders as order_service
from ..services import proxy_orders
from ..services.errors import ValidationFailed
from ..services.menu import orderable_by_category
from . import bp


class ProxyOrderForm(OrderForm):
    """The order form, with the service chosen here and the person's consent; the contact is the person."""

    service_id = SelectField(_l("Service"), coerce=int)
    consent = BooleanField(_l("The person agreed that the center orders for them and keeps their phone number"))


def _form() -> ProxyOrderForm:
    form = ProxyOrderForm()
    menu = ((service_id, f"{category} · {name}") for _i, category, service_id, name in orderable_by_category())
    form.service_id.choices = choices([(0, _("Choose…")), *menu])
    form.district_id.choices = district_choices()
    if not form.is_submitted():
        form.form_token.data = secrets.token_urlsafe(24)
        form.service_id.data = request.args.get("service_id", 0, type=int)
        form.start_time.data, form.end_time.data = time(9), time(10, 30)  # a morning, as the requester's form
        service = db.session.get(Service, form.service_id.data) if form.service_id.data else None
        if service is not None:
            form.service_date.data = order_service.earliest_service_date(service)
    return form


def _errors_of(form: ProxyOrderForm, service: Service | None) -> None:
    if service is None or not service.is_orderable:
        form.service_id.errors = [*form.service_id.errors, _("Choose a service.")]
        return
    form.add_rule_errors(service)
    if not form.consent.data:
        ask = _("Ask the person first: the order and their phone number are kept.")
        form.consent.errors = [*form.consent.errors, ask]


@bp.route("/proxy", methods=["GET", "POST"])
@role_required("coordinator")
def proxy_order():
    form = _form()
    if not form.is_submitted():
        return render_template("coordinator/proxy.html", form=form)
    form.validate_on_submit()
    service = db.session.get(Service, form.service_id.data or 0)
    _errors_of(form, service)
    if not form.errors:
        person = proxy_orders.Person(form.contact_name.data, form.contact_phone.data, form.unit.data, True)
        try:
            order = proxy_orders.place_for(signed_in_user(), person, form.order_request(service))
            proxy_orders.text_the_link(
                order, url_for("guest.order", guest_token=proxy_orders.token_for(order), _external=True))
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            for name, message in err.errors:
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        else:
            flash(_("Order %(n)s placed for %(name)s; a text message with its link is on its way.",
                    n=order.number, name=person.name), "success")
            return redirect(url_for("coordinator.order", order_id=order.id), 303)
    return render_template("coordinator/proxy.html", form=form), 422
