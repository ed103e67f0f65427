"""菜单管理: the categories and services of the menu, their delivery rules, order and life cycle.

Each change is written in the audit log; the menu every requester sees changes at once on
every app server (the kept menu is forgotten when the change is committed).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import labels
from ..access import signed_in_user
from ..choices import choices
from ..extensions import db
from ..forms import ActionForm, show_errors
from ..models import Category, Service, ServiceStatus
from ..services import menu_admin, teams
from ..services.errors import ValidationFailed
from ..services.places import district_pairs
from ..workflow import WorkflowError
from . import bp
from .menu_forms import CategoryForm, RetireForm, ServiceForm


def _button_pressed() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _categories() -> list[Category]:
    return list(db.session.scalars(
        select(Category).options(selectinload(Category.services.and_(Service.one_off.is_(False))))
        .order_by(Category.position, Category.id)
    ))


@bp.route("/menu")
def menu():
    return render_template("admin/menu/index.html", categories=_categories(),
                           action_form=ActionForm(), statuses=labels.SERVICE_STATUSES,
                           status_actions=STATUS_ACTIONS, next_statuses=menu_admin.next_statuses,
                           published=ServiceStatus.PUBLISHED.value)


# The button that moves a service to each status.
STATUS_ACTIONS = {ServiceStatus.PUBLISHED.value: _l("Publish"), ServiceStatus.RETIRED.value: _l("Retire")}


def _service_form(service: Service | None) -> ServiceForm:
    form = ServiceForm(obj=service)
    form.category_id.choices = choices((c.id, c.name) for c in db.session.scalars(
        select(Category).order_by(Category.position, Category.id)))
    form.district_ids.choices = choices(district_pairs())
    if service is not None and not form.is_submitted():
        form.version.data = str(service.version_id)
        form.district_ids.data = [d.id for d in service.districts]
    return form


def _save_service(service: Service | None):
    form = _service_form(service)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            saved = menu_admin.save_service(signed_in_user(), service, form.values(), form.version_seen())
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            status = show_errors(form, err)
        except StaleDataError:  # saved by someone else between our read and our write
            db.session.rollback()
            flash(_("Someone else saved this service while you were editing it. "
                    "Reload the page to see their changes, then make yours again."), "danger")
            status = 409
        else:
            flash(_("Saved. The menu shows it at once.") if saved.is_orderable
                  else _("Saved as a draft: publish it to put it on the menu."), "success")
            return redirect(url_for("admin.edit_service", service_id=saved.id), 303)
    elif form.is_submitted():  # the rules between fields too, so that every message shows at once
        for field, message in menu_admin.rule_errors(form.values()):
            if not getattr(form, field).errors:
                getattr(form, field).errors.append(message)
    return render_template("admin/menu/service.html", form=form, service=service,
                           teams=teams.covering_teams(service), action_form=ActionForm()), status


@bp.route("/menu/services/new", methods=["GET", "POST"])
def new_service():
    return _save_service(None)


def _service_or_404(service_id: int) -> Service:
    return db.session.get(Service, service_id) or abort(404)


@bp.route("/menu/services/<int:service_id>", methods=["GET", "POST"])
def edit_service(service_id: int):
    return _save_service(_service_or_404(service_id))


@bp.route("/menu/services/<int:service_id>/<any(published, retired):status>", methods=["POST"])
def service_status(service_id: int, status: str):
    _button_pressed()
    service = _service_or_404(service_id)
    try:
        menu_admin.set_status(signed_in_user(), service, status)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        flash(str(err.message), "danger")
        if err.field == "open_orders":  # retiring asks first what happens to them
            return redirect(url_for("admin.retire_service", service_id=service_id), 303)
    else:
        flash(_("Published: requesters can order it now.") if status == ServiceStatus.PUBLISHED.value
              else _("Retired: it is off the menu; its past orders stay."), "success")
    return redirect(url_for("admin.menu", _anchor=f"service-{service_id}"), 303)


@bp.route("/menu/services/<int:service_id>/retire", methods=["GET", "POST"])
def retire_service(service_id: int):
    """Retire a service that still has open orders, saying what happens to them."""
    service = _service_or_404(service_id)
    form = RetireForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            menu_admin.set_status(signed_in_user(), service, ServiceStatus.RETIRED.value,
                                  form.open_orders.data, form.note.data or "")
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            for field, message in err.errors:
                if field in form:
                    form[field].errors.append(message)
                else:  # the life cycle's own refusal: retired already
                    flash(str(message), "danger")
                    status = 409
        except WorkflowError as err:  # an order changed under us: nothing was retired or cancelled
            db.session.rollback()
            flash(str(err.message), "danger")
            status = 409
        else:
            flash(_("Retired: it is off the menu; its past orders stay."), "success")
            return redirect(url_for("admin.menu", _anchor=f"service-{service_id}"), 303)
    return render_template("admin/menu/retire.html", service=service, form=form,
                           orders=menu_admin.open_orders(service),
                           may_retire=ServiceStatus.RETIRED.value in menu_admin.next_statuses(service)), status


@bp.route("/menu/<any(services, categories):kind>/<int:item_id>/<any(up, down):direction>", methods=["POST"])
def move(kind: str, item_id: int, direction: str):
    _button_pressed()
    item = db.session.get(Service if kind == "services" else Category, item_id) or abort(404)
    menu_admin.move(signed_in_user(), item, -1 if direction == "up" else 1)
    db.session.commit()
    anchor = f"service-{item_id}" if kind == "services" else f"category-{item_id}"
    return redirect(url_for("admin.menu", _anchor=anchor), 303)


def _save_category(category: Category | None):
    form = CategoryForm(obj=category)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            menu_admin.save_category(signed_in_user(), category, form.values())
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Saved. The menu shows it at once."), "success")
            return redirect(url_for("admin.menu"), 303)
    return render_template("admin/menu/category.html", form=form, category=category), status


@bp.route("/menu/categories/new", methods=["GET", "POST"])
def new_category():
    return _save_category(None)


@bp.route("/menu/categories/<int:category_id>", methods=["GET", "POST"])
def edit_category(category_id: int):
    return _save_category(db.session.get(Category, category_id) or abort(404))
