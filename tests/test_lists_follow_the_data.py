"""The lists show what the rows hold now: a changed order, a longer wait, an accepted offer."""

from __future__ import annotations

from datetime import timedelta

from app import workflow


def _page(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def test_my_orders_cards_follow_the_order(db, login_as, make_order, users):
    order = make_order()
    client = login_as("requester")
    page = _page(client, "/my/orders")
    assert order.number in page and "已取消" not in page
    workflow.apply(order, "cancel", users["requester"], reason_code="requester_withdrew")
    db.session.commit()
    assert "已取消" in _page(client, "/my/orders")


def test_queue_rows_follow_the_waiting_time(db, login_as, make_order):
    order = make_order()
    client = login_as("coordinator")
    page = _page(client, "/dispatch/")
    assert order.number in page and "3天" not in page
    order.submitted_at -= timedelta(days=3)  # it has waited three days longer
    db.session.commit()
    assert "3天" in _page(client, "/dispatch/")


def test_a_job_cards_accept_button_carries_this_sessions_token(db, login_as, make_order):
    import re

    order = make_order("dispatched")
    job = order.assignments[0]
    client = login_as("volunteer")
    assert f'data-testid="accept-{job.id}"' in _page(client, "/jobs/")
    other = login_as("volunteer")  # another session: its own token
    other_page = _page(other, "/jobs/")
    token = re.search(rf'action="/jobs/{job.id}/accept"[^>]*>\s*<input id="csrf_token" name="csrf_token" '
                      r'type="hidden" value="([^"]+)"', other_page).group(1)
    assert other.post(f"/jobs/{job.id}/accept", data={"csrf_token": token}).status_code == 303
    db.session.refresh(job)
    assert job.state == "accepted"
    assert f'data-testid="accept-{job.id}"' not in _page(client, "/jobs/")


def test_suggested_volunteers_show_eligibility_and_follow_a_decline(db, login_as, make_order, users):
    import re

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


def test_my_jobs_shows_the_hours_credited_with_or_without_jobs(db, login_as, make_order, users):
    import re

    def hours(page: str) -> str:
        return re.search(r'data-testid="credited-hours">.*?：(\d+(?:\.\d+)?)小时</(?:span|a)>', page, re.S).group(1)

    assert hours(login_as("volunteer").get("/jobs/").get_data(as_text=True)) in ("0", "0.0")  # no jobs yet
    make_order("rated")
    expected = str(users["volunteer"].profile.hours_credited)
    page = login_as("volunteer").get("/jobs/").get_data(as_text=True)
    assert float(hours(page)) == float(expected) > 0


def test_an_offer_says_by_when_to_answer_on_the_card_and_the_job_page(db, login_as, make_order):
    import re

    from app.dates import format_moment

    order = make_order("dispatched")
    offer = order.assignments[0]
    client = login_as("volunteer")
    with client.application.test_request_context():
        deadline = format_moment(offer.expires_at, "short")
    for page in (_page(client, "/jobs/"), _page(client, f"/jobs/{offer.id}")):
        shown = re.search(r'data-testid="answer-by">(.*?)</(?:span|p)>', page, re.S)
        assert shown and f"{deadline}前答复" in shown.group(1)
    order = make_order("accepted", start_offset_days=3)
    assert 'data-testid="answer-by"' not in _page(client, f"/jobs/{order.assignments[0].id}")  # answered
