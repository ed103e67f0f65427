#!/usr/bin/env python3
"""Two people export every order at once: does the app go on answering everyone else?

usage: SCALE_DIR=/work/scale-data .venv/bin/python bench/export_under_load.py

On the million-order cluster ``bench/scale.sh`` keeps in ``SCALE_DIR`` (``o1000000``), under gunicorn
with the production settings (``WORKERS`` sync workers, 2 × cores + 1 by default, as the README deploys
it): the dispatch queue is measured with wrk alone, then again while two coordinators each download
the csv of all orders (全部订单 → 导出, the COPY-backed stream). Prints the queue's p50/p95 both ways,
each export's rows per second and the web workers' memory growth during the exports.
"""

from __future__ import annotations

import http.client
import os
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ACCOUNTS, LUA, ROOT, Processes, _cookies, free_port, log, login, request, wait_http  # noqa: E402
from scale import prepare, wrk  # noqa: E402

ENV = os.environ
WORKERS = int(ENV.get("WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
DURATION = ENV.get("WRK_DURATION", "15s")
HOT_PAGE = "/dispatch/"


def _export(port: int, cookie: str, token: str, out: dict) -> None:
    """Download the csv of every order, reading it to the end; rows and seconds in ``out``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("POST", "/dispatch/history/export.csv", body=f"csrf_token={token}",
                 headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    lines = 0
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
    out.update(status=response.status, rows=max(lines - 1, 0), seconds=time.perf_counter() - start)
    if response.status != 200:
        raise SystemExit(f"the export answered HTTP {response.status}")


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+)", status)
        total += int(found.group(1)) if found else 0
    return total


def _workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def main() -> int:
    home = Path(ENV.get("SCALE_DIR", "")) / "o1000000"
    if not (home / "seeded.json").exists():
        raise SystemExit("no million-order cluster: run SCALE_DIR=… bench/scale.sh first")
    procs = Processes()
    try:
        _url, env, _info = prepare(1_000_000, home, procs)
        port = free_port()
        log_file = home.parent / "logs" / "export-under-load.log"
        app = procs.gunicorn(["-w", str(WORKERS), "-k", "sync", "--timeout", "300", "-b", f"127.0.0.1:{port}",
                              "wsgi:app"], ROOT, env, log_file)
        wait_http(port, "/login", app, "the app", log_file)
        lua = home.parent / "logs" / "pctl.lua"
        lua.write_text(LUA)
        desk = login(port, ACCOUNTS["coordinator"])
        exporters = [login(port, ACCOUNTS["coordinator"]) for _ in range(2)]
        tokens = []
        for i, cookie in enumerate(exporters):
            response, page = request(port, "GET", "/dispatch/history", cookie)
            jar = dict(part.split("=", 1) for part in cookie.split("; "))
            jar.update(_cookies(response))  # the session now holds the form's CSRF secret
            exporters[i] = "; ".join(f"{k}={v}" for k, v in jar.items())
            tokens.append(re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1))
        request(port, "GET", HOT_PAGE, desk)
        alone = wrk(HOT_PAGE, port, desk, lua, DURATION)
        log(f"queue alone: p50 {alone['p50']:.1f} ms p95 {alone['p95']:.1f} ms {alone['rps']:.0f} req/s")
        workers = _workers_of(app.pid)
        before = _rss_kb(workers)
        peak = [before]
        results = [{}, {}]
        threads = [threading.Thread(target=_export, args=(port, cookie, token, out))
                   for cookie, token, out in zip(exporters, tokens, results, strict=True)]
        for t in threads:
            t.start()
        time.sleep(1)
        sampler_done = threading.Event()

        def sample() -> None:
            while not sampler_done.is_set():
                peak[0] = max(peak[0], _rss_kb(workers))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        during = wrk(HOT_PAGE, port, desk, lua, DURATION)
        for t in threads:
            t.join()
        sampler_done.set()
        sampler.join()
        log(f"queue during two exports: p50 {during['p50']:.1f} ms p95 {during['p95']:.1f} ms "
            f"{during['rps']:.0f} req/s, errors {during['errors']}")
        for i, r in enumerate(results, 1):
            log(f"export {i}: HTTP {r.get('status')}, {r.get('rows', 0):,} rows in {r.get('seconds', 0):.1f} s "
                f"({r.get('rows', 0) / max(r.get('seconds', 1), 1e-9):,.0f} rows/s)")
        log(f"web workers' memory: {before / 1024:.0f} MB before, {peak[0] / 1024:.0f} MB at most during the "
            f"exports (+{(peak[0] - before) / 1024:.0f} MB over {len(workers)} workers)")
    finally:
        procs.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
