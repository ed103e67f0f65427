"""Reference data in the one cache: a change through the app shows at once, everywhere; never per-user data."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text

from app import create_app
from app.extensions import cache
from app.models import Service, ServiceStatus
from app.services import reference
from app.services.reference import forget as forget_menu
from tests.conftest import login


def _shows(client, name: str) -> bool:
    return name in client.get("/").get_data(as_text=True)


def test_a_retired_service_leaves_the_menu_at_once(client, db):
    forget_menu()
    assert _shows(client, "生物多样性科普")
    service = db.session.scalar(select(Service).where(Service.name == "生物多样性科普"))
    service.status = ServiceStatus.RETIRED.value
    db.session.commit()
    try:
        assert not _shows(client, "生物多样性科普")
    finally:
        service.status = ServiceStatus.PUBLISHED.value
        db.session.commit()
    assert _shows(client, "生物多样性科普")


def test_a_change_made_by_hand_shows_when_the_kept_copy_is_gone(app, client, db):
    """Plain SQL changes the menu: the app is not told, and shows it once the cached copy times out."""
    forget_menu()
    assert _shows(client, "交通安全法规宣讲")
    rename = "UPDATE services SET name = :new WHERE name = :old"
    db.session.execute(text(rename), {"new": "交通安全宣讲（改）", "old": "交通安全法规宣讲"})
    db.session.commit()  # no ORM objects changed: nothing is deleted from the cache
    try:
        assert not _shows(client, "交通安全宣讲（改）")  # the kept copy
        with app.app_context():  # as CACHE_DEFAULT_TIMEOUT would: the menu and its grid were kept alike
            cache.delete_many("reference:menu", f"reference:{reference.grid_key('zh_Hans_CN')}")
        assert _shows(client, "交通安全宣讲（改）")
    finally:
        db.session.execute(text(rename), {"new": "交通安全法规宣讲", "old": "交通安全宣讲（改）"})
        db.session.commit()
        forget_menu()


def test_a_rolled_back_change_keeps_the_menu(client, db, count_queries):
    forget_menu()
    client.get("/")
    service = db.session.scalar(select(Service).where(Service.name == "生物多样性科普"))
    service.name = "不会保存的名字"
    db.session.flush()
    db.session.rollback()
    with count_queries() as q:
        assert _shows(client, "生物多样性科普")
    assert q.count == 0, q.statements  # still the kept copy: nothing was committed


def test_a_search_reads_the_database(client, db, count_queries):
    client.get("/")
    with count_queries() as q:
        page = client.get("/?q=生物").get_data(as_text=True)
    assert "生物多样性科普" in page and "交通安全法规宣讲" not in page
    assert q.count == 1, q.statements


def test_a_new_district_shows_in_the_forms_at_once(login_as, db):
    from app.models import District

    client = login_as("coordinator")
    assert "新测试区" not in client.get("/dispatch/").get_data(as_text=True)
    district = District(code="test-new", name="新测试区", position=99)
    db.session.add(district)
    db.session.commit()
    try:
        assert "新测试区" in client.get("/dispatch/").get_data(as_text=True)
    finally:
        db.session.delete(district)
        db.session.commit()
    assert "新测试区" not in client.get("/dispatch/").get_data(as_text=True)


def test_the_cache_holds_the_same_reference_data_whoever_reads(app, db, users):
    """What is cached (the reference data and the menu's grid) is what every reader shares:
    each reader of each role, and a visitor signed in as nobody, renders it anew and gets the same,
    with nothing of theirs."""
    seen = []
    for role in ("coordinator", "requester", "volunteer", None):
        forget_menu()
        client = app.test_client()
        if role:
            login(client, users[role].phone)
        for path in ("/", "/dispatch/", "/account"):
            client.get(path)
        with app.app_context():
            # The settings are not read by these pages (the workflow and the back office read them),
            # nor the teams (an order's suggestions do).
            names = (*(k for k in reference.KEYS if k not in ("settings", "teams")), reference.grid_key("zh_Hans_CN"))
            kept = {name: cache.get(f"reference:{name}") for name in names}
        seen.append(kept)
    grid = reference.grid_key("zh_Hans_CN")
    assert all(value is not None for value in seen[0].values()), seen[0]  # the coordinator's pages read it all
    for other in seen[1:]:  # the others read less (no queue): what they read is the same
        assert other["menu"] is not None and other[grid] is not None
        assert {k: v for k, v in other.items() if v is not None} == {k: seen[0][k] for k, v in other.items() if v}
    assert "service-card" in seen[0][grid]
    text_kept = repr(seen[0])
    for user in users.values():
        assert user.phone not in text_kept and user.name not in text_kept


def _redis_app(database_url: str, prefix: str):
    return create_app("test", {
        "SQLALCHEMY_DATABASE_URI": database_url, "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": "redis://127.0.0.1:6379/15", "CACHE_KEY_PREFIX": prefix,
    })


def test_an_edit_on_one_app_server_shows_on_another_at_once(app, db, database_url):
    """Production: every server reads one Redis cache, and an edit through any of them deletes the copy."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379: this test needs one")
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    one, two = _redis_app(database_url, prefix), _redis_app(database_url, prefix)
    try:
        assert _shows(two.test_client(), "生物多样性科普")  # kept in Redis by the second server
        with one.app_context():
            from app.extensions import db as one_db

            service = one_db.session.scalar(select(Service).where(Service.name == "生物多样性科普"))
            service.status = ServiceStatus.RETIRED.value
            one_db.session.commit()
        assert not _shows(two.test_client(), "生物多样性科普")
    finally:
        with one.app_context():
            from app.extensions import db as one_db

            service = one_db.session.scalar(select(Service).where(Service.name == "生物多样性科普"))
            service.status = ServiceStatus.PUBLISHED.value
            one_db.session.commit()
            cache.clear()
            one_db.engine.dispose()
        with two.app_context():
            from app.extensions import db as two_db

            two_db.engine.dispose()
        forget_menu()
