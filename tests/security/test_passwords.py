"""S12: length 8..128 (64 accepted), no composition rules, common passwords refused, scrypt."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.forms import RegisterForm
from app.models import User
from app.validators import common_passwords
from tests.security.conftest import FIGURES
from tests.security.world import fresh_csrf


def _register(client, phone, password, password2=None):
    return client.post("/register", data={
        "csrf_token": fresh_csrf(client, "/register"), "name": "密码测试", "phone": phone, "unit": "测试单位",
        "district_id": "1", "password": password, "password2": password if password2 is None else password2,
    })


@pytest.mark.parametrize(("password", "accepted"), [
    ("Seven77", False),
    ("eightchr", True),
    ("长城长城长城长城", True),  # no composition rules: any 8 characters
    ("x" * 63 + "!", True),
    ("Q7" * 32, True),  # 64 characters
    ("p" * 129, False),
    ("password1", False),
    ("Password1", False),  # case does not rescue a common one
    ("iloveyou", False),
    ("woaini1314", False),
], ids=lambda v: str(v)[:12])
def test_password_rules_at_sign_up(app, db, password, accepted):
    client = app.test_client()
    response = _register(client, "13900000501", password)
    user = db.session.scalar(select(User).where(User.phone == "13900000501"))
    assert (response.status_code == 302) is accepted, response.status_code
    assert (user is not None) is accepted
    if accepted:
        assert user.password_hash.startswith("scrypt:")
        assert password not in user.password_hash
    else:
        body = response.get_data(as_text=True)
        assert password not in body  # passwords are not echoed back


def test_the_shipped_list_is_refused_entry_by_entry(app):
    words = sorted(common_passwords())
    long_enough = [w for w in words if len(w) >= 8]
    assert len(long_enough) >= 3000
    refused = 0
    with app.test_request_context(method="POST"):
        form = RegisterForm(meta={"csrf": False})
        for word in words:
            form.password.data = word
            form.password.errors = []
            assert not form.password.validate(form), word
            refused += 1
    FIGURES["S12 common passwords refused"] = refused
    FIGURES["S12 common passwords of 8+ characters in the list"] = len(long_enough)


def test_password_fields_are_plain_password_inputs(app, db):
    client = app.test_client()
    for url in ("/login", "/register"):
        html = client.get(url).get_data(as_text=True)
        assert 'type="password"' in html
        assert "onpaste" not in html.lower()
