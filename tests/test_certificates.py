"""志愿服务记录证明: refused while a required field is missing; the hours frozen, numbered per year;
printed for its volunteer and the admin only; verified by anyone, showing only what it should."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from app import labels
from app.extensions import db as _db
from app.extensions import limiter
from app.models import AuditEntry, ServiceCertificate, VolunteerProfile
from app.services import certificates, pdf
from app.services.errors import ValidationFailed
from app.services.settings import update_settings
from tests.conftest import csrf_token

ISSUER = {"issuer_head": "王主任", "issuer_handler": "陈静", "issuer_phone": "010-67856789"}


@pytest.fixture
def issuer(db, users):
    update_settings(ISSUER, users["admin"])
    _db.session.commit()


def _profile(users, key: str = "volunteer") -> VolunteerProfile:
    return _db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.user_id == users[key].id)).one()


def _year() -> tuple[date, date]:
    today = date.today()
    return today - timedelta(days=400), today + timedelta(days=400)


def test_the_check_names_every_missing_field_and_refuses(app, db, users):
    profile = _profile(users)
    with app.test_request_context():
        missing = certificates.missing(profile)
        assert len(missing) == 3  # the three issuer fields the settings start without
        with pytest.raises(ValidationFailed) as refused:
            certificates.issue(users["admin"], profile, *_year())
    assert "settings" in str(refused.value.message) or "设置" in str(refused.value.message)
    assert _db.session.scalar(select(ServiceCertificate.id)) is None


def test_issued_records_freeze_the_hours_and_are_numbered_in_turn(app, db, users, make_order, issuer, login_as):
    make_order("rated")  # two hours credited to the volunteer
    profile = _profile(users)
    with app.test_request_context():
        first = certificates.issue(users["admin"], profile, *_year(), note="用于评优")
        second = certificates.issue(users["admin"], profile, *_year())
        _db.session.commit()
    year = date.today().year
    assert (first.number, second.number) == (f"{year}-0001", f"{year}-0002")
    assert first.total_hours == 2 and '"hours": "2.0"' in first.lines
    assert (first.real_name, first.id_number) == (profile.real_name, profile.id_number)
    assert first.issuer_head == "王主任"
    page = login_as("volunteer").get(f"/jobs/certificates/{first.id}").get_data(as_text=True)
    assert profile.id_number in page and "用于评优" in page and "交通安全法规宣讲" in page
    assert first.number in login_as("volunteer").get("/jobs/hours").get_data(as_text=True)
    assert login_as("volunteer2").get(f"/jobs/certificates/{first.id}").status_code == 404
    assert _db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "certificate.issue"))


def test_the_verification_page_shows_the_record_and_nothing_private_and_says_when_revoked(
        app, db, users, make_order, issuer, login_as):
    limiter.reset()
    make_order("rated")
    profile = _profile(users)
    with app.test_request_context():
        made = certificates.issue(users["admin"], profile, *_year())
        _db.session.commit()
        link = f"/verify/{certificates.token_for(made)}"
    stranger = app.test_client()
    page = stranger.get(link).get_data(as_text=True)
    assert made.number in page and certificates.masked_name(profile.real_name) in page
    for private in (profile.id_number, profile.real_name, users["volunteer"].phone):
        assert private not in page
    assert 'data-testid="verify-state"' in page and "有效" in page
    forged = stranger.get(link[:-2] + "zz")
    assert forged.status_code == 404 and made.number not in forged.get_data(as_text=True)
    assert 'data-testid="verify-state"' in forged.get_data(as_text=True)  # said in words, not a bare error page
    admin = login_as("admin")
    token = csrf_token(admin, f"/admin/certificates/{made.id}")
    assert admin.post(f"/admin/certificates/{made.id}/revoke", data={"csrf_token": token}).status_code == 422
    assert admin.post(f"/admin/certificates/{made.id}/revoke",
                      data={"csrf_token": token, "reason": "时长有误，已重开"}).status_code == 303
    assert "撤销" in stranger.get(link).get_data(as_text=True)


def test_the_admin_issues_from_the_volunteers_page(app, db, users, make_order, issuer, login_as):
    make_order("rated")
    profile = _profile(users)
    admin = login_as("admin")
    url = f"/admin/volunteers/{profile.id}/certificates/new"
    start, end = _year()
    bad = admin.post(url, data={"csrf_token": csrf_token(admin, url), "period_start": end.isoformat(),
                                "period_end": start.isoformat(), "note": "我的说明"})
    assert bad.status_code == 422 and "我的说明" in bad.get_data(as_text=True)
    done = admin.post(url, data={"csrf_token": csrf_token(admin, url), "period_start": start.isoformat(),
                                 "period_end": end.isoformat()})
    assert done.status_code == 303
    page = admin.get(done.location).get_data(as_text=True)
    assert profile.id_number in page and 'data-testid="verify-link"' in page and "<svg" in page


def test_a_record_without_a_real_name_is_refused(app, db, users, issuer):
    profile = _profile(users)
    real_name = profile.real_name
    _db.session.execute(update(VolunteerProfile).where(VolunteerProfile.id == profile.id).values(real_name=""))
    _db.session.commit()
    try:
        with app.test_request_context():
            assert len(certificates.missing(_profile(users))) == 1
    finally:  # the seeded volunteer as it was, for the tests after this one
        _db.session.execute(update(VolunteerProfile).where(VolunteerProfile.id == profile.id)
                            .values(real_name=real_name))
        _db.session.commit()


def test_the_admin_traces_each_hour_to_its_evidence(app, db, users, make_order, issuer, login_as):
    order = make_order("rated")
    profile = _profile(users)
    with app.test_request_context():
        made = certificates.issue(users["admin"], profile, *_year())
        _db.session.commit()
        lines = certificates.lines_for_page(made)
        steps = certificates.evidence(lines, profile.user_id)
    (line,) = lines
    assert line.order_id == order.id
    words = " ".join(steps[line.entry_id])
    for action in ("check_in", "complete", "rate"):
        with app.test_request_context():
            assert str(labels.ACTIONS[action]) in words, action
    page = login_as("admin").get(f"/admin/certificates/{made.id}").get_data(as_text=True)
    assert 'data-testid="evidence"' in page
    volunteer_page = login_as("volunteer").get(f"/jobs/certificates/{made.id}").get_data(as_text=True)
    assert 'data-testid="evidence"' not in volunteer_page  # the trail is the center's


# --- the record as a PDF --------------------------------------------------------------------------


def _pdf_text_and_fonts(data: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    return text, fonts


def test_the_pdf_carries_the_record_in_cjk_for_its_volunteer_and_the_admin_only(
        app, db, users, make_order, issuer, login_as):
    make_order("rated")
    profile = _profile(users)
    with app.test_request_context():
        made = certificates.issue(users["admin"], profile, *_year(), note="用于评优")
        _db.session.commit()
    got = login_as("volunteer").get(f"/jobs/certificates/{made.id}.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert "attachment" in got.headers["Content-Disposition"] and made.number in got.headers["Content-Disposition"]
    assert "no-store" in got.headers["Cache-Control"]
    text, fonts = _pdf_text_and_fonts(got.data)
    squeezed = "".join(text.split())
    for shown in ("志愿服务记录证明", made.number, profile.real_name, profile.id_number, profile.volunteer_number,
                  "交通安全法规宣讲", "2.0", "用于评优", ISSUER["issuer_head"], ISSUER["issuer_phone"]):
        assert "".join(shown.split()) in squeezed, shown
    assert any("CJK" in font for font in fonts), fonts  # the Chinese is set in a CJK font, not boxes
    assert login_as("admin").get(f"/admin/certificates/{made.id}.pdf").data[:5] == b"%PDF-"
    assert login_as("volunteer2").get(f"/jobs/certificates/{made.id}.pdf").status_code == 404


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x.css", "file:///etc/passwd", "file:///etc/ssl/x.css"])
def test_the_pdf_fetches_nothing_but_the_apps_own_stylesheets(app, url):
    static = Path(app.static_folder).resolve()
    fetcher = pdf.OwnStylesheets(static / "css")
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert b"certificate" in fetcher.fetch((static / "css" / "certificate.css").as_uri()).read()


def test_a_correction_on_the_record_shows_the_day_it_was_served_and_what(app, db, users, issuer):
    from decimal import Decimal

    from app.services import corrections

    profile = _profile(users)
    served = date.today() - timedelta(days=40)
    with app.test_request_context():
        correction = corrections.propose(users["coordinator"], corrections.Proposal(
            volunteer=profile.volunteer_number, served_on=served, hours=Decimal("2.5"), activity="社区义诊引导",
            reason="纸质签到表补录", evidence="签到表照片"))
        corrections.approve(correction, users["admin"])
        made = certificates.issue(users["admin"], profile, *_year())
        _db.session.commit()
        (line,) = certificates.lines_for_page(made)
    assert (line.day, line.service, line.source, line.hours) == (served.isoformat(), "社区义诊引导", "correction",
                                                                 Decimal("2.5"))
