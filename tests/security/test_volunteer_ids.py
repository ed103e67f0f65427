"""The volunteer's ID number: masked on every page, in full only to an administrator who asks (audited).

And the application's free text comes back escaped on every page that shows it.
"""

from __future__ import annotations

from markupsafe import escape
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditEntry, VolunteerProfile
from app.models.users import mask_id_number
from tests.security.access_matrix import MATRIX, ROLES
from tests.security.bodies import readable_text
from tests.security.conftest import FIGURES
from tests.security.test_access_matrix import probe_urls
from tests.security.test_xss import AMBIGUOUS, PAYLOADS, RISKY
from tests.security.world import CANARY_ID_NUMBER, fresh_csrf

DEMO_IDS_OF_SEED = "11010119900101"  # the demo volunteers' numbers begin so (app.seed.demo_id_number)


def _every_get(app, world) -> list[str]:
    return [url for e, m in sorted(MATRIX) if m == "GET" for url in probe_urls(app, world, e)]


def test_the_full_id_number_is_on_no_page_but_the_reveal(app, world):
    masked = mask_id_number(CANARY_ID_NUMBER)
    demo_numbers = list(_db.session.scalars(select(VolunteerProfile.id_number).where(
        VolunteerProfile.id_number.like(DEMO_IDS_OF_SEED + "%"))))
    assert demo_numbers  # the demo volunteers have numbers too: none may leak either
    admin = world.clients["admin"]
    detail = f"/admin/volunteers/{world.profile_id}"
    revealed = admin.post(f"{detail}/id-number", data={"csrf_token": world.tokens["admin"]})
    assert revealed.status_code == 200 and CANARY_ID_NUMBER in revealed.get_data(as_text=True)
    assert _db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_key == str(world.profile_id),
                                                              AuditEntry.action == "volunteer.view_id"))
    leaks, scanned = [], 0
    for role in ROLES:
        for url in _every_get(app, world) + ["/admin/volunteers?state=approved", "/admin/audit"]:
            response = world.clients[role].get(url)
            body = readable_text(response)
            if body is None:
                continue  # the favicon, the import's template: files, not pages
            scanned += 1
            for number in (CANARY_ID_NUMBER, *demo_numbers):
                if number in body:
                    leaks.append(f"{role} {url}: {number}")
    assert not leaks, leaks
    page = admin.get(detail).get_data(as_text=True)
    assert masked in page and 'data-testid="reveal-id"' in page
    # Only a button press shows it: a reveal without the form's token is refused.
    assert admin.post(f"{detail}/id-number").status_code == 400
    FIGURES["S4 ID-number pages scanned"] += scanned


def test_the_reveal_is_the_admins_alone(world):
    for role in ROLES:
        if role == "admin":
            continue
        response = world.clients[role].post(f"/admin/volunteers/{world.profile_id}/id-number",
                                            data={"csrf_token": world.tokens[role]})
        assert response.status_code in (302, 403), role
        assert CANARY_ID_NUMBER not in response.get_data(as_text=True)


def test_no_unescaped_payload_from_an_application(app, world):
    applicant = world.clients["requester_b"]
    admin = world.clients["admin"]
    tried = 0
    for i, p in enumerate(PAYLOADS[:12]):
        token = fresh_csrf(applicant, "/jobs/apply")
        sent = applicant.post("/jobs/apply", data={
            "csrf_token": token, "real_name": p[:40], "id_type": "passport", "id_number": f"E9{i:07d}",
            "services": [str(world.service_id)], "skills": p, "certificates": p, "bio": p,
        })
        assert sent.status_code == 303, (p, sent.status_code)
        profile = _db.session.scalar(select(VolunteerProfile).where(
            VolunteerProfile.user_id == world.users["requester_b"].id))
        for url in ("/jobs/apply", "/admin/volunteers", f"/admin/volunteers/{profile.id}", "/admin/audit"):
            client = applicant if url.startswith("/jobs") else admin
            body = client.get(url).get_data(as_text=True)
            if RISKY & set(p) and p not in AMBIGUOUS:
                assert p[:40] not in body, (url, p)
                assert str(escape(p[:40])) in body, (url, p)
            tried += 1
        assert admin.post(f"/admin/volunteers/{profile.id}/reject", data={
            "csrf_token": world.tokens["admin"], "reason_code": "other", "note": p}).status_code == 303
        body = applicant.get("/jobs/apply").get_data(as_text=True)
        if RISKY & set(p) and p not in AMBIGUOUS:
            assert p not in body and str(escape(p)) in body
        _db.session.expire_all()
    FIGURES["S22 application payload checks"] += tried
