"""Accounts in the back office: search, roles, deactivation, temporary passwords, the lock-out rules."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEntry, User
from app.services import accounts
from app.services.errors import ValidationFailed
from tests.conftest import csrf_token, login, make_user, run_concurrently

NEW_PASSWORD = "Lantern-river-2047"


@pytest.fixture
def person(db):
    user = make_user("13900000701", "周敏", ["requester"])
    db.session.commit()
    return user


def _post(client, url: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/admin/users"), **data})


def test_search_by_name_phone_and_role_masks_phones_in_the_list(db, login_as, person):
    admin = login_as("admin")
    by_name = admin.get("/admin/users?q=周敏").get_data(as_text=True)
    assert by_name.count('data-testid="account-row"') == 1
    assert "139****0701" in by_name and "13900000701" not in by_name
    assert "周敏" in admin.get("/admin/users?q=0000701").get_data(as_text=True)
    coordinators = admin.get("/admin/users?role=coordinator").get_data(as_text=True)
    assert "陈静" in coordinators and "周敏" not in coordinators
    assert "周敏" not in admin.get("/admin/users?status=inactive").get_data(as_text=True)
    # the detail page, opened on purpose, shows the whole number
    assert "13900000701" in admin.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert admin.get("/admin/users/999999").status_code == 404


def test_the_account_list_costs_the_same_statements_for_5_or_30_accounts(db, login_as, count_queries):
    admin = login_as("admin")
    counts = []
    for first, last in ((0, 5), (5, 30)):
        for i in range(first, last):
            make_user(f"13900002{i:03d}", f"计数{i}", ["requester", "volunteer"])
        db.session.commit()
        with count_queries() as q:
            assert admin.get("/admin/users").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1] <= 3, counts


def test_paging_by_keyset_walks_every_account_once(db, login_as):
    for i in range(30):
        make_user(f"13900001{i:03d}", f"翻页{i:02d}", ["requester"])
    db.session.commit()
    admin = login_as("admin")
    seen, url = [], "/admin/users?q=翻页"
    while url:
        body = admin.get(url).get_data(as_text=True)
        seen += re.findall(r">(翻页\d\d)</a>", body)
        nxt = re.search(r'href="(/admin/users\?[^"]*after=[^"]+)" data-testid="next-page"', body)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert sorted(seen) == [f"翻页{i:02d}" for i in range(30)]


def test_deactivation_ends_a_live_session_at_its_next_request(app, db, login_as, person):
    theirs = app.test_client()
    assert login(theirs, person.phone).status_code == 302
    assert theirs.get("/my/orders").status_code == 200
    admin = login_as("admin")
    response = _post(admin, f"/admin/users/{person.id}/deactivate")
    assert response.status_code == 303
    ended = theirs.get("/my/orders")
    assert ended.status_code == 302 and "/login" in ended.location
    assert login(app.test_client(), person.phone).status_code == 200  # refused: the form again
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
    assert (entry.target_key, entry.actor_id) == (str(person.id), admin_id(db))
    assert _post(admin, f"/admin/users/{person.id}/reactivate").status_code == 303
    assert login(app.test_client(), person.phone).status_code == 302


def admin_id(db) -> int:
    return db.session.scalar(select(User.id).where(User.phone == "13800000009"))


def test_an_admin_cannot_deactivate_or_demote_themselves(db, users, login_as):
    admin = login_as("admin")
    me = users["admin"].id
    refused = _post(admin, f"/admin/users/{me}/deactivate")
    assert refused.status_code == 303
    assert "不能停用自己的账号" in admin.get(refused.location).get_data(as_text=True)
    demoted = _post(admin, f"/admin/users/{me}/roles", roles=["coordinator"])
    assert demoted.status_code == 409
    assert 'data-testid="error-roles"' in demoted.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, me)
    assert user.active and user.roles == {"admin", "coordinator"}
    assert admin.get("/admin/").status_code == 200
    assert db.session.scalar(select(AuditEntry.id)) is None


def test_the_last_active_admin_cannot_be_removed(db, users):
    only_admin, someone = users["admin"], users["coordinator"]
    for act in (lambda: accounts.deactivate_account(only_admin, someone),
                lambda: accounts.change_roles(only_admin, ["coordinator"], someone)):
        with pytest.raises(ValidationFailed) as err:
            act()
        assert "至少需要保留一名" in str(err.value) or "at least one active administrator" in str(err.value)
        db.session.rollback()
    # with a second admin, one of them may go; the other then may not
    second = make_user("13900000702", "副主任", ["admin"])
    db.session.commit()
    accounts.deactivate_account(only_admin, second)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        accounts.change_roles(second, ["requester"], only_admin)
    db.session.rollback()
    # back to two: one may step down, and the roles are written once
    accounts.reactivate_account(only_admin, second)
    assert accounts.change_roles(second, ["requester"], only_admin)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, second.id).roles == {"requester"}


def test_two_admins_removing_each_other_at_once_leave_one(app, db, users):
    first = users["admin"]
    second = make_user("13900000703", "并发主任", ["admin"])
    db.session.commit()
    pairs = [(first.id, second.id), (second.id, first.id)]

    def remove(i: int):
        actor_id, target_id = pairs[i]
        actor, target = _db.session.get(User, actor_id), _db.session.get(User, target_id)
        accounts.deactivate_account(target, actor)
        _db.session.commit()
        return True

    results = run_concurrently(app, 2, remove)
    assert results.count(True) <= 1, results
    db.session.expire_all()
    active = [u for u in (db.session.get(User, first.id), db.session.get(User, second.id)) if u.active]
    assert len(active) >= 1


def test_roles_granted_and_revoked_take_effect_at_once(app, db, person, login_as):
    theirs = app.test_client()
    login(theirs, person.phone)
    assert theirs.get("/dispatch/").status_code == 403
    admin = login_as("admin")
    granted = _post(admin, f"/admin/users/{person.id}/roles", roles=["requester", "coordinator", "volunteer"])
    assert granted.status_code == 303
    assert theirs.get("/dispatch/").status_code == 200
    assert theirs.get("/jobs/").status_code == 200  # a volunteer profile came with the role
    assert _post(admin, f"/admin/users/{person.id}/roles", roles=["requester"]).status_code == 303
    assert theirs.get("/dispatch/").status_code == 403
    assert _post(admin, f"/admin/users/{person.id}/roles").status_code == 422  # at least one role
    log = admin.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert log.count('data-testid="audit-row"') == 2 and "中心调度" in log


def test_password_reset_shows_a_temporary_password_once_and_forces_a_new_one(app, db, person, login_as):
    theirs = app.test_client()
    login(theirs, person.phone)
    admin = login_as("admin")
    response = _post(admin, f"/admin/users/{person.id}/password")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    temporary = re.search(r'user-select-all">([a-z2-9-]+)<', body).group(1)
    assert len(temporary) == 14
    assert temporary not in admin.get(f"/admin/users/{person.id}").get_data(as_text=True)  # shown once
    assert all(temporary not in (c.value or "") for c in [admin.get_cookie("session")] if c)
    assert "/login" in theirs.get("/my/orders").location  # their session ended
    # signing in with it leads to the new-password page, whatever page is asked for
    fresh = app.test_client()
    assert login(fresh, person.phone, temporary).status_code == 302
    for path in ("/my/orders", "/", "/account"):
        answer = fresh.get(path)
        assert answer.status_code == 302 and answer.location.endswith("/account/new-password"), path
    token = csrf_token(fresh, "/account/new-password")
    weak = fresh.post("/account/new-password", data={"csrf_token": token, "password": "short", "password2": "short"})
    assert weak.status_code == 422
    done = fresh.post("/account/new-password",
                      data={"csrf_token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 303 and done.location == "/"
    assert fresh.get("/my/orders").status_code == 200
    assert fresh.get("/account/new-password").status_code == 302  # nothing pending any more
    assert login(app.test_client(), person.phone, temporary).status_code == 200  # the temporary one is gone
    assert login(app.test_client(), person.phone, NEW_PASSWORD).status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
    assert temporary not in (entry.after or "") and entry.target_key == str(person.id)


def test_an_admin_resets_their_own_password_on_the_account_page(db, users, login_as):
    admin = login_as("admin")
    refused = _post(admin, f"/admin/users/{users['admin'].id}/password")
    assert refused.status_code == 303
    assert admin.get("/admin/").status_code == 200
