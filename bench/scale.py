#!/usr/bin/env python3
"""The hot pages at 10 000 and at 1 000 000 orders on PostgreSQL: p50 ratio and query plans.

usage: bench/scale.sh            (settings through the environment, see below)

For each size in ``SIZES``, everything on 127.0.0.1 and stopped by PID at the end:
 1. a PostgreSQL cluster of its own (``initdb`` on a free loopback port, as
    bench/run.py's ``start_postgres``), or the one kept from an earlier run in
    ``SCALE_DIR/o<N>`` (started again with ``pg_ctl``, not seeded again);
 2. ``flask db upgrade`` (so a kept cluster gets new migrations), ``flask bench
    seed --orders N`` on a new cluster (timed, then ``flask orders check`` and
    ``VACUUM ANALYZE``), ``ANALYZE`` on a kept one;
 3. the app under gunicorn with the production configuration (bench/run.py's
    helpers), one login per role through the real form;
 4. every page once in process with a ``before_cursor_execute`` listener, to
    capture the SQL it issues, then ``EXPLAIN (ANALYZE, BUFFERS)`` of each
    SELECT with the same parameters;
 5. wrk at low concurrency (``-t1 -c4 -d10s``, so the p50 is the page's own
    time rather than queueing), ``REPEATS`` runs per page, median p50/p95.

Then one table: p50 at each size, the ratio largest/smallest, p95s, and the
slowest statement of each page at the largest size with its plan summary.

Settings (environment):
  SIZES="10000 1000000"   WORKERS=2  REPEATS=2  WRK_DURATION=10s  WRK_CONNECTIONS=4
  SCALE_DIR=/path         keep the clusters there (o10000/, o1000000/) and re-use them
                          on the next run; without it a temporary directory is used
                          and deleted at the end
  DEEP_PAGES=4            queue pages followed (district filter) for the deep page
  PAGES="menu queue ..."  only these pages
  JSON=/path              also write the results as JSON
  SEED_ONLY=1             only make (or start) the clusters, seed, check and stop
  COMMIT=abc1234          the commit measured, when running from a copy of the tree without .git
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import statistics as st
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402  (the benchmark's helpers, next to this file)
    ACCOUNTS,
    LUA,
    ROOT,
    VENV_BIN,
    Processes,
    browser_cookie,
    free_port,
    log,
    login,
    lookup_ids,
    next_page,
    pg_bin,
    request,
    start_postgres,
    wait_http,
)

ENV = os.environ
SIZES = [int(x) for x in ENV.get("SIZES", "10000 1000000").split()]
WORKERS = int(ENV.get("WORKERS", "2"))
REPEATS = int(ENV.get("REPEATS", "2"))
WRK_DURATION = ENV.get("WRK_DURATION", "10s")
WRK_CONNECTIONS = ENV.get("WRK_CONNECTIONS", "4")
DEEP_PAGES = int(ENV.get("DEEP_PAGES", "4"))
ONLY = ENV.get("PAGES", "").split()
GOAL = 1.5
BIG_TABLES = {"orders", "assignments", "order_events", "notifications", "ratings"}
# The same server settings at every size: a modest production-like memory budget.
PG_SETTINGS = {"shared_buffers": "1GB", "effective_cache_size": "8GB", "work_mem": "16MB",
               "maintenance_work_mem": "512MB", "max_wal_size": "8GB", "checkpoint_timeout": "30min"}


# --- the cluster of one size ---------------------------------------------------------------


def _as_pg() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg_ctl(data: Path, *args: str) -> None:
    subprocess.run([*_as_pg(), str(pg_bin() / "pg_ctl"), "-D", str(data), *args], check=True,
                   stdout=subprocess.DEVNULL)


def cluster(home: Path, procs: Processes) -> tuple[int, Path, bool]:
    """(port, data dir, seeded already) of the cluster kept in ``home``, made when missing."""
    data, marker = home / "pg" / "data", home / "seeded.json"
    if (data / "PG_VERSION").exists() and marker.exists():
        port = free_port()
        _pg_ctl(data, "-l", str(home / "pg" / "postgres.log"), "-w", "start", "-o",
                f"-c listen_addresses=127.0.0.1 -p {port} -k {home / 'pg' / 'sock'}")
        procs.pg_stop = lambda: (_pg_ctl(data, "-m", "fast", "-w", "stop"), log("postgres stopped"))
        log(f"re-using the cluster in {home} on 127.0.0.1:{port}")
        return port, data, True
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.chmod(home, 0o755)
    port, data = start_postgres(home, procs)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/app"
    sql(url, *(f"ALTER SYSTEM SET {k} = '{v}'" for k, v in PG_SETTINGS.items()), autocommit=True)
    _pg_ctl(data, "-m", "fast", "-w", "restart", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {home / 'pg' / 'sock'}")
    return port, data, False


def sql(url: str, *statements: str, autocommit: bool = False) -> list:
    import psycopg

    out = []
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=autocommit) as conn:
        for s in statements:
            cur = conn.execute(s)
            out.append(cur.fetchall() if cur.description else None)
    return out


def flask(env: dict, *args: str) -> str:
    done = subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"flask {' '.join(args)} failed ({done.returncode})")
    return done.stdout


def prepare(n: int, home: Path, procs: Processes) -> tuple[str, dict, dict]:
    port, data, seeded = cluster(home, procs)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/app"
    env = {**os.environ, "APP_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "FLASK_APP": "wsgi", "RATELIMIT_STORAGE_URI": "memory://"}
    flask(env, "db", "upgrade")
    marker = home / "seeded.json"
    if seeded:
        info = json.loads(marker.read_text())
        t0 = time.perf_counter()
        sql(url, "ANALYZE", autocommit=True)
        log(f"{n:,} orders already seeded ({info['seconds']:.0f}s then); ANALYZE {time.perf_counter() - t0:.1f}s")
        log(f"dashboard's daily figures: {flask(env, 'bench', 'settle').strip()}")
    else:
        log(f"seeding {n:,} orders")
        t0 = time.perf_counter()
        out = flask(env, "bench", "seed", "--orders", str(n))
        seconds = time.perf_counter() - t0
        log(f"seeded in {seconds:.1f}s: {' | '.join(out.splitlines()[-3:-1])}")
        t1 = time.perf_counter()
        check = flask(env, "orders", "check").strip().splitlines()[-1]
        log(f"flask orders check: {check} ({time.perf_counter() - t1:.1f}s)")
        t1 = time.perf_counter()
        sql(url, "VACUUM (ANALYZE)", autocommit=True)
        log(f"VACUUM ANALYZE {time.perf_counter() - t1:.1f}s")
        info = {"orders": n, "seconds": round(seconds, 1), "output": out, "check": check,
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        marker.write_text(json.dumps(info, indent=1))
    size = sql(url, "SELECT pg_size_pretty(pg_database_size('app'))")[0][0][0]
    info["db_size"] = size
    return url, env, info


# --- the pages ----------------------------------------------------------------------------


def pages_for(port: int, url: str, cookies: dict[str, str]) -> list[tuple[str, str, str]]:
    """(label, path, role) of each hot page, the deep queue page found by following "next" links."""
    ids = lookup_ids(url)
    deep = f"/dispatch/?district_id={ids['district']}"
    followed = 0
    for _ in range(DEEP_PAGES):
        following = next_page(port, deep, cookies["coordinator"])
        if following is None:
            break
        deep, followed = following, followed + 1
    if followed < DEEP_PAGES:
        log(f"queue_deep: only {followed} pages to follow")
    pages = [
        ("menu", "/", "requester"),
        ("my_orders", "/my/orders", "requester"),
        ("my_jobs", "/jobs/", "volunteer"),
        ("queue", "/dispatch/", "coordinator"),
        ("queue_deep", deep, "coordinator"),
        ("order_requester", f"/my/orders/{ids['order']}", "requester"),
        ("order_coordinator", f"/dispatch/orders/{ids['open_order']}", "coordinator"),
        ("order_coordinator_elsewhere", f"/dispatch/orders/{ids['open_order_elsewhere']}", "coordinator"),
        ("history", "/dispatch/history", "coordinator"),
        ("history_filtered", f"/dispatch/history?state=rated&district_id={ids['district']}", "coordinator"),
        ("dashboard", "/reports/", "coordinator"),
        ("dashboard_year", "/reports/?period=year", "coordinator"),
        ("menu_analysis", "/reports/services", "coordinator"),
    ]
    return [p for p in pages if not ONLY or p[0] in ONLY]


def account_rows(url: str) -> dict[str, int]:
    """How much data each benchmark account has, to show the same kind of account is used at both sizes."""
    rows = sql(
        url,
        f"SELECT count(*) FROM orders WHERE requester_id = "
        f"(SELECT id FROM users WHERE phone = '{ACCOUNTS['requester']}')",
        f"SELECT count(*) FROM assignments WHERE volunteer_id = "
        f"(SELECT id FROM users WHERE phone = '{ACCOUNTS['volunteer']}')",
        "SELECT count(*) FROM orders",
    )
    return {"requester_orders": rows[0][0][0], "volunteer_assignments": rows[1][0][0], "orders": rows[2][0][0]}


def capture_queries(env: dict, pages: list, cookies: dict[str, str]) -> dict[str, list[tuple[str, object]]]:
    """The statements each page issues, from a request in this process (the second one: warm)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from sqlalchemy import event

        from app import create_app
        from app.extensions import db

        # config.py reads the environment once, at import: this size's database and key go in as overrides.
        app = create_app("production", {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                                        "SECRET_KEY": env["SECRET_KEY"]})
        captured: dict[str, list] = {}
        with app.app_context():  # not held during the requests: each gets its own context (and g)
            engine = db.engine
        current: list = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            current.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", listener)
        client = app.test_client(use_cookies=False)
        for label, path, role in pages:
            headers = {"Cookie": cookies[role]}
            client.get(path, headers=headers)
            current.clear()
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"in process {label} {path}: HTTP {response.status_code}")
            captured[label] = list(current)
        event.remove(engine, "before_cursor_execute", listener)
        engine.dispose()
        return captured
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _nodes(plan: dict, out: list) -> list:
    out.append(plan)
    for child in plan.get("Plans", []):
        _nodes(child, out)
    return out


