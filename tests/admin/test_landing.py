"""After signing in each role lands where its work starts; a safe ``next`` still wins."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import login


@pytest.mark.parametrize(("role", "landing"), [
    ("requester", "/"),
    ("volunteer", "/jobs/"),
    ("volunteer2", "/jobs/"),  # a volunteer who also orders: 我的任务 first
    ("coordinator", "/dispatch/"),
    ("admin", "/admin/"),  # also a coordinator: the back office first
])
def test_each_role_lands_on_its_page(app, users, role, landing):
    client = app.test_client()
    response = login(client, users[role].phone)
    assert response.status_code == 302 and urlsplit(response.location).path == landing
    assert client.get(landing).status_code == 200
    again = client.get("/login")  # already signed in: sent to the same page
    assert again.status_code == 302 and urlsplit(again.location).path == landing


def test_a_safe_next_wins_an_unsafe_one_lands_as_usual(app, users):
    from tests.security.world import login as login_next

    assert urlsplit(login_next(app.test_client(), users["coordinator"].phone, next_url="/notifications/")
                    .location).path == "/notifications/"
    assert urlsplit(login_next(app.test_client(), users["coordinator"].phone, next_url="//evil.example")
                    .location).path == "/dispatch/"
