#!/usr/bin/env python3
"""Chaos run (R9 to R12): PostgreSQL restarted under load and while idle, a worker killed.

usage: .venv/bin/python bench/chaos.py          (settings through the environment)

Everything runs on 127.0.0.1 and is bounded in time: a throwaway PostgreSQL
cluster on a free port, the app under gunicorn (production configuration,
``WORKERS`` sync workers, ``--no-control-socket``), ``CLIENTS`` requester
threads, each with its own account, that open the order form and post it
(with its one-time form token) as fast as they can for ``DURATION`` seconds.

  t = RESTART_AT   pg_ctl restart -m fast under load                     (R9)
  t = KILL_AT      SIGKILL of one gunicorn worker, mid-request under load  (R11)
  after the load   every unacknowledged post retried once with its token  (R9, R6)
  then             PostgreSQL restarted while idle, then 100 requests      (R10)
  finally          `flask orders check`                                   (R12)

It prints the figures and exits 1 when one misses its goal: 0 acknowledged
orders lost, 0 duplicate orders per form token, errors only inside the
restart window (+ GRACE_S) and the kill, 0 bare 500s (every 5xx is the app's
error page), worker replaced within 2 s, 0 errors after the idle restart,
0 invariant violations.

Settings: WORKERS=4 CLIENTS=16 DURATION=60 RESTART_AT=20 KILL_AT=40 GRACE_S=2 ORDERS=2000
(the defaults are R9's: 4 workers, 16 clients, 60 s, the restart at 20 s)
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402  (the benchmark's helpers, next to this file)
    ROOT,
    VENV_BIN,
    Processes,
    free_port,
    log,
    login,
    migrate_and_seed,
    production_env,
    request,
    start_postgres,
    wait_http,
)

ENV = os.environ
WORKERS = int(ENV.get("WORKERS", "4"))
CLIENTS = int(ENV.get("CLIENTS", "16"))
DURATION = float(ENV.get("DURATION", "60"))
RESTART_AT = float(ENV.get("RESTART_AT", "20"))
KILL_AT = float(ENV.get("KILL_AT", "40"))
GRACE_S = float(ENV.get("GRACE_S", "2"))
ORDERS = int(ENV.get("ORDERS", "2000"))
APP_ERROR_MARK = 'data-testid="error-message"'


@dataclass
class Post:
    client: int
    token: str
    form: dict
    started: float
    ended: float = 0.0
    status: int | None = None  # None: no response (connection dropped)
    order_id: int | None = None
    bare_500: bool = False


def _merge(cookie: str, response) -> str:
    """The cookie header after ``response``'s Set-Cookie headers (the session changes as it goes)."""
    jar = dict(part.split("=", 1) for part in cookie.split("; ") if "=" in part)
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _form(port: int, cookies: list[str], i: int, service_id: int, day: date) -> tuple[str, dict] | None:
    response, page = request(port, "GET", f"/my/orders/new/{service_id}", cookies[i])
    cookies[i] = _merge(cookies[i], response)
    if response.status != 200:
        return None
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="form_token" name="form_token" type="hidden" value="([^"]+)"', page)
    if not csrf or not token:
        return None
    form = {
        "csrf_token": csrf.group(1), "form_token": token.group(1), "service_date": day.isoformat(),
        "start_time": "09:00", "end_time": "10:30", "district_id": "17", "address": "荣华中路10号",
        "unit": "北京亦庄智造科技有限公司", "contact_name": "张明", "contact_phone": "13800000001",
        "audience_size": "30", "note": "",
    }
    return token.group(1), form


def _post(port: int, cookies: list[str], service_id: int, post: Post) -> None:
    try:
        response, body = request(port, "POST", f"/my/orders/new/{service_id}", cookies[post.client], post.form)
        cookies[post.client] = _merge(cookies[post.client], response)
        post.status = response.status
        if post.status >= 500 and APP_ERROR_MARK not in body:
            log(f"bare {post.status}: {body[:200]!r}")
        location = response.getheader("Location") or ""
        if response.status == 303 and (m := re.search(r"/my/orders/(\d+)$", location)):
            post.order_id = int(m.group(1))
        post.bare_500 = response.status >= 500 and APP_ERROR_MARK not in body
    except (OSError, http.client.HTTPException):
        post.status = None
    post.ended = time.monotonic()


