"""S11: failed logins are limited per account (10 / 15 min) and per client address (30 / 15 min)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from app.extensions import db as _db
from tests.security.conftest import FIGURES
from tests.security.world import fresh_csrf, new_user

CHINESE_429 = "尝试次数过多"


def _attempt(client, phone, password="wrong-password", **kwargs):
    return client.post("/login", data={"phone": phone, "password": password, "csrf_token": fresh_csrf(client)},
                       **kwargs)


def test_ten_failures_per_account_then_429(app, db):
    owner = new_user("13900000401", "限流账户", ["requester"])
    other = new_user("13900000402", "同址账户", ["requester"])
    _db.session.commit()
    # Frozen at the real time: the limiter's memory storage also expires keys from a timer thread.
    with freeze_time(datetime.now(UTC)) as clock:
        attacker = app.test_client()
        for i in range(10):
            response = _attempt(attacker, owner.phone)
            assert response.status_code == 200, i
            assert "danger" in response.get_data(as_text=True)
        refused = _attempt(attacker, owner.phone, password="demo-2026")  # even the right password waits
        assert refused.status_code == 429
        assert CHINESE_429 in refused.get_data(as_text=True)
        FIGURES["S11 per-account failures admitted before 429"] = 10
        # Another account from the same address is not locked out.
        assert _attempt(app.test_client(), other.phone, password="demo-2026").status_code == 302
        # The owner gets in again once the window has passed.
        clock.tick(timedelta(minutes=15, seconds=1))
        assert _attempt(app.test_client(), owner.phone, password="demo-2026").status_code == 302


def test_thirty_failures_per_address_then_429(app, db):
    client = app.test_client()
    for i in range(30):
        # A different account each time, and a forged X-Forwarded-For: neither gives a fresh bucket.
        response = _attempt(client, f"1370000{i:04d}", headers={"X-Forwarded-For": f"10.0.0.{i}"})
        assert response.status_code == 200, i
    response = _attempt(client, "13700009999", headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429
    assert CHINESE_429 in response.get_data(as_text=True)
    FIGURES["S11 per-address failures admitted before 429"] = 30
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert _attempt(elsewhere, "13700009999").status_code == 200


def test_successful_logins_do_not_count(app, db):
    person = new_user("13900000403", "常登录", ["requester"])
    _db.session.commit()
    for i in range(12):
        response = _attempt(app.test_client(), person.phone, password="demo-2026")
        assert response.status_code == 302, i
    for i in range(9):
        assert _attempt(app.test_client(), person.phone).status_code == 200, i
