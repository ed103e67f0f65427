"""The world: one order in every state, every role signed in, canary PII.

Used by the access matrix, PII, XSS, header and mass-assignment tests. Canary
phone numbers (``138001380nn``) and addresses (``测试路nn号CANARY``) are unique
per order, so a leak names its source.
"""

from __future__ import annotations

import re
import time as _time
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import lru_cache

from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import workflow
from app.auth.sessions import deactivate_user
from app.extensions import db, limiter
from app.models import (
    Assignment,
    ExportJob,
    HourCorrection,
    Notification,
    Order,
    Service,
    ServiceCertificate,
    Team,
    User,
    VolunteerProfile,
    Wish,
)
from app.models.users import mask_phone
from app.seed import DEMO_PASSWORD
from app.services import certificates, checkin_codes, feedback, photos, proxy_orders
from app.services import orders as order_service
from tests.conftest import check_in_at_the_start

ORDER_STATES = ("submitted", "dispatched", "accepted", "in_service", "completed", "rated",
                "rejected", "cancelled")
SERVICE_NAME = "交通安全法规宣讲"
CANARY_ID_NUMBER = "11010519491231002X"  # a valid resident ID number no page may show in full
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def fresh_csrf(client: FlaskClient, url: str = "/") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def login(client: FlaskClient, phone: str, password: str = DEMO_PASSWORD, remember: bool = False,
          next_url: str | None = None):
    token = fresh_csrf(client, "/login")
    data = {"phone": phone, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data=data)


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    return generate_password_hash(DEMO_PASSWORD, method="scrypt")


def new_user(phone: str, name: str, roles: list[str]) -> User:
    """A user with the demo password (hashed once per run: scrypt is slow on purpose)."""
    user = User(phone=phone, name=name, unit="测试单位", district_id=1)
    user.password_hash = demo_password_hash()
    user.set_roles(roles)
    db.session.add(user)
    if "volunteer" in roles:
        db.session.add(VolunteerProfile(user=user, status="approved"))
    db.session.flush()
    return user


def sign_in_directly(client: FlaskClient, user: User) -> None:
    """A fresh signed-in session without the login form (whose scrypt check is slow).

    The session and sessions tests use the real form; this is for tests about
    what a signed-in person may see and do.
    """
    with client.application.test_request_context(environ_base=client.environ_base):
        ident = _create_identifier()
    with client.session_transaction() as sess:
        now = int(_time.time())
        sess.update({"_user_id": user.get_id(), "_fresh": True, "_id": ident,
                     "login_at": now, "seen_at": now, "remember": False})


def canary_phone(n: int) -> str:
    return f"138001380{n:02d}"


def canary_address(n: int) -> str:
    return f"测试路{n:02d}号CANARY"


def place(requester: User, n: int, service: Service | None = None, **overrides) -> Order:
    svc = service or db.session.scalar(select(Service).where(Service.name == SERVICE_NAME))
    values = dict(
        service_id=svc.id,
        service_date=date.today() + timedelta(days=svc.min_notice_days + 2 + n % 20),
        start_time=time(9, 0), end_time=time(11, 0), district_id=17,
        address=canary_address(n), contact_name=f"联系人{n:02d}", contact_phone=canary_phone(n),
        audience_size=30, unit="北京亦庄智造科技有限公司", note="", form_token=None,
    )
    values.update(overrides)
    return order_service.place_order(requester, order_service.OrderRequest(**values))


def drive(order: Order, state: str, requester: User, crew: list[User], coordinator: User) -> Order:
    """Move a submitted ``order`` to ``state`` through the workflow, as the real actors."""
    if state == "submitted":
        return order
    if state == "rejected":
        order_service.dispatch_order(order, crew, coordinator)
        workflow.apply(order, "reject", coordinator, reason_code="out_of_scope")
        return order
    slots = order_service.dispatch_order(order, crew, coordinator)
    if state == "dispatched":
        return order
    for a in slots:
        workflow.apply(a, "accept", a.volunteer)
    if state == "cancelled":
        workflow.apply(order, "cancel", requester, reason_code="requester_withdrew")
        return order
    if state == "accepted":
        return order
    check_in_at_the_start(order, slots)
    if state == "in_service":
        return order
    for a in slots:
        workflow.apply(a, "complete", a.volunteer, hours="2", summary="顺利完成")
    if state == "completed":
        return order
    order_service.rate_order(order, requester, 5, "很好")
    return order


@dataclass
class World:
    users: dict[str, User | None]
    orders: dict[str, Order]
    jobs: dict[str, Assignment]  # the offered volunteer's slot, by order state
    declined_job: Assignment
    service_id: int
    account_id: int  # an account for the back office to act on (roles, deactivation, password)
    profile_id: int = 0  # a pending volunteer application, with the canary ID number
    notification_id: int = 0  # one of requester A's notifications
    export_job_id: int = 0  # the coordinator's export, still waiting for the worker
    category_id: int = 0  # the category of the service above
    correction_id: int = 0  # hours the coordinator proposed (补录) for the offered volunteer
    check_in_token: str = ""  # the QR token of the order the offered volunteer accepted
    feedback_token: str = ""  # the attendees' link of the completed order
    certificate_id: int = 0  # a service record of the offered volunteer
    wish_id: int = 0  # requester A's wish, waiting for the desk
    team_id: int = 0  # a team with the offered volunteer in it
    guest_token: str = ""  # the signed link of requester A's completed order (as 代下单 sends it)
    photo_id: int = 0  # a 结项 photo of the offered volunteer's completed job
    certificate_token: str = ""  # its verification link
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def canaries(self) -> dict[int, tuple[str, str]]:
        return {o.id: (o.contact_phone, o.address) for o in self.orders.values()}


