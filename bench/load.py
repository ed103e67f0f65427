#!/usr/bin/env python3
"""L2 soak and L3 overload against the app under gunicorn on a throwaway PostgreSQL.

usage: bench/load.sh                    MODE=soak: locust, mixed roles, 10 minutes (L2)
       MODE=overload bench/load.sh      wrk at 4x the connections, then recovery (L3)

What it does, everything on 127.0.0.1 and stopped by PID at the end:
 1. a throwaway PostgreSQL cluster on a free loopback port (bench/run.py's start_postgres);
 2. ``flask db upgrade`` and ``flask bench seed --orders $ORDERS``;
 3. gunicorn with the production configuration (``APP_CONFIG=production``, a
    generated ``SECRET_KEY``, rate limits on the local Redis in its own database
    number ``REDIS_DB``), ``WORKERS`` sync workers, ``--no-control-socket``, a free port;
 4. soak: ``locust -f bench/locustfile.py --headless -u USERS -r SPAWN --run-time RUN_TIME``
    while every worker's resident memory (VmRSS from /proc) is sampled every
    ``SAMPLE_S`` seconds; then locust's figures per request name, the RSS at the
    start (after ``WARM_S`` of load), at the end and the growth, the worker
    timeouts in gunicorn's log;
    overload: wrk on the hot read pages (menu, 我的订单, the dispatch queue,
    round-robin, each with its role's session cookie): ``NORMAL_C`` connections
    for ``BEFORE_S`` (the normal-load p95), ``OVERLOAD_C`` connections for
    ``OVERLOAD_S``, then ``NORMAL_C`` connections again in ``WINDOW_S`` windows
    for ``AFTER_S``; responses counted by status code;
 5. ``flask orders check`` (R12).

Settings (environment):
  MODE=soak|overload  ORDERS=10000  WORKERS=5  TIMEOUT=30 (gunicorn --timeout)  REDIS_DB=12
  soak:     USERS=20 SPAWN=5 RUN_TIME=10m SAMPLE_S=5 WARM_S=60 LATENCY_CHECK=1
  overload: NORMAL_C=20 OVERLOAD_C=80 BEFORE_S=15 OVERLOAD_S=60 AFTER_S=10 WINDOW_S=2 WRK_TIMEOUT=10s
            TOLERANCE=1.25 (recovered: a window's p95 <= 1.25 x the normal-load p95)
            CONTROL_AFTER_S=20 (then BEFORE_S of normal load again: the control)
  KEEP=1 keeps the work directory (database, logs, locust CSV)
Exit status: 0 when every goal of the mode is met, 1 otherwise.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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
MODE = ENV.get("MODE", "soak")
ORDERS = int(ENV.get("ORDERS", "10000"))
WORKERS = int(ENV.get("WORKERS", "5"))
TIMEOUT = int(ENV.get("TIMEOUT", "30"))
REDIS_DB = int(ENV.get("REDIS_DB", "12"))
USERS = int(ENV.get("USERS", "20"))
SPAWN = ENV.get("SPAWN", "5")
RUN_TIME = ENV.get("RUN_TIME", "10m")
SAMPLE_S = float(ENV.get("SAMPLE_S", "5"))
WARM_S = float(ENV.get("WARM_S", "60"))
NORMAL_C = int(ENV.get("NORMAL_C", "20"))
OVERLOAD_C = int(ENV.get("OVERLOAD_C", "80"))
BEFORE_S = int(ENV.get("BEFORE_S", "15"))
OVERLOAD_S = int(ENV.get("OVERLOAD_S", "60"))
AFTER_S = int(ENV.get("AFTER_S", "10"))
WINDOW_S = int(ENV.get("WINDOW_S", "2"))
CONTROL_AFTER_S = int(ENV.get("CONTROL_AFTER_S", "20"))
# Recovered: a window's p95 within this factor of the normal-load p95 (2 s windows of a shared box are noisy).
TOLERANCE = float(ENV.get("TOLERANCE", "1.25"))
WRK_TIMEOUT = ENV.get("WRK_TIMEOUT", "10s")
# The exit status also requires L1's latency ceilings in the soak (LATENCY_CHECK=0: L2's own goals only).
LATENCY_GATES = ENV.get("LATENCY_CHECK", "1") != "0"
L1_P95_MS = 200.0
ACCOUNTS = {"requester": "13900000001", "coordinator": "13900000003"}

# Round-robin over the pages, each request with its role's cookie; counts every status code.
WRK_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  codes = {}
  pages = {}
  for i = 1, #args, 2 do pages[#pages + 1] = {path = args[i], cookie = args[i + 1]} end
  n = 0
end
function request()
  n = n + 1
  local p = pages[(n % #pages) + 1]
  return wrk.format("GET", p.path, {["Cookie"] = p.cookie, ["Accept"] = "text/html"})
end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("STATUS %d %d\n", k, v)) end
  io.write(string.format("PCTL_US %d %d %d\n", latency:percentile(50), latency:percentile(95),
                         latency:percentile(99)))
  io.write(string.format("SOCKET_ERRORS %d %d %d %d\n", summary.errors.connect, summary.errors.read,
                         summary.errors.write, summary.errors.timeout))
end
"""


