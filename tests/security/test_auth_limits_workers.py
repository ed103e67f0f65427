"""S11 across workers: 3 gunicorn workers on Redis admit exactly 10 failed logins per account.

A ``memory://`` limiter keeps one counter per worker process, so three
workers would admit up to 30. This test runs the production settings under
gunicorn on a throwaway PostgreSQL database and Redis, and counts what a
client that spreads its attempts over fresh connections gets through.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.security.conftest import FIGURES

pytestmark = pytest.mark.pg

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 5
PHONE = "13800000001"  # a seeded account
ACCOUNT_LIMIT = 10
PHASES = (4, 4, 3)  # attempts answered by the first, second and third worker: 11 in all
CHINESE_429 = "尝试次数过多"
SESSION_COOKIE = "__Host-session"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def redis_prefix():
    """A key prefix of this run in a Redis database of its own; only these keys are deleted."""
    redis = pytest.importorskip("redis")
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as err:
        pytest.skip(f"Redis at {REDIS_HOST}:{REDIS_PORT} is unreachable ({err}): S11 needs it")
    prefix = f"s11-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def own_keys() -> list[bytes]:
        return list(client.scan_iter(match=f"*{prefix}*", count=500))

    yield prefix, own_keys
    keys = own_keys()
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def throwaway_db():
    """A fresh PostgreSQL database on the server of TEST_DATABASE_URL, migrated and seeded."""
    import psycopg

    url = make_url(PG_URL)
    name = f"vs_s11_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db_url = url.set(database=name).render_as_string(hide_password=False)
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": db_url, "APP_CONFIG": "development"}
        for args in (["db", "upgrade"], ["seed"]):
            done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=120, check=False)
            assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        yield db_url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(redis_prefix, throwaway_db, tmp_path):  # Redis first: a skip costs no database
    """Production settings under 3 sync workers; stopped by its PID whatever happens."""
    prefix, _keys = redis_prefix
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": throwaway_db,
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
    }
    env.pop("PROXY_HOPS", None)
    # The factory with one override: a key prefix of this run, so parallel runs never share counters.
    target = f'app:create_app("production", {{"RATELIMIT_KEY_PREFIX": "{prefix}"}})'
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "3", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
             "--no-control-socket", "--access-logfile", "-", "--access-logformat", "pid=%(p)s %(m)s %(U)s %(s)s",
             target],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            try:
                if _request(port, "GET", "/login")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
            time.sleep(0.2)
        yield port, log
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _request(port: int, method: str, path: str, body: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, list[str], str]:
    """One request on its own connection; returns status, Set-Cookie headers and text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers.get_all("Set-Cookie") or [], response.read().decode()
    finally:
        conn.close()


def _cookie(set_cookies: list[str], name: str) -> str:
    """The value from a Set-Cookie header: production cookies are Secure, so no client keeps them over http."""
    for header in set_cookies:
        pair = header.split(";", 1)[0]
        if pair.startswith(name + "="):
            return pair.split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {set_cookies}")


def _attempt(port: int) -> tuple[int, str]:
    """A new client: GET /login for its session and CSRF token, then a wrong password."""
    status, set_cookies, page = _request(port, "GET", "/login")
    assert status == 200
    session = _cookie(set_cookies, SESSION_COOKIE)
    token = CSRF_RE.search(page).group(1)
    body = urlencode({"phone": PHONE, "password": "wrong-password", "csrf_token": token})
    status, _set, text = _request(port, "POST", "/login", body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{SESSION_COOKIE}={session}",
    })
    return status, text


def _blocker(port: int) -> socket.socket:
    """A connection that sends nothing: the sync worker that accepts it waits on it until it closes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    time.sleep(0.3)  # let a worker accept it
    return sock


def _spread_over_workers(port: int) -> list[tuple[int, str]]:
    """Send the attempts in ``PHASES``, each phase answered by a different one of the 3 workers.

    Left to the kernel, serial requests often all land on one worker. Two idle
    connections hold two workers, so the third serves the next attempts; then
    that one is held (it is the only free worker, so it takes the new idle
    connection) and another is let go.
    """
    held = [_blocker(port), _blocker(port)]
    answers: list[tuple[int, str]] = []
    try:
        for phase, size in enumerate(PHASES):
            if phase:
                held.append(_blocker(port))  # taken by the worker that served the last phase
                held.pop(0).close()  # a worker held since earlier is free again
            answers += [_attempt(port) for _ in range(size)]
    finally:
        for sock in held:
            sock.close()
    return answers


def _access_log_posts(log: Path, expected: int) -> list[tuple[str, str]]:
    """(worker pid, status) of each POST /login; a worker writes its line just after answering."""
    deadline = time.monotonic() + 10
    while True:
        posts = re.findall(r"pid=<?(\d+)>? POST /login (\d{3})", log.read_text())
        if len(posts) >= expected or time.monotonic() > deadline:
            return posts
        time.sleep(0.1)


def test_ten_failed_logins_per_account_across_three_workers(gunicorn, redis_prefix):
    port, log = gunicorn
    _prefix, own_keys = redis_prefix
    answers = _spread_over_workers(port)
    statuses = [status for status, _text in answers]

    admitted = [s for s in statuses if s != 429]
    assert len(admitted) == ACCOUNT_LIMIT, statuses
    assert all(s == 200 for s in statuses[:ACCOUNT_LIMIT]), statuses  # re-rendered form: a counted failure
    for _status, text in answers[:ACCOUNT_LIMIT]:
        assert "alert-danger" in text, "not a wrong-password answer (was the CSRF token refused?)"
    assert statuses[-1] == 429, statuses
    assert CHINESE_429 in answers[-1][1]
    # The counters live in Redis under this run's prefix (not in a per-worker memory fallback).
    assert own_keys(), "no rate-limit key of this run in Redis"

    posts = _access_log_posts(log, len(statuses))
    assert sorted(int(status) for _pid, status in posts) == sorted(statuses), log.read_text()
    per_worker = Counter(pid for pid, _status in posts)
    assert sorted(per_worker.values()) == sorted(PHASES), (per_worker, log.read_text())  # every worker counted
    FIGURES["S11 multi-worker: attempts"] = len(statuses)
    FIGURES["S11 multi-worker: admitted before 429"] = len(admitted)
    FIGURES["S11 multi-worker: 429 answers"] = statuses.count(429)
    FIGURES["S11 multi-worker: workers that answered a POST"] = len(per_worker)
