"""The page chrome: rendered once per language, roles and section, the user's own values filled in."""

from __future__ import annotations

import re

from flask import template_rendered

from app.chrome import SLOTS
from app.fragments import clear as clear_fragments
from tests.conftest import DEMO_PASSWORD, login, make_user


def _nav(page: str) -> str:
    return page[page.index('<nav class="navbar'):page.index("<main")]


def _tabbar(page: str) -> str:
    return page[page.index("</main>"):]


def test_each_role_sees_its_own_sections_marked_where_it_is(login_as):
    for role, path, links in [
        ("requester", "/my/orders", {"/my/orders"}),
        ("volunteer", "/jobs/", {"/jobs/"}),
        ("coordinator", "/dispatch/", {"/dispatch/"}),
    ]:
        page = login_as(role).get(path).get_data(as_text=True)
        for part in (_nav(page), _tabbar(page)):
            hrefs = set(re.findall(r'href="(/my/orders|/jobs/|/dispatch/)"', part))
            assert hrefs == links, (role, hrefs)
            current = re.findall(r'href="([^"]+)" aria-current="page"', part)
            assert current == [path], (role, current)


def test_the_users_name_and_path_are_escaped_and_never_read_as_slots(app, db, client):
    # A name that looks like a slot must stay the name, not become the CSRF token.
    make_user("13700000077", f"<b>x</b>{SLOTS['csrf']}", ["requester"])
    db.session.commit()
    login(client, "13700000077", DEMO_PASSWORD)
    page = client.get('/?q="><i>').get_data(as_text=True)
    nav = _nav(page)
    assert f"&lt;b&gt;x&lt;/b&gt;{SLOTS['csrf']}</a>" in nav
    assert 'name="next" value="/?q=%22%3E%3Ci%3E"' in nav or "&#34;&gt;&lt;i&gt;" in nav
    assert "<b>x</b>" not in page and "<i>" not in nav
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', nav))
    assert len(tokens) == 1 and SLOTS["csrf"] not in tokens.pop()
    assert "\ue000" not in page.replace(SLOTS["csrf"], "")


def test_the_chrome_is_rendered_once_per_key_and_the_badge_per_request(app, db, login_as, make_order, users):
    clear_fragments()
    client = login_as("coordinator")
    rendered: list[str] = []

    def seen(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(seen, app)
    try:
        client.get("/dispatch/")
        client.get("/dispatch/")
        assert rendered.count("_chrome/nav.html") == 1 and rendered.count("_chrome/tabbar.html") == 1
        before = re.findall(r'data-testid="unread-badge">([^<]+)<', client.get("/dispatch/").get_data(as_text=True))
        make_order()  # the coordinator is told of a new order
        after = re.findall(r'data-testid="unread-badge">([^<]+)<', client.get("/dispatch/").get_data(as_text=True))
        assert int(after[0]) == (int(before[0]) if before else 0) + 1
    finally:
        template_rendered.disconnect(seen, app)


def test_signed_out_pages_offer_sign_in_and_no_tab_bar(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in _nav(page) and 'data-testid="tabbar"' not in page
    login_page = client.get("/login").get_data(as_text=True)
    assert "ms-auto me-2 d-lg-none" not in _nav(login_page)  # no second sign-in button on the sign-in page