def seconds(spec: str) -> float:
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", spec.strip())
    if not m or not any(m.groups()):
        raise SystemExit(f"RUN_TIME {spec!r}: use e.g. 10m, 90s, 1h")
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 3600 + mi * 60 + s


def workers_of(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True, check=False)
    return sorted(int(x) for x in out.stdout.split())


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler(threading.Thread):
    """VmRSS of every worker of ``master`` every ``every`` seconds: {pid: [(t, kB), ...]}."""

    def __init__(self, master: int, every: float) -> None:
        super().__init__(daemon=True)
        self.master, self.every = master, every
        self.samples: dict[int, list[tuple[float, int]]] = {}
        self.t0 = time.monotonic()
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            now = time.monotonic() - self.t0
            for pid in workers_of(self.master):
                kb = rss_kb(pid)
                if kb is not None:
                    self.samples.setdefault(pid, []).append((now, kb))
            self.halt.wait(self.every)

    def at(self, pid: int, t: float) -> int | None:
        """The first sample at or after ``t`` seconds."""
        return next((kb for ts, kb in self.samples.get(pid, []) if ts >= t), None)


def gunicorn_log_counts(path: Path) -> dict[str, int]:
    text = path.read_text(errors="replace") if path.exists() else ""
    return {
        "worker timeouts": text.count("WORKER TIMEOUT"),
        "workers killed (SIGKILL)": len(re.findall(r"was sent SIGKILL", text)),
        "unhandled errors (Error handling request)": text.count("Error handling request"),
    }


def orders_check(env: dict) -> tuple[bool, str]:
    check = subprocess.run([str(VENV_BIN / "flask"), "orders", "check"], cwd=ROOT, env=env, capture_output=True,
                           text=True, check=False)
    last = (check.stdout.strip().splitlines() or [check.stderr.strip()[-200:]])[-1]
    return check.returncode == 0, last


# --- L2 ----------------------------------------------------------------------------------------