def explain(url: str, statement: str, parameters) -> dict:
    import psycopg

    from app.database import POSTGRESQL_SESSION

    # The session settings the app's own connections have (no JIT), so the times are the app's.
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), options=POSTGRESQL_SESSION) as conn:
        row = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).fetchone()
        conn.rollback()
    doc = row[0][0]
    scans = []
    for node in _nodes(doc["Plan"], []):
        kind = node["Node Type"]
        if "Scan" not in kind or kind in ("Subquery Scan", "CTE Scan", "Function Scan", "Values Scan"):
            continue
        rel = node.get("Relation Name", "")
        index = node.get("Index Name")
        loops = node.get("Actual Loops", 1)
        rows = node.get("Actual Rows", 0) * loops
        removed = node.get("Rows Removed by Filter", 0) * loops
        name = {"Seq Scan": "seq", "Index Scan": "idx", "Index Only Scan": "idx-only",
                "Bitmap Heap Scan": "bitmap", "Bitmap Index Scan": "bitmap-idx"}.get(kind, kind)
        scans.append({"kind": kind, "text": f"{name} {index or rel} rows={rows}" + (f" (-{removed} filtered)"
                                                                                  if removed else ""),
                      "seq_big": kind == "Seq Scan" and rel in BIG_TABLES, "rows": rows + removed})
    plan = doc["Plan"]
    return {"ms": doc["Execution Time"], "scans": scans,
            "buffers": plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)}


