#!/usr/bin/env python3
"""Lighthouse 12 on the pages a phone user opens, signed in for each role; prints one table.

usage: bench/lighthouse.sh      (settings through the environment, see below)

What it does, everything on 127.0.0.1 and stopped by PID at the end:
 1. a throwaway work directory with a SQLite file, migrated and seeded with
    ``flask bench seed --orders $ORDERS`` (bench/run.py's helpers);
 2. the app under gunicorn with the production configuration (as bench/run.py);
 3. one session cookie per role through the real login form;
 4. for each page, Debian's chromium with a new empty profile, then Lighthouse 12
    (``npx lighthouse@12.2.3``, mobile form factor, simulated throttling: 150 ms
    round trips, 1.6 Mbit/s, 4x CPU) twice on the same browser: a first visit
    (storage and cache cleared) and a second view with the browser's cache kept
    (``--disable-storage-reset``), the way a person opens the page again;
 5. prints a table: performance, accessibility and best-practices scores, FCP and
    LCP of the first visit, KB transferred on the first and on the second view;
    then the audits that cost points, so a regression names its cause.

The session cookie is sent as a header (``--extra-headers``): production cookies
are ``__Host-`` and ``Secure``, which a browser keeps only over https.

Settings (environment):
  ORDERS=2000  WORKERS=2  PAGES="menu login ..." (default: all)  KEEP=1 (keep the reports)
  RUNS=3  runs per page, each in a new browser; the run with the median performance score is shown
  LIGHTHOUSE=lighthouse@12.2.3  CHROME_PATH=/usr/bin/chromium
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (  # noqa: E402  (the benchmark's helpers, next to this file)
    ACCOUNTS,
    ROOT,
    Processes,
    free_port,
    log,
    login,
    lookup_ids,
    migrate_and_seed,
    production_env,
    request,
    wait_http,
)

ENV = os.environ
ORDERS = int(ENV.get("ORDERS", "2000"))
WORKERS = int(ENV.get("WORKERS", "2"))
ONLY = ENV.get("PAGES", "").split()
RUNS = int(ENV.get("RUNS", "3"))
LIGHTHOUSE = ENV.get("LIGHTHOUSE", "lighthouse@12.2.3")
CHROME = ENV.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
ATTEMPTS = 3
CATEGORIES = ("performance", "accessibility", "best-practices")


def start_chromium(profile: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([CHROME, *CHROME_FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("chromium did not open its debugging port")


def lighthouse(url: str, port: int, cookie: str, out: Path, keep_cache: bool) -> dict:
    cmd = ["npx", "--yes", LIGHTHOUSE, url, f"--port={port}", "--hostname=127.0.0.1", "--output=json",
           f"--output-path={out}", "--quiet", f"--only-categories={','.join(CATEGORIES)}"]
    if cookie:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    if keep_cache:
        cmd.append("--disable-storage-reset")
    for attempt in range(1, ATTEMPTS + 1):
        # Lighthouse now and then loses the trace of a load (NO_NAVSTART); the next run is sound.
        done = subprocess.run(cmd, check=False, env={**ENV, "CHROME_PATH": CHROME}, stdout=subprocess.DEVNULL)
        if done.returncode == 0:
            return json.loads(out.read_text())
        log(f"lighthouse failed on {url} (attempt {attempt} of {ATTEMPTS})")
    raise SystemExit(f"lighthouse failed {ATTEMPTS} times on {url}")


def median_run(label: str, url: str, cookie: str, work: Path) -> dict:
    """``RUNS`` measurements of the page; the one with the median performance score (a busy machine
    makes single runs of the simulated CPU cost swing by several points)."""
    runs = sorted((measure(f"{label}-{n}", url, cookie, work) for n in range(RUNS)), key=lambda r: r["performance"])
    return {**runs[len(runs) // 2], "scores": [r["performance"] for r in runs]}


def measure(label: str, url: str, cookie: str, work: Path) -> dict:
    profile = work / f"profile-{label}"
    chromium, port = start_chromium(profile)
    try:
        first = lighthouse(url, port, cookie, work / f"{label}-first.json", keep_cache=False)
        again = lighthouse(url, port, cookie, work / f"{label}-again.json", keep_cache=True)
    finally:
        chromium.terminate()
        chromium.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    audits = first["audits"]
    losses = sorted({
        f"{audit_id} ({audits[audit_id].get('displayValue') or audits[audit_id]['score']})"
        for cat in ("accessibility", "best-practices") for ref in first["categories"][cat]["auditRefs"]
        if ref["weight"] and (audit_id := ref["id"]) and audits[audit_id]["score"] is not None
        and audits[audit_id]["score"] < 1
    })
    row = {c: round(first["categories"][c]["score"] * 100) for c in CATEGORIES}
    row.update(
        fcp=audits["first-contentful-paint"]["numericValue"] / 1000,
        lcp=audits["largest-contentful-paint"]["numericValue"] / 1000,
        kb_first=audits["total-byte-weight"]["numericValue"] / 1024,
        kb_again=again["audits"]["total-byte-weight"]["numericValue"] / 1024,
        losses=losses,
    )
    return row


def table(rows: dict[str, dict]) -> str:
    lines = ["| page | performance | accessibility | best practices | FCP s | LCP s | KB first | KB again |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, r in rows.items():
        lines.append(f"| {label} | {r['performance']} | {r['accessibility']} | {r['best-practices']} | "
                     f"{r['fcp']:.1f} | {r['lcp']:.1f} | {r['kb_first']:.0f} | {r['kb_again']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    if not shutil.which("npx"):
        raise SystemExit("npx is not installed (Node.js 20 with npm)")
    if not Path(CHROME).exists():
        raise SystemExit(f"{CHROME} is missing (apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="vs-lighthouse-"))
    procs = Processes()
    try:
        database_url = f"sqlite:///{work}/app.db"
        # The per-process cache: the shared Redis of the machine may hold another run's menu.
        env = {**production_env(database_url), "CACHE_TYPE": "SimpleCache"}
        migrate_and_seed(env, ORDERS)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, check=False,
                                text=True).stdout.strip()
        port = free_port()
        app_log = work / "app.log"
        app = procs.gunicorn(["-w", str(WORKERS), "-k", "sync", "-b", f"127.0.0.1:{port}", "wsgi:app"], ROOT, env,
                             app_log)
        wait_http(port, "/login", app, "the app", app_log)
        cookies = {role: login(port, phone) for role, phone in ACCOUNTS.items()}
        ids = lookup_ids(database_url)
        pages = [
            ("login", "/login", ""),
            ("menu", "/", cookies["requester"]),
            ("my_orders", "/my/orders", cookies["requester"]),
            ("order_form", f"/my/orders/new/{ids['service']}", cookies["requester"]),
            ("order", f"/my/orders/{ids['order']}", cookies["requester"]),
            ("my_jobs", "/jobs/", cookies["volunteer"]),
            ("job", f"/jobs/{ids['job']}", cookies["volunteer"]),
            ("queue", "/dispatch/", cookies["coordinator"]),
            ("order_coordinator", f"/dispatch/orders/{ids['open_order']}", cookies["coordinator"]),
        ]
        pages = [p for p in pages if not ONLY or p[0] in ONLY]
        for label, path, cookie in pages:
            response, _ = request(port, "GET", path, cookie)
            if response.status != 200:
                raise SystemExit(f"{label} {path}: HTTP {response.status}, expected 200")
        rows = {}
        for label, path, cookie in pages:
            rows[label] = median_run(label, f"http://127.0.0.1:{port}{path}", cookie, work)
            r = rows[label]
            log(f"{label:<18} perf {r['performance']:3}  a11y {r['accessibility']:3}  bp {r['best-practices']:3}  "
                f"FCP {r['fcp']:.1f}s  LCP {r['lcp']:.1f}s  {r['kb_first']:.0f} KB, again {r['kb_again']:.0f} KB  "
                f"(performance of the runs: {r['scores']})")
        print()
        print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; commit {commit}; {LIGHTHOUSE}, mobile, "
              f"simulated throttling; median of {RUNS} runs; gunicorn {WORKERS} sync workers, production settings; "
              f"SQLite, {ORDERS:,} orders; load average {os.getloadavg()[0]:.1f} at the end")
        for label, path, _ in pages:
            print(f"  {label}: {path}")
        print()
        print(table(rows))
        print("\nKB first: transferred on a first visit (empty cache); KB again: the same page opened again.")
        for label, r in rows.items():
            if r["losses"]:
                print(f"  {label} loses points on: {', '.join(r['losses'])}")
        return 0
    finally:
        procs.stop()
        if ENV.get("KEEP"):
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