def soak(port: int, master: int, work: Path, app_log: Path) -> tuple[bool, list[str]]:
    run_s = seconds(RUN_TIME)
    warm = min(WARM_S, run_s / 4)
    sampler = RssSampler(master, SAMPLE_S)
    sampler.start()
    boot = {pid: rss_kb(pid) for pid in workers_of(master)}
    cmd = [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
           "-u", str(USERS), "-r", SPAWN, "--run-time", RUN_TIME, "--host", f"http://127.0.0.1:{port}",
           "--csv", str(work / "locust"), "--only-summary", "--stop-timeout", "10"]
    log(" ".join(cmd[1:]))
    t0 = time.monotonic()
    with open(work / "locust.log", "w") as out:
        rc = subprocess.run(cmd, cwd=ROOT, env={**os.environ}, stdout=out, stderr=subprocess.STDOUT,
                            check=False).returncode
    elapsed = time.monotonic() - t0
    sampler.halt.set()
    sampler.join()
    lines = [f"locust {USERS} users, spawn {SPAWN}/s, run time {RUN_TIME} (ran {elapsed:.0f} s); exit code {rc}"]

    rows = list(csv.DictReader(open(work / "locust_stats.csv", encoding="utf-8")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    n, fails = int(total["Request Count"]), int(total["Failure Count"])
    fail_ratio = fails / n if n else 1.0
    lines += ["", "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        lines.append(f"| {r['Name']} | {r['Request Count']} | {r['Failure Count']} | {float(r['Requests/s']):.1f} "
                     f"| {r['50%']} | {r['95%']} | {r['99%']} | {float(r['Max Response Time']):.0f} |")
    failures = list(csv.DictReader(open(work / "locust_failures.csv", encoding="utf-8")))
    if failures:
        lines += ["", "failures:"] + [f"  {f['Method']} {f['Name']}: {f['Error']} x {f['Occurrences']}"
                                      for f in failures]
    tail = (work / "locust.log").read_text(errors="replace").strip().splitlines()
    verdict = [x for x in tail if x.startswith("L2 ")]
    lines += ["", f"fail_ratio {fail_ratio:.4%} ({fails} of {n})", *(verdict[-1:] or [])]

    # RSS: at the start of the soak proper (after warm-up), half-way, at the end, growth; a worker
    # whose kept data has filled its bounds grows in the first half, not in the second
    half = (warm + elapsed) / 2
    lines += ["", f"| worker | RSS at boot MB | RSS at {warm:.0f} s MB | RSS at {half:.0f} s MB | RSS at end MB "
              "| growth % | of it in the second half % |", "|---|---:|---:|---:|---:|---:|---:|"]
    growths = []
    for pid, series in sorted(sampler.samples.items()):
        start, middle, end = sampler.at(pid, warm), sampler.at(pid, half), series[-1][1]
        if start is None or middle is None:
            continue
        growth = 100 * (end - start) / start
        if series[0][0] <= warm:  # only workers that lived through the whole soak
            growths.append(growth)
        b = boot.get(pid)
        lines.append(f"| {pid} | {b / 1024 if b else float('nan'):.1f} | {start / 1024:.1f} | {middle / 1024:.1f} "
                     f"| {end / 1024:.1f} | {growth:+.1f} | {100 * (end - middle) / start:+.1f} |")
    max_growth = max(growths) if growths else float("nan")
    counts = gunicorn_log_counts(app_log)
    lines += ["", f"max RSS growth of a worker from {warm:.0f} s to the end: {max_growth:+.1f} % (goal < 10 %)"]
    lines += [f"{k}: {v}" for k, v in counts.items()]
    ok = (fail_ratio < 0.01 and counts["worker timeouts"] == 0 and growths != [] and max_growth < 10)
    lines += ["", f"L2 (fail_ratio < 1 %, 0 worker timeouts, RSS growth < 10 %): {'met' if ok else 'MISSED'}",
              f"L1 latency ceilings on the same run (locust exit code {rc}): {'met' if rc == 0 else 'MISSED'}"]
    return ok and (rc == 0 or not LATENCY_GATES), lines


# --- L3 ----------------------------------------------------------------------------------------


def wrk(port: int, lua: Path, pages: list[tuple[str, str]], connections: int, duration: int) -> dict:
    args = [x for path_cookie in pages for x in path_cookie]
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", WRK_TIMEOUT, "--latency", "-s", str(lua),
           f"http://127.0.0.1:{port}", "--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    codes = Counter({int(a): int(b) for a, b in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)})
    m = re.search(r"PCTL_US (\d+) (\d+) (\d+)", out)
    p50, p95, p99 = (int(x) / 1000 for x in m.groups()) if m else (float("nan"),) * 3
    sock = re.search(r"SOCKET_ERRORS (\d+) (\d+) (\d+) (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return dict(codes=codes, p50=p50, p95=p95, p99=p99, rps=float(rps.group(1)) if rps else 0.0,
                socket=dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True))
                if sock else {}, raw=out)


