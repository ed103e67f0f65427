"""Error pages that say what happened and nothing about the inside."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from .auth.audit import record
from .auth.sessions import is_safe_next
from .extensions import db, discard_session
from .templating import show_as_anonymous
from .workflow import WorkflowError

log = logging.getLogger(__name__)


def _back_link() -> str | None:
    """The page on this site the person came from (a refusal leaves them a way back to it), if any."""
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url):
        return None
    path = "/" + referrer[len(request.host_url):]
    return path if is_safe_next(path) and path != request.full_path.rstrip("?") else None


def _page(code: int, title: str, message: str):
    try:
        return render_template("errors/error.html", code=code, title=title, message=message,
                               back=_back_link()), code
    except SQLAlchemyError:
        # The page's own lookups (the signed-in user, the badge) hit a dead
        # database: render it again for an anonymous visitor, and if even
        # that fails, a page without the layout. Never an unhandled error.
        _rollback_quietly()
        show_as_anonymous()
        try:
            return render_template("errors/error.html", code=code, title=title, message=message), code
        except SQLAlchemyError:
            return _bare_page(code, str(title), str(message)), code


def _bare_page(code: int, title: str, message: str) -> str:
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f'<body><main><div>{code}</div><h1>{escape(title)}</h1>'
        f'<p data-testid="error-message">{escape(message)}</p><a href="/">{escape(_("Back to the service menu"))}'
        "</a></main></body></html>"
    )


def _rollback_quietly() -> None:
    """Roll the session back; on a dead connection that can raise too: drop the session instead."""
    try:
        db.session.rollback()
    except SQLAlchemyError as err:
        log.warning("rollback failed (%s); session discarded", type(err).__name__)
        discard_session()


def _unavailable_page(err: BaseException):
    """503 without touching the database: the user is shown as anonymous, the page is not cached."""
    show_as_anonymous()
    _rollback_quietly()
    cause = getattr(err, "orig", None) or err
    reason = (str(cause).strip().splitlines() or [""])[0][:160]
    log.error("database unavailable on %s: %s: %s", request.path, type(cause).__name__, reason)
    body, code = _page(503, _("Busy"), _("The service is briefly unavailable. Try again shortly."))
    return body, code, {"Cache-Control": "no-store", "Retry-After": "5"}


def _user_id() -> int | None:
    try:
        return current_user.id if current_user.is_authenticated else None
    except Exception:  # the database may be the reason we are here
        return None


def register(app: Flask) -> None:
    @app.errorhandler(WorkflowError)
    def workflow_error(err: WorkflowError):
        _rollback_quietly()
        return _page(err.status_code, _("This cannot be done"), str(err.message))

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return _page(400, _("The form has expired"), _("Reload the page and try again."))

    @app.errorhandler(400)
    def bad_request(err):
        return _page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(403)
    def forbidden(err):
        record("access", "forbidden", user_id=_user_id(), endpoint=request.endpoint)
        return _page(403, _("Not allowed"), _("Your account may not open this page."))

    @app.errorhandler(404)
    def not_found(err):
        if request.view_args and _user_id() is not None:
            # "not yours" and "does not exist" answer alike; the log keeps the attempt.
            record("access", "not_found", user_id=_user_id(), endpoint=request.endpoint)
        return _page(404, _("Not found"), _("This page does not exist or is not yours to see."))

    @app.errorhandler(405)
    def not_allowed(err):
        return _page(405, _("Not allowed"), _("This address does not take that request."))

    @app.errorhandler(409)
    def conflict(err):
        return _page(409, _("This cannot be done"), _("The order changed meanwhile."))

    @app.errorhandler(413)
    def too_large(err):
        return _page(413, _("Too much data"), _("What you sent is too large."))

    @app.errorhandler(429)
    def too_many(err):
        record("rate_limit", "refused", user_id=_user_id(), endpoint=request.endpoint)
        return _page(429, _("Too many attempts"), _("Too many attempts. Wait 15 minutes and try again."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(err):
        return _unavailable_page(err)

    @app.errorhandler(DataError)
    def data_error(err):
        # A value the database refuses (PostgreSQL: NUL, over-long text) that a
        # form did not catch: the request was bad, nothing was written.
        _rollback_quietly()
        log.warning("database refused a value on %s", request.path)
        return _page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(500)
    def server_error(err):
        original = getattr(err, "original_exception", None)
        if isinstance(original, DBAPIError) and original.connection_invalidated:
            return _unavailable_page(original)
        _rollback_quietly()
        return _page(500, _("Something went wrong"), _("The error was recorded. Try again shortly."))
