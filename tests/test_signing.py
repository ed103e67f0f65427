"""Signing kept between requests: the session's serializer, and a session's signed CSRF token."""

from __future__ import annotations

import time

import pytest

from app import signing
from tests.conftest import csrf_token, login


def test_the_session_serializer_is_built_once_per_key_set(app):
    interface = app.session_interface
    assert isinstance(interface, signing.KeptCookieSessionInterface)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    old_key = app.secret_key
    app.secret_key = "another-secret-for-this-test-only"
    try:
        other = interface.get_signing_serializer(app)
        assert other is not first  # a rotated key signs with the new one
    finally:
        app.secret_key = old_key
    assert interface.get_signing_serializer(app) is first


def test_one_session_reuses_its_signed_csrf_token_and_forms_accept_it(client, users):
    login(client, users["requester"].phone)
    csrf_token(client, "/my/orders")  # the signed-in session's raw token is made here
    token = csrf_token(client, "/my/orders")
    assert csrf_token(client, "/") == token  # signed once, not again for every page
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code in (302, 303)
    assert client.get("/my/orders").status_code == 302  # the kept token worked: signed out


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
    assert csrf_token(other, "/my/orders") not in (old, new)  # kept per session's raw token
    assert other.post("/logout", data={"csrf_token": new}).status_code == 400


def test_a_kept_token_is_signed_again_after_its_reuse_window(client, users, monkeypatch):
    login(client, users["requester"].phone)
    csrf_token(client, "/my/orders")  # the signed-in session's raw token is made here
    kept = csrf_token(client, "/my/orders")
    key, signed_at = next((k, at) for k, (token, at) in signing._signed_tokens.items() if token == kept)
    later = signed_at + signing.CSRF_TOKEN_REUSE_SECONDS + 1
    monkeypatch.setattr(signing.time, "monotonic", lambda: later)
    token = csrf_token(client, "/my/orders")
    assert signing._signed_tokens[key] == (token, later)  # signed anew
    assert client.post("/logout", data={"csrf_token": token}).status_code in (302, 303)


@pytest.fixture(autouse=True)
def _forget_tokens():
    signing._signed_tokens.clear()
    yield
    signing._signed_tokens.clear()


def _cookie_for(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def _open(app, cookie: str):
    name = app.session_interface.get_cookie_name(app)
    with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}) as ctx:
        return app.session_interface.open_session(app, ctx.request)


def test_a_cookie_is_checked_once_then_its_data_copied(app, monkeypatch):
    interface = app.session_interface
    cookie = _cookie_for(app, {"_user_id": "tok", "seen_at": 1, "remember": False})
    checks = []
    serializer = interface.get_signing_serializer(app)
    real_loads = serializer.loads
    monkeypatch.setattr(serializer, "loads", lambda *a, **k: checks.append(1) or real_loads(*a, **k))
    first = _open(app, cookie)
    first["_user_id"] = "changed by this request"
    second = _open(app, cookie)
    assert len(checks) == 1
    assert dict(second) == {"_user_id": "tok", "seen_at": 1, "remember": False}  # not the other request's change
    assert second is not first and not second.modified


def test_a_kept_cookie_past_the_session_lifetime_opens_empty(app, monkeypatch):
    cookie = _cookie_for(app, {"_user_id": "tok"})
    assert dict(_open(app, cookie)) == {"_user_id": "tok"}
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert dict(_open(app, cookie)) == {}


def test_a_forged_cookie_opens_empty_and_is_not_kept(app):
    cookie = _cookie_for(app, {"_user_id": "tok"})
    payload, _dot, _signature = cookie.rpartition(".")
    forged = payload + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert dict(_open(app, forged)) == {}
    assert not any(key[1] == forged for key in app.session_interface._opened)


