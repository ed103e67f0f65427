"""Sending an export: a csv streams as it is read; an xlsx is written, then sent."""

from __future__ import annotations

import os

from flask import Response, send_file, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from ..dates import BEIJING
from ..extensions import db
from ..models.base import utcnow
from ..services import exports
from ..services.audit import log_action
from ..services.orders.history import HistoryFilter


def _file_name(kind: str, fmt: str) -> str:
    return f"{kind}-{utcnow().astimezone(BEIJING):%Y%m%d-%H%M}.{fmt}"


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def export_orders(f: HistoryFilter, fmt: str) -> Response:
    """The orders ``f`` keeps as a file, written down in the audit log first."""
    columns = exports.order_columns(sees_contact=current_user.has_role("coordinator"))
    statement, params = exports.orders_statement(f, columns, as_text=fmt == "csv")
    log_action(current_user, "export.orders", "export", fmt, label=_("Orders"),
               after={k: str(v) for k, v in vars(f).items() if v})
    db.session.commit()
    name = _file_name("orders", fmt)
    if fmt == "csv":
        chunks = exports.csv_chunks(columns, statement, params)
        return Response(stream_with_context(chunks), mimetype="text/csv; charset=utf-8", headers=_attachment(name))
    return send_xlsx(exports.orders_table(columns, statement, params, _("Orders")), name)


def send_table(table: exports.Table, kind: str, fmt: str, audit_action: str, filters: dict) -> Response:
    """A table of figures as a file, written down in the audit log first."""
    log_action(current_user, audit_action, "export", fmt, label=table.title,
               after={k: str(v) for k, v in filters.items() if v})
    db.session.commit()
    name = _file_name(kind, fmt)
    if fmt == "csv":
        return Response(exports.table_csv_chunks(table), mimetype="text/csv; charset=utf-8",
                        headers=_attachment(name))
    return send_xlsx(table, name)


def send_xlsx(table: exports.Table, name: str) -> Response:
    path, _rows = exports.write_xlsx(table)
    response = send_file(path, as_attachment=True, download_name=name, max_age=0,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(lambda: os.unlink(path))
    return response
