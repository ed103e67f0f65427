"""After signing in each role lands where its work starts, or where someone holding several chose to start;
a safe ``next`` still wins."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app.extensions import db as _db
from app.models import User
from app.services import accounts
from tests.conftest import csrf_token, login, make_user


@pytest.mark.parametrize(("role", "landing"), [
    ("requester", "/"),
    ("volunteer", "/jobs/"),
    ("volunteer2", "/jobs/"),  # a volunteer who also orders: 我的任务 first
    ("coordinator", "/dispatch/"),
    ("admin", "/admin/"),  # also a coordinator: the back office first
])
def test_each_role_lands_on_its_page(app, users, role, landing):
    client = app.test_client()
    response = login(client, users[role].phone)
    assert response.status_code == 302 and urlsplit(response.location).path == landing
    assert client.get(landing).status_code == 200
    again = client.get("/login")  # already signed in: sent to the same page
    assert again.status_code == 302 and urlsplit(again.location).path == landing


def test_a_safe_next_wins_an_unsafe_one_lands_as_usual(app, users):
    from tests.security.world import login as login_next

    assert urlsplit(login_next(app.test_client(), users["coordinator"].phone, next_url="/notifications/")
                    .location).path == "/notifications/"
    assert urlsplit(login_next(app.test_client(), users["coordinator"].phone, next_url="//evil.example")
                    .location).path == "/dispatch/"


def _choose(client, page: str | None, token: bool = True):
    data = {"start_page": page} if page is not None else {}
    if token:
        data["csrf_token"] = csrf_token(client, "/account")
    return client.post("/account/start-page", data=data)


def _sign_out_and_in(client, user) -> str:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    response = login(client, user.phone)
    assert response.status_code == 302
    return urlsplit(response.location).path


def _offered(client) -> list[str] | None:
    """The values of the start page's choice on the account page (None: not offered)."""
    page = client.get("/account").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="start_page".*?</select>', page, re.S)
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(0)) if select else None


def test_someone_with_several_roles_chooses_to_start_on_the_queue(app, db, users):
    admin = users["admin"]  # admin and coordinator: the back office first
    client = app.test_client()
    assert urlsplit(login(client, admin.phone).location).path == "/admin/"
    assert _offered(client) == ["", "admin", "coordinator"]  # only the pages of the roles held
    response = _choose(client, "coordinator")
    assert response.status_code == 303 and urlsplit(response.location).path == "/account"
    assert 'selected value="coordinator"' in client.get("/account").get_data(as_text=True)
    assert _sign_out_and_in(client, admin) == "/dispatch/"
    again = client.get("/login")  # already signed in: the chosen page too
    assert again.status_code == 302 and urlsplit(again.location).path == "/dispatch/"

    _choose(client, "")  # back to the roles' priority
    _db.session.expire_all()
    assert _db.session.get(User, admin.id).start_page is None
    assert _sign_out_and_in(client, admin) == "/admin/"


def test_a_chosen_page_whose_role_was_taken_away_falls_back_to_the_priority(app, db, users):
    volunteer = make_user("13966661001", "赵多", ["volunteer", "requester"])  # 我的任务 first
    _db.session.commit()
    client = app.test_client()
    login(client, volunteer.phone)
    assert _offered(client) == ["", "volunteer", "requester"]
    _choose(client, "requester")
    assert _sign_out_and_in(client, volunteer) == "/"

    admin = _db.session.get(User, users["admin"].id)
    accounts.change_roles(_db.session.get(User, volunteer.id), ["volunteer"], admin)
    _db.session.commit()
    assert _sign_out_and_in(client, volunteer) == "/jobs/"
    assert _offered(client) is None  # one role left: nothing to choose


def test_someone_with_one_role_is_not_offered_the_choice(app, db, users):
    for role, landing in (("volunteer", "/jobs/"), ("coordinator", "/dispatch/"), ("requester", "/")):
        client = app.test_client()
        login(client, users[role].phone)
        assert _offered(client) is None
        assert _choose(client, role).status_code == 422
        _db.session.expire_all()
        assert _db.session.get(User, users[role].id).start_page is None
        assert _sign_out_and_in(client, users[role]) == landing


def test_a_page_of_a_role_not_held_is_refused_beside_the_field(app, db, users):
    volunteer = users["volunteer2"]
    client = app.test_client()
    login(client, volunteer.phone)
    for value in ("admin", "coordinator", "root"):
        response = _choose(client, value)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        error = re.search(r'data-testid="error-start_page">([^<]+)<', page)
        assert error and error.group(1).strip()
        assert 'aria-describedby="start_page-error"' in page  # tied to its field
        assert re.findall(r'<option[^>]*value="([^"]*)"', page.split('name="start_page"')[1].split("</select>")[0]) \
            == ["", "volunteer", "requester"]
    assert _choose(client, "requester", token=False).status_code == 400  # no CSRF token: nothing saved
    _db.session.expire_all()
    assert _db.session.get(User, volunteer.id).start_page is None
    assert _sign_out_and_in(client, volunteer) == "/jobs/"
