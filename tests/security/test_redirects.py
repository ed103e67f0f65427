"""S6: no redirect leaves the site, whatever ``next`` says."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db as _db
from tests.security.conftest import FIGURES
from tests.security.world import fresh_csrf, login, new_user

HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/my/orders",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "http://localhost:8443/my/orders",
    "https://localhost@evil.example/",
    "/%09/evil.example",
    "///evil.example",
    " //evil.example",
    "data:text/html,<script>alert(1)</script>",
    "\t//evil.example",
]


def _stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return parts.scheme in ("", "http") and parts.netloc in ("", "localhost") and not parts.path.startswith("//") \
        and "\\" not in parts.path


@pytest.fixture
def person(db):
    user = new_user("13900000301", "跳转测试", ["requester"])
    _db.session.commit()
    return user


def test_login_next_stays_on_site(app, person):
    from urllib.parse import quote

    for value in HOSTILE_NEXT:
        client = app.test_client()
        token = fresh_csrf(client, "/login")
        response = client.post(f"/login?next={quote(value, safe='')}",
                               data={"phone": person.phone, "password": "demo-2026", "csrf_token": token})
        assert response.status_code == 302, value
        assert _stays_on_site(response.location), (value, response.location)
        FIGURES["S6 next values refused"] += 1
    good = login(app.test_client(), person.phone, next_url="/my/orders")
    assert urlsplit(good.location).path == "/my/orders"


def test_language_switch_next_stays_on_site(app, db):
    client = app.test_client()
    for value in HOSTILE_NEXT:
        response = client.post("/language", data={"csrf_token": fresh_csrf(client), "locale": "en", "next": value})
        assert response.status_code == 302
        assert _stays_on_site(response.location), (value, response.location)
        FIGURES["S6 next values refused"] += 1
    response = client.post("/language", data={"csrf_token": fresh_csrf(client), "locale": "zh_Hans_CN",
                                              "next": "/services/1"})
    assert urlsplit(response.location).path == "/services/1"


def test_an_error_page_leads_back_only_to_a_page_of_this_site(client):
    def back_of(referrer: str) -> str:
        body = client.get("/no-such-page", headers={"Referer": referrer}).get_data(as_text=True)
        return body.split('data-testid="error-back"')[0].rsplit('href="', 1)[1].split('"')[0] \
            if 'data-testid="error-back"' in body else ""

    assert back_of("http://localhost/services/1") == "/services/1"
    assert back_of("https://evil.example/phish") == ""
    assert back_of("http://localhost//evil.example/") == ""
    assert back_of("http://localhost/no-such-page") == ""  # not back to itself
