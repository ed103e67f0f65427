"""S10: the server, not only the browser, ends a remembered login after 30 days.

The remember cookie's ``Expires`` is a request to the browser; a copied cookie,
a browser that ignores the date or a clock set back would otherwise keep the
login alive for ever. The issue time is signed into the cookie and checked on
every request.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from freezegun import freeze_time

from app.extensions import db as _db
from tests.security.conftest import FIGURES
from tests.security.world import login, new_user

PROTECTED = "/my/orders"
COOKIE = "remember_token"


@pytest.fixture
def person(db):
    user = new_user("13900000251", "记住我测试", ["requester"])
    _db.session.commit()
    return user


def _remembered(app, person) -> tuple[object, str]:
    client = app.test_client()
    response = login(client, person.phone, remember=True)
    assert response.status_code == 302 and response.location.endswith("/")
    return client, client.get_cookie(COOKIE).value


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.location


def _cookie_deleted(response) -> bool:
    return any(h.startswith(f"{COOKIE}=;") and "Expires=Thu, 01 Jan 1970" in h
               for h in response.headers.getlist("Set-Cookie"))


def test_a_remember_cookie_older_than_30_days_is_refused(app, person):
    with freeze_time("2026-03-02 01:00:00") as clock:
        _client, remembered = _remembered(app, person)
        clock.tick(timedelta(days=29, hours=23, minutes=59))
        assert _with_cookie(app, remembered).get(PROTECTED).status_code == 200
        clock.tick(timedelta(minutes=2))  # 30 days and 1 minute: the browser "still has it"
        response = _with_cookie(app, remembered).get(PROTECTED)
        assert _is_login_redirect(response)
        assert _cookie_deleted(response)
        FIGURES["S10 remember cookies refused after 30 days"] += 1


def test_a_session_restored_from_the_cookie_ends_with_the_cookie(app, person):
    """Restored on day 29 and used every few minutes: still over at day 30, not day 59."""
    with freeze_time("2026-03-02 01:00:00") as clock:
        _client, remembered = _remembered(app, person)
        clock.tick(timedelta(days=29, hours=23, minutes=40))
        browser = _with_cookie(app, remembered)
        assert browser.get(PROTECTED).status_code == 200  # a new session from the cookie
        for _ in range(3):
            clock.tick(timedelta(minutes=6))
            assert browser.get(PROTECTED).status_code == 200
        clock.tick(timedelta(minutes=6))  # 30 days and 4 minutes after the login
        assert _is_login_redirect(browser.get(PROTECTED))
        assert _is_login_redirect(browser.get(PROTECTED))  # the session is gone, not just bounced
        FIGURES["S10 remember cookies refused after 30 days"] += 1


def test_the_issue_time_cannot_be_moved_or_left_out(app, person):
    with freeze_time("2026-03-02 01:00:00") as clock:
        _client, remembered = _remembered(app, person)
        payload, _sep, digest = remembered.rpartition("|")
        token, _dot, issued = payload.partition(".")
        assert int(issued) > 0 and token == person.session_token
        clock.tick(timedelta(days=31))
        later = str(int(issued) + 2 * 86400)
        with app.app_context():
            legacy = encode_cookie(token)  # signed by the server, but with no issue time
        for value in (f"{token}.{later}|{digest}", legacy):
            response = _with_cookie(app, value).get(PROTECTED)
            assert _is_login_redirect(response), value
            FIGURES["S10 remember cookies refused after 30 days"] += 1
        assert _is_login_redirect(_with_cookie(app, remembered).get(PROTECTED))
