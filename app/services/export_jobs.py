"""Large exports as jobs: queued by the web request, made by the worker (``flask exports run``, from cron).

A web worker answers an export itself only while it stays small (at most
``EXPORT_INLINE_ROWS`` rows, found with a count that stops there); a larger
one becomes a row here. The worker claims the oldest waiting job with a
compare-and-set (two workers never make the same file), writes the file
under the instance folder, and records its progress on its own connection,
so that the asker's page can show it while the rows stream.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, fields
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import ExportJob, ExportState, User
from ..models.base import utcnow
from . import exports
from .audit import log_action
from .orders.history import HistoryFilter, kept_ids


def too_large_to_answer(f: HistoryFilter) -> bool:
    """Whether the orders ``f`` keeps are more than a request should write (the count stops early)."""
    limit = current_app.config["EXPORT_INLINE_ROWS"]
    ids, params = kept_ids(f)
    counted = select(func.count()).select_from(ids.limit(limit + 1).subquery())
    return db.session.execute(counted, params).scalar_one() > limit


def _filters_json(f: HistoryFilter) -> str:
    return json.dumps({k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(f).items() if v},
                      ensure_ascii=False, sort_keys=True)


def _filter_of(stored: str) -> HistoryFilter:
    values = json.loads(stored)
    dates = {f.name for f in fields(HistoryFilter) if f.name.startswith("date_")}
    return HistoryFilter(**{k: date.fromisoformat(v) if k in dates else v for k, v in values.items()})


def queue_export(user: User, f: HistoryFilter, fmt: str, with_contact: bool, locale: str) -> ExportJob:
    """A job making the orders ``f`` keeps into a file, written down in the audit log."""
    job = ExportJob(user_id=user.id, kind="orders", fmt=fmt, filters=_filters_json(f),
                    with_contact=with_contact, locale=locale)
    db.session.add(job)
    db.session.flush()
    log_action(user, "export.orders", "export", fmt, label=_("Orders"), after=json.loads(job.filters))
    return job


def job_of(user: User, job_id: int) -> ExportJob | None:
    """A job, if it is ``user``'s own (anyone else's is as good as missing)."""
    job = db.session.get(ExportJob, job_id)
    return job if job is not None and job.user_id == user.id else None


def file_of(job: ExportJob) -> Path:
    folder = current_app.config["EXPORT_DIR"] or os.path.join(current_app.instance_path, "exports")
    return Path(folder) / f"{job.id}.{job.fmt}"


def download_name(job: ExportJob) -> str:
    return f"{job.kind}-{job.id}.{job.fmt}"


def _claim_next() -> ExportJob | None:
    """The oldest waiting job, now running and ours (another worker's claim wins: we take the next)."""
    while True:
        job_id = db.session.scalar(select(ExportJob.id).where(ExportJob.status == ExportState.QUEUED.value)
                                   .order_by(ExportJob.id).limit(1))
        if job_id is None:
            return None
        claimed = db.session.execute(
            update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == ExportState.QUEUED.value)
            .values(status=ExportState.RUNNING.value, started_at=utcnow())
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(ExportJob, job_id)


def _record_progress(job_id: int, rows: int) -> None:
    """Rows written so far, on a connection of its own: the export's read stays open meanwhile."""
    with db.engine.begin() as connection:
        connection.execute(update(ExportJob).where(ExportJob.id == job_id).values(rows=rows))


def _make(job: ExportJob) -> int:
    f = _filter_of(job.filters)
    with force_locale(job.locale):
        columns = exports.order_columns(sees_contact=job.with_contact)
        statement, params = exports.orders_statement(f, columns, as_text=job.fmt == "csv")
        target = file_of(job)
        target.parent.mkdir(parents=True, exist_ok=True)
        if job.fmt == "csv":
            rows = 0
            with open(target, "wb") as out:
                for chunk in exports.csv_chunks(columns, statement, params):
                    out.write(chunk)
                    rows += chunk.count(b"\n")
            return rows - 1  # the header line
        path, rows = exports.write_xlsx(exports.orders_table(columns, statement, params, _("Orders")),
                                        progress=lambda n: _record_progress(job.id, n))
        shutil.move(path, target)
        return rows


def run_next() -> ExportJob | None:
    """Make the oldest waiting export; None when nothing waits."""
    job = _claim_next()
    if job is None:
        return None
    try:
        rows = _make(job)
    except Exception as error:  # the job fails, the worker goes on to the next
        db.session.rollback()
        current_app.logger.exception("export %s failed", job.id)
        job.status, job.error = ExportState.FAILED.value, str(error)[:300]
    else:
        job.status, job.rows = ExportState.DONE.value, rows
    job.finished_at = utcnow()
    db.session.commit()
    return job


def run_all() -> int:
    """Make every waiting export, oldest first; how many were made."""
    made = 0
    while run_next() is not None:
        made += 1
    return made


def remove_old_files(days: int = 7) -> int:
    """Delete the files of jobs finished more than ``days`` ago (the rows stay, as the record)."""
    removed = 0
    cutoff = utcnow().timestamp() - days * 86400
    for job in db.session.scalars(select(ExportJob).where(ExportJob.status == ExportState.DONE.value)):
        path = file_of(job)
        if job.finished_at and job.finished_at.timestamp() < cutoff and path.exists():
            os.unlink(path)
            removed += 1
    return removed
