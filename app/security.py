"""Security headers on every response."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html" and _signed_in():
        # Pages of a signed-in person stay out of shared and back-button caches.
        response.headers["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # the user could not be loaded (database down): treat as signed in
        return True