def _short(statement: str) -> str:
    s = re.sub(r"\s+", " ", statement)
    m = re.search(r"\bFROM (\w+)", s)
    return f"{s[:6].strip()} {m.group(1) if m else ''}".strip()


def plans(url: str, captured: dict[str, list]) -> dict[str, list[dict]]:
    result = {}
    for label, statements in captured.items():
        rows = []
        for i, (statement, parameters) in enumerate(statements):
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                rows.append({"i": i, "sql": statement, "what": _short(statement), "ms": None, "scans": []})
                continue
            e = explain(url, statement, parameters)
            rows.append({"i": i, "sql": statement, "what": _short(statement), **e})
        result[label] = rows
    return result


def wrk(path: str, port: int, cookie: str, lua: Path, duration: str) -> dict:
    cmd = ["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{duration}", "--timeout", "60s", "--latency", "-s", str(lua),
           "-H", "Accept: text/html,application/json;q=0.9,*/*;q=0.8", "-H", f"Cookie: {cookie}",
           f"http://127.0.0.1:{port}{path}"]
    text = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    m = re.search(r"PCTL_US (\d+) (\d+) (\d+)", text)
    p50, p95, p99 = (int(x) / 1000 for x in m.groups()) if m else (float("nan"),) * 3
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {"p50": p50, "p95": p95, "p99": p99, "rps": float(rps.group(1)) if rps else 0.0,
            "errors": int(non2xx.group(1)) if non2xx else 0, "socket": errors.group(1) if errors else ""}


