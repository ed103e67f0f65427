"""The page chrome: each role's sections, the user's own name, token and badge, escaped."""

from __future__ import annotations

import re

from tests.conftest import DEMO_PASSWORD, login, make_user

# Text shaped like a placeholder: a page must show it as it is, never replace it.
SLOTS = {"csrf": "\ue000csrf\ue000", "name": "\ue000name\ue000"}


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


def test_the_users_name_and_path_are_escaped_and_shown_as_they_are(app, db, client):
    # A name that looks like a placeholder stays the name.
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


def test_the_badge_counts_the_unread_messages_on_every_request(app, db, login_as, make_order, users):
    client = login_as("coordinator")
    before = re.findall(r'data-testid="unread-badge">([^<]+)<', client.get("/dispatch/").get_data(as_text=True))
    make_order()  # the coordinator is told of a new order
    after = re.findall(r'data-testid="unread-badge">([^<]+)<', client.get("/dispatch/").get_data(as_text=True))
    assert int(after[0]) == (int(before[0]) if before else 0) + 1


def test_signed_out_pages_offer_sign_in_and_no_tab_bar(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/login"' in _nav(page) and 'data-testid="tabbar"' not in page
    login_page = client.get("/login").get_data(as_text=True)
    assert "ms-auto me-2 d-lg-none" not in _nav(login_page)  # no second sign-in button on the sign-in page


def test_blank_reason_boxes_post_to_their_own_order(app, db, login_as, make_order):
    first, second = make_order(), make_order()
    client = login_as("requester")
    pages = [client.get(f"/my/orders/{o.id}").get_data(as_text=True) for o in (first, second)]
    for order, page in zip((first, second), pages, strict=True):
        box = re.search(r'<form method="post" action="([^"]+)" class="reason-form" id="cancel-form">\s*'
                        r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', page)
        assert box and box.group(1) == f"/my/orders/{order.id}/cancel", page
        assert "\ue000" not in page
    token = box.group(2)
    response = client.post(f"/my/orders/{second.id}/cancel",
                           data={"csrf_token": token, "reason_code": "requester_withdrew"})
    assert response.status_code == 303
    db.session.refresh(second)
    assert second.state == "cancelled"


def test_a_reason_box_with_the_users_input_is_rendered_with_it(login_as, make_order):
    order = make_order()
    client = login_as("requester")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get(f"/my/orders/{order.id}").get_data(as_text=True)).group(1)
    response = client.post(f"/my/orders/{order.id}/cancel", data={"csrf_token": token, "note": "我的说明要保留"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "我的说明要保留" in page and 'data-testid="error-reason_code"' in page


def test_the_order_page_shows_only_the_forms_the_requester_may_use(login_as, make_order):
    client = login_as("requester")
    open_page = client.get(f"/my/orders/{make_order().id}").get_data(as_text=True)
    assert 'id="cancel-form"' in open_page and 'data-testid="rate"' not in open_page
    done_page = client.get(f"/my/orders/{make_order('completed').id}").get_data(as_text=True)
    assert 'data-testid="rate"' in done_page and 'id="cancel-form"' not in done_page
    rated = make_order("rated")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', done_page).group(1)
    response = client.post(f"/my/orders/{rated.id}/rate", data={"csrf_token": token, "stars": "9"})
    assert response.status_code in (409, 422) and 'data-testid="rate"' not in response.get_data(as_text=True)


def test_each_reader_of_the_menu_gets_their_own_values(app, db, users):
    make_user("13700000078", f"<b>y</b>{SLOTS['name']}", ["requester"])
    db.session.commit()
    readers = [(users["requester"].phone, users["requester"].name), ("13700000078", "&lt;b&gt;y&lt;/b&gt;")]
    pages, tokens = [], []
    for phone, shown_name in readers:
        client = app.test_client()
        login(client, phone, DEMO_PASSWORD)
        page = client.get("/").get_data(as_text=True)
        assert shown_name in _nav(page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', _nav(page)).group(1)
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302  # their own token
        pages.append(page)
        tokens.append(token)
    assert tokens[0] != tokens[1]
    assert users["requester"].name not in pages[1]
    assert f"&lt;b&gt;y&lt;/b&gt;{SLOTS['name']}" in pages[1]
    assert pages[0].count("交通安全法规宣讲") == pages[1].count("交通安全法规宣讲") > 0


def test_a_flashed_message_shows_on_the_menu_once(login_as):
    client = login_as("requester")
    client.get("/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "订单已提交：测试")]
    assert "订单已提交：测试" in client.get("/").get_data(as_text=True)
    assert "订单已提交：测试" not in client.get("/").get_data(as_text=True)


def test_the_menu_follows_the_language(login_as):
    client = login_as("requester")
    assert "志愿服务" in client.get("/").get_data(as_text=True)
    with client.session_transaction() as session:
        session["locale"] = "en"
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and "Service menu" in english
