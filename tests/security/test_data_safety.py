"""S3: no GET writes; S4: PII only where DESIGN.md allows; S5: extra form fields change nothing."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from app.extensions import db as _db
from app.models import Assignment, Order, User
from tests.security.access_matrix import MATRIX, ROLES
from tests.security.bodies import readable_text
from tests.security.conftest import FIGURES
from tests.security.test_access_matrix import probe_urls
from tests.security.world import fresh_csrf, masked

HOLDING = ("accepted", "checked_in", "completed")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for table in _db.metadata.sorted_tables:
        rows = _db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
    return digest.hexdigest()


def _get_urls(app, world) -> list[str]:
    return [url for e, m in sorted(MATRIX) if m == "GET" for url in probe_urls(app, world, e)]


def test_get_is_safe(app, world):
    _db.session.expire_all()
    before = fingerprint()
    gets = 0
    for role in ROLES:
        for url in _get_urls(app, world):
            assert world.clients[role].get(url).status_code < 500
            gets += 1
    _db.session.expire_all()
    assert fingerprint() == before
    FIGURES["S3 GET requests that changed data"] = 0
    FIGURES["S3 GET requests checked"] += gets


def _allowed_orders(world, role) -> set[int]:
    if role in ("requester_a", "coordinator"):
        return {o.id for o in world.orders.values()}
    if role == "volunteer_offered":
        return {a.order_id for a in world.jobs.values() if a.state in HOLDING}
    return set()


def _scan(world, role, body, where, leaks) -> int:
    allowed = _allowed_orders(world, role)
    checks = 0
    for order_id, (phone, address) in world.canaries().items():
        for canary in (phone, address):
            checks += 1
            if canary in body and order_id not in allowed:
                leaks.append(f"{role} {where}: {canary} (order {order_id})")
    return checks


def test_pii_canaries(app, world):
    leaks, scanned = [], 0
    urls = _get_urls(app, world) + ["/no/such/page", "/dispatch/?q=CANARY"]
    for role in ROLES:
        for url in urls:
            response = world.clients[role].get(url)
            body = readable_text(response)
            if body is None:
                continue  # the favicon, the import's template: files, not pages (their contents have own tests)
            scanned += _scan(world, role, body, url, leaks)
    # The scan is not vacuous: the owner and the coordinator do see the canaries.
    for role, url in (("requester_a", "/my/orders/{}"), ("coordinator", "/dispatch/orders/{}")):
        order = world.orders["submitted"]
        assert order.contact_phone in world.clients[role].get(url.format(order.id)).get_data(as_text=True)
    # The offered volunteer sees the masked phone, not the real one, before accepting.
    vol = world.clients["volunteer_offered"]
    offered = world.jobs["dispatched"]
    page = vol.get(f"/jobs/{offered.id}").get_data(as_text=True)
    phone, address = world.canaries()[offered.order_id]
    assert masked(phone) in page and phone not in page and address not in page
    accepted = world.jobs["accepted"]
    phone, address = world.canaries()[accepted.order_id]
    page = vol.get(f"/jobs/{accepted.id}").get_data(as_text=True)
    assert phone in page and address in page
    # Withdrawn by the coordinator: masked again.
    coord = world.clients["coordinator"]
    withdrawn = coord.post(f"/dispatch/assignments/{accepted.id}/withdraw", data={
        "csrf_token": world.tokens["coordinator"], "reason_code": "schedule_changed"})
    assert withdrawn.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Assignment, accepted.id).state == "withdrawn"
    page = vol.get(f"/jobs/{accepted.id}").get_data(as_text=True)
    assert phone not in page and address not in page and masked(phone) in page
    scanned += 2
    FIGURES["S4 canary checks"] += scanned
    FIGURES["S4 canary leaks"] += len(leaks)
    assert not leaks, leaks[:20]


HOSTILE = {"state": "completed", "requester_id": "999", "volunteer_id": "999", "hours_confirmed": "1",
           "hours_credited": "1", "roles": "admin", "is_active": "0", "active": "0", "needed": "20",
           "accepted_count": "5", "id": "1", "order_id": "1", "session_token": "x" * 32,
           "password_hash": "plain", "password": "p"}


def test_mass_assignment(app, world):
    req = world.clients["requester_a"]
    requester = world.users["requester_a"]
    probes = 0
    # order form
    token = secrets.token_urlsafe(24)
    data = {**HOSTILE, "csrf_token": world.tokens["requester_a"], "service_date": "2031-03-01",
            "start_time": "09:00", "end_time": "10:00", "district_id": "17", "address": "荣华中路1号",
            "unit": "单位", "contact_name": "张明", "contact_phone": "13800000001", "audience_size": "10",
            "note": "", "form_token": token}
    assert req.post(f"/my/orders/new/{world.service_id}", data=data).status_code == 303
    order = _db.session.scalar(select(Order).where(Order.form_token == token))
    assert (order.state, order.requester_id, order.accepted_count) == ("submitted", requester.id, 0)
    assert order.needed == order.service.default_volunteers
    probes += len(HOSTILE)
    # register
    client = app.test_client()
    data = {**HOSTILE, "csrf_token": fresh_csrf(client, "/register"), "name": "批量赋值", "phone": "13900000601",
            "unit": "单位", "district_id": "1", "password": "Mass-assign-42", "password2": "Mass-assign-42"}
    assert client.post("/register", data=data).status_code == 302
    user = _db.session.scalar(select(User).where(User.phone == "13900000601"))
    assert user.roles == {"requester"} and user.active and user.password_hash.startswith("scrypt:")
    probes += len(HOSTILE)
    # cancel, rate, complete, decline
    _db.session.expire_all()
    submitted = world.orders["submitted"]
    assert req.post(f"/my/orders/{submitted.id}/cancel", data={
        **HOSTILE, "csrf_token": world.tokens["requester_a"], "reason_code": "other"}).status_code == 303
    completed = world.orders["completed"]
    assert req.post(f"/my/orders/{completed.id}/rate", data={
        **HOSTILE, "csrf_token": world.tokens["requester_a"], "stars": "4"}).status_code == 303
    vol = world.clients["volunteer_offered"]
    in_service = world.jobs["in_service"]
    assert vol.post(f"/jobs/{in_service.id}/complete", data={
        **HOSTILE, "csrf_token": world.tokens["volunteer_offered"], "hours": "2", "summary": "好"}).status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Order, submitted.id).state == "cancelled"
    rated = _db.session.get(Order, completed.id)
    assert (rated.state, rated.requester_id) == ("rated", requester.id)
    job = _db.session.get(Assignment, in_service.id)
    assert (job.state, job.volunteer_id, job.hours_credited) == ("completed", world.users["volunteer_offered"].id,
                                                                 False)
    for order in (rated, _db.session.get(Order, submitted.id)):
        assert order.needed == 1 and order.requester_id == requester.id
    probes += 3 * len(HOSTILE)
    FIGURES["S5 mass-assignment probes"] = probes
    FIGURES["S5 probes that took effect"] = 0