def setup_size(n: int, home: Path, work: Path, procs: Processes) -> dict:
    """Cluster, data, app and logins of one size; the statements and plans of each page."""
    url, env, info = prepare(n, home, procs)
    if ENV.get("SEED_ONLY"):
        subprocess.run([str(VENV_BIN / "flask"), "db", "check"], cwd=ROOT, env=env, check=False)
        return {"orders": n, "seed": info, "accounts": account_rows(url), "pages": {}}
    port = free_port()
    app_log = work / f"app-{n}.log"
    # --timeout 300: a page slower than gunicorn's default 30 s is measured, not killed.
    app = procs.gunicorn(["-w", str(WORKERS), "-k", "sync", "--timeout", "300", "-b", f"127.0.0.1:{port}",
                          "wsgi:app"], ROOT, env, app_log)
    wait_http(port, "/login", app, "the app", app_log)
    cookies = {role: login(port, phone) for role, phone in ACCOUNTS.items()}
    pages = pages_for(port, url, cookies)
    for label, path, role in pages:
        response, _ = request(port, "GET", path, cookies[role])
        if response.status != 200:
            raise SystemExit(f"{label} {path}: HTTP {response.status}")
    accounts = account_rows(url)
    log(f"{n:,} orders, accounts: {accounts}")
    explained = plans(url, capture_queries(env, pages, cookies))
    results = {label: {"path": path, "role": role, "runs": [], "queries": explained[label]}
               for label, path, role in pages}
    return {"orders": n, "seed": info, "accounts": accounts, "pages": results, "port": port, "cookies": cookies}


def _get(port: int, path: str, cookie: str = "") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def drain(port: int) -> None:
    """Wait until the workers have answered what wrk left queued (a cheap page gets through)."""
    _get(port, "/login")