def _workers(master: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True, check=False)
    return {int(x) for x in out.stdout.split()}


def main() -> int:  # noqa: PLR0914 (one straight script)
    work = Path(tempfile.mkdtemp(prefix="vs-chaos-"))
    os.chmod(work, 0o755)
    procs = Processes()
    try:
        pg_port, data = start_postgres(work, procs)
        bindir = next(p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
                      if (p / "pg_ctl").exists())
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

        def pg_restart() -> None:
            subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "restart",
                            "-o", f"-c listen_addresses=127.0.0.1 -p {pg_port} -k {work / 'pg' / 'sock'}"],
                           check=True, stdout=subprocess.DEVNULL)

        url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/app"
        env = production_env(url)
        migrate_and_seed(env, ORDERS)
        flask = str(VENV_BIN / "flask")
        port = free_port()
        app_log = work / "app.log"
        app = procs.gunicorn(["-w", str(WORKERS), "-k", "sync", "--timeout", "10", "--capture-output",
                              "-b", f"127.0.0.1:{port}",
                              "wsgi:app"], ROOT, env, app_log)
        wait_http(port, "/login", app, "the app", app_log)
        cookies = [login(port, f"137{i:08d}") for i in range(1, CLIENTS + 1)]
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            service_id = conn.execute(text("SELECT id FROM services WHERE name = '交通安全法规宣讲'")).scalar()
        engine.dispose()
        day = date.today() + timedelta(days=10)
        log(f"app on 127.0.0.1:{port} ({WORKERS} workers), {CLIENTS} clients, {DURATION:.0f} s")

        posts: list[Post] = []
        lock = threading.Lock()
        t0 = time.monotonic()
        stop = t0 + DURATION

        def client(i: int) -> None:
            while time.monotonic() < stop:
                try:
                    got = _form(port, cookies, i, service_id, day)
                except (OSError, http.client.HTTPException):
                    got = None
                if got is None:
                    time.sleep(0.05)
                    continue
                post = Post(i, got[0], got[1], time.monotonic())
                _post(port, cookies, service_id, post)
                with lock:
                    posts.append(post)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(max(0.0, t0 + RESTART_AT - time.monotonic()))
        restart_start = time.monotonic()
        pg_restart()
        restart_end = time.monotonic()
        log(f"postgres restarted under load in {restart_end - restart_start:.1f} s")
        time.sleep(max(0.0, t0 + KILL_AT - time.monotonic()))
        victims = sorted(_workers(app.pid))
        kill_at = time.monotonic()
        os.kill(victims[0], signal.SIGKILL)
        replaced = None
        while time.monotonic() - kill_at < 5:
            now = _workers(app.pid)
            if len(now) == WORKERS and victims[0] not in now:
                replaced = time.monotonic() - kill_at
                break
            time.sleep(0.05)
        log(f"worker {victims[0]} killed; replaced after {replaced if replaced is None else round(replaced, 2)} s")
        for t in threads:
            t.join()

        # retry every unacknowledged post once, with its original token
        unacked = [p for p in posts if p.status != 303]
        # committed although the client never saw the 303: read before the retries create them
        engine = create_engine(url)
        with engine.connect() as conn:
            found = set(conn.execute(text("SELECT form_token FROM orders WHERE form_token = ANY(:t)"),
                                     {"t": [p.token for p in unacked]}).scalars())
        engine.dispose()
        committed_unacked = sum(1 for p in unacked if p.token in found)
        retried = []
        for p in unacked:
            again = Post(p.client, p.token, p.form, time.monotonic())
            _post(port, cookies, service_id, again)
            retried.append((p, again))

        # idle restart, then 100 requests
        time.sleep(1)
        pg_restart()
        idle_errors, idle_statuses = 0, Counter()
        for i in range(100):
            try:
                response, _ = request(port, "GET", "/my/orders", cookies[i % CLIENTS])
                idle_statuses[str(response.status)] += 1
                idle_errors += response.status != 200
            except (OSError, http.client.HTTPException) as exc:
                idle_statuses[type(exc).__name__] += 1
                idle_errors += 1
        if idle_errors:
            log(f"after the idle restart: {dict(idle_statuses)}")

        engine = create_engine(url)
        with engine.connect() as conn:
            existing = {r[0] for r in conn.execute(text("SELECT id FROM orders"))}
            per_token = conn.execute(text(
                "SELECT count(*) FROM (SELECT form_token FROM orders WHERE form_token IS NOT NULL "
                "GROUP BY form_token HAVING count(*) > 1) AS d")).scalar()
        engine.dispose()
        check = subprocess.run([flask, "orders", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                               check=False)

        acked = [p for p in posts if p.order_id is not None] + [a for _, a in retried if a.order_id is not None]
        lost = [p for p in acked if p.order_id not in existing]
        errors = [p for p in posts if p.status is None or p.status >= 500]
        window = (restart_start - 0.5, restart_end + GRACE_S)
        kill_window = (kill_at - 10, kill_at + (replaced or 5) + GRACE_S)

        def inside(p: Post) -> bool:
            return any(p.started <= hi and p.ended >= lo for lo, hi in (window, kill_window))

        outside = [p for p in errors if not inside(p)]
        bare = [p for p in posts if p.bare_500] + [a for _, a in retried if a.bare_500]
        retry_fail = [a for _, a in retried if a.status != 303]
        statuses = Counter(str(p.status) for p in posts)
        figures = [
            ("posts (acknowledged with 303)", f"{len(posts)} ({statuses.get('303', 0)})", True),
            ("responses by status", dict(statuses), True),
            ("acknowledged orders lost (R9)", len(lost), not lost),
            ("duplicate orders per form token after retries (R9, R6)", per_token, per_token == 0),
            ("unacknowledged posts / committed anyway / retry not 303",
             f"{len(unacked)} / {committed_unacked} / {len(retry_fail)}", not retry_fail),
            ("errors outside the restart and kill windows (R9)", len(outside), not outside),
            ("bare 500s (not the app's error page)", len(bare), not bare),
            ("worker replaced after SIGKILL, s (R11, <= 2)", replaced, replaced is not None and replaced <= 2),
            ("errors in 100 requests after an idle restart (R10)", f"{idle_errors} {dict(idle_statuses)}",
             idle_errors == 0),
            ("flask orders check (R12)", check.stdout.strip().splitlines()[-1] if check.stdout else check.stderr[-200:],
             check.returncode == 0),
        ]
        print()
        width = max(len(f[0]) for f in figures)
        for name, value, ok in figures:
            print(f"{name:<{width}}  {value!s:<30} {'ok' if ok else 'MISSED'}")
        if idle_errors:
            idle_log = [line for line in app_log.read_text(errors="replace").splitlines()
                        if "database unavailable" in line or "session discarded" in line][-8:]
            print("\ngunicorn error log (the last database errors):\n  " + "\n  ".join(idle_log))
        if bare:
            text_log = app_log.read_text(errors="replace")
            lines = text_log.splitlines()
            starts = [i for i, line in enumerate(lines) if "Error handling request" in line]
            if starts:  # the whole last report, without the caret lines, up to the next log entry
                end = next((i for i in range(starts[-1] + 1, len(lines)) if re.match(r"\[\d{4}-", lines[i])),
                           len(lines))
                tail = [line for line in lines[starts[-1]:end] if line.strip().strip("^~") != ""][-150:]
            else:
                tail = lines[-20:]
            print("\ngunicorn error log (the last unhandled error):\n  " + "\n  ".join(tail))
        return 0 if all(ok for *_, ok in figures) else 1
    finally:
        procs.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