def test_a_session_holding_a_list_is_checked_every_time(app, monkeypatch):
    cookie = _cookie_for(app, {"_flashes": [["info", "hi"]]})
    serializer = app.session_interface.get_signing_serializer(app)
    checks = []
    real_loads = serializer.loads
    monkeypatch.setattr(serializer, "loads", lambda *a, **k: checks.append(1) or real_loads(*a, **k))
    _open(app, cookie)["_flashes"].append(("danger", "mutated"))
    checked_first = len(checks)
    assert _open(app, cookie)["_flashes"] == [["info", "hi"]]
    assert checked_first > 0 and len(checks) > checked_first  # checked again, not copied


def test_the_same_session_values_are_signed_once_a_second(app, monkeypatch):
    serializer = app.session_interface.get_signing_serializer(app)
    assert isinstance(serializer, signing.SameSecondSerializer)
    signed = []
    real_dumps = signing.URLSafeTimedSerializer.dumps
    monkeypatch.setattr(signing.URLSafeTimedSerializer, "dumps",
                        lambda self, obj, salt=None: signed.append(obj) or real_dumps(self, obj, salt))
    clock = [1_800_000_000.2]
    monkeypatch.setattr(signing.time, "time", lambda: clock[0])
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: clock[0])
    values = {"_user_id": "abc", "seen_at": 1_800_000_000, "remember": False}

    first = serializer.dumps(dict(values))
    clock[0] += 0.5
    assert serializer.dumps(dict(values)) == first  # the same second: the same cookie
    assert len(signed) == 1
    changed = serializer.dumps({**values, "seen_at": 1_800_000_001})
    assert changed != first and len(signed) == 2  # other values: signed
    assert serializer.loads(changed)["seen_at"] == 1_800_000_001

    clock[0] += 1  # the next second: signed again, with the new time
    again = serializer.dumps(dict(values))
    assert len(signed) == 3 and again != first
    assert serializer.loads(again, return_timestamp=True)[1].timestamp() == 1_800_000_001

    as_number = serializer.dumps({**values, "remember": 0})  # equal to False, but not the same value
    assert type(serializer.loads(as_number)["remember"]) is int and as_number != again and len(signed) == 4

    flashed = {**values, "_flashes": [["info", "x"]]}  # not plain values: never kept
    serializer.dumps(flashed)
    serializer.dumps(flashed)
    assert len(signed) == 6
    assert serializer.loads(serializer.dumps(flashed)) == flashed


def test_a_client_that_keeps_its_first_cookie_is_still_signed_in_and_seen(app, users, monkeypatch):
    client = app.test_client()
    login(client, users["requester"].phone)
    name = app.config["SESSION_COOKIE_NAME"]
    first = client.get_cookie(name).value
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer.loads(first)["csrf_token"]  # made at sign-in: no page needs to add it
    later = time.time() + 120  # past the step at which the last visit is noted
    monkeypatch.setattr(signing.time, "time", lambda: later)
    monkeypatch.setattr("app.auth.sessions.time.time", lambda: later)
    cookies = set()
    for _ in range(3):
        client.set_cookie(name, first)  # the first cookie, every time
        assert client.get("/my/orders").status_code == 200
        cookies.add(client.get_cookie(name).value)
    assert len(cookies) == 1 and first not in cookies  # saved with the new time, signed once
    session = serializer.loads(cookies.pop())
    assert session["seen_at"] == int(later)


def test_the_opened_cookies_kept_are_bounded_and_the_oldest_go_first(app, monkeypatch):
    kept = app.session_interface._opened
    monkeypatch.setattr(kept, "limit", 3)
    kept.clear()
    cookies = [_cookie_for(app, {"_user_id": f"user-{i}"}) for i in range(5)]
    for cookie in cookies:
        _open(app, cookie)
    assert [key[1] for key in kept] == cookies[2:]
    assert dict(_open(app, cookies[0])) == {"_user_id": "user-0"}  # dropped, so checked afresh: still valid
    assert [key[1] for key in kept] == [*cookies[3:], cookies[0]]
