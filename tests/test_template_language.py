"""Templates in the reader's language, the menu grid, the state badges."""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from app.models import Service
from tests.conftest import csrf_token


def test_literals_and_formatted_strings_are_translated_and_escaped(app, db):
    source = "{{ _('Sign in') }}|{{ _('%(n)s people', n=who) }}|{% set s = 'Sign in' %}{{ _(s) }}"
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert app.jinja_env.from_string(source).render(who="<b>") == "登录|&lt;b&gt;人|登录"
    with app.test_request_context(), force_locale("en"):
        assert app.jinja_env.from_string(source).render(who="<b>") == "Sign in|&lt;b&gt; people|Sign in"


def test_pages_switch_language(client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    token = csrf_token(client, "/login")
    client.post("/language", data={"locale": "en", "next": "/login", "csrf_token": token})
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "登录" not in page.replace('value="zh_Hans_CN">中文', "")


def test_menu_grid_shows_a_renamed_service_at_once(client, db):
    assert "交通安全法规宣讲" in client.get("/").get_data(as_text=True)
    service = db.session.scalar(select(Service).where(Service.name == "交通安全法规宣讲"))
    service.name = "交通安全法规宣讲（新）"
    db.session.commit()
    try:
        assert "交通安全法规宣讲（新）" in client.get("/").get_data(as_text=True)
    finally:  # the seeded menu is shared by every test
        service.name = "交通安全法规宣讲"
        db.session.commit()


def test_menu_search_and_full_menu_do_not_share_a_grid(client):
    full = client.get("/").get_data(as_text=True)
    assert 'data-testid="category-chips"' in full
    found = client.get("/?q=交通").get_data(as_text=True)
    assert 'data-testid="category-chips"' not in found
    assert "交通安全法规宣讲" in found and "生物多样性科普" not in found
    assert 'data-testid="category-chips"' in client.get("/").get_data(as_text=True)


def test_state_badge_per_language(app, db):
    def state_badge(*args, **kwargs) -> str:
        return app.jinja_env.from_string("{{ state_badge(*args, **kwargs) }}").render(args=args, kwargs=kwargs)

    with app.test_request_context(), force_locale("zh_Hans_CN"):
        badge = str(state_badge("submitted"))
        assert "待派单" in badge and "text-bg-warning" in badge and 'data-state="submitted"' in badge
        assert 'data-testid="order-state"' in str(state_badge("submitted", testid="order-state"))
        assert "data-testid" not in str(state_badge("submitted"))  # the shared copy is untouched
    with app.test_request_context(), force_locale("en"):
        assert "Awaiting dispatch" in str(state_badge("submitted"))
        assert "Offered" in str(state_badge("offered", "assignment"))
