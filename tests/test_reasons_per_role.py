"""One reason table, each reason tagged with the actions and roles it fits: every form offers only its
own, and the state machine refuses a reason that does not fit who gives it."""

from __future__ import annotations

import pytest

from app import workflow
from app.workflow import REASON_TABLE, MissingInput, reasons_for


def test_every_reason_fits_somewhere_and_other_fits_everywhere():
    general = {(a, r) for _c, _l, fits in REASON_TABLE for a, r in fits}
    assert all(fits for _c, _l, fits in REASON_TABLE)
    assert all("other" in reasons_for(a, r) for a, r in general)
    assert "duplicate" not in reasons_for("decline", "volunteer")  # 重复下单 is not a volunteer's reason
    assert "no_volunteer" not in reasons_for("cancel", "requester")  # nor 暂无空闲志愿者 a requester's


def test_the_state_machine_refuses_a_reason_that_does_not_fit(db, users, make_order):
    offered = make_order("dispatched").assignments[0]
    with pytest.raises(MissingInput):
        workflow.apply(offered, "decline", offered.volunteer, reason_code="duplicate")
    db.session.rollback()
    order = make_order("submitted")
    with pytest.raises(MissingInput):
        workflow.apply(order, "cancel", users["requester"], reason_code="no_volunteer")
    db.session.rollback()
    workflow.apply(order, "cancel", users["coordinator"], reason_code="no_volunteer")  # the desk may say so
    assert order.state == "cancelled"


def test_each_form_offers_only_its_own_reasons(db, users, make_order, login_as):
    order = make_order("submitted")
    page = login_as("requester").get(f"/my/orders/{order.id}").get_data(as_text=True)
    box = page.split('id="cancel-form"')[1].split("</form>")[0]
    assert 'value="requester_withdrew"' in box and 'value="no_volunteer"' not in box
    offered = make_order("dispatched").assignments[0]
    job = login_as("volunteer").get(f"/jobs/{offered.id}").get_data(as_text=True)
    decline = job.split('id="decline-form"')[1].split("</form>")[0]
    assert 'value="too_far"' in decline and 'value="duplicate"' not in decline
