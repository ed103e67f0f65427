"""The sign-in limits apply through Flask-Limiter's documented decorators."""

from __future__ import annotations


def test_failed_sign_ins_still_meet_the_account_limit(app, db, client, users):
    from tests.conftest import login

    codes = [login(client, users["requester"].phone, "wrong-password").status_code for _ in range(11)]
    assert codes[-1] == 429, codes
