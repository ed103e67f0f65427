"""S14: security headers on every response: each GET route x role, errors, static files."""

from __future__ import annotations

from app.assets import asset_url
from tests.security.access_matrix import MATRIX, ROLES
from tests.security.checks import header_problems
from tests.security.conftest import FIGURES
from tests.security.test_access_matrix import probe_urls


def test_security_headers_on_every_get_route_and_role(app, world):
    problems, probed = [], 0
    gets = sorted(e for e, m in MATRIX if m == "GET")
    for role in ROLES:
        client = world.clients[role]
        signed_in = role not in ("anonymous", "deactivated")
        for endpoint in gets:
            for url in probe_urls(app, world, endpoint)[:3]:
                for https in (False, True):
                    kwargs = {"base_url": "https://localhost"} if https else {}
                    response = client.get(url, **kwargs)
                    probed += 1
                    found = header_problems(response, https=https, signed_in=signed_in and response.status_code == 200)
                    problems += [f"{role} {url} https={https}: {p}" for p in found]
    with app.test_request_context():
        hashed = asset_url("css/bootstrap.css")
    extra = {
        "404": world.clients["requester_a"].get("/no/such/page"),
        "static": world.clients["anonymous"].get("/static/css/app.css"),
        "hashed static": world.clients["anonymous"].get(hashed),
        "405": world.clients["anonymous"].get("/logout"),
    }
    token = world.tokens["volunteer_offered"]
    extra["409"] = world.clients["volunteer_offered"].post(
        f"/jobs/{world.jobs['accepted'].id}/accept", data={"csrf_token": token}
    )
    extra["400"] = world.clients["anonymous"].post("/login", data={})
    for name, response in extra.items():
        assert response.status_code == (int(name) if name.isdigit() else 200), name
        problems += [f"{name}: {p}" for p in header_problems(response)]
        probed += 1
    FIGURES["S14 responses checked"] += probed
    FIGURES["S14 responses missing a header"] += len(problems)
    assert not problems, problems[:20]
