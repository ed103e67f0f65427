"""Migrations (R14): upgrade from empty, no drift from the models, down and up again.

Each database kind gets a fresh database of its own (a new SQLite file; a new
PostgreSQL database on the server of TEST_DATABASE_URL), never the session's.
"""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect, select

from app import create_app
from app.extensions import db
from app.models import Service
from app.seed import seed_all
from tests.conftest import IS_PG, _create_pg_database

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "migrations")
APP_TABLES = {"orders", "assignments", "order_events", "users", "services", "notifications"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_app(request, tmp_path):
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    elif not IS_PG:
        pytest.skip("no PostgreSQL at TEST_DATABASE_URL: this test needs one")
    else:
        url, drop = _create_pg_database("migrations")
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if drop is not None:
        drop()


def _drift() -> list:
    """What ``flask db migrate`` would generate: differences between the models and the database."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _head_matches_models() -> None:
    assert _drift() == [], "the models and the migrations differ; generate a migration"
    check(directory=MIGRATIONS)  # `flask db check`: exits non-zero on a difference


def test_upgrade_from_empty_then_check_and_round_trip(empty_app):
    assert not (_tables() & APP_TABLES)
    upgrade(directory=MIGRATIONS)
    assert APP_TABLES <= _tables()
    _head_matches_models()

    # the schema holds real data after the upgrade
    seed_all()
    db.session.commit()
    assert db.session.scalar(select(Service.id).limit(1)) is not None
    db.session.remove()

    downgrade(directory=MIGRATIONS, revision="-1")
    upgrade(directory=MIGRATIONS)
    _head_matches_models()

    downgrade(directory=MIGRATIONS, revision="base")
    assert not (_tables() & APP_TABLES)
    upgrade(directory=MIGRATIONS)
    assert APP_TABLES <= _tables()
    _head_matches_models()


def test_the_latest_migrations_go_down_and_up_again_under_real_rows(empty_app):
    """Orders, their offers and events in the database (foreign keys on): the migrations since the
    export jobs (9eaf1138cc0c) go down and up again without losing a row or tripping a key."""
    from datetime import date, timedelta

    from app.models import Assignment, Order, User
    from app.services import orders as order_service
    from tests.conftest import order_request

    upgrade(directory=MIGRATIONS)
    seed_all()
    db.session.commit()
    requester = db.session.scalar(select(User).where(User.phone == "13800000001"))
    volunteer = db.session.scalar(select(User).where(User.phone == "13800000002"))
    coordinator = db.session.scalar(select(User).where(User.phone == "13800000003"))
    service = db.session.scalar(select(Service).where(Service.name == "交通安全法规宣讲"))
    with empty_app.test_request_context():
        day = date.today() + timedelta(days=9)
        order = order_service.place_order(requester, order_request(service, service_date=day))
        order_service.dispatch_order(order, [volunteer], coordinator)
    db.session.commit()
    db.session.remove()

    downgrade(directory=MIGRATIONS, revision="9eaf1138cc0c")
    upgrade(directory=MIGRATIONS)
    _head_matches_models()
    assert db.session.scalar(select(Order.id)) is not None and db.session.scalar(select(Assignment.id)) is not None
