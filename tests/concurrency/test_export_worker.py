"""Two export workers started together (cron overlapping itself): each waiting job is made once."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEntry, ExportJob
from app.services import export_jobs
from app.services.orders.history import HistoryFilter
from tests.conftest import run_concurrently


def test_two_workers_make_each_job_once(app, db, make_order, users):
    make_order("rated")
    jobs = [export_jobs.queue_export(users["coordinator"], HistoryFilter(state=s), "xlsx", True, "zh_Hans_CN")
            for s in ("rated", "submitted", None, "cancelled")]
    _db.session.commit()
    ids = [j.id for j in jobs]
    made = run_concurrently(app, 2, lambda _i: export_jobs.run_all())
    assert not [r for r in made if isinstance(r, Exception)], made
    assert sum(made) == len(ids)  # every job by exactly one of the two
    _db.session.expire_all()
    done = _db.session.scalars(select(ExportJob).where(ExportJob.id.in_(ids)).order_by(ExportJob.id)).all()
    assert [(j.status, j.rows) for j in done] == [("done", 1), ("done", 0), ("done", 1), ("done", 0)]
    assert all(export_jobs.file_of(j).exists() for j in done)
    assert len(_db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.orders")).all()) == 4
