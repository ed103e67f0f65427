"""S1, S2: every route is classified; every cell of the matrix is probed."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

from tests.security.access_matrix import LOGIN, MATRIX, OK, REDIRECT, ROLES, UNPROBED
from tests.security.conftest import FIGURES
from tests.security.world import World, fresh_csrf

IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Probed last for each role: they end or renew the session.
SESSION_ENDING = ("auth.sign_out_everywhere", "auth.logout")


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNPROBED
        for method in rule.methods - IGNORED_METHODS
    }


def test_every_route_is_in_the_matrix(app):
    routes = app_routes(app)
    unclassified = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not unclassified, f"routes missing from tests/security/access_matrix.py: {unclassified}"
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"
    for key, row in MATRIX.items():
        assert set(row) == set(ROLES), f"{key}: every role needs an expected answer"
    FIGURES["S1 routes classified"] = len(routes)
    FIGURES["S1 unclassified routes"] = len(unclassified)


def _arg_values(world: World, arg: str, converter) -> list:
    if arg == "order_id":
        return [o.id for o in world.orders.values()]
    if arg == "assignment_id":
        return [a.id for a in world.jobs.values()]
    if arg in ("service_id", "item_id"):  # item_id: a service or a category of the menu
        return [world.service_id]
    if arg == "guest_token":
        return [world.guest_token]
    if arg == "team_id":
        return [world.team_id]
    if arg == "photo_id":
        return [world.photo_id]
    if arg == "wish_id":
        return [world.wish_id]
    if arg == "certificate_id":
        return [world.certificate_id]
    if arg == "cert_token":
        return [world.certificate_token]
    if arg == "feedback_token":
        return [world.feedback_token]
    if arg == "token":
        return [world.check_in_token]
    if arg == "correction_id":
        return [world.correction_id]
    if arg == "category_id":
        return [world.category_id]
    if arg == "user_id":
        return [world.account_id]
    if arg == "profile_id":
        return [world.profile_id]
    if arg == "job_id":
        return [world.export_job_id]
    if arg == "notification_id":
        return [world.notification_id]
    if arg == "action":
        return sorted(converter.items) if hasattr(converter, "items") else ["reject", "cancel"]
    if arg in ("fmt", "kind", "status", "direction", "decision"):  # an export's file type and table; a menu move
        return sorted(converter.items)
    raise AssertionError(f"the probes do not know how to fill <{arg}>: teach _arg_values")


def probe_urls(app, world: World, endpoint: str) -> list[str]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    combos: list[dict] = [{}]
    for arg in sorted(rule.arguments):
        values = _arg_values(world, arg, rule._converters.get(arg))
        combos = [{**c, arg: v} for c in combos for v in values]
    with app.test_request_context():
        return [url_for(endpoint, **c) for c in combos]


def classify(response) -> str:
    if response.status_code in (301, 302, 303):
        path = urlsplit(response.location).path
        return LOGIN if path == "/login" else REDIRECT
    return str(response.status_code)


def matches(expected, response) -> bool:
    got = classify(response)
    if expected == OK:
        return response.status_code in (200, 409, 422) or got == REDIRECT
    return got == str(expected)


def probe_plan(app, world: World) -> list[tuple[str, str, str]]:
    plan = []
    for endpoint, method in sorted(MATRIX, key=lambda k: (k[0] in SESSION_ENDING, SESSION_ENDING.index(k[0])
                                                          if k[0] in SESSION_ENDING else 0, k)):
        for url in probe_urls(app, world, endpoint):
            plan.append((endpoint, method, url))
    return plan


def test_every_cell_of_the_matrix(app, world):
    plan = probe_plan(app, world)
    failures, probes = [], 0
    for role in ROLES:
        client = world.clients[role]
        token = world.tokens[role]
        for endpoint, method, url in plan:
            expected = MATRIX[(endpoint, method)][role]
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token})
            probes += 1
            if not matches(expected, response) or response.status_code >= 500:
                failures.append(f"{role:22} {method:4} {url}: expected {expected}, got {classify(response)}")
            if endpoint.startswith("auth.") and method == "POST":
                token = fresh_csrf(client)
    FIGURES["S2 probes run"] += probes
    FIGURES["S2 probes passed"] += probes - len(failures)
    print(f"S2: {probes} probes, {len(failures)} failed")
    assert not failures, f"{len(failures)} of {probes} probes failed:\n" + "\n".join(failures)


def test_another_users_object_answers_like_a_missing_one(app, world):
    """404 for 'not yours' and 'does not exist', with the same page."""
    missing = 999_999
    pairs = [
        ("requester_b", f"/my/orders/{world.orders['submitted'].id}", f"/my/orders/{missing}"),
        ("volunteer_not_offered", f"/jobs/{world.jobs['dispatched'].id}", f"/jobs/{missing}"),
        ("volunteer_offered", f"/jobs/{world.declined_job.id}", f"/jobs/{missing}"),
    ]
    for role, theirs, absent in pairs:
        client = world.clients[role]
        a, b = client.get(theirs), client.get(absent)
        assert a.status_code == b.status_code == 404, role
        body_a = a.get_data(as_text=True).replace(theirs, "")
        body_b = b.get_data(as_text=True).replace(absent, "")
        assert _strip_tokens(body_a) == _strip_tokens(body_b), role
        FIGURES["S2 not-yours vs missing comparisons"] += 1


def _strip_tokens(html: str) -> str:
    import re

    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_the_volunteer_who_declined_still_sees_only_their_own_slot(world):
    client = world.clients["volunteer_declined"]
    assert client.get(f"/jobs/{world.declined_job.id}").status_code == 200
    token = world.tokens["volunteer_declined"]
    assert client.post(f"/jobs/{world.declined_job.id}/accept", data={"csrf_token": token}).status_code == 409
    for job in world.jobs.values():
        assert client.get(f"/jobs/{job.id}").status_code == 404
