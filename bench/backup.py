#!/usr/bin/env python3
"""Backups of the app's database and the restore drill (R13).

usage:
  bench/backup.py backup  DATABASE_URL OUT        one consistent copy, safe while the app runs
  bench/backup.py restore BACKUP TARGET_URL       into an empty database / a new SQLite file
  bench/backup.py verify  SOURCE_URL TARGET_URL   integrity, `flask orders check`, equal row counts
  bench/backup.py drill                           all of it on a throwaway copy (see bench/backup_drill.sh)

SQLite: the online backup API of sqlite3 (a consistent snapshot while other
connections read and write; never ``cp`` a live WAL database).
PostgreSQL: ``pg_dump -Fc`` (a consistent snapshot, compressed, restored with
``pg_restore``, which may run in parallel with ``-j``).

URLs are SQLAlchemy URLs as in DATABASE_URL (``sqlite:////path/app.db``,
``postgresql+psycopg://user@host:port/name``). Exit status 0 only when every
step passed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def log(msg: str) -> None:
    print(f"[backup {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as pg_dump / pg_restore / psql take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise SystemExit(f"not a SQLite file: {url}")
    return path


def backup(url: str, out: str) -> float:
    """Write a backup of ``url`` to ``out``; returns seconds."""
    t0 = time.perf_counter()
    tmp = f"{out}.partial"
    if make_url(url).get_backend_name() == "sqlite":
        src = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        dst = sqlite3.connect(tmp)
        with dst:
            src.backup(dst)
        dst.close()
        src.close()
    else:
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", tmp, _libpq(url)], check=True)
    os.replace(tmp, out)
    return time.perf_counter() - t0


def restore(backup_file: str, target: str) -> float:
    """Restore ``backup_file`` into ``target`` (an empty database or a new SQLite file); returns seconds."""
    t0 = time.perf_counter()
    if make_url(target).get_backend_name() == "sqlite":
        path = _sqlite_path(target)
        if os.path.exists(path):
            raise SystemExit(f"{path} exists: restore into a new file")
        src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        dst = sqlite3.connect(path)
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
        dst.close()
        src.close()
    else:
        subprocess.run(["pg_restore", "--exit-on-error", "--no-owner", "-j", "2", "-d", _libpq(target),
                        backup_file], check=True)
    return time.perf_counter() - t0


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
    finally:
        engine.dispose()


def integrity(url: str) -> str:
    """'ok' or the problems found by the database's own check."""
    if make_url(url).get_backend_name() != "sqlite":
        return "ok (pg_restore exit 0)"
    conn = sqlite3.connect(_sqlite_path(url))
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    problems = ([] if result == ["ok"] else result) + [f"foreign key: {row}" for row in fk]
    return "ok" if not problems else "; ".join(map(str, problems[:10]))


def orders_check(url: str) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "APP_CONFIG": "development"}
    out = subprocess.run([FLASK, "orders", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=False)
    last = (out.stdout.strip().splitlines() or [out.stderr.strip()[-200:]])[-1]
    return out.returncode, last, time.perf_counter() - t0


def verify(source: str, target: str) -> bool:
    ok = True
    state = integrity(target)
    log(f"integrity: {state}")
    ok &= state.startswith("ok")
    code, summary, seconds = orders_check(target)
    log(f"flask orders check: exit {code}, {summary} ({seconds:.1f}s)")
    ok &= code == 0
    before, after = row_counts(source), row_counts(target)
    differ = {t: (before.get(t), after.get(t)) for t in set(before) | set(after) if before.get(t) != after.get(t)}
    log(f"row counts: {sum(after.values()):,} rows in {len(after)} tables; "
        + ("all equal" if not differ else f"DIFFERENT: {differ}"))
    ok &= not differ
    return ok


def _pg_admin(sql: str) -> None:
    import psycopg

    admin = _libpq(os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def drill() -> int:
    """Seed (or take SOURCE_URL), back up, restore into a scratch database, verify; print the times.

    Settings: DB=sqlite|postgres, ORDERS=100000, SOURCE_URL (skip seeding: drill an existing
    database), PG_ADMIN_URL (a PostgreSQL server on loopback where scratch databases may be created).
    """
    import shutil
    import tempfile

    kind, orders = os.environ.get("DB", "sqlite"), int(os.environ.get("ORDERS", "100000"))
    source = os.environ.get("SOURCE_URL", "")
    work = Path(tempfile.mkdtemp(prefix="vs-drill-"))
    tag = f"{os.getpid()}"
    created: list[str] = []
    admin = make_url(os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    if admin.host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("PG_ADMIN_URL must be on loopback")

    def new_db(name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{work}/{name}.db"
        _pg_admin(f'CREATE DATABASE "vs_drill_{name}_{tag}"')
        created.append(f"vs_drill_{name}_{tag}")
        return admin.set(drivername="postgresql+psycopg", database=f"vs_drill_{name}_{tag}").render_as_string(
            hide_password=False)

    figures: dict[str, str] = {}
    try:
        if not source:
            source = new_db("source")
            env = {**os.environ, "DATABASE_URL": source, "FLASK_APP": "wsgi", "APP_CONFIG": "development"}
            subprocess.run([FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
            t0 = time.perf_counter()
            extra = ["--no-fk-checks"] if kind == "postgres" else []
            subprocess.run([FLASK, "bench", "seed", "--orders", str(orders), *extra], cwd=ROOT, env=env,
                           check=True, capture_output=True)
            figures["seed"] = f"{time.perf_counter() - t0:.1f} s ({orders:,} orders)"
            log(f"seeded {orders:,} orders: {figures['seed']}")
        out = str(work / ("backup.db" if kind == "sqlite" else "backup.dump"))
        seconds = backup(source, out)
        figures["backup"] = f"{seconds:.1f} s, {os.path.getsize(out) / 1e6:.1f} MB"
        log(f"backup: {figures['backup']}")
        target = new_db("restored")
        figures["restore"] = f"{restore(out, target):.1f} s"
        log(f"restore: {figures['restore']}")
        t0 = time.perf_counter()
        ok = verify(source, target)
        figures["verify"] = f"{time.perf_counter() - t0:.1f} s (integrity, orders check, row counts)"
        figures["result"] = "PASS" if ok else "FAIL"
        print(f"\nrestore drill on {kind}: " + "; ".join(f"{k}: {v}" for k, v in figures.items()))
        return 0 if ok else 1
    finally:
        for name in created:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[1] == "backup":
        seconds = backup(argv[2], argv[3])
        log(f"backup written to {argv[3]} ({os.path.getsize(argv[3]) / 1e6:.1f} MB) in {seconds:.1f}s")
        return 0
    if len(argv) == 4 and argv[1] == "restore":
        log(f"restored in {restore(argv[2], argv[3]):.1f}s")
        return 0
    if len(argv) == 4 and argv[1] == "verify":
        return 0 if verify(argv[2], argv[3]) else 1
    if len(argv) == 2 and argv[1] == "drill":
        return drill()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
