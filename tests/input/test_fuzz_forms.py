"""S19: every form, fuzzed. No response >= 500; invalid input comes back with the user's text.

The same tests run on SQLite and on PostgreSQL (TEST_DATABASE_URL), where
NUL bytes and over-long strings would raise DataError if a form let them by.
"""

from __future__ import annotations

from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import escape

from app.extensions import limiter
from tests.input.conftest import DATABASE, FIGURES, FUZZ

OK_STATUSES = {200, 302, 303, 409, 422}


def nasty(max_len: int) -> st.SearchStrategy[str]:
    """Text around a field's maximum: CJK, emoji, marks, controls, whitespace, 10x too long."""
    fixed = st.sampled_from([
        "", " ", "   ", "\x00", "a\x00b", "\x07\x1b[31m", "\u202eRTL", "e\u0301" * (max_len // 2),
        "🙂" * max_len, "🙂" * (max_len + 1), "志愿" * (max_len // 2), "x" * max_len, "x" * (max_len + 1),
        "x" * (10 * max_len), "<script>alert(1)</script>", "{{7*7}}", "\r\n\t", "\ufeff", "\U0010ffff",
        "%ED%A0%80", "' OR 1=1 --",
    ])
    return st.one_of(fixed, st.text(max_size=10 * max_len), st.text(max_size=max_len))


def number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers().map(str),
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.sampled_from(["", "-1", "0", "1e9", "NaN", "sNaN", "Infinity", "-inf", "1.5", "١٢", "0x10", "  7 "]),
        st.text(max_size=12),
    )


def date_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.dates(min_value=date(1900, 1, 1)).map(date.isoformat),
        st.sampled_from(["", "2026-02-30", "9999-12-31", "0001-01-01", "yesterday", "2026/05/01"]),
        st.text(max_size=12),
    )


def time_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.times().map(lambda t: t.strftime("%H:%M")),
        st.sampled_from(["", "24:00", "23:59", "25:61", "-1:00", "9"]),
        st.text(max_size=8),
    )


def _check(response, form: str, data: dict, echoed: tuple[str, ...]) -> None:
    FIGURES[f"S19 fuzzed submissions: {form} ({DATABASE})"] += 1
    assert response.status_code in OK_STATUSES, (response.status_code, data)
    if response.status_code in (200, 422):
        body = response.get_data(as_text=True)
        if "<form" not in body:
            return
        for name in echoed:
            value = data.get(name, "")
            assert str(escape(value)) in body, f"{form}: the user's {name!r} was not given back: {value!r}"


@given(phone=nasty(20), password=nasty(128), remember=st.sampled_from(["", "y", "on", "\x00"]))
@example(phone="13800000001", password="x" * 129, remember="y")
@FUZZ
def test_fuzz_login(app, targets, phone, password, remember):
    limiter.reset()
    client = app.test_client()
    data = {"csrf_token": fresh(client, "/login"), "phone": phone, "password": password, "remember": remember}
    _check(client.post("/login", data=data), "login", data, ("phone",))


def fresh(client, url):
    from tests.security.world import fresh_csrf

    return fresh_csrf(client, url)


@given(name=nasty(40), phone=st.one_of(nasty(20), st.just("13912345678")), unit=nasty(80),
       district=st.one_of(st.integers(-3, 30).map(str), number_text()), password=nasty(128))
@FUZZ
def test_fuzz_register(app, targets, name, phone, unit, district, password):
    client = app.test_client()
    data = {"csrf_token": fresh(client, "/register"), "name": name, "phone": phone, "unit": unit,
            "district_id": district, "password": password, "password2": password}
    _check(client.post("/register", data=data), "register", data, ("name", "phone", "unit"))


@given(
    service_date=date_text(), start=time_text(), end=time_text(),
    district=st.one_of(st.integers(-3, 30).map(str), number_text()),
    address=nasty(200), unit=nasty(80), contact_name=nasty(40),
    contact_phone=st.one_of(nasty(20), st.just("13912345678")),
    audience=number_text(), note=nasty(500),
    form_token=st.one_of(st.just("T" * 24), nasty(64)),
)
@FUZZ
def test_fuzz_order_form(app, targets, service_date, start, end, district, address, unit, contact_name,
                         contact_phone, audience, note, form_token):
    client = targets.clients["requester"]
    url = f"/my/orders/new/{targets.service_id}"
    data = {"csrf_token": targets.tokens["requester"], "service_date": service_date, "start_time": start,
            "end_time": end, "district_id": district, "address": address, "unit": unit,
            "contact_name": contact_name, "contact_phone": contact_phone, "audience_size": audience,
            "note": note, "form_token": form_token}
    _check(client.post(url, data=data), "order", data,
           ("address", "unit", "contact_name", "contact_phone", "note", "audience_size", "service_date"))


REASON = st.one_of(st.sampled_from(["out_of_scope", "too_far", "other", "no_answer", "slots_filled"]),
                   nasty(30))


@given(reason=REASON, note=nasty(500))
@FUZZ
def test_fuzz_cancel_reason(app, targets, reason, note):
    order_id = targets.get("cancel")
    data = {"csrf_token": targets.tokens["requester"], "reason_code": reason, "note": note}
    response = targets.clients["requester"].post(f"/my/orders/{order_id}/cancel", data=data)
    if response.status_code == 303:
        targets.used_up("cancel")
    _check(response, "cancel reason", data, ("note",))


@given(reason=REASON, note=nasty(500))
@FUZZ
def test_fuzz_decline_reason(app, targets, reason, note):
    job_id = targets.get("decline")
    data = {"csrf_token": targets.tokens["volunteer"], "reason_code": reason, "note": note}
    response = targets.clients["volunteer"].post(f"/jobs/{job_id}/decline", data=data)
    if response.status_code == 303:
        targets.used_up("decline")
    _check(response, "decline reason", data, ("note",))


@given(reason=REASON, note=nasty(500), action=st.sampled_from(["reject", "cancel"]))
@FUZZ
def test_fuzz_coordinator_reason(app, targets, reason, note, action):
    order_id = targets.get("reject")
    data = {"csrf_token": targets.tokens["coordinator"], "reason_code": reason, "note": note}
    response = targets.clients["coordinator"].post(f"/dispatch/orders/{order_id}/{action}", data=data)
    if response.status_code == 303:
        targets.used_up("reject")
    _check(response, "reject/cancel reason", data, ("note",))


@given(hours=st.one_of(number_text(), st.decimals(allow_nan=True).map(str)), summary=nasty(500))
@FUZZ
def test_fuzz_complete_form(app, targets, hours, summary):
    job_id = targets.get("complete")
    data = {"csrf_token": targets.tokens["volunteer"], "hours": hours, "summary": summary}
    response = targets.clients["volunteer"].post(f"/jobs/{job_id}/complete", data=data)
    if response.status_code == 303:
        targets.used_up("complete")
    _check(response, "complete", data, ("summary",))


@given(stars=st.one_of(st.sampled_from(["1", "5", "0", "6", "-1", ""]), number_text()), comment=nasty(500))
@FUZZ
def test_fuzz_rating_form(app, targets, stars, comment):
    order_id = targets.get("rate")
    data = {"csrf_token": targets.tokens["requester"], "stars": stars, "comment": comment}
    response = targets.clients["requester"].post(f"/my/orders/{order_id}/rate", data=data)
    if response.status_code == 303:
        targets.used_up("rate")
    _check(response, "rating", data, ("comment",))
