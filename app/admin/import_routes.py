"""批量导入 in the back office: download the template, upload a file, read the dry run, import all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired, Regexp

from ..access import signed_in_user
from ..choices import choices
from ..extensions import db
from ..forms import AppForm
from ..reports.exports import send_xlsx
from ..services import exports, imports
from . import bp

UPLOAD_LIMIT = 4 * 1024 * 1024  # a file of 10 000 rows fits; every other page keeps the app's limit
KIND_NAMES = {"requesters": _l("Requesters (employees)"), "volunteers": _l("Volunteers")}


class ImportForm(AppForm):
    kind = SelectField(_l("Who is in the file"), choices=choices(KIND_NAMES.items()))
    upload = FileField(_l("File (.xlsx or .csv)"), validators=[FileRequired(message=_l("Choose a file."))])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(AppForm):
    kind = HiddenField(validators=[DataRequired(), Regexp(r"^(requesters|volunteers)$")])
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[a-f0-9]{32}\.(csv|xlsx)$")])
    submit = SubmitField(_l("Import every row"))


@bp.url_value_preprocessor
def _room_for_an_upload(endpoint: str | None, _values: dict | None) -> None:
    """Before the CSRF check reads the form: the import page takes a larger body than the rest."""
    if endpoint == "admin.import_people" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_DIR") or os.path.join(current_app.instance_path, "imports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _render(form: ImportForm, status: int = 200, **context):
    return render_template("admin/import.html", form=form, kinds=KIND_NAMES, **context), status


@bp.route("/import", methods=["GET", "POST"])
def import_people():
    """The dry run: every row with what it will do or what is wrong; the file is kept for the import."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _render(form, 422 if form.is_submitted() else 200)
    upload = form.upload.data
    data = upload.read()
    try:
        rows = imports.read_rows(form.kind.data, upload.filename or "", data)
    except imports.UnreadableFile as error:
        form.upload.errors.append(str(error))
        return _render(form, 422)
    planned = imports.plan(form.kind.data, rows)
    confirm = None
    if planned.ok:
        token = f"{secrets.token_hex(16)}.{upload.filename.rsplit('.', 1)[-1].lower()}"
        (_folder() / token).write_bytes(data)
        confirm = ConfirmForm(formdata=None, kind=form.kind.data, token=token)
    return _render(form, 200 if planned.ok else 422, plan=planned, confirm=confirm)


@bp.route("/import/run", methods=["POST"])
def run_import():
    """Import every row of the checked file, or none: checked again against the database as it is now."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Check the file first."), "warning")
        return redirect(url_for("admin.import_people"), 303)
    path = _folder() / form.token.data
    if not path.exists():
        flash(_("This file was imported already, or its check is too old: upload it again."), "warning")
        return redirect(url_for("admin.import_people"), 303)
    rows = imports.read_rows(form.kind.data, path.name, path.read_bytes())
    planned, result = imports.run(form.kind.data, rows, signed_in_user())
    if result is None:  # the database changed since the dry run: nothing was written
        db.session.rollback()
        return _render(ImportForm(formdata=None, kind=form.kind.data), 422, plan=planned, confirm=None)
    db.session.commit()
    path.unlink(missing_ok=True)
    return render_template("admin/import_done.html", result=result, kind=KIND_NAMES[form.kind.data])


@bp.route("/import/template-<any(requesters, volunteers):kind>.<any(xlsx, csv):fmt>")
def import_template(kind: str, fmt: str) -> Response:
    header, example = imports.template_rows(kind)
    table = exports.Table(str(KIND_NAMES[kind]), list(header), [example], [16] * len(header))
    name = f"import-{kind}.{fmt}"
    if fmt == "csv":
        return Response(exports.table_csv_chunks(table), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return send_xlsx(table, name)
