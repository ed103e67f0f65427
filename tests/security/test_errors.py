"""S16: error pages tell nothing; production refuses unsafe settings; S21: the 413 page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db as _db
from config import DEV_SECRET, ProductionConfig
from tests.security.checks import header_problems, leaks
from tests.security.conftest import FIGURES

SECRET_SQL = "SELECT password_hash FROM users WHERE phone='13800138000' -- /work/main/app/secret.py"


def _dispose(app) -> None:
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def boom_app(database_url):
    """The test configuration plus one route that fails: registered here only, never in the app."""
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_EXCEPTIONS": False})

    @app.route("/_test/boom")
    def boom():
        raise RuntimeError(SECRET_SQL)

    yield app
    _dispose(app)


def test_a_forced_500_shows_the_generic_page(boom_app, caplog):
    client = boom_app.test_client()
    for kwargs in ({}, {"base_url": "https://localhost"}):
        response = client.get("/_test/boom", **kwargs)
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert 'data-testid="error-message"' in body
        assert not leaks(body), leaks(body)
        assert "13800138000" not in body and "secret.py" not in body
        assert not header_problems(response, https=bool(kwargs))
        FIGURES["S16 error responses scanned"] += 1


def test_the_database_down_gives_503_without_internals(database_url, world):
    down = create_app("test", {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:9/closed_port",
        "PROPAGATE_EXCEPTIONS": False,
    })
    try:
        anonymous = down.test_client()
        signed_in = down.test_client()
        cookie = world.clients["requester_a"].get_cookie("session")
        signed_in.set_cookie("session", cookie.value)
        for client, url in ((anonymous, "/"), (anonymous, "/services/1"), (signed_in, "/my/orders"),
                            (signed_in, "/")):
            response = client.get(url)
            body = response.get_data(as_text=True)
            assert response.status_code == 503, (url, response.status_code)
            assert 'data-testid="error-message"' in body
            assert not leaks(body), leaks(body)
            assert "closed_port" not in body
            FIGURES["S16 error responses scanned"] += 1
    finally:
        _dispose(down)


def test_other_error_pages_tell_nothing(app, world):
    client = world.clients["requester_a"]
    responses = [
        client.get("/my/orders/999999"),
        client.post("/login", data={}),  # no CSRF token: 400
        client.get("/logout"),  # 405
        world.clients["volunteer_offered"].post(
            f"/jobs/{world.jobs['accepted'].id}/accept", data={"csrf_token": world.tokens["volunteer_offered"]}
        ),  # 409
        client.get("/dispatch/"),  # 403
    ]
    for response in responses:
        body = response.get_data(as_text=True)
        assert response.status_code in (400, 403, 404, 405, 409)
        assert not leaks(body), (response.status_code, leaks(body))
        FIGURES["S16 error responses scanned"] += 1


def test_a_one_mebibyte_post_gets_the_413_page(app, world):
    for client in (world.clients["anonymous"], world.clients["requester_a"]):
        response = client.post("/login", data={"phone": "1" * (1024 * 1024), "password": "x"})
        body = response.get_data(as_text=True)
        assert response.status_code == 413
        assert 'data-testid="error-message"' in body and not leaks(body)
    assert app.config["MAX_CONTENT_LENGTH"] <= 256 * 1024
    FIGURES["S21 oversized posts answered 413"] += 2


# --- production settings ----------------------------------------------------------


def _prod_settings(database_url, **overrides):
    return {"SECRET_KEY": "p" * 48, "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "memory://", **overrides}


@pytest.mark.parametrize("unsafe", [
    {"DEBUG": True},
    {"SECRET_KEY": DEV_SECRET},
    {"SECRET_KEY": ""},
    {"SQLALCHEMY_DATABASE_URI": "sqlite://"},
    {"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"},
    {"WTF_CSRF_ENABLED": False},
    {"SESSION_COOKIE_SECURE": False},
], ids=lambda d: next(iter(d)))
def test_production_refuses_to_start_unsafe(database_url, unsafe):
    with pytest.raises(RuntimeError):
        create_app("production", _prod_settings(database_url, **unsafe))
    FIGURES["S16 unsafe production settings refused"] += 1


def test_production_settings(database_url):
    app = create_app("production", _prod_settings(database_url))
    try:
        c = app.config
        assert c["DEBUG"] is False and c["TESTING"] is False
        assert c["SESSION_COOKIE_SECURE"] and c["REMEMBER_COOKIE_SECURE"]
        assert c["SESSION_COOKIE_HTTPONLY"] and c["REMEMBER_COOKIE_HTTPONLY"]
        assert c["SESSION_COOKIE_SAMESITE"] == c["REMEMBER_COOKIE_SAMESITE"] == "Lax"
        assert c["SESSION_COOKIE_NAME"].startswith("__Host-") and c["REMEMBER_COOKIE_NAME"].startswith("__Host-")
        assert c["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
        assert c["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)
        assert c["SESSION_IDLE_TIMEOUT"] <= timedelta(minutes=30)
        assert c["MAX_CONTENT_LENGTH"] <= 256 * 1024
        # A server database is pinged before a pooled connection is used (it may have restarted); a file is not.
        pinged = c["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
        assert bool(pinged) is (not c["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"))
        if c["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):  # no JIT compiling for millisecond statements
            with app.app_context():
                assert _db.session.scalar(text("SHOW jit")) == "off"
        assert c["WTF_CSRF_ENABLED"] and c["WTF_CSRF_SSL_STRICT"]
        assert not c.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST")
    finally:
        _dispose(app)
    # Rate limits shared by every worker: Redis unless the environment says otherwise.
    assert ProductionConfig.RATELIMIT_STORAGE_URI.startswith(("redis://", "rediss://", "redis+"))
