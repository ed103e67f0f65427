"""S13: every POST route refuses a request without a CSRF token, and accepts one with it."""

from __future__ import annotations

from app.extensions import csrf
from tests.security.access_matrix import MATRIX, ROLES
from tests.security.conftest import FIGURES
from tests.security.test_access_matrix import SESSION_ENDING, app_routes, probe_urls
from tests.security.world import fresh_csrf

ALLOWED = ("ok", "redirect", 200)


def _post_routes(app) -> list[str]:
    endpoints = sorted({e for e, m in app_routes(app) if m == "POST"})
    return sorted(endpoints, key=lambda e: (e in SESSION_ENDING, e))


def _allowed_role(endpoint: str) -> str:
    row = MATRIX[(endpoint, "POST")]
    if endpoint == "auth.logout":
        return "requester_a"
    return next(role for role in ROLES if row[role] in ALLOWED)


def test_no_view_is_exempt(app):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert not csrf._exempt_views and not csrf._exempt_blueprints


def test_csrf_every_post_route(app, world):
    failures, checked = [], 0
    for endpoint in _post_routes(app):
        role = _allowed_role(endpoint)
        client = world.clients[role]
        url = probe_urls(app, world, endpoint)[0]
        without = client.post(url, data={})
        forged = client.post(url, data={"csrf_token": "forged." + world.tokens[role][7:]})
        if without.status_code != 400 or 'data-testid="error-message"' not in without.get_data(as_text=True):
            failures.append(f"{endpoint} without token as {role}: {without.status_code}")
        if forged.status_code != 400:
            failures.append(f"{endpoint} with a forged token as {role}: {forged.status_code}")
        with_token = client.post(url, data={"csrf_token": fresh_csrf(client)})
        if with_token.status_code == 400:
            failures.append(f"{endpoint} with token as {role}: 400")
        checked += 1
    FIGURES["S13 POST routes checked"] = checked
    FIGURES["S13 POST routes failing"] = len(failures)
    assert not failures, failures
    assert checked == len(_post_routes(app))


def test_https_refuses_a_cross_site_referer(app, world):
    client = world.clients["requester_a"]
    url = f"/my/orders/{world.orders['submitted'].id}/cancel"
    token = fresh_csrf(client)
    data = {"csrf_token": token}
    https = {"base_url": "https://localhost"}
    assert client.post(url, data=data, headers={"Referer": "https://evil.example/x"}, **https).status_code == 400
    assert client.post(url, data=data, **https).status_code == 400  # no Referer at all
    same_site = client.post(url, data=data, headers={"Referer": "https://localhost/my/orders"}, **https)
    assert same_site.status_code == 422  # past CSRF: the reason is missing
