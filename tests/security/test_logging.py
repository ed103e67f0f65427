"""S17: one structured audit line per security event; no password, phone or cookie in any log."""

from __future__ import annotations

import json
import logging

import pytest

from app.extensions import db as _db
from tests.security.conftest import FIGURES
from tests.security.world import fresh_csrf, login, new_user

PASSWORD_CANARY = "Canary-pass-7731"
PHONE_CANARY = "13900007731"


@pytest.fixture
def person(db):
    user = new_user(PHONE_CANARY, "日志测试", ["requester"])
    user.set_password(PASSWORD_CANARY)
    _db.session.commit()
    return user


def _audit_lines(caplog) -> list[dict]:
    lines = [r for r in caplog.records if r.name == "app.audit"]
    for r in lines:
        assert "\n" not in r.getMessage() and "\r" not in r.getMessage()
    return [json.loads(r.getMessage()) for r in lines]


def _one(caplog, action, outcome) -> dict:
    found = [e for e in _audit_lines(caplog) if e["action"] == action and e["outcome"] == outcome]
    assert len(found) == 1, (action, outcome, _audit_lines(caplog))
    entry = found[0]
    assert entry["ts"].endswith("+00:00") and entry["ip"] == "127.0.0.1"
    FIGURES["S17 audit events checked"] += 1
    return entry


def test_one_line_per_security_event(app, person, world, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")
    client = app.test_client()

    caplog.clear()
    assert login(client, person.phone, "wrong-password").status_code == 200
    failed = _one(caplog, "login", "failed")
    assert failed["user"] is None and failed["login"] and PHONE_CANARY not in json.dumps(failed)

    caplog.clear()
    assert login(client, person.phone, PASSWORD_CANARY).status_code == 302
    assert _one(caplog, "login", "ok")["user"] == person.id

    caplog.clear()
    token = fresh_csrf(client, "/account")
    new = "Other-canary-9917"
    assert client.post("/account/password", data={"csrf_token": token, "current": PASSWORD_CANARY,
                                                   "password": new, "password2": new}).status_code == 303
    assert _one(caplog, "password_change", "ok")["user"] == person.id

    caplog.clear()
    assert client.get("/dispatch/").status_code == 403
    assert _one(caplog, "access", "forbidden")["user"] == person.id

    caplog.clear()
    assert world.clients["requester_b"].get(f"/my/orders/{world.orders['submitted'].id}").status_code == 404
    assert _one(caplog, "access", "not_found")["user"] == world.users["requester_b"].id

    caplog.clear()
    assert client.post("/logout", data={"csrf_token": fresh_csrf(client)}).status_code == 302
    assert _one(caplog, "logout", "ok")["user"] == person.id

    caplog.clear()
    attacker = app.test_client()
    for _ in range(10):
        login(attacker, person.phone, "wrong-password")
    caplog.clear()
    assert login(attacker, person.phone, "wrong-password").status_code == 429
    _one(caplog, "rate_limit", "refused")


def test_a_line_break_in_input_adds_no_log_line(app, db, caplog):
    caplog.set_level(logging.INFO, logger="app.audit")
    client = app.test_client()
    login(client, "13900000001\r\nFAKE LOGIN OK user=1", "x")
    lines = _audit_lines(caplog)
    assert len(lines) == 1 and lines[0]["outcome"] == "failed"
    assert not any("FAKE LOGIN OK" in r.getMessage() for r in caplog.records)


def test_no_secret_in_any_log(app, person, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    login(client, person.phone, "wrong-" + PASSWORD_CANARY)
    login(client, person.phone, PASSWORD_CANARY, remember=True)
    client.get("/my/orders")
    client.get("/my/orders/999999")
    cookies = [c.value for name in ("session", "remember_token") if (c := client.get_cookie(name))]
    client.post("/logout", data={"csrf_token": fresh_csrf(client)})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text, "nothing was logged: the scan would prove nothing"
    for secret in (PASSWORD_CANARY, PHONE_CANARY, *cookies):
        assert secret not in text
    FIGURES["S17 log lines scanned"] += len(caplog.records)
