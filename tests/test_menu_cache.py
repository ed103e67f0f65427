"""The published menu kept in each process: a change through the app shows at once, others on expiry."""

from __future__ import annotations

from sqlalchemy import select, text

from app.models import Service, ServiceStatus
from app.services.reference import forget as forget_menu


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


def test_a_change_made_elsewhere_shows_when_the_kept_menu_expires(app, client, db):
    """Another process (or plain SQL) changes the menu: this one reads it after MENU_CACHE_SECONDS."""
    forget_menu()
    assert _shows(client, "交通安全法规宣讲")
    rename = "UPDATE services SET name = :new WHERE name = :old"
    db.session.execute(text(rename), {"new": "交通安全宣讲（改）", "old": "交通安全法规宣讲"})
    db.session.commit()  # no ORM objects changed: this process is not told
    seconds = app.config["MENU_CACHE_SECONDS"]
    try:
        assert not _shows(client, "交通安全宣讲（改）")  # the kept copy
        app.config["MENU_CACHE_SECONDS"] = 0  # as if the kept copy's time were up
        assert _shows(client, "交通安全宣讲（改）")
    finally:
        app.config["MENU_CACHE_SECONDS"] = seconds
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
