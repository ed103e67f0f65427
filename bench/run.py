#!/usr/bin/env python3
"""Benchmark the hot pages against the shared "fortunes" baseline, in one run.

usage: bench/run.sh            (settings through the environment, see below)

What it does, everything on 127.0.0.1 and stopped by PID at the end:
 1. makes a throwaway work directory with a SQLite file, or a throwaway
    PostgreSQL cluster (initdb, a free loopback port);
 2. migrates and seeds the app (``flask bench seed --orders $ORDERS``);
 3. starts the app under gunicorn with the production configuration
    (``APP_CONFIG=production``, a generated ``SECRET_KEY``, sync workers,
    ``--no-control-socket``) and the shared baseline app (../shared/bench/baseline)
    with the same worker class and count on the same kind of database;
 4. logs in one account per role (requester, volunteer, coordinator) through
    the real login form and keeps each session cookie: production cookies are
    ``__Host-`` and ``Secure``, so over plain http they are sent as a header;
 5. measures with wrk, interleaved run by run, the baseline /fortunes and
    /hello and the app's pages, using the shared harness's fixed settings
    (``wrk -t2 -c16 -d10s --timeout 8s --latency``) and its CPU accounting
    (``proc_cpu.py``), waiting for a quiet machine before each run as
    ``run_baseline.sh`` does;
 6. prints one row per page: req/s per run and mean, p50/p95/p99, errors,
    CPU ms per request (app and database), and the ratios to /fortunes on
    throughput (x rps) and on CPU per request (x cpu).

Settings (environment):
  DB=sqlite|postgres  ORDERS=10000  WORKERS=2  REPEATS=2  WARMUP=2s
  WRK_THREADS=2 WRK_CONNECTIONS=16 WRK_DURATION=10s WRK_TIMEOUT=8s  (as the shared harness)
  QUIET_MAX_BG=35 QUIET_WAIT_S=60   DEEP_PAGES=4 (queue pages followed for the deep page)
  PAGES="menu my_orders ..."  only these pages (default: all)
  KEEP=1  keep the work directory (database, logs, raw wrk output)
"""

from __future__ import annotations

import html
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import statistics as st
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_BENCH", ROOT.parent / "shared" / "bench")).resolve()
VENV_BIN = Path(sys.executable).parent

ENV = os.environ
DB = ENV.get("DB", "sqlite")
ORDERS = int(ENV.get("ORDERS", "10000"))
WORKERS = int(ENV.get("WORKERS", "2"))
REPEATS = int(ENV.get("REPEATS", "2"))
WARMUP = ENV.get("WARMUP", "2s")
WRK = dict(
    threads=ENV.get("WRK_THREADS", "2"), connections=ENV.get("WRK_CONNECTIONS", "16"),
    duration=ENV.get("WRK_DURATION", "10s"), timeout=ENV.get("WRK_TIMEOUT", "8s"),
)
QUIET_MAX_BG = int(ENV.get("QUIET_MAX_BG", "35"))
QUIET_WAIT_S = int(ENV.get("QUIET_WAIT_S", "60"))
DEEP_PAGES = int(ENV.get("DEEP_PAGES", "4"))
ONLY = ENV.get("PAGES", "").split()

LUA = """
done = function(summary, latency, requests)
  io.write(string.format("PCTL_US %d %d %d\\n", latency:percentile(50), latency:percentile(95),
                         latency:percentile(99)))
end
"""

BENCH_PASSWORD = "bench-2026"
ACCOUNTS = {"requester": "13900000001", "volunteer": "13900000002", "coordinator": "13900000003"}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- processes we start, stopped by PID ---------------------------------------------------------


class Processes:
    def __init__(self) -> None:
        self.gunicorns: list[subprocess.Popen] = []
        self.pg_stop = None

    def gunicorn(self, args: list[str], cwd: Path, env: dict, log_file: Path) -> subprocess.Popen:
        cmd = [str(VENV_BIN / "gunicorn"), "--no-control-socket", "--log-level", "warning",
               "--error-logfile", str(log_file), *args]
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.gunicorns.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.gunicorns:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.gunicorns:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.gunicorns.clear()
        if self.pg_stop:
            self.pg_stop()
            self.pg_stop = None


