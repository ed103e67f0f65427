"""S20: every text field takes its maximum and refuses one more, with a message; maxima fit the columns."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from wtforms.validators import Length

from app.auth.forms import LoginForm, RegisterForm
from app.forms import ReasonForm
from app.models import Assignment, Order, OrderEvent, Rating, User
from app.requester.forms import OrderForm, RatingForm
from app.volunteer.forms import CompleteForm
from tests.input.conftest import DATABASE, FIGURES

# form field -> the column it is stored in
STORED_IN = {
    (RegisterForm, "name"): User.name,
    (RegisterForm, "phone"): User.phone,
    (RegisterForm, "unit"): User.unit,
    (LoginForm, "phone"): User.phone,
    (OrderForm, "address"): Order.address,
    (OrderForm, "unit"): Order.unit,
    (OrderForm, "contact_name"): Order.contact_name,
    (OrderForm, "contact_phone"): Order.contact_phone,
    (OrderForm, "note"): Order.note,
    (OrderForm, "form_token"): Order.form_token,
    (ReasonForm, "note"): OrderEvent.note,
    (CompleteForm, "summary"): Assignment.summary,
    (RatingForm, "comment"): Rating.comment,
}


def _form_max(form_cls, name) -> int | None:
    field = getattr(form_cls, name)
    maxima = [v.max for v in field.kwargs.get("validators", []) if isinstance(v, Length) and v.max >= 0]
    if name in ("phone", "contact_phone"):
        maxima.append(11)  # the mobile-number pattern
    if name == "form_token":
        maxima.append(64)  # its pattern
    return min(maxima) if maxima else None


def test_form_maxima_fit_the_columns():
    for (form_cls, name), column in STORED_IN.items():
        form_max = _form_max(form_cls, name)
        assert form_max is not None, f"{form_cls.__name__}.{name} has no maximum length"
        assert form_max <= column.type.length, (form_cls.__name__, name, form_max, column.type.length)
        FIGURES["S20 form fields with a maximum <= their column"] += 1


BOUNDARY_FIELDS = [
    ("order", "address", 200), ("order", "unit", 80), ("order", "contact_name", 40), ("order", "note", 500),
    ("register", "name", 40), ("register", "unit", 80),
    ("cancel", "note", 500), ("complete", "summary", 500), ("rate", "comment", 500),
]


@pytest.mark.parametrize(("form", "field", "maximum"), BOUNDARY_FIELDS, ids=str)
@pytest.mark.parametrize("fill", ["x", "志", "🙂"], ids=["ascii", "cjk", "emoji"])
def test_max_accepted_and_max_plus_one_refused(app, targets, form, field, maximum, fill):
    too_long = _submit(app, targets, form, field, fill * (maximum + 1))
    assert too_long.status_code in (200, 422), too_long.status_code
    body = too_long.get_data(as_text=True)
    assert "invalid-feedback" in body and fill * (maximum + 1) in body
    at_max = _submit(app, targets, form, field, fill * maximum)
    assert at_max.status_code in (302, 303), (form, field, at_max.status_code)
    FIGURES[f"S20 boundary checks, max and max+1 ({DATABASE})"] += 2


def _submit(app, targets, form, field, value):
    from tests.security.world import fresh_csrf

    if form == "order":
        data = {"service_date": "2030-06-03", "start_time": "09:00", "end_time": "10:00", "district_id": "17",
                "address": "荣华中路10号", "unit": "单位", "contact_name": "张明", "contact_phone": "13800000001",
                "audience_size": "20", "note": "", "form_token": None, "again": "y", field: value}
        import secrets

        data["form_token"] = secrets.token_urlsafe(24)
        data["csrf_token"] = targets.tokens["requester"]
        return targets.clients["requester"].post(f"/my/orders/new/{targets.service_id}", data=data)
    if form == "register":
        client = app.test_client()
        import random

        phone = f"137{random.randrange(10**7, 10**8)}"
        data = {"name": "边界", "phone": phone, "unit": "单位", "district_id": "1", "password": "Boundary-77",
                "password2": "Boundary-77", field: value, "csrf_token": fresh_csrf(client, "/register")}
        return client.post("/register", data=data)
    if form == "cancel":
        response = targets.clients["requester"].post(
            f"/my/orders/{targets.get('cancel')}/cancel",
            data={"csrf_token": targets.tokens["requester"], "reason_code": "other", field: value})
        if response.status_code == 303:
            targets.used_up("cancel")
        return response
    if form == "complete":
        response = targets.clients["volunteer"].post(
            f"/jobs/{targets.get('complete')}/complete",
            data={"csrf_token": targets.tokens["volunteer"], "hours": "2", field: value})
        if response.status_code == 303:
            targets.used_up("complete")
        return response
    if form == "rate":
        response = targets.clients["requester"].post(
            f"/my/orders/{targets.get('rate')}/rate",
            data={"csrf_token": targets.tokens["requester"], "stars": "4", field: value})
        if response.status_code == 303:
            targets.used_up("rate")
        return response
    raise KeyError(form)


def test_stored_values_are_the_submitted_ones(app, targets):
    """The maximum goes in whole (no silent truncation)."""
    from app.extensions import db as _db

    value = "志" * 500
    response = _submit(app, targets, "rate", "comment", value)
    assert response.status_code == 303
    with app.app_context():
        assert _db.session.scalar(select(Rating.comment).where(Rating.comment == value)) == value
