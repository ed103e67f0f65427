"""服务队: the back office keeps teams (name, leader, members, the services they cover); the desk
filters an order's suggestions by team and sees each team's load (its members' open jobs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Service, Team, User, VolunteerProfile, team_members, team_services
from .audit import log_action
from .errors import ValidationFailed
from .reference import kept

SEPARATORS = re.compile(r"[\s,，、;；]+")


@dataclass(frozen=True)
class TeamDetails:
    name: str
    description: str
    leader: str  # 志愿者编号 or phone, as typed; may be empty
    members: str  # 志愿者编号 or phones, one per line (or separated by commas)
    service_ids: list[int]


@dataclass(frozen=True)
class TeamLoad:
    team: Team
    members: int
    open_jobs: int
    month_hours: Decimal


def _volunteers_by_key(keys: list[str]) -> dict[str, User]:
    """Approved volunteers by 志愿者编号 or phone number, keyed as typed."""
    if not keys:
        return {}
    rows = db.session.execute(
        select(User, VolunteerProfile.volunteer_number).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .where(VolunteerProfile.status == "approved",
               or_(VolunteerProfile.volunteer_number.in_(keys), User.phone.in_(keys)))
    ).all()
    found: dict[str, User] = {}
    for user, number in rows:
        for key in (number, user.phone):
            if key in keys:
                found[key] = user
    return found


def save(actor: User, team: Team | None, d: TeamDetails) -> Team:
    """Create or change a team; every unknown member is named at once; flushes."""
    keys = [k for k in SEPARATORS.split(d.members) if k]
    leader_key = d.leader.strip()
    found = _volunteers_by_key(list(dict.fromkeys([*keys, *([leader_key] if leader_key else [])])))
    errors: list[tuple[str | None, object]] = []
    unknown = [k for k in keys if k not in found]
    if unknown:
        errors.append(("members", _l("No approved volunteer has the number or phone %(keys)s.",
                                     keys="、".join(unknown[:10]))))
    if leader_key and leader_key not in found:
        errors.append(("leader", _l("No approved volunteer has this number or phone.")))
    taken = select(Team.id).where(Team.name == d.name.strip())
    if db.session.scalar(taken.where(Team.id != team.id) if team else taken) is not None:
        errors.append(("name", _l("Another team already has this name.")))
    if errors:
        raise ValidationFailed.of(errors)
    before = None if team is None else _summary(team)
    if team is None:
        team = Team()
        db.session.add(team)
    leader = found.get(leader_key) if leader_key else None
    members = list(dict.fromkeys([*(found[k] for k in keys), *([leader] if leader else [])]))
    team.name, team.description, team.leader = d.name.strip(), d.description.strip(), leader
    team.members = members
    team.services = list(db.session.scalars(select(Service).where(Service.id.in_(d.service_ids))))
    db.session.flush()
    log_action(actor, "team.create" if before is None else "team.edit", "team", team.id, label=team.name,
               before=before, after=_summary(team))
    return team


def _summary(team: Team) -> dict:
    return {"name": team.name, "leader": team.leader.name if team.leader else "",
            "members": len(team.members), "services": [s.name for s in team.services]}


def loads() -> list[TeamLoad]:
    """Every team with its size, its members' open jobs and this month's hours: one statement."""
    figures = (
        select(team_members.c.team_id, func.count(team_members.c.user_id).label("members"),
               func.coalesce(func.sum(VolunteerProfile.open_jobs), 0).label("open_jobs"),
               func.coalesce(func.sum(VolunteerProfile.month_hours), 0).label("month_hours"))
        .join(VolunteerProfile, VolunteerProfile.user_id == team_members.c.user_id, isouter=True)
        .group_by(team_members.c.team_id).subquery()
    )
    rows = db.session.execute(
        select(Team, figures.c.members, figures.c.open_jobs, figures.c.month_hours)
        .outerjoin(figures, figures.c.team_id == Team.id)
        .options(selectinload(Team.services), selectinload(Team.leader))
        .order_by(Team.name)
    ).all()
    return [TeamLoad(t, m or 0, o or 0, Decimal(h or 0)) for t, m, o, h in rows]


def team_pairs() -> tuple[tuple[int, str], ...]:
    """(id, name) of every team, kept in the cache (a team's change forgets it: ``reference``)."""
    return kept("teams", lambda: tuple((i, n) for i, n in db.session.execute(
        select(Team.id, Team.name).order_by(Team.name))))


def member_ids(team_id: int) -> list[int]:
    return list(db.session.scalars(select(team_members.c.user_id).where(team_members.c.team_id == team_id)))


def member_keys(team: Team) -> str:
    """The members as the form shows them: one 志愿者编号 (or phone) per line."""
    numbers = dict(db.session.execute(select(VolunteerProfile.user_id, VolunteerProfile.volunteer_number)
                                      .where(VolunteerProfile.user_id.in_([m.id for m in team.members]))).all())
    return "\n".join(numbers.get(m.id) or m.phone for m in team.members)


def covering_teams(service: Service | None) -> list[Team]:
    """The teams (服务队) that cover ``service``, by name; none for a service not yet saved."""
    if service is None or service.id is None:
        return []
    return list(db.session.scalars(
        select(Team).join(team_services, team_services.c.team_id == Team.id)
        .where(team_services.c.service_id == service.id).order_by(Team.name)
    ))
