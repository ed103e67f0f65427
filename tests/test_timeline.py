"""An order's timeline: every event, who acted, whom it concerned, the reason."""

from __future__ import annotations

import re

from app import workflow


def _items(page: str) -> list[str]:
    ol = page[page.index('data-testid="timeline"'):]
    return re.findall(r'<li class="timeline-item.*?</li>', ol[:ol.index("</ol>")], re.S)


def test_the_timeline_names_actor_volunteer_and_reason(db, login_as, make_order, users):
    order = make_order("dispatched")
    offer = order.assignments[0]
    workflow.apply(offer, "decline", users["volunteer"], reason_code="schedule_changed", note="出差<了>")
    db.session.commit()
    items = _items(login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True))
    assert len(items) == 4, items  # submitted, dispatched, offered, declined
    offered, declined = items[2], items[3]
    assert users["coordinator"].name in offered and f"→ {users['volunteer'].name}" in offered
    assert users["volunteer"].name in declined and "→" not in declined  # the volunteer acted themself
    assert "出差&lt;了&gt;" in declined and "原因" in declined
    coordinator_items = _items(login_as("coordinator").get(f"/dispatch/orders/{order.id}").get_data(as_text=True))
    assert coordinator_items == items


def test_a_system_event_says_system(db, login_as, make_order):
    order = make_order("dispatched")
    workflow.apply(order.assignments[0], "expire", workflow.SYSTEM, reason_code="no_answer")
    db.session.commit()
    items = _items(login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True))
    assert "系统" in items[-1] and "→" in items[-1]  # the system acted, on the volunteer's offer
