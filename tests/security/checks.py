"""Assertions shared by several security tests."""

from __future__ import annotations

REQUIRED_CSP = ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                "form-action 'self'")
STRICT_REFERRER = {"strict-origin-when-cross-origin", "strict-origin", "same-origin", "no-referrer"}
HSTS = "max-age=31536000; includeSubDomains"


def header_problems(response, *, https: bool = False, signed_in: bool = False) -> list[str]:
    """What is missing from ``response``'s security headers (S14); empty when all is well."""
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    for wanted in REQUIRED_CSP:
        name = wanted.split(" ", 1)[0]
        if directives.get(name) != wanted:
            problems.append(f"CSP {name}: {directives.get(name)!r}")
    script_src = directives.get("script-src", directives.get("default-src", ""))
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"CSP script-src allows inline or eval: {script_src!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options")
    if response.headers.get("Referrer-Policy") not in STRICT_REFERRER:
        problems.append(f"Referrer-Policy: {response.headers.get('Referrer-Policy')!r}")
    if https and response.headers.get("Strict-Transport-Security") != HSTS:
        problems.append(f"HSTS: {response.headers.get('Strict-Transport-Security')!r}")
    if signed_in and response.mimetype == "text/html" and "no-store" not in response.headers.get(
        "Cache-Control", ""
    ):
        problems.append(f"Cache-Control: {response.headers.get('Cache-Control')!r}")
    return problems


LEAK_MARKERS = ("Traceback", "File \"", "sqlalchemy", "psycopg", "SELECT ", "INSERT ", "UPDATE ",
                "/work/", "site-packages", ".py\"", "Werkzeug Debugger", "test-secret",
                "dev-only-secret")


def leaks(body: str) -> list[str]:
    """Internals an error page must not show (S16)."""
    return [m for m in LEAK_MARKERS if m in body]
