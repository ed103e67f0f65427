from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.before_request
def _administrators_only():
    """Every page of the back office: sign in first; an account without the admin role gets 403."""
    from flask import abort, current_app
    from flask_login import current_user

    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.has_role("admin"):
        abort(403)
    return None


from . import (  # noqa: E402,F401
    certificate_routes,
    correction_routes,
    import_routes,
    menu_routes,
    routes,
    team_routes,
    volunteer_routes,
)
