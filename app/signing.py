"""Signing that would otherwise be redone on every request.

The session cookie's serializer depends only on the secret keys, yet Flask
builds a new one for each request; and the CSRF token a page embeds is a
signature of the session's raw token and a timestamp, recomputed for every
page. Both are kept here: the serializer per key set, the signed token per
raw token for ``CSRF_TOKEN_REUSE_SECONDS`` (it stays valid for
``WTF_CSRF_TIME_LIMIT``, an hour, from the time it was signed).
"""

from __future__ import annotations

import time

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

CSRF_FIELD = "csrf_token"
CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's, so its validation reads these tokens
CSRF_TOKEN_REUSE_SECONDS = 60
_KEPT_TOKENS_MAX = 4096


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with its serializer built once per set of keys."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


_signed_tokens: dict[tuple[str, str], tuple[str, float]] = {}


def reuse_signed_csrf_token() -> None:
    """Before a request: put this session's recently signed CSRF token where Flask-WTF looks first.

    Flask-WTF signs the raw token again on each request that renders a form;
    the result is only a fresher timestamp. A session without a raw token yet
    is left to Flask-WTF, which creates one when a form needs it.
    """
    raw = session.get(CSRF_FIELD)
    if not isinstance(raw, str):
        return
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    key = (secret, raw)
    now = time.monotonic()
    kept = _signed_tokens.get(key)
    if kept is None or now - kept[1] > CSRF_TOKEN_REUSE_SECONDS:
        if len(_signed_tokens) >= _KEPT_TOKENS_MAX:
            _signed_tokens.clear()
        kept = _signed_tokens[key] = (URLSafeTimedSerializer(secret, salt=CSRF_SALT).dumps(raw), now)
    setattr(g, CSRF_FIELD, kept[0])
