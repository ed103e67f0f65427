"""CSRF tokens through Flask-WTF as documented: one per session, refused in another."""

from __future__ import annotations

from tests.conftest import csrf_token, login


def test_a_sessions_token_works_on_every_page_it_is_shown(client, users):
    login(client, users["requester"].phone)
    token = csrf_token(client, "/my/orders")
    assert csrf_token(client, "/")  # every signed-in page carries one (the sign-out form)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert client.get("/my/orders").status_code == 302  # signed out


def test_a_new_session_gets_a_new_token_and_the_old_one_is_refused(app, users):
    first = app.test_client()
    login(first, users["requester"].phone)
    old = csrf_token(first, "/my/orders")
    first.post("/logout", data={"csrf_token": old})
    login(first, users["requester"].phone)
    new = csrf_token(first, "/my/orders")
    assert new != old
    other = app.test_client()
    login(other, users["volunteer2"].phone)  # also a requester
    assert csrf_token(other, "/my/orders") not in (old, new)
    assert other.post("/logout", data={"csrf_token": new}).status_code == 400


def test_a_forged_session_cookie_is_not_signed_in(app, users):
    client = app.test_client()
    login(client, users["requester"].phone)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name).value
    payload, _, signature = cookie.rpartition(".")
    client.set_cookie(name, payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    assert client.get("/my/orders").status_code == 302  # to the sign-in page