def sequential(path: str, port: int, cookie: str, n: int = 3) -> dict:
    """For a page too slow for wrk's window: ``n`` requests one after the other, timed here."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        status = _get(port, path, cookie)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    return {"p50": st.median(times), "p95": max(times), "p99": max(times), "rps": 1000 / st.mean(times),
            "errors": 0, "socket": "", "sequential": n}


def measure(sizes: list[dict], lua: Path) -> None:
    """wrk per page, the sizes interleaved run by run so that other load on the machine hits both alike.

    After each run the app is drained (requests wrk left queued answered) before the next one; a page
    for which wrk saw fewer than 5 responses is timed with sequential requests instead.
    """
    for size in sizes:
        for r in size["pages"].values():
            r["slow"] = False
            row = wrk(r["path"], size["port"], size["cookies"][r["role"]], lua, "2s")
            drain(size["port"])
            if row["rps"] * 2 < 5:
                r["slow"] = True
    labels = list(sizes[0]["pages"])
    for run in range(REPEATS):
        for label in labels:
            for size in sizes:
                r = size["pages"][label]
                cookie = size["cookies"][r["role"]] = browser_cookie(size["port"], r["path"],
                                                                      size["cookies"][r["role"]])
                if r["slow"]:
                    row = sequential(r["path"], size["port"], cookie)
                else:
                    row = wrk(r["path"], size["port"], cookie, lua, WRK_DURATION)
                    drain(size["port"])
                r["runs"].append(row)
                log(f"run {run + 1} {label:<18} {size['orders']:>9,} p50 {row['p50']:7.1f} p95 {row['p95']:7.1f} ms "
                    f"{row['rps']:6.1f} req/s errors {row['errors']}")
    for size in sizes:
        for r in size["pages"].values():
            r["p50"] = st.median(x["p50"] for x in r["runs"])
            r["p95"] = st.median(x["p95"] for x in r["runs"])
            r["errors"] = sum(x["errors"] for x in r["runs"])
        del size["cookies"]


# --- report -------------------------------------------------------------------------------


def slowest(queries: list[dict]) -> dict | None:
    timed = [q for q in queries if q["ms"] is not None]
    return max(timed, key=lambda q: q["ms"]) if timed else None


def plan_note(q: dict | None) -> str:
    if q is None:
        return "-"
    scans = "; ".join(s["text"] for s in q["scans"][:4]) + ("; ..." if len(q["scans"]) > 4 else "")
    return f"{q['what']} {q['ms']:.2f} ms, {q['buffers']} buf: {scans}"


def report(sizes: list[dict]) -> str:
    small, big = sizes[0], sizes[-1]
    lines = [
        f"| page | p50 {small['orders']:,} ms | p50 {big['orders']:,} ms | ratio | p95 {small['orders']:,} ms "
        f"| p95 {big['orders']:,} ms | statements | SQL ms at {big['orders']:,} (sum) | slowest statement at "
        f"{big['orders']:,} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, b in big["pages"].items():
        s = small["pages"].get(label)
        if s is None:
            continue
        ratio = b["p50"] / s["p50"] if s["p50"] else float("nan")
        total = sum(q["ms"] or 0 for q in b["queries"])
        lines.append(
            f"| {label} | {s['p50']:.1f} | {b['p50']:.1f} | {ratio:.2f}{'' if ratio <= GOAL else ' **miss**'} "
            f"| {s['p95']:.1f} | {b['p95']:.1f} | {len(b['queries'])} | {total:.1f} "
            f"| {plan_note(slowest(b['queries']))} |"
        )
    return "\n".join(lines)


def seq_scans(result: dict) -> list[str]:
    out = []
    for label, r in result["pages"].items():
        for q in r["queries"]:
            for s in q["scans"]:
                if s["seq_big"]:
                    out.append(f"{label} #{q['i']} {q['what']}: {s['text']}")
    return out


def main() -> int:
    if not shutil.which("wrk") and not ENV.get("SEED_ONLY"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    keep = bool(ENV.get("SCALE_DIR"))
    base = Path(ENV["SCALE_DIR"]) if keep else Path(tempfile.mkdtemp(prefix="vs-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    work = base / "logs"
    work.mkdir(exist_ok=True)
    # COMMIT=...: the commit of a snapshot of the tree (no .git) that is being measured.
    commit = ENV.get("COMMIT") or subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                                 capture_output=True, check=False, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, check=False,
                           capture_output=True, text=True).stdout.strip()
    results = []
    running: list[Processes] = []
    try:
        for n in SIZES:
            running.append(Processes())
            results.append(setup_size(n, base / f"o{n}", work, running[-1]))
        if not ENV.get("SEED_ONLY"):
            lua = work / "pctl.lua"
            lua.write_text(LUA)
            measure(results, lua)
    finally:
        for procs in running:
            procs.stop()
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            log(f"clusters kept in {base} (stopped); SCALE_DIR={base} re-uses them")
    if ENV.get("SEED_ONLY"):
        for r in results:
            print(f"{r['orders']:,} orders: {r['seed']}; {r['accounts']}")
        return 0
    if ENV.get("JSON"):
        Path(ENV["JSON"]).write_text(json.dumps(results, indent=1, default=str))
    print()
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}"
          f"{' (with uncommitted changes)' if dirty else ''}; PostgreSQL {pg_bin().parent.name}; "
          f"gunicorn {WORKERS} sync workers; wrk -t1 -c{WRK_CONNECTIONS} -d{WRK_DURATION}, {REPEATS} runs per page "
          f"(median); {os.cpu_count()} cores")
    for r in results:
        seed = r["seed"]
        print(f"  {r['orders']:,} orders: database {seed.get('db_size')}, seeded in {seed['seconds']:.0f}s "
              f"({seed['date']}), orders check: {seed.get('check')}; accounts {r['accounts']}")
    for label, p in results[-1]["pages"].items():
        print(f"  {label}: {p['path']}")
    print()
    if len(results) > 1:
        print(report(results))
    for r in results:
        print(f"\n{r['orders']:,} orders, statements per page (ms, plan):")
        for label, p in r["pages"].items():
            print(f"  {label} p50 {p['p50']:.1f} ms p95 {p['p95']:.1f} ms errors {p['errors']}")
            for q in p["queries"]:
                print(f"    #{q['i']} {plan_note(q) if q['ms'] is not None else q['what']}")
        for line in seq_scans(r):
            print(f"  seq scan of a big table: {line}")
    misses = [label for label in results[-1]["pages"] if len(results) > 1 and label in results[0]["pages"]
              and results[-1]["pages"][label]["p50"] > GOAL * results[0]["pages"][label]["p50"]]
    if misses:
        print(f"\npages over {GOAL}x: {', '.join(misses)}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
