"""Templates translated at compile time, the cached menu grid, the state badges."""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from app.fragments import clear as clear_fragments
from app.models import Service
from tests.conftest import csrf_token


def _localized(app, source: str, locale: str, **context) -> str:
    env = app.jinja_env._localized()
    assert env is not None and env is not app.jinja_env
    assert env.translations is not None
    return env.from_string(source).render(**context)


def test_literals_are_translated_when_compiled(app, db):
    source = "{{ _('Sign in') }}|{{ _('%(n)s people', n=who) }}|{% set s = 'Sign in' %}{{ _(s) }}"
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        env = app.jinja_env._localized()
        code = env.compile(source, raw=True)
        assert "yield '登录|'" in code  # folded into the template's text: no lookup at render time
        assert _localized(app, source, "zh", who="<b>") == "登录|&lt;b&gt;人|登录"
    with app.test_request_context(), force_locale("en"):
        assert _localized(app, source, "en", who="<b>") == "Sign in|&lt;b&gt; people|Sign in"


def test_each_language_has_its_own_compiled_templates(app, db):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        zh = app.jinja_env._localized()
        assert app.jinja_env.get_template("auth/login.html").environment is zh
    with app.test_request_context(), force_locale("en"):
        en = app.jinja_env._localized()
        assert en is not zh
        assert app.jinja_env.get_template("auth/login.html").environment is en
    with app.app_context():  # outside a request (e-mails, commands): the plain environment
        assert app.jinja_env._localized() is None


def test_pages_switch_language(client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    token = csrf_token(client, "/login")
    client.post("/language", data={"locale": "en", "next": "/login", "csrf_token": token})
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page and "登录" not in page.replace('value="zh_Hans_CN">中文', "")


def test_menu_grid_shows_a_renamed_service_at_once(client, db):
    clear_fragments()
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
    clear_fragments()
    full = client.get("/").get_data(as_text=True)
    assert 'data-testid="category-chips"' in full
    found = client.get("/?q=交通").get_data(as_text=True)
    assert 'data-testid="category-chips"' not in found
    assert "交通安全法规宣讲" in found and "生物多样性科普" not in found
    assert 'data-testid="category-chips"' in client.get("/").get_data(as_text=True)


def test_state_badge_per_language(app, db):
    from app.templating import state_badge as badge_of

    def state_badge(*args, **kwargs):
        return badge_of(app.jinja_env._localized(), *args, **kwargs)

    with app.test_request_context(), force_locale("zh_Hans_CN"):
        badge = str(state_badge("submitted"))
        assert "待派单" in badge and "text-bg-warning" in badge and 'data-state="submitted"' in badge
        assert 'data-testid="order-state"' in str(state_badge("submitted", testid="order-state"))
        assert "data-testid" not in str(state_badge("submitted"))  # the shared copy is untouched
    with app.test_request_context(), force_locale("en"):
        assert "Awaiting dispatch" in str(state_badge("submitted"))
        assert "Offered" in str(state_badge("offered", "assignment"))