def build_world(app, seeded: dict[str, User], sign_in: bool = True) -> World:
    """Users for every role, one order per state (needed=1), signed-in clients."""
    limiter.reset()
    requester_a = seeded["requester"]
    coordinator = seeded["coordinator"]
    vol_offered = seeded["volunteer"]
    users: dict[str, User | None] = {
        "anonymous": None,
        "requester_a": requester_a,
        "requester_b": new_user("13900000101", "乙请求人", ["requester"]),
        "volunteer_offered": vol_offered,
        "volunteer_not_offered": new_user("13900000102", "未派志愿者", ["volunteer"]),
        "volunteer_declined": new_user("13900000103", "婉拒志愿者", ["volunteer"]),
        "coordinator": coordinator,
        "admin": new_user("13900000104", "仅管理员", ["admin"]),
        "deactivated": new_user("13900000105", "已停用", ["requester", "volunteer"]),
    }
    orders: dict[str, Order] = {}
    for n, state in enumerate(ORDER_STATES, start=10):
        order = place(requester_a, n)
        orders[state] = drive(order, state, requester_a, [vol_offered], coordinator)
        assert order.state == state, (state, order.state)
    declined = order_service.dispatch_order(orders["dispatched"], [users["volunteer_declined"]], coordinator)[0]
    workflow.apply(declined, "decline", users["volunteer_declined"], reason_code="too_far")
    db.session.commit()
    jobs = {}
    for state, order in orders.items():
        mine = [a for a in order.assignments if a.volunteer_id == vol_offered.id]
        if mine:
            jobs[state] = mine[-1]
    service_id, category_id = db.session.execute(
        select(Service.id, Service.category_id).where(Service.name == SERVICE_NAME)).one()
    account = new_user("13900000106", "待管理账户", ["requester"])
    applicant = new_user("13900000107", "申请志愿者", ["requester"])
    application = VolunteerProfile(user=applicant, status="pending", real_name="申请人CANARY", id_type="resident_id",
                                   id_number=CANARY_ID_NUMBER, applied_at=applicant.created_at)
    db.session.add(application)
    db.session.flush()
    notice = db.session.scalar(select(Notification.id).where(Notification.user_id == requester_a.id).limit(1))
    export = ExportJob(user_id=coordinator.id, kind="orders", fmt="xlsx")
    db.session.add(export)
    correction = HourCorrection(volunteer_id=vol_offered.id, hours=1, served_on=date.today(), activity="补录",
                                reason="漏签", evidence="签到表", proposed_by_id=coordinator.id)
    db.session.add(correction)
    certificate = ServiceCertificate(
        number="2026-0999", volunteer_id=vol_offered.id, period_start=date(2026, 1, 1), period_end=date(2026, 6, 30),
        real_name="记录人", id_type="resident_id", id_number="110115198506151239", volunteer_number="YZ202699999",
        total_hours=2, lines="[]", issuer_name="中心", issuer_head="负责人", issuer_handler="经办人",
        issuer_phone="010-1234", issued_by_id=coordinator.id)
    db.session.add(certificate)
    wish = Wish(requester_id=requester_a.id, title="心愿", description="描述", audience_size=10,
                district_id=orders["submitted"].district_id, address=orders["submitted"].address,
                date_from=date.today() + timedelta(days=10), date_to=date.today() + timedelta(days=20))
    db.session.add(wish)
    team = Team(name="宣讲队", members=[vol_offered])
    db.session.add(team)
    photo = photos.keep(jobs["completed"], [photos.reencoded(_a_png())])[0]
    db.session.flush()
    world = World(users=users, orders=orders, jobs=jobs, declined_job=declined, service_id=service_id,
                  account_id=account.id, profile_id=application.id, notification_id=notice,
                  export_job_id=export.id, category_id=category_id, correction_id=correction.id,
                  check_in_token=checkin_codes.token_for(orders["accepted"]),
                  feedback_token=feedback.token_for(orders["completed"]), certificate_id=certificate.id,
                  certificate_token=certificates.token_for(certificate), wish_id=wish.id,
                  team_id=team.id, guest_token=proxy_orders.token_for(orders["completed"]), photo_id=photo.id)
    db.session.commit()
    if sign_in:
        for role, user in users.items():
            client = app.test_client()
            if user is not None:
                sign_in_directly(client, user)
            world.clients[role] = client
        deactivate_user(users["deactivated"])
        db.session.commit()
        for role, client in world.clients.items():
            world.tokens[role] = fresh_csrf(client)
        limiter.reset()
    return world


def masked(phone: str) -> str:
    return mask_phone(phone)


def _a_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 16, 46)).save(out, "PNG")
    return out.getvalue()
