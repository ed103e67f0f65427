"""The signed-in user, loaded by Flask-Login with their roles: as the database has them now."""

from __future__ import annotations

from flask_login import current_user

from app.models import Role


def test_the_request_sees_the_users_roles_and_details(app, login_as, users):
    client = login_as("volunteer2")  # a volunteer who also orders services
    with client:
        client.get("/")
        assert current_user.roles == {"requester", "volunteer"}
        assert current_user.has_role("coordinator", Role.VOLUNTEER) and not current_user.has_role("coordinator")
        assert (current_user.id, current_user.name) == (users["volunteer2"].id, users["volunteer2"].name)


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
