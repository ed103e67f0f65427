from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.record_once
def _configure_login(state) -> None:
    """Re-authentication for sensitive pages, and a new session for remember-cookie logins."""
    from flask_babel import lazy_gettext as _l
    from flask_login import user_loaded_from_cookie

    from ..extensions import login_manager
    from .audit import configure_audit_logger
    from .sessions import clear_remember_cookie, on_login_from_cookie

    login_manager.refresh_view = "auth.login"
    login_manager.needs_refresh_message = _l("Please sign in again to continue.")
    login_manager.needs_refresh_message_category = "info"
    user_loaded_from_cookie.connect(on_login_from_cookie)
    state.app.after_request(clear_remember_cookie)
    configure_audit_logger()


from . import routes  # noqa: E402,F401
