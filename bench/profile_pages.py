#!/usr/bin/env python3
"""CPU per request of the hot pages, in process, beside the shared fortunes page.

usage: .venv/bin/python bench/profile_pages.py [DATABASE_URL] [--profile PAGE] [--without-suggestions]

A quick loop for development, not the benchmark (that is bench/run.sh, under
gunicorn and wrk): the production configuration on a seeded database (make one
with ``flask bench seed --orders 10000``), a Werkzeug test client per role,
requests per page timed with ``time.process_time`` in ``ROUNDS`` interleaved
rounds (the fastest round counts), and the shared baseline app's /fortunes
measured the same way for the ratio. ``--profile
PAGE`` prints the top functions of that page by cumulative time.
``--without-suggestions`` makes the coordinator's order page list no
volunteers: what the rest of that page costs, the floor under its ranking.
"""

from __future__ import annotations

import cProfile
import importlib.util
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from run import lookup_ids  # noqa: E402  (the benchmark's own choice of pages, next to this file)

SHARED = Path(os.environ.get("SHARED_BENCH", ROOT.parent / "shared" / "bench")).resolve()
N = int(os.environ.get("N", "200"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))


def baseline_client(tmp: Path):
    os.environ["BASELINE_DB_URL"] = f"sqlite:///{tmp / 'baseline.sqlite3'}"
    spec = importlib.util.spec_from_file_location("baseline_app", SHARED / "baseline" / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_app"] = module  # Flask finds its templates through the module's file
    spec.loader.exec_module(module)
    module.seed()
    return module.app.test_client()


def app_clients(url: str):
    from app import create_app
    from bench.benchdata import BENCH_ACCOUNTS, BENCH_PASSWORD

    app = create_app("production", {
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "p" * 40, "RATELIMIT_STORAGE_URI": "memory://",
    })
    clients = {}
    for role, phone in BENCH_ACCOUNTS.items():
        c = app.test_client()
        c.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/"})
        page = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        r = c.post("/login", data={"csrf_token": token, "phone": phone, "password": BENCH_PASSWORD})
        assert r.status_code in (302, 303), (role, r.status_code)
        clients[role] = c
    return app, clients


def without_suggestions() -> None:
    """Every ranking finds nobody: the coordinator's order page shows its order, crew, timeline and forms only."""
    from app.services import matching

    matching.rank = lambda *args, **kwargs: []


def timed(client, path: str, n: int = N) -> float:
    client.get(path)
    start = time.process_time()
    for _ in range(n):
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
    return (time.process_time() - start) / n * 1000


def main() -> int:
    import tempfile

    url = next((a for a in sys.argv[1:] if "://" in a), os.environ.get("DATABASE_URL", ""))
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else None
    if "--without-suggestions" in sys.argv:
        without_suggestions()
    with tempfile.TemporaryDirectory() as tmp:
        fortunes = baseline_client(Path(tmp))
        app, c = app_clients(url)
        i = lookup_ids(url)
        pages = {
            "menu": (c["requester"], "/"),
            "my_orders": (c["requester"], "/my/orders"),
            "my_jobs": (c["volunteer"], "/jobs/"),
            "queue": (c["coordinator"], "/dispatch/"),
            "order_requester": (c["requester"], f"/my/orders/{i['order']}"),
            "order_coordinator": (c["coordinator"], f"/dispatch/orders/{i['open_order']}"),
            "order_coordinator_elsewhere": (c["coordinator"], f"/dispatch/orders/{i['open_order_elsewhere']}"),
        }
        if profile:
            client, path = pages[profile]
            prof = cProfile.Profile()
            prof.enable()
            timed(client, path, 50)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(os.environ.get("PSTATS_FILTER", ""), 45)
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
            return 0
        # Interleaved rounds, the fastest of each kept: other work on the machine only adds time.
        best: dict[str, float] = {}
        for _ in range(ROUNDS):
            best["fortunes"] = min(best.get("fortunes", 1e9), timed(fortunes, "/fortunes", N))
            for label, (client, path) in pages.items():
                best[label] = min(best.get(label, 1e9), timed(client, path, max(N // 4, 20)))
        base = best["fortunes"]
        for label, ms in best.items():
            print(f"{label:27} {ms:7.3f} ms/req  x cpu {base / ms:4.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
