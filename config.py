"""Settings for development, tests and production.

Secrets and the database URL come from the environment; production refuses to
start with a development secret, DEBUG on, or an in-memory database.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
DEV_SECRET = "dev-only-secret-change-me"


def _sqlite_default() -> str:
    return "sqlite:///" + os.path.join(BASE_DIR, "instance", "volunteer.db")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_default()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 256 * 1024
    # 结项 photos: the one form that may carry more (its own limit, set for that request only), each photo at
    # most PHOTO_MAX_BYTES, PHOTO_MAX_COUNT of them; kept re-encoded under PHOTO_DIR, outside the web root
    # (None: the instance folder's photos/).
    PHOTO_MAX_BYTES = 5 * 1024 * 1024
    PHOTO_MAX_COUNT = 6
    PHOTO_DIR = os.environ.get("PHOTO_DIR") or None
    # The site's address as people reach it (https://…): texts written outside a request, such as the
    # sweep's reminders, carry a person's link to their order only when it is set.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}

    # Flask-Compress: the pages (static files are precompressed, served by WhiteNoise).
    # COMPRESS_PAGES=0 sends pages uncompressed (see docs/operations.md on BREACH).
    COMPRESS_MIMETYPES = (["text/html", "application/json", "application/manifest+json"]
                          if os.environ.get("COMPRESS_PAGES", "1") != "0" else [])
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    COMPRESS_MIN_SIZE = 500

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False

    WTF_CSRF_ENABLED = True
    WTF_CSRF_SSL_STRICT = True  # on https a POST from another site's page is refused

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False  # 30 days from the login, not from the last visit
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)

    # The center's own settings (deadlines, auto-confirm days, the issuer) are kept in the
    # database and edited in the back office: app/services/settings.py.
    # Flask-Caching: reference data (the published menu, services, districts, settings).
    # A change committed through the app deletes the kept copies; the timeout
    # only bounds a change made in the database by hand.
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "300"))
    CACHE_KEY_PREFIX = "vs:"
    QUEUE_PAGE_SIZE = 25  # about what a 1366×768 screen shows; "Next" pages on by keyset
    # An xlsx of more orders than this is made by the export worker (`flask exports run`), not the request.
    EXPORT_INLINE_ROWS = 20_000
    # Where the worker writes export files (kept a week): the instance folder unless set.
    EXPORT_DIR = os.environ.get("EXPORT_DIR") or None
    # Email (Flask-Mailman): SMTP when MAIL_SERVER is set, else written to the log (the console backend).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND") or ("smtp" if MAIL_SERVER else "console")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@localhost")
    # Proxies in front of the app that set X-Forwarded-For/-Proto (0: none).
    # Set to the exact number of hops, or clients could forge their address.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    # No test depends on the clock: a kept copy lasts until a commit through the ORM
    # or a test's plain-SQL change drops it.
    CACHE_DEFAULT_TIMEOUT = 0
    SERVER_NAME = None
    MAIL_BACKEND = "locmem"  # sent mail is kept in flask_mailman's outbox list, for the tests to read
    EXPORT_DIR = os.path.join(tempfile.gettempdir(), f"volunteer-exports-{os.getpid()}")


class ProductionConfig(Config):
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember"
    PREFERRED_URL_SCHEME = "https"
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # One cache that every app server sees, so an edit invalidates it everywhere.
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "RedisCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "redis://127.0.0.1:6379/1")

    @staticmethod
    def check(app_config: dict) -> None:
        """Raise RuntimeError when the settings are unsafe for production."""
        if app_config.get("DEBUG"):
            raise RuntimeError("DEBUG must be off in production")
        if app_config.get("SECRET_KEY") in (None, "", DEV_SECRET):
            raise RuntimeError("set SECRET_KEY in the environment for production")
        uri = app_config.get("SQLALCHEMY_DATABASE_URI", "")
        if uri in ("sqlite://", "sqlite:///:memory:") or ":memory:" in uri:
            raise RuntimeError("production needs a persistent database")
        if not app_config.get("WTF_CSRF_ENABLED", True):
            raise RuntimeError("CSRF protection must be on in production")
        if not (app_config.get("SESSION_COOKIE_SECURE") and app_config.get("REMEMBER_COOKIE_SECURE")):
            raise RuntimeError("session and remember cookies must be Secure in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