def wait_http(port: int, path: str, proc: subprocess.Popen, what: str, log_file: Path) -> None:
    for _ in range(150):
        if proc.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.stderr.write(log_file.read_text(errors="replace")[-3000:] if log_file.exists() else "")
    raise SystemExit(f"{what} did not come up on 127.0.0.1:{port}")


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_bin() -> Path:
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / "initdb").exists():
            return d
    raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql)")


def start_postgres(work: Path, procs: Processes) -> tuple[int, Path]:
    """A throwaway cluster on a free loopback port; returns (port, data dir)."""
    bindir, port = pg_bin(), free_port()
    home = work / "pg"
    data, sock = home / "data", home / "sock"
    sock.mkdir(parents=True)
    as_pg: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(work, "postgres")
        for p in (home, sock):
            shutil.chown(p, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "postgres.log"), "-w",
                    "start", "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {sock}"],
                   check=True, stdout=subprocess.DEVNULL)

    def stop() -> None:
        subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, check=False)
        log("postgres stopped")

    procs.pg_stop = stop
    for name in ("app", "baseline"):
        subprocess.run([*as_pg, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        name], check=True)
    log(f"postgres up on 127.0.0.1:{port}")
    return port, data


# --- logging in over plain http with production (Secure, __Host-) cookies ---------------------------


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def request(port: int, method: str, path: str, cookie: str = "", body: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    text = response.read().decode("utf-8", "replace")
    return response, text


def login(port: int, phone: str) -> str:
    response, page = request(port, "GET", "/login")
    jar = _cookies(response)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if not token:
        raise SystemExit("no CSRF token on the login page")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    response, _ = request(port, "POST", "/login", cookie,
                          {"csrf_token": token.group(1), "phone": phone, "password": BENCH_PASSWORD})
    if response.status != 302:
        raise SystemExit(f"login of {phone} failed: HTTP {response.status}")
    jar.update(_cookies(response))
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def browser_cookie(port: int, path: str, cookie: str) -> str:
    """The Cookie header a browser would send next: ``cookie`` updated by what a request with it sets.

    wrk replays one header for a whole run. The app records activity in the
    session at most once a minute (``SEEN_AT_STEP``) and a browser keeps the
    re-signed cookie; a header replayed for longer would make every request
    re-sign a cookie that no browser would send again. Refreshed before each
    run (10 s), the header is as fresh as a browser's.
    """
    response, _ = request(port, "GET", path, cookie)
    jar = dict(part.split("=", 1) for part in cookie.split("; ") if part)
    jar.update(_cookies(response))
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def next_page(port: int, path: str, cookie: str) -> str | None:
    """The queue's "next page" link, whatever the paging scheme (cursor or page number)."""
    response, text = request(port, "GET", path, cookie)
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}")
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/dispatch/\?[^"]*)"', text)]
    cursor = [h for h in hrefs if "after=" in h]
    if cursor:
        return cursor[0]
    numbered = [(int(m.group(1)), h) for h in hrefs if (m := re.search(r"[?&]page=(\d+)", h))]
    current = int(m.group(1)) if (m := re.search(r"[?&]page=(\d+)", path)) else 1
    later = sorted(p for p in numbered if p[0] > current)
    return later[0][1] if later else None


# --- measuring -------------------------------------------------------------------------------


def bg_cpu() -> int:
    def sample():
        with open("/proc/stat") as fh:
            return list(map(int, fh.readline().split()[1:]))

    a = sample()
    time.sleep(1)
    d = [y - x for x, y in zip(a, sample(), strict=True)]
    return round(100 * (1 - (d[3] + d[4]) / max(1, sum(d))))


def proc_cpu(*args: str) -> float | None:
    out = subprocess.run([sys.executable, str(SHARED / "proc_cpu.py"), *args], capture_output=True, text=True,
                         check=False)
    try:
        return float(out.stdout.strip())
    except ValueError:
        return None


@dataclass
class Target:
    label: str
    url: str
    cookie: str = ""
    runs: list[dict] = field(default_factory=list)


def wrk(target: Target, lua: Path, duration: str, raw_dir: Path, db_pid: int | None) -> dict:
    port = urllib.parse.urlsplit(target.url).port
    cmd = ["wrk", f"-t{WRK['threads']}", f"-c{WRK['connections']}", f"-d{duration}", "--timeout", WRK["timeout"],
           "--latency", "-s", str(lua), "-H", "Accept: text/html,application/json;q=0.9,*/*;q=0.8"]
    if target.cookie:
        cmd += ["-H", f"Cookie: {target.cookie}"]
    app0 = proc_cpu("--port", str(port))
    db0 = proc_cpu("--pid", str(db_pid)) if db_pid else None
    text = subprocess.run([*cmd, target.url], capture_output=True, text=True, check=False).stdout
    app1 = proc_cpu("--port", str(port))
    db1 = proc_cpu("--pid", str(db_pid)) if db_pid else None
    (raw_dir / f"{time.strftime('%H%M%S')}-{target.label}.txt").write_text(text)
    sys.path.insert(0, str(SHARED))
    from parse_wrk import parse as parse_wrk  # the shared harness's parser; only wrk runs need it

    row = parse_wrk(text)
    m = re.search(r"PCTL_US (\d+) (\d+) (\d+)", text)
    p50, p95, p99 = (int(x) / 1000 for x in m.groups()) if m else (float("nan"),) * 3
    n = row["requests"] or 0

    def per(a, b):
        return (b - a) * 1000 / n if a is not None and b is not None and n else None

    return dict(rps=row["rps"], p50=p50, p95=p95, p99=p99, err=row["errors"], requests=n,
                app=per(app0, app1), db=per(db0, db1))


def quiet() -> int:
    bg, waited = bg_cpu(), 0
    while bg > QUIET_MAX_BG and waited < QUIET_WAIT_S:
        bg, waited = bg_cpu(), waited + 1
    if bg > QUIET_MAX_BG:
        log(f"machine still busy ({bg}% of all cores) after {QUIET_WAIT_S}s; measuring anyway")
    return bg


def table(targets: list[Target]) -> str:
    def cpu(t: Target):
        xs = [r["app"] + (r["db"] or 0) for r in t.runs if r["app"] is not None]
        return st.mean(xs) if xs else None

    ref = next(t for t in targets if t.label == "fortunes")
    ref_rps, ref_cpu = st.mean(r["rps"] for r in ref.runs), cpu(ref)
    lines = ["| page | runs: req/s | mean req/s | p50 ms | p95 ms | p99 ms | errors | app ms/req | db ms/req "
             "| x rps | x cpu | bg % |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t in targets:
        mean = st.mean(r["rps"] for r in t.runs)
        apps = [r["app"] for r in t.runs if r["app"] is not None]
        dbs = [r["db"] for r in t.runs if r["db"] is not None]
        c = cpu(t)
        lines.append(
            f"| {t.label} | {' / '.join(format(r['rps'], '.0f') for r in t.runs)} | {mean:.0f} "
            f"| {st.median(r['p50'] for r in t.runs):.1f} | {st.median(r['p95'] for r in t.runs):.1f} "
            f"| {max(r['p99'] for r in t.runs):.1f} | {sum(r['err'] for r in t.runs)} "
            f"| {st.mean(apps):.2f} | {(f'{st.mean(dbs):.2f}' if dbs else '-')} "
            f"| {mean / ref_rps:.2f} | {(f'{ref_cpu / c:.2f}' if c and ref_cpu else '-')} "
            f"| {max(r['bg'] for r in t.runs)} |"
            if apps else f"| {t.label} | no data |"
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------



def production_env(database_url: str, ratelimit_uri: str = "memory://") -> dict[str, str]:
    """The app's environment in the benchmarks: the production configuration with a fresh secret."""
    return {**os.environ, "APP_CONFIG": "production", "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url, "FLASK_APP": "wsgi", "RATELIMIT_STORAGE_URI": ratelimit_uri}


def migrate_and_seed(env: dict[str, str], orders: int) -> None:
    """``flask db upgrade``, then ``flask bench seed --orders N`` (timed and logged)."""
    flask = str(VENV_BIN / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    seeded = subprocess.run([flask, "bench", "seed", "--orders", str(orders)], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout
    log(f"seeded {orders:,} orders in {time.perf_counter() - t0:.1f}s: {seeded.splitlines()[0]}")

def main() -> int:  # noqa: PLR0914 (one straight script)
    if DB not in ("sqlite", "postgres"):
        raise SystemExit("DB must be sqlite or postgres")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="vs-bench-"))
    os.chmod(work, 0o755)
    raw_dir = work / "raw"
    raw_dir.mkdir()
    lua = work / "pctl.lua"
    lua.write_text(LUA)
    procs = Processes()
    try:
        db_pid = None
        if DB == "postgres":
            pg_port, data = start_postgres(work, procs)
            app_url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/app"
            base_url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/baseline"
            db_pid = int((data / "postmaster.pid").read_text().split()[0])
        else:
            app_url = f"sqlite:///{work}/app.db"
            base_url = f"sqlite:///{work}/baseline.sqlite3"
        env = production_env(app_url)
        migrate_and_seed(env, ORDERS)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, check=False,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, check=False,
                               capture_output=True, text=True).stdout.strip()

        app_port, base_port = free_port(), free_port()
        gargs = ["-w", str(WORKERS), "-k", "sync"]
        app_log, base_log = work / "app.log", work / "baseline.log"
        app = procs.gunicorn([*gargs, "-b", f"127.0.0.1:{app_port}", "wsgi:app"], ROOT, env, app_log)
        base_env = {**os.environ, "BASELINE_DB_URL": base_url}
        subprocess.run([sys.executable, "app.py", "seed"], cwd=SHARED / "baseline", env=base_env, check=True,
                       stdout=subprocess.DEVNULL)
        base = procs.gunicorn([*gargs, "-b", f"127.0.0.1:{base_port}", "app:app"], SHARED / "baseline", base_env,
                              base_log)
        wait_http(app_port, "/login", app, "the app", app_log)
        wait_http(base_port, "/fortunes", base, "the baseline", base_log)
        log(f"app on 127.0.0.1:{app_port}, baseline on 127.0.0.1:{base_port} ({WORKERS} sync workers each)")

        cookies = {role: login(app_port, phone) for role, phone in ACCOUNTS.items()}
        ids = lookup_ids(app_url)
        a = f"http://127.0.0.1:{app_port}"
        deep = f"/dispatch/?district_id={ids['district']}"
        for _ in range(DEEP_PAGES):
            following = next_page(app_port, deep, cookies["coordinator"])
            if following is None:
                break
            deep = following
        pages = [
            Target("menu", f"{a}/", cookies["requester"]),
            Target("my_orders", f"{a}/my/orders", cookies["requester"]),
            Target("my_jobs", f"{a}/jobs/", cookies["volunteer"]),
            Target("queue", f"{a}/dispatch/", cookies["coordinator"]),
            Target("queue_deep", f"{a}{deep}", cookies["coordinator"]),
            Target("order_requester", f"{a}/my/orders/{ids['order']}", cookies["requester"]),
            Target("order_coordinator", f"{a}/dispatch/orders/{ids['open_order']}", cookies["coordinator"]),
            Target("order_coordinator_elsewhere", f"{a}/dispatch/orders/{ids['open_order_elsewhere']}",
                   cookies["coordinator"]),
        ]
        pages = [p for p in pages if not ONLY or p.label in ONLY]
        for p in pages:
            response, _ = request(app_port, "GET", p.url[len(a):], p.cookie)
            if response.status != 200:
                raise SystemExit(f"{p.label} {p.url}: HTTP {response.status}, expected 200")
        targets = [Target("fortunes", f"http://127.0.0.1:{base_port}/fortunes"),
                   Target("hello", f"http://127.0.0.1:{base_port}/hello"), *pages]
        log("warm-up " + WARMUP + " per URL")
        for t in targets:
            wrk(t, lua, WARMUP, raw_dir, None)
        log(f"wrk -t{WRK['threads']} -c{WRK['connections']} -d{WRK['duration']} --timeout {WRK['timeout']} "
            f"--latency; repeats={REPEATS}; interleaved")
        for run in range(1, REPEATS + 1):
            for t in targets:
                if t.cookie:
                    t.cookie = browser_cookie(app_port, t.url[len(a):], t.cookie)
                bg = quiet()
                row = wrk(t, lua, WRK["duration"], raw_dir, db_pid if t.label != "hello" else None)
                row["bg"] = bg
                t.runs.append(row)
                log(f"run {run} {t.label:<18} {row['rps']:7.0f} req/s  p50 {row['p50']:6.1f}  p95 {row['p95']:6.1f}"
                    f"  p99 {row['p99']:6.1f} ms  err {row['err']}  app {row['app'] or 0:.2f} ms/req  bg {bg}%")
        print()
        print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}"
              f"{' (with uncommitted changes)' if dirty else ''}; database {DB}; {ORDERS:,} orders; "
              f"gunicorn {WORKERS} sync workers (app and baseline); {os.cpu_count()} cores")
        print(f"wrk -t{WRK['threads']} -c{WRK['connections']} -d{WRK['duration']} --timeout {WRK['timeout']}; "
              f"{REPEATS} interleaved runs per URL")
        for p in pages:
            print(f"  {p.label}: {p.url[len(a):]}")
        print()
        print(table(targets))
        print("\nx rps: mean req/s / mean req/s of the baseline /fortunes in this run; x cpu: /fortunes CPU per "
              "request / this page's (app + db). p50/p95: median of runs; p99: worst run; bg %: other load.")
        return 0
    finally:
        procs.stop()
        if ENV.get("KEEP"):
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def lookup_ids(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:

        def one(sql: str, **kw):
            return conn.execute(text(sql), kw).scalar()

        requester = one("SELECT id FROM users WHERE phone = :p", p=ACCOUNTS["requester"])
        ids = {
            "order": one("SELECT id FROM orders WHERE requester_id = :r AND state = 'accepted' "
                         "ORDER BY id DESC LIMIT 1", r=requester)
            or one("SELECT max(id) FROM orders WHERE requester_id = :r", r=requester),
            "district": one("SELECT id FROM districts WHERE code = 'bda'"),
        }
        # The newest order waiting for dispatch in the center's own district (every volunteer
        # serves it, and most orders are placed there) and the newest elsewhere: the same kind
        # of order at every size.
        newest_open = "SELECT id FROM orders WHERE state = 'submitted' AND district_id {} :d ORDER BY id DESC LIMIT 1"
        ids["open_order"] = one(newest_open.format("="), d=ids["district"])
        ids["open_order_elsewhere"] = one(newest_open.format("<>"), d=ids["district"])
        ids["service"] = one("SELECT min(id) FROM services WHERE status = 'published'")
        volunteer = one("SELECT id FROM users WHERE phone = :p", p=ACCOUNTS["volunteer"])
        ids["job"] = one("SELECT max(id) FROM assignments WHERE volunteer_id = :v AND state = 'accepted'",
                         v=volunteer) or one("SELECT max(id) FROM assignments WHERE volunteer_id = :v", v=volunteer)
    engine.dispose()
    return ids


if __name__ == "__main__":
    sys.exit(main())
