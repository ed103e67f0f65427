"""服务队 in the back office: the teams, their leader, members and services, and each team's load."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..access import signed_in_user
from ..choices import choices
from ..extensions import db
from ..forms import AppForm, checkboxes
from ..models import Team
from ..services import teams
from ..services.errors import ValidationFailed
from ..services.menu import services_by_category
from ..validators import MULTI_LINE, SINGLE_LINE
from . import bp


class TeamForm(AppForm):
    name = StringField(_l("Name of the team"), validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=40), SINGLE_LINE])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=300), MULTI_LINE])
    leader = StringField(_l("Leader (volunteer number or phone)"), validators=[Optional(), Length(max=20), SINGLE_LINE])
    members = TextAreaField(_l("Members: one volunteer number or phone per line"),
                            validators=[Optional(), Length(max=20000)])
    service_ids = checkboxes(_l("Services the team covers"))
    submit = SubmitField(_l("Save"))

    def details(self) -> teams.TeamDetails:
        return teams.TeamDetails(self.name.data, self.description.data or "", self.leader.data or "",
                                 self.members.data or "", self.service_ids.data or [])


def _form(team: Team | None) -> TeamForm:
    form = TeamForm(obj=None)
    if team is not None and not form.is_submitted():
        form.name.data, form.description.data = team.name, team.description
        form.leader.data = team.leader.phone if team.leader else ""
        form.members.data = teams.member_keys(team)
        form.service_ids.data = [s.id for s in team.services]
    form.service_ids.choices = choices((s, m) for _c, _n, s, m in services_by_category())
    return form


@bp.route("/teams")
def teams_list():
    return render_template("admin/teams.html", loads=teams.loads())


def _save(team: Team | None):
    form = _form(team)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            teams.save(signed_in_user(), team, form.details())
            db.session.commit()
        except ValidationFailed as err:
            db.session.rollback()
            for field, message in err.errors:
                getattr(form, field).errors.append(message)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.teams_list"), 303)
    return render_template("admin/team.html", form=form, team=team), status


@bp.route("/teams/new", methods=["GET", "POST"])
def new_team():
    return _save(None)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def edit_team(team_id: int):
    return _save(db.session.get(Team, team_id) or abort(404))
