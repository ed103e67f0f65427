"""Role checks for views. Ownership is checked by scoping the query instead."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """Anonymous users go to the login page; users without the role get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def signed_in_user():
    """The signed-in person as a row of this request's session (already loaded: no query), for the
    services that record who acted; ``current_user`` itself is a proxy the ORM cannot store."""
    from .extensions import db
    from .models import User

    return db.session.get(User, current_user.id)
