"""志愿者管理: apply, approve, reject, suspend, resume; the profile; matching by the grid and dates away."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.id_numbers import check_digit, resident_id_problem
from app.models import AuditEntry, Notification, Order, Service, User, VolunteerAway, VolunteerProfile
from app.models.users import availability_bit, mask_id_number
from app.seed import demo_id_number
from app.services import matching, volunteers
from app.services import orders as order_service
from app.services.errors import ValidationFailed
from app.services.settings import update_settings
from tests.conftest import csrf_token, login, make_user

GOOD_ID = "11010519491231002X"


# --- the ID number -----------------------------------------------------------------------


@pytest.mark.parametrize("number", [GOOD_ID, demo_id_number(1), demo_id_number(42), "440524188001010014"])
def test_a_resident_id_with_its_check_digit_passes(number):
    assert resident_id_problem(number) is None


@pytest.mark.parametrize(("number", "problem"), [
    ("110105194912310021", "check"),  # the right number ends in X
    ("11010519491231002", "format"),  # 17 characters
    ("1101051949123100X2", "format"),  # X only last
    ("110105194902300027", "birth"),  # 30 February
])
def test_a_resident_id_is_refused_with_why(number, problem):
    assert resident_id_problem(number) == problem


def test_the_check_digit_of_every_remainder():
    assert check_digit("11010519491231002") == "X"
    assert {check_digit(f"1101051949123100{i}") for i in range(10)} <= set("10X98765432")


def test_the_id_number_is_masked_but_its_ends():
    assert mask_id_number(GOOD_ID) == "1101**********002X"
    assert mask_id_number("E1234567") == "********"


# --- applying and the queue, through the pages --------------------------------------------------


def grid_data(*slots: tuple[int, int]) -> list[str]:
    return [str(availability_bit(d, p)) for d, p in slots]


def application(service: Service, **overrides) -> dict:
    data = {"real_name": "孙悦", "id_type": "resident_id", "id_number": GOOD_ID.lower(),
            "services": [str(service.id)], "districts": ["17"], "availability": grid_data(*((d, 0) for d in range(7))),
            "away": "", "skills": "普通话二甲", "certificates": "", "bio": "热心公益"}
    data.update(overrides)
    return data


@pytest.fixture
def traffic(db) -> Service:
    return db.session.scalar(select(Service).where(Service.name == "交通安全法规宣讲"))


@pytest.fixture
def applicant(app, db):
    user = make_user("13977770001", "孙悦", ["requester"])
    db.session.commit()
    client = app.test_client()
    assert login(client, user.phone).status_code == 302
    return user, client


def apply_as(client, data: dict):
    return client.post("/jobs/apply", data={**data, "csrf_token": csrf_token(client, "/jobs/apply")})


def profile_of(db, user: User) -> VolunteerProfile:
    db.session.expire_all()
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id))


def test_a_bad_application_comes_back_with_every_message_and_what_was_typed(applicant, traffic):
    user, client = applicant
    page = apply_as(client, application(traffic, id_number="110105194912310021", services=[],
                                        away="2026-12-24\n明天", real_name="孙悦悦"))
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    for field in ("id_number", "categories", "away"):
        assert f'data-testid="error-{field}"' in html, field
    assert "孙悦悦" in html and "明天" in html
    assert "110105194912310021" in html  # typed by them, shown back to them only


def test_apply_approve_and_be_suggested(db, applicant, traffic, login_as, make_order):
    user, client = applicant
    assert apply_as(client, application(traffic)).status_code == 303
    profile = profile_of(db, user)
    assert (profile.state, profile.id_number, profile.volunteer_number) == ("pending", GOOD_ID, None)
    assert "1101**********002X" in client.get("/jobs/apply").get_data(as_text=True)
    order = make_order("submitted")  # 交通安全法规宣讲 in 经开区, 09:00-11:00
    with client.application.test_request_context():
        assert user.id not in {c.volunteer.id for c in matching.rank(order)}

    admin = login_as("admin")
    queue = admin.get("/admin/volunteers").get_data(as_text=True)
    assert f'data-testid="volunteer-row-{profile.id}"' in queue and GOOD_ID not in queue
    approved = admin.post(f"/admin/volunteers/{profile.id}/approve", data={"csrf_token": csrf_token(admin, "/admin/")})
    assert approved.status_code == 303
    profile = profile_of(db, user)
    year = datetime.now().year
    assert profile.state == "approved" and profile.volunteer_number.startswith(f"YZ{year}")
    assert len(profile.volunteer_number) == 11 and user.id in {
        u for u, in db.session.execute(select(VolunteerProfile.user_id).where(VolunteerProfile.status == "approved"))}
    assert db.session.get(User, user.id).has_role("volunteer") and db.session.get(User, user.id).has_role("requester")
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == user.id)) == "volunteer_approved"
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_key == str(profile.id))
                                      .order_by(AuditEntry.id)))
    assert actions == ["volunteer.apply", "volunteer.approve"]
    # Approving twice is refused: the state has moved on.
    assert admin.post(f"/admin/volunteers/{profile.id}/approve",
                      data={"csrf_token": csrf_token(admin, "/admin/")}).status_code == 409
    with client.application.test_request_context():
        found = {c.volunteer.id: c for c in matching.rank(order)}
    assert found[user.id].eligible and ("available",) in found[user.id].reason_keys  # mornings every day
    # The notification leads to the profile, which shows the number.
    notice = db.session.scalar(select(Notification.id).where(Notification.user_id == user.id))
    assert f"/notifications/{notice}/open" in client.get("/notifications/").get_data(as_text=True)
    opened = client.post(f"/notifications/{notice}/open", data={"csrf_token": csrf_token(client, "/notifications/")})
    assert opened.status_code == 303 and opened.location.endswith("/jobs/apply")
    assert profile.volunteer_number in client.get("/jobs/profile").get_data(as_text=True)


def test_numbers_are_unique_and_follow_on(db, users):
    admin = users["admin"]
    numbers = []
    for i in range(3):
        user = make_user(f"1397777100{i}", f"号{i}", ["requester"])
        profile = volunteers.apply(user, volunteers.VolunteerDetails(real_name=f"号{i}", id_type="passport",
                                                                      id_number=f"E1234567{i}"))
        volunteers.approve(profile, admin)
        numbers.append(profile.volunteer_number)
    sequence = [int(n[-5:]) for n in numbers]
    assert len(set(numbers)) == 3 and sequence == list(range(sequence[0], sequence[0] + 3))


def test_reject_then_apply_again(db, applicant, traffic, login_as, make_order):
    user, client = applicant
    apply_as(client, application(traffic))
    profile = profile_of(db, user)
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/")
    missing_reason = admin.post(f"/admin/volunteers/{profile.id}/reject", data={"csrf_token": token})
    assert missing_reason.status_code == 422 and 'data-testid="error-reason_code"' in missing_reason.get_data(
        as_text=True)
    assert admin.post(f"/admin/volunteers/{profile.id}/reject", data={
        "csrf_token": token, "reason_code": "identity", "note": "证件照片不清晰"}).status_code == 303
    profile = profile_of(db, user)
    assert profile.state == "rejected" and profile.decided_note == "证件照片不清晰"
    assert not db.session.get(User, user.id).has_role("volunteer")
    order = make_order("submitted")
    assert user.id not in {c.volunteer.id for c in matching.rank(order)}
    page = client.get("/jobs/apply").get_data(as_text=True)
    assert "证件照片不清晰" in page and 'data-testid="apply-form"' in page
    assert apply_as(client, application(traffic)).status_code == 303
    assert profile_of(db, user).state == "pending"


def test_suspended_is_neither_suggested_nor_offered_until_resumed(db, users, applicant, traffic, login_as,
                                                                   make_order):
    user, client = applicant
    apply_as(client, application(traffic))
    profile = profile_of(db, user)
    volunteers.approve(profile, users["admin"])
    db.session.commit()
    order = make_order("submitted")
    assert user.id in {c.volunteer.id for c in matching.rank(order) if c.eligible}
    admin = login_as("admin")
    token = csrf_token(admin, "/admin/")
    assert admin.post(f"/admin/volunteers/{profile.id}/suspend", data={
        "csrf_token": token, "reason_code": "no_shows"}).status_code == 303
    db.session.expire_all()
    assert profile_of(db, user).state == "suspended"
    found = {c.volunteer.id: c for c in matching.rank(order)}
    assert user.id not in {c.volunteer.id for c in matching.rank(order) if c.eligible}
    assert user.id not in found or found[user.id].why == "not_approved"
    with pytest.raises(ValidationFailed):
        order_service.dispatch_order(order, [db.session.get(User, user.id)], users["coordinator"])
    db.session.rollback()
    assert admin.post(f"/admin/volunteers/{profile.id}/resume", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert user.id in {c.volunteer.id for c in matching.rank(order) if c.eligible}
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)))
    assert {"volunteer_approved", "volunteer_suspended", "volunteer_resumed"} <= kinds


def test_a_pending_applicant_is_not_offered(db, users, traffic, make_order):
    user = make_user("13977770201", "待审", ["volunteer"], approved=False)
    order = make_order("submitted")
    with pytest.raises(ValidationFailed):
        order_service.dispatch_order(order, [user], users["coordinator"])


# --- the volunteer's own profile -----------------------------------------------------------------


def _approved_via_pages(db, users, applicant, traffic):
    user, client = applicant
    apply_as(client, application(traffic))
    volunteers.approve(profile_of(db, user), users["admin"])
    db.session.commit()
    return user, client


def edit(client, data: dict):
    data = {k: v for k, v in data.items() if k not in ("real_name", "id_type", "id_number")}
    return client.post("/jobs/profile", data={**data, "csrf_token": csrf_token(client, "/jobs/profile")})


@pytest.mark.parametrize("needs_approval", [False, True])
def test_changing_services_goes_back_to_pending_only_with_the_setting(db, users, applicant, traffic,
                                                                      needs_approval):
    user, client = _approved_via_pages(db, users, applicant, traffic)
    update_settings({"volunteer_changes_need_approval": needs_approval}, users["admin"])
    db.session.commit()
    # The grid and dates away alone never need approval.
    assert edit(client, application(traffic, availability=grid_data((0, 1)), away="2030-01-01~2030-01-03")
                ).status_code == 303
    profile = profile_of(db, user)
    assert profile.state == "approved" and profile.availability == availability_bit(0, 1)
    assert [(a.starts_on.isoformat(), a.ends_on.isoformat()) for a in profile.away] == [("2030-01-01", "2030-01-03")]
    flowers = db.session.scalar(select(Service).where(Service.name == "插花艺术体验"))
    assert edit(client, application(traffic, services=[str(traffic.id), str(flowers.id)])).status_code == 303
    profile = profile_of(db, user)
    assert profile.state == ("pending" if needs_approval else "approved")
    assert {s.name for s in profile.services} == {traffic.name, flowers.name}
    assert "volunteer.profile" in set(db.session.scalars(select(AuditEntry.action)))


def test_a_bad_profile_edit_keeps_what_was_typed(db, users, applicant, traffic):
    user, client = _approved_via_pages(db, users, applicant, traffic)
    page = edit(client, application(traffic, away="2030-02-30", skills="急救"))
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert 'data-testid="error-away"' in html and "急救" in html and "2030-02-30" in html


# --- matching: the grid over the window, dates away, who may deliver -------------------------------


def at(order: Order, start: str, end: str) -> Order:
    """The order moved to ``start``-``end`` (HH:MM, Beijing time) on its own day."""
    day = order.starts_at.astimezone(matching.BEIJING).date()

    def moment(hhmm: str) -> datetime:
        h, m = map(int, hhmm.split(":"))
        return datetime(day.year, day.month, day.day, h, m, tzinfo=matching.BEIJING)

    from app.extensions import db

    db.session.execute(update(Order).where(Order.id == order.id).values(starts_at=moment(start), ends_at=moment(end)))
    db.session.commit()
    db.session.refresh(order)
    return order


def grid_volunteer(phone: str, service: Service, *slots: tuple[int, int], districts=()) -> User:
    user = make_user(phone, "格" + phone[-2:], ["volunteer"])
    user.profile.services = [service]
    user.profile.districts = list(districts)
    user.profile.availability = sum(availability_bit(d, p) for d, p in slots)
    return user


@pytest.mark.parametrize(("start", "end", "free"), [
    ("08:00", "12:00", True),  # ends as the afternoon begins: the morning alone
    ("11:30", "12:30", False),  # reaches into the afternoon, which the grid lacks
    ("12:00", "13:00", False),  # the afternoon alone
    ("00:00", "01:00", True),
])
def test_free_at_that_time_needs_the_grid_over_the_whole_window(db, users, traffic, make_order, start, end, free):
    order = make_order("submitted")
    weekday = order.starts_at.astimezone(matching.BEIJING).weekday()
    mornings = grid_volunteer("13977773001", traffic, (weekday, 0))
    everyday_but_today = grid_volunteer("13977773002", traffic, *((d, p) for d in range(7) for p in range(3)
                                                                   if d != weekday))
    db.session.commit()
    at(order, start, end)
    found = {c.volunteer.id: c for c in matching.rank(order)}
    assert found[mornings.id].eligible and found[everyday_but_today.id].eligible
    assert (("available",) in found[mornings.id].reason_keys) is free
    assert ("available",) not in found[everyday_but_today.id].reason_keys
    assert found[mornings.id].score - found[everyday_but_today.id].score == (matching.WEIGHTS["available"]
                                                                             if free else 0)


def test_free_text_is_shown_only_inside_the_grid(db, users, traffic, make_order, login_as):
    order = make_order("submitted")
    weekday = order.starts_at.astimezone(matching.BEIJING).weekday()
    grid_volunteer("13977773101", traffic, (weekday, 1))  # afternoons of that day only
    db.session.commit()
    coordinator = login_as("coordinator")
    at(order, "14:00", "15:30")
    row = _candidate_row(coordinator.get(f"/dispatch/orders/{order.id}").get_data(as_text=True), "格01")
    assert "Usually free then" in row or "该时段通常有空" in row
    at(order, "09:00", "10:30")
    row = _candidate_row(coordinator.get(f"/dispatch/orders/{order.id}").get_data(as_text=True), "格01")
    assert "Usually free then" not in row and "该时段通常有空" not in row


def _candidate_row(html: str, name: str) -> str:
    at_name = html.index(name)
    start = html.rfind("<tr", 0, at_name)
    return html[start:html.index("</tr>", at_name)]


@pytest.mark.parametrize(("first", "last", "blocked"), [
    (0, 0, True), (-3, 0, True), (0, 4, True), (-3, -1, False), (1, 5, False),
])
def test_dates_away_include_both_ends(db, users, traffic, make_order, first, last, blocked):
    order = make_order("submitted")
    day = order.starts_at.astimezone(matching.BEIJING).date()
    user = grid_volunteer("13977774001", traffic, *((d, p) for d in range(7) for p in range(3)))
    user.profile.away = [VolunteerAway(starts_on=day + timedelta(days=first), ends_on=day + timedelta(days=last))]
    db.session.commit()
    eligible = {c.volunteer.id for c in matching.rank(order) if c.eligible}
    assert (user.id not in eligible) is blocked
    assert (matching.rank(order, only=[user.id])[0].why == "away") is blocked
    if blocked:  # listed among the blocked with why
        assert "away" in {c.why for c in matching.rank(order) if c.volunteer.id == user.id}


def test_who_may_deliver_follows_the_service_category_and_districts(db, users, traffic, make_order):
    from app.models import District

    order = make_order("submitted")  # in 经开区 (17)
    bda, chaoyang = (db.session.scalar(select(District).where(District.code == code)) for code in ("bda", "chaoyang"))
    sibling = db.session.scalar(select(Service).where(Service.category_id == traffic.category_id,
                                                      Service.id != traffic.id))
    anywhere = grid_volunteer("13977775001", traffic)
    here = grid_volunteer("13977775002", traffic, districts=[bda])
    elsewhere = grid_volunteer("13977775003", traffic, districts=[chaoyang])
    sibling_only = grid_volunteer("13977775004", sibling)
    by_category = make_user("13977775005", "类别", ["volunteer"])
    by_category.profile.categories = [traffic.category]
    db.session.commit()
    mine = [anywhere.id, here.id, elsewhere.id, sibling_only.id, by_category.id]
    why = {c.volunteer.id: c.why for c in matching.rank(order, only=mine)}
    assert why == {anywhere.id: None, here.id: None, by_category.id: None,
                   elsewhere.id: "not_qualified", sibling_only.id: "not_qualified"}
    eligible = {c.volunteer.id for c in matching.rank(order) if c.eligible}
    assert {anywhere.id, here.id, by_category.id} <= eligible and not {elsewhere.id, sibling_only.id} & eligible
    assert {u.id for u in matching.top(order, 50)} == eligible


def test_the_queue_page_reads_a_constant_number_of_statements(db, users, login_as, count_queries):
    admin = login_as("admin")
    counts = []
    for batch in range(2):
        for i in range(5 * batch + 1):
            user = make_user(f"139777760{batch}{i:02d}", "排", ["requester"])
            volunteers.apply(user, volunteers.VolunteerDetails(real_name="排", id_type="passport",
                                                                id_number=f"E{batch}{i:07d}"))
        db.session.commit()
        with count_queries() as q:
            assert admin.get("/admin/volunteers").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
    assert db.session.scalar(select(func.count()).select_from(VolunteerProfile)
                             .where(VolunteerProfile.status == "pending")) == 7
