"""The sign-in limits still apply with Flask-Limiter's check before every request dropped."""

from __future__ import annotations

from app.extensions import limiter


def test_no_limiter_check_runs_before_every_request(app):
    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])


def test_failed_sign_ins_still_meet_the_account_limit(app, db, client, users):
    from tests.conftest import login

    codes = [login(client, users["requester"].phone, "wrong-password").status_code for _ in range(11)]
    assert codes[-1] == 429, codes
