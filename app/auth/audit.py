"""One structured line per security event on the ``app.audit`` logger.

Each line is a JSON object: UTC time, action, outcome, user id or a keyed
hash of the login that was tried, client address and path. Passwords,
phone numbers and cookie values are never written; JSON escaping keeps a
CR/LF typed into a field from starting a second line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from flask import current_app, has_request_context, request

audit = logging.getLogger("app.audit")


def login_digest(login: str | None) -> str | None:
    """A keyed hash of an attempted login: lines about one account group without naming it."""
    if not login:
        return None
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, login.strip().encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:16]


def record(action: str, outcome: str, *, user_id: int | None = None, login: str | None = None,
           **fields: object) -> None:
    entry: dict[str, object] = {
        "ts": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": action,
        "outcome": outcome,
        "user": user_id,
    }
    if login is not None:
        entry["login"] = login_digest(login)
    if has_request_context():
        entry["ip"] = request.remote_addr
        entry["method"] = request.method
        entry["path"] = request.path
    entry.update(fields)
    # Alembic's fileConfig (flask db upgrade in the same process) disables loggers
    # that already exist; the audit trail must survive that.
    audit.disabled = False
    audit.info(json.dumps(entry, ensure_ascii=True, sort_keys=True, default=str))


def configure_audit_logger() -> None:
    """INFO lines reach stderr even where nothing configured logging (gunicorn's default)."""
    if audit.level == logging.NOTSET:
        audit.setLevel(logging.INFO)
    if not audit.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        audit.addHandler(handler)