def overload(port: int, work: Path, app_log: Path) -> tuple[bool, list[str]]:
    cookies = {role: login(port, phone) for role, phone in ACCOUNTS.items()}
    pages = [("/", cookies["requester"]), ("/my/orders", cookies["requester"]), ("/dispatch/", cookies["coordinator"])]
    for path, cookie in pages:
        response, _ = request(port, "GET", path, cookie)
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status} before the run")
    lua = work / "pages.lua"
    lua.write_text(WRK_LUA)
    log("warm-up 5 s")
    wrk(port, lua, pages, NORMAL_C, 5)
    loads = {"start": os.getloadavg()[0]}
    log(f"normal load: {NORMAL_C} connections, {BEFORE_S} s")
    before = wrk(port, lua, pages, NORMAL_C, BEFORE_S)
    log(f"overload: {OVERLOAD_C} connections, {OVERLOAD_S} s")
    over = wrk(port, lua, pages, OVERLOAD_C, OVERLOAD_S)
    stop = time.monotonic()
    loads["end of overload"] = os.getloadavg()[0]
    windows = []
    while time.monotonic() - stop < AFTER_S - 0.5:
        started = time.monotonic() - stop
        w = wrk(port, lua, pages, NORMAL_C, WINDOW_S)
        w["from"], w["to"] = started, time.monotonic() - stop
        windows.append(w)
    # The control: normal load again once the box had CONTROL_AFTER_S to settle. On a shared box the
    # normal-load p95 drifts with other work; recovery is judged against the worse of the two.
    time.sleep(CONTROL_AFTER_S)
    log(f"control: {NORMAL_C} connections, {BEFORE_S} s, {CONTROL_AFTER_S} s after the windows")
    control = wrk(port, lua, pages, NORMAL_C, BEFORE_S)
    for name, r in (("before", before), ("overload", over), *((f"after{i}", w) for i, w in enumerate(windows)),
                    ("control", control)):
        (work / f"wrk-{name}.txt").write_text(r["raw"])

    def fmt_codes(c: Counter) -> str:
        return ", ".join(f"{k}: {v}" for k, v in sorted(c.items()))

    loads["end"] = os.getloadavg()[0]
    lines = [f"pages (round-robin): {', '.join(p for p, _ in pages)}; load average (1 min): "
             + ", ".join(f"{k} {v:.1f}" for k, v in loads.items()), "",
             "| phase | connections | duration s | req/s | p50 ms | p95 ms | p99 ms | responses by status "
             "| socket errors (connect/read/write/timeout) |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]

    def row(label: str, c: int, d: str, r: dict) -> str:
        s = r["socket"]
        return (f"| {label} | {c} | {d} | {r['rps']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} "
                f"| {fmt_codes(r['codes'])} | {s.get('connect')}/{s.get('read')}/{s.get('write')}/{s.get('timeout')} |")

    lines.append(row("normal, before", NORMAL_C, str(BEFORE_S), before))
    lines.append(row("overload", OVERLOAD_C, str(OVERLOAD_S), over))
    target = max(before["p95"], control["p95"])
    for w in windows:
        lines.append(row(f"after, {w['from']:.1f}-{w['to']:.1f} s (p95 {w['p95'] / target:.2f}x normal)",
                         NORMAL_C, str(WINDOW_S), w))
    lines.append(row(f"normal, control ({CONTROL_AFTER_S} s later)", NORMAL_C, str(BEFORE_S), control))
    all_codes = sum((r["codes"] for r in (before, over, *windows, control)), Counter())
    five = {k: v for k, v in all_codes.items() if k >= 500}
    bad_5xx = {k: v for k, v in five.items() if k != 503}
    recovered = next((w["to"] for w in windows if w["p95"] <= target * TOLERANCE), None)
    recovered_l1 = next((w["to"] for w in windows if w["p95"] <= L1_P95_MS), None)
    counts = gunicorn_log_counts(app_log)
    lines += [
        "",
        f"5xx by code: {five or 0}; other than 503: {sum(bad_5xx.values())} (goal 0)",
        f"recovery to the normal-load p95 (within {TOLERANCE}x of {target:.0f} ms, the worse of before and "
        "control): "
        + (f"by {recovered:.1f} s after the overload" if recovered is not None else f"not within {AFTER_S} s"),
        f"recovery to L1's p95 ceiling ({L1_P95_MS:.0f} ms): "
        + (f"by {recovered_l1:.1f} s" if recovered_l1 is not None else f"not within {AFTER_S} s"),
        *(f"{k}: {v}" for k, v in counts.items()),
    ]
    ok = not bad_5xx and recovered is not None and recovered <= 10 and counts["worker timeouts"] == 0
    return ok, lines


# --- main --------------------------------------------------------------------------------------


def main() -> int:
    if MODE not in ("soak", "overload"):
        raise SystemExit("MODE must be soak or overload")
    if MODE == "overload" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    if MODE == "soak" and not (VENV_BIN / "locust").exists():
        raise SystemExit("locust is not installed: .venv/bin/pip install -r requirements-bench.txt")
    work = Path(tempfile.mkdtemp(prefix=f"vs-load-{MODE}-"))
    os.chmod(work, 0o755)
    procs = Processes()
    try:
        pg_port, _ = start_postgres(work, procs)
        url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/app"
        env = production_env(url, f"redis://127.0.0.1:6379/{REDIS_DB}")
        migrate_and_seed(env, ORDERS)
        port = free_port()
        app_log = work / "app.log"
        app = procs.gunicorn(["-w", str(WORKERS), "-k", "sync", "--timeout", str(TIMEOUT), "--capture-output",
                              "-b", f"127.0.0.1:{port}", "wsgi:app"], ROOT, env, app_log)
        wait_http(port, "/login", app, "the app", app_log)
        log(f"app on 127.0.0.1:{port}: {WORKERS} sync workers, timeout {TIMEOUT} s, PostgreSQL on {pg_port}, "
            f"rate limits on redis db {REDIS_DB}")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, check=False,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, check=False,
                               capture_output=True, text=True).stdout.strip()
        load0 = os.getloadavg()[0]
        ok, lines = soak(port, app.pid, work, app_log) if MODE == "soak" else overload(port, work, app_log)
        check_ok, check_line = orders_check(env)
        print()
        print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}"
              f"{' (with uncommitted changes in the tree)' if dirty else ''}; mode {MODE}; PostgreSQL; "
              f"{ORDERS:,} orders; gunicorn {WORKERS} sync workers, timeout {TIMEOUT} s; {os.cpu_count()} cores; "
              f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
        print("\n".join(lines))
        print(f"flask orders check (R12): {check_line}")
        ok = ok and check_ok
        print("RESULT: " + ("all goals met" if ok else "a goal was missed (see above)"))
        return 0 if ok else 1
    finally:
        procs.stop()
        if ENV.get("KEEP"):
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
