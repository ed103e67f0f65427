"""The signed-in user read with one plain statement: roles, name and state as the database has them now."""

from __future__ import annotations

import pytest
from flask_login import current_user

from app.auth.sessions import SessionUser, account_of
from app.models import Role, User


def test_the_request_sees_the_users_roles_and_details(app, login_as, users):
    client = login_as("volunteer2")  # a volunteer who also orders services
    with client:
        client.get("/")
        assert isinstance(current_user._get_current_object(), SessionUser)
        assert current_user.roles == {"requester", "volunteer"}
        assert current_user.has_role("coordinator", Role.VOLUNTEER) and not current_user.has_role("coordinator")
        assert (current_user.id, current_user.name) == (users["volunteer2"].id, users["volunteer2"].name)
        assert account_of(current_user) is not None and isinstance(account_of(current_user), User)


def test_a_role_granted_shows_on_the_next_request(db, login_as, users):
    client = login_as("requester")
    assert 'href="/dispatch/"' not in client.get("/").get_data(as_text=True)
    users["requester"].set_roles(["requester", "coordinator"])
    db.session.commit()
    try:
        assert 'href="/dispatch/"' in client.get("/").get_data(as_text=True)
        assert client.get("/dispatch/").status_code == 200
    finally:  # the seeded accounts are shared by every test
        users["requester"].set_roles(["requester"])
        db.session.commit()


def test_a_renamed_user_sees_the_new_name_at_once(db, login_as, users):
    client = login_as("requester")
    name, users["requester"].name = users["requester"].name, "改名后的用户"
    db.session.commit()
    try:
        assert "改名后的用户" in client.get("/").get_data(as_text=True)
    finally:
        users["requester"].name = name
        db.session.commit()


@pytest.mark.parametrize("headers", [
    {"User-Agent": "Mozilla/5.0 (iPhone) 微信"},
    {"User-Agent": "curl/8", "X-Forwarded-For": "10.0.0.7, 172.16.0.1"},
    {},
])
def test_the_browser_identifier_is_flask_logins_own(app, headers):
    from flask_login.utils import _create_identifier

    from app.auth.sessions import browser_identifier

    with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.9"}):
        assert browser_identifier() == _create_identifier()
        assert app.login_manager._session_identifier_generator is browser_identifier
