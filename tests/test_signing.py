"""Signing kept between requests: the session's serializer, and a session's signed CSRF token."""

from __future__ import annotations

import pytest

from app import signing
from tests.conftest import csrf_token, login


def test_the_session_serializer_is_built_once_per_key_set(app):
    interface = app.session_interface
    assert isinstance(interface, signing.KeptSerializerSessionInterface)
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
