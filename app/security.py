"""Security headers on every response."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


# Sent on every response that has not set its own (names in lower case, as looked up).
ALWAYS = (
    ("content-security-policy", "Content-Security-Policy", CSP),
    ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
    ("referrer-policy", "Referrer-Policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "X-Frame-Options", "DENY"),
    ("cross-origin-opener-policy", "Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("strict-transport-security", "Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def set_security_headers(response: Response) -> Response:
    """The headers of ``ALWAYS`` (and HSTS over https) unless set; no-store on a signed-in page.

    One pass over the response's few headers rather than a search per header.
    """
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    wanted = (*ALWAYS, HSTS) if request.is_secure else ALWAYS
    headers.extend([(name, value) for key, name, value in wanted if key not in present])
    if "text/html" in (response.content_type or "") and _signed_in():
        # Pages of a signed-in person stay out of shared and back-button caches.
        headers["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # the user could not be loaded (database down): treat as signed in
        return True
