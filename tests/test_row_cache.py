"""List rows rendered once per content and kept: a changed row shows at once."""

from __future__ import annotations

from datetime import timedelta

from app import workflow
from app.fragments import clear as clear_fragments
from tests.conftest import templates_rendered


def _renders(app, client, url: str, template: str) -> tuple[int, str]:
    with templates_rendered(app) as seen:
        page = client.get(url).get_data(as_text=True)
    return seen.count(template), page


def test_my_orders_cards_are_rendered_once_and_follow_the_order(app, db, login_as, make_order, users):
    clear_fragments()
    order = make_order()
    client = login_as("requester")
    first, page = _renders(app, client, "/my/orders", "requester/_order_card.html")
    assert first == 1 and order.number in page
    again, _page = _renders(app, client, "/my/orders", "requester/_order_card.html")
    assert again == 0
    workflow.apply(order, "cancel", users["requester"], reason_code="requester_withdrew")
    db.session.commit()
    changed, page = _renders(app, client, "/my/orders", "requester/_order_card.html")
    assert changed == 1 and "已取消" in page


def test_queue_rows_follow_the_crew_and_the_waiting_time(app, db, login_as, make_order):
    clear_fragments()
    order = make_order()
    client = login_as("coordinator")
    first, page = _renders(app, client, "/dispatch/", "coordinator/_queue_row.html")
    assert first >= 1 and order.number in page
    again, _page = _renders(app, client, "/dispatch/", "coordinator/_queue_row.html")
    assert again == 0
    order.submitted_at -= timedelta(days=3)  # it has waited three days longer
    db.session.commit()
    later, page = _renders(app, client, "/dispatch/", "coordinator/_queue_row.html")
    assert later == 1 and "3天" in page


def test_job_cards_are_kept_and_their_accept_button_carries_this_requests_token(app, db, login_as, make_order):
    import re

    clear_fragments()
    order = make_order("dispatched")
    job = order.assignments[0]
    client = login_as("volunteer")
    first, page = _renders(app, client, "/jobs/", "volunteer/_job_card.html")
    assert first == 1 and f'data-testid="accept-{job.id}"' in page
    other = login_as("volunteer")  # another session: the same kept card, its own token
    again, other_page = _renders(app, other, "/jobs/", "volunteer/_job_card.html")
    assert again == 0
    token = re.search(rf'action="/jobs/{job.id}/accept"[^>]*>\s*<input id="csrf_token" name="csrf_token" '
                      r'type="hidden" value="([^"]+)"', other_page).group(1)
    assert "\ue000" not in other_page
    assert other.post(f"/jobs/{job.id}/accept", data={"csrf_token": token}).status_code == 303
    db.session.refresh(job)
    assert job.state == "accepted"
    accepted, page = _renders(app, client, "/jobs/", "volunteer/_job_card.html")
    assert accepted == 1 and f'data-testid="accept-{job.id}"' not in page


def test_suggested_volunteers_show_eligibility_and_follow_a_decline(app, db, login_as, make_order, users):
    import re

    clear_fragments()
    order = make_order("dispatched")
    offer = order.assignments[0]
    coordinator = login_as("coordinator")

    def row_of(page: str, volunteer_id: int) -> str:
        return re.search(rf'<tr [^>]*data-volunteer="{volunteer_id}">.*?</tr>', page, re.S).group(0)

    before = row_of(coordinator.get(f"/dispatch/orders/{order.id}").get_data(as_text=True), users["volunteer"].id)
    assert "已在此订单" in before or "Already on this order" in before
    assert 'data-testid="blocked"' in before and 'name="volunteer_ids"' not in before
    workflow.apply(offer, "decline", users["volunteer"], reason_code="schedule_changed")
    db.session.commit()
    page = coordinator.get(f"/dispatch/orders/{order.id}").get_data(as_text=True)
    after = row_of(page, users["volunteer"].id)
    assert after != before and "candidate-blocked" in after
    eligible = row_of(page, users["volunteer3"].id)
    assert f'name="volunteer_ids" value="{users["volunteer3"].id}"' in eligible and "candidate-blocked" not in eligible


def test_a_filter_seen_before_is_not_validated_again(app, db, login_as, make_order, monkeypatch):
    from app.coordinator import forms as coordinator_forms
    from app.coordinator import routes as coordinator_routes

    make_order()
    client = login_as("coordinator")
    url = "/dispatch/?district_id=1&q=%E6%98%9F"
    first = client.get(url).get_data(as_text=True)
    built: list[int] = []
    original = coordinator_forms.QueueFilterForm.__init__

    def counting(self, *a, **k):
        built.append(1)
        original(self, *a, **k)

    monkeypatch.setattr(coordinator_routes.QueueFilterForm, "__init__", counting)
    again = client.get(url).get_data(as_text=True)
    assert built == [] and again.count('data-testid="order-link"') == first.count('data-testid="order-link"')
    client.get("/dispatch/?district_id=2")  # new arguments: validated
    assert built == [1]


def test_my_jobs_shows_the_hours_credited_with_or_without_jobs(db, login_as, make_order, users):
    import re

    def hours(page: str) -> str:
        return re.search(r'data-testid="credited-hours">.*?：(\d+(?:\.\d+)?)小时</span>', page, re.S).group(1)

    assert hours(login_as("volunteer").get("/jobs/").get_data(as_text=True)) in ("0", "0.0")  # no jobs yet
    make_order("rated")
    expected = str(users["volunteer"].profile.hours_credited)
    page = login_as("volunteer").get("/jobs/").get_data(as_text=True)
    assert float(hours(page)) == float(expected) > 0


def test_kept_rows_are_bounded_and_the_oldest_go_first(app, monkeypatch):
    from app import fragments

    clear_fragments()
    monkeypatch.setattr(fragments._rows, "limit", 3)
    rendered: list[str] = []

    def render(template: str, item: str) -> str:
        rendered.append(item)
        return f"<p>{item}</p>"

    monkeypatch.setattr(fragments, "render_template", render)
    with app.test_request_context("/"):
        html = [str(fragments.render_each("row.html", [f"row {i}"])) for i in (0, 1, 2, 3, 4, 4, 0)]
    assert html == [f"<p>row {i}</p>" for i in (0, 1, 2, 3, 4, 4, 0)]
    assert rendered == ["row 0", "row 1", "row 2", "row 3", "row 4", "row 0"]  # row 4 kept; row 0 dropped
    assert [key[-1] for key in fragments._rows] == ["row 3", "row 4", "row 0"]
