"""Signing and checking that would otherwise be redone on every request.

The session cookie's serializer depends only on the secret keys, yet Flask
builds a new one for each request, and checks and decodes the same cookie
again on every request of a browser; the CSRF token a page embeds is a
signature of the session's raw token and a timestamp, recomputed for every
page. Kept here: the serializer per key set, each opened session's data
per cookie (``KeptCookieSessionInterface``), each saved session's cookie
for the rest of the second it was signed in (``SameSecondSerializer``), the
signed token per raw token for ``CSRF_TOKEN_REUSE_SECONDS`` (it stays valid
for ``WTF_CSRF_TIME_LIMIT``, an hour, from the time it was signed).
"""

from __future__ import annotations

import time

from flask import Flask, Request, current_app, g, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .bounded import BoundedDict

CSRF_FIELD = "csrf_token"
CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's, so its validation reads these tokens
CSRF_TOKEN_REUSE_SECONDS = 60
_KEPT_TOKENS_MAX = 4096  # one a session
# The cookies a worker opened last, ~1.6 KB each: a browser's cookie changes whenever
# its session is saved, so most entries soon belong to no browser; the oldest go first.
_KEPT_SESSIONS_MAX = 1024
_PLAIN = (str, int, float, bool, type(None))


def _plain(data: object) -> bool:
    return isinstance(data, dict) and all(type(v) in _PLAIN for v in data.values())


class SameSecondSerializer(URLSafeTimedSerializer):
    """Signs the same session values once per second.

    A signature's timestamp counts whole seconds, so the same values signed
    again within that second give the same cookie; the last second's cookies
    are kept and handed out again. This matters for a client that keeps
    sending its first cookie (a script, a monitor, a load generator): its
    session notes each request's time (``seen_at``) and is saved on every
    request. Only sessions of plain values are kept, as for opening.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._second = 0
        self._signed: dict[tuple, str] = {}

    def dumps(self, obj: object, salt: str | bytes | None = None) -> str:
        if salt is not None or not _plain(obj):
            return super().dumps(obj, salt)
        now = int(time.time())
        if now != self._second:
            self._second, self._signed = now, {}
        key = tuple((name, type(value), value) for name, value in obj.items())  # True and 1 sign apart
        signed = self._signed.get(key)
        if signed is None:
            signed = self._signed[key] = super().dumps(obj)
        return signed


class KeptCookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with what it would redo on every request kept.

    - The serializer, built once per set of keys; it signs the same values
      once per second (``SameSecondSerializer``).
    - The sessions opened: a browser sends the same cookie until the session
      changes, and checking its signature and decoding it again gives the same
      data. A cookie is checked in full the first time a worker sees it; after
      that its data is copied from memory as long as its age (from the time it
      was signed) is within the session lifetime, as the full check would
      require. Only sessions holding plain values (text, numbers, booleans)
      are kept, so no request can change another's copy.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}
        self._opened: BoundedDict[tuple[tuple, str], tuple[dict, float]] = BoundedDict(_KEPT_SESSIONS_MAX)

    def _keys(self, app: Flask) -> tuple:
        return (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))

    def get_signing_serializer(self, app: Flask, keys: tuple | None = None) -> URLSafeTimedSerializer | None:
        keys = keys or self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = self._serializer(keys)
        return serializer

    def _serializer(self, keys: tuple) -> URLSafeTimedSerializer | None:
        """Flask's serializer for these keys (same salt, format and signer), signing once per second."""
        secret, *fallbacks = keys
        if not secret:
            return None
        return SameSecondSerializer(
            [*fallbacks, secret],  # the current key last, as itsdangerous expects
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        keys = self._keys(app)
        serializer = self.get_signing_serializer(app, keys)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (keys, cookie)
        kept = self._opened.get(key)
        if kept is not None and 0 <= time.time() - kept[1] <= max_age:
            return self.session_class(kept[0])
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if _plain(data):
            self._opened.keep(key, (dict(data), signed_at.timestamp()))
        return self.session_class(data)


_signed_tokens: BoundedDict[tuple[str, str], tuple[str, float]] = BoundedDict(_KEPT_TOKENS_MAX)


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
        kept = _signed_tokens.keep(key, (URLSafeTimedSerializer(secret, salt=CSRF_SALT).dumps(raw), now))
    setattr(g, CSRF_FIELD, kept[0])
