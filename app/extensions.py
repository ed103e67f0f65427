"""Flask extensions, created unbound and initialised in ``create_app``."""

import logging

from flask_babel import Babel
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()  # pages and JSON; static files are precompressed (app/assets.py)
cache = Cache()  # the one cache: SimpleCache in development and tests, Redis in production
limiter = Limiter(key_func=get_remote_address)
mail = Mail()  # email, one of a person's channels (app/services/outbox.py)


def discard_session() -> None:
    """Forget the request's session without rolling back (its connection is dead).

    Invalidating drops the pooled connections instead of resetting them; the
    registry is cleared so the next ``db.session`` is a fresh one.
    """
    registry = db.session.registry
    if registry.has():
        try:
            registry().invalidate()
        except SQLAlchemyError:
            pass
    registry.clear()


def remove_session_quietly(exc: BaseException | None = None) -> None:
    """Teardown: end the request's session; a dead database must not turn the response into a bare 500.

    Registered after ``db.init_app``, so it runs before Flask-SQLAlchemy's own
    ``session.remove()`` (Flask runs teardowns in reverse order), which then
    has nothing left to do. The rollback inside ``remove()`` raises when the
    connection was lost (PostgreSQL restarted): that error is logged here
    instead of escaping after the response was built.
    """
    try:
        db.session.remove()
    except SQLAlchemyError as err:
        logging.getLogger(__name__).warning(
            "closing the database session failed (%s); session discarded", type(err).__name__)
        discard_session()


def read_rows(statement, params: dict | None = None):
    """Plain rows of ``statement`` on the session's connection, past the ORM's execution layer.

    For statements that map nothing (the lists' columns): the ORM would only
    add its compile and result setup. Pending changes are flushed first, as
    ``Session.execute`` would.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, params or {})

