"""Application factory: one line per concern."""

from __future__ import annotations

import os

from flask import Flask

from config import BASE_DIR, CONFIGS, ProductionConfig

from .assets import serve_static


def create_app(config_name: str = "development", overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=os.path.join(BASE_DIR, "templates"),
        static_folder=os.path.join(BASE_DIR, "static"),
        instance_path=os.path.join(BASE_DIR, "instance"),
    )
    app.config.from_object(CONFIGS[config_name])
    if overrides:
        app.config.update(overrides)
    if config_name == "production":
        ProductionConfig.check(app.config)
    app.config["PHOTO_DIR"] = app.config.get("PHOTO_DIR") or os.path.join(app.instance_path, "photos")
    serve_static(app)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_request_hooks(app)
    return app


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (every table known to migrations)
    from .auth.sessions import Visitor, load_user
    from .database import engine_options
    from .extensions import (
        babel,
        cache,
        compress,
        csrf,
        db,
        limiter,
        login_manager,
        mail,
        migrate,
        remove_session_quietly,
    )
    from .i18n import select_locale
    from .services.photos import allow_photo_uploads
    from .sqlite import enable_sqlite_pragmas

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    app.teardown_appcontext(remove_session_quietly)  # after db.init_app: runs before its session.remove()
    migrate.init_app(app, db, render_as_batch=True)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.anonymous_user = Visitor
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.before_request(allow_photo_uploads)  # before the CSRF check reads the form
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    mail.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .coordinator import bp as coordinator_bp
    from .feedback import bp as feedback_bp
    from .guest import bp as guest_bp
    from .menu import bp as menu_bp
    from .notifications import bp as notifications_bp
    from .photos import bp as photos_bp
    from .reports import bp as reports_bp
    from .requester import bp as requester_bp
    from .verify import bp as verify_bp
    from .volunteer import bp as volunteer_bp

    app.register_blueprint(menu_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(requester_bp, url_prefix="/my")
    app.register_blueprint(volunteer_bp, url_prefix="/jobs")
    app.register_blueprint(coordinator_bp, url_prefix="/dispatch")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(feedback_bp, url_prefix="/feedback")
    app.register_blueprint(verify_bp, url_prefix="/verify")
    app.register_blueprint(guest_bp, url_prefix="/o")
    app.register_blueprint(photos_bp, url_prefix="/photos")


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    from .auth.sessions import enforce_session_timeouts, require_password_change
    from .security import set_security_headers
    from .templating import register as register_templating

    app.before_request(enforce_session_timeouts)
    app.before_request(require_password_change)
    app.after_request(set_security_headers)
    register_templating(app)
