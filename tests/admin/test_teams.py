"""服务队: the administrator keeps teams (leader, members by 志愿者编号 or phone, services); the teams
page shows each team's load; the desk filters an order's suggestions by team."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEntry, Team, VolunteerProfile
from tests.conftest import csrf_token


def _number(users, key: str) -> str:
    return _db.session.scalar(select(VolunteerProfile.volunteer_number)
                              .where(VolunteerProfile.user_id == users[key].id))


def _post(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/admin/teams")})


def test_a_team_is_made_of_volunteer_numbers_and_unknown_ones_are_named(db, users, login_as):
    admin = login_as("admin")
    members = f"{_number(users, 'volunteer')}\nYZ-nobody"
    bad = _post(admin, "/admin/teams/new", {"name": "亦联盟宣讲队", "members": members, "description": "我写的介绍"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'data-testid="error-members"' in page and "YZ-nobody" in page and "我写的介绍" in page
    assert _db.session.scalar(select(Team.id)) is None
    made = _post(admin, "/admin/teams/new", {
        "name": "亦联盟宣讲队", "leader": users["volunteer2"].phone,
        "members": f"{_number(users, 'volunteer')}, {_number(users, 'volunteer3')}"})
    assert made.status_code == 303
    team = _db.session.scalars(select(Team)).one()
    assert {m.id for m in team.members} == {users[k].id for k in ("volunteer", "volunteer2", "volunteer3")}
    assert team.leader_id == users["volunteer2"].id  # the leader is a member too
    listing = admin.get("/admin/teams").get_data(as_text=True)
    assert "亦联盟宣讲队" in listing and 'data-testid="team-load"' in listing
    assert _db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "team.create"))


def test_the_desk_sees_only_the_teams_members_when_it_filters_by_team(db, users, make_order, login_as):
    order = make_order("submitted")
    team = Team(name="环保队", members=[users["volunteer3"]])
    _db.session.add(team)
    _db.session.commit()
    desk = login_as("coordinator")
    everyone = desk.get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="team-filter"' in everyone
    filtered = desk.get(f"/dispatch/orders/{order.id}?team={team.id}").get_data(as_text=True)
    rows = filtered.count('data-testid="candidate"')
    assert rows <= 1 and f'data-volunteer="{users["volunteer"].id}"' not in filtered
    assert everyone.count('data-testid="candidate"') >= rows
