"""Behind a proxy, the client address comes from exactly the configured hops."""

from __future__ import annotations

from flask import request

from app import create_app


def _app(database_url: str, hops: int):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url, "PROXY_HOPS": hops})

    @app.route("/_whoami")
    def whoami():
        return request.remote_addr or ""

    return app


def test_no_proxy_ignores_forwarded_for(database_url):
    client = _app(database_url, 0).test_client()
    assert client.get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"}).text == "127.0.0.1"


def test_one_hop_takes_the_address_the_proxy_saw(database_url):
    client = _app(database_url, 1).test_client()
    # A client-forged first entry cannot move the address: only the last hop counts.
    forged = client.get("/_whoami", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
    assert forged.text == "203.0.113.9"
