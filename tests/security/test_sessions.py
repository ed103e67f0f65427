"""S7-S10: cookie flags, revocation, fixation, timeouts. Logins go through the real form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from freezegun import freeze_time

from app import create_app
from app.auth.sessions import deactivate_user
from app.extensions import db as _db
from tests.security.conftest import FIGURES
from tests.security.world import fresh_csrf, login, new_user

PROTECTED = "/my/orders"
NEW_PASSWORD = "Lantern-river-2047"


@pytest.fixture
def person(db):
    user = new_user("13900000201", "会话测试", ["requester"])
    _db.session.commit()
    return user


def _signed_in(app, person, remember=False):
    client = app.test_client()
    response = login(client, person.phone, remember=remember)
    assert response.status_code == 302 and response.location.endswith("/")
    return client


def _capture(client, app) -> dict[str, str]:
    names = (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    return {name: c.value for name in names if (c := client.get_cookie(name)) is not None}


def _replay(app, cookies: dict[str, str], only: str | None = None):
    client = app.test_client()
    for name, value in cookies.items():
        if only is None or name == only:
            client.set_cookie(name, value)
    return client.get(PROTECTED)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.location


def _assert_replays_work(app, cookies):
    """Before the revocation the copies do work: otherwise the replay test proves nothing."""
    assert _replay(app, cookies, "session").status_code == 200
    assert _replay(app, cookies, "remember_token").status_code == 200


def _assert_replays_fail(app, cookies):
    for name in ("session", "remember_token"):
        response = _replay(app, cookies, name)
        assert _is_login_redirect(response), (name, response.status_code)
        FIGURES["S8 replays refused"] += 1


def test_logout_revokes_every_copy(app, person):
    client = _signed_in(app, person, remember=True)
    cookies = _capture(client, app)
    assert set(cookies) == {"session", "remember_token"}
    _assert_replays_work(app, cookies)
    assert client.post("/logout", data={"csrf_token": fresh_csrf(client)}).status_code == 302
    _assert_replays_fail(app, cookies)
    assert _is_login_redirect(client.get(PROTECTED))


def test_password_change_elsewhere_revokes(app, person):
    phone = _signed_in(app, person, remember=True)
    cookies = _capture(phone, app)
    _assert_replays_work(app, cookies)
    desk = _signed_in(app, person)
    token = fresh_csrf(desk, "/account")
    changed = desk.post("/account/password", data={
        "csrf_token": token, "current": "demo-2026", "password": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    assert changed.status_code == 303
    assert desk.get(PROTECTED).status_code == 200  # the device that changed it stays in
    _assert_replays_fail(app, cookies)
    assert _is_login_redirect(phone.get(PROTECTED))
    assert login(app.test_client(), person.phone, NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password_and_a_good_new_one(app, person):
    client = _signed_in(app, person)
    token = fresh_csrf(client, "/account")
    for current, new in (("wrong-password", NEW_PASSWORD), ("demo-2026", "password123"), ("demo-2026", "short")):
        response = client.post("/account/password", data={
            "csrf_token": token, "current": current, "password": new, "password2": new,
        })
        assert response.status_code == 422, (current, new)
    assert client.get(PROTECTED).status_code == 200


def test_deactivation_revokes(app, person):
    client = _signed_in(app, person, remember=True)
    cookies = _capture(client, app)
    _assert_replays_work(app, cookies)
    deactivate_user(_db.session.merge(person))
    _db.session.commit()
    _assert_replays_fail(app, cookies)
    assert _is_login_redirect(client.get(PROTECTED))
    assert login(app.test_client(), person.phone).status_code == 200  # cannot sign in again


def test_sign_out_everywhere_revokes_the_other_devices(app, person):
    other = _signed_in(app, person, remember=True)
    cookies = _capture(other, app)
    _assert_replays_work(app, cookies)
    here = _signed_in(app, person)
    response = here.post("/account/sign-out-everywhere", data={"csrf_token": fresh_csrf(here, "/account")})
    assert response.status_code == 303
    assert here.get(PROTECTED).status_code == 200
    _assert_replays_fail(app, cookies)
    assert _is_login_redirect(other.get(PROTECTED))


def test_login_clears_the_session(app, person):
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "before-login"
        sess["_fresh"] = True
    before = client.get_cookie("session").value
    assert login(client, person.phone).status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        kept = set(sess) - {"_user_id", "_fresh", "_id", "login_at", "seen_at", "remember", "csrf_token",
                            "_flashes", "locale"}
        assert not kept, kept
    assert client.get_cookie("session").value != before
    FIGURES["S9 pre-login keys surviving login"] = 0


# --- timeouts (S10) -------------------------------------------------------------------


def test_idle_timeout_is_30_minutes(app, person):
    with freeze_time("2026-03-02 01:00:00") as clock:
        client = _signed_in(app, person)
        clock.tick(timedelta(minutes=29, seconds=59))
        assert client.get(PROTECTED).status_code == 200
        clock.tick(timedelta(minutes=30, seconds=1))
        response = client.get(PROTECTED)
        assert _is_login_redirect(response)
        assert "next=" in response.location
        assert _is_login_redirect(client.get(PROTECTED))  # the session is gone, not just bounced


def test_absolute_timeout_is_12_hours(app, person):
    with freeze_time("2026-03-02 01:00:00") as clock:
        client = _signed_in(app, person)
        for _ in range(35):  # active every 20 minutes: never idle
            clock.tick(timedelta(minutes=20))
            assert client.get(PROTECTED).status_code == 200
        clock.tick(timedelta(minutes=18))  # 11:58 after login
        assert client.get(PROTECTED).status_code == 200
        clock.tick(timedelta(minutes=3))  # 12:01
        assert _is_login_redirect(client.get(PROTECTED))


def test_remember_me_lasts_30_days_and_is_not_fresh(app, person):
    with freeze_time("2026-03-02 01:00:00") as clock:
        client = app.test_client()
        response = login(client, person.phone, remember=True)
        cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token="))
        expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
        assert expires - datetime.now(UTC) <= timedelta(days=30)
        remembered = _capture(client, app)["remember_token"]

        clock.tick(timedelta(days=29))
        later = app.test_client()
        later.set_cookie("remember_token", remembered)
        assert later.get(PROTECTED).status_code == 200
        # Sensitive changes ask for the password again.
        response = later.post("/account/password", data={"csrf_token": fresh_csrf(later, "/account"),
                                                         "current": "demo-2026", "password": NEW_PASSWORD,
                                                         "password2": NEW_PASSWORD})
        assert _is_login_redirect(response)
        assert client.get(PROTECTED).status_code == 200  # idle for 29 days, but remembered


# --- production cookie flags (S7) ---------------------------------------------------------


def test_cookie_flags_in_production(database_url, person):
    app = create_app("production", {"SECRET_KEY": "p" * 48, "SQLALCHEMY_DATABASE_URI": database_url,
                                    "RATELIMIT_STORAGE_URI": "memory://"})
    try:
        client = app.test_client()
        https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
        headers = []
        page = client.get("/login", base_url="https://localhost")
        headers += page.headers.getlist("Set-Cookie")
        from tests.security.world import csrf_from

        token = csrf_from(page.get_data(as_text=True))
        response = client.post("/login", data={"phone": person.phone, "password": "demo-2026", "remember": "y",
                                               "csrf_token": token}, **https)
        assert response.status_code == 302
        headers += response.headers.getlist("Set-Cookie")
        headers += client.get("/my/orders", base_url="https://localhost").headers.getlist("Set-Cookie")
        account = client.get("/account", base_url="https://localhost")
        out = client.post("/logout", data={"csrf_token": csrf_from(account.get_data(as_text=True))}, **https)
        assert out.status_code == 302
        headers += out.headers.getlist("Set-Cookie")
        assert any(h.startswith("__Host-remember=") for h in headers)
        assert any(h.startswith("__Host-session=") for h in headers)
        bad = []
        for header in headers:
            attrs = [a.strip().lower() for a in header.split(";")]
            ok = (header.startswith("__Host-") and "secure" in attrs and "httponly" in attrs
                  and "samesite=lax" in attrs and "path=/" in attrs
                  and not any(a.startswith("domain=") for a in attrs))
            if not ok:
                bad.append(header)
        FIGURES["S7 Set-Cookie headers checked"] += len(headers)
        FIGURES["S7 Set-Cookie headers failing"] += len(bad)
        assert not bad, bad
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
