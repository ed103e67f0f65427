"""结项 photos: re-encoded to clean JPEGs outside the web root, refused when they are not pictures or too large,
nothing kept when the form is refused, and shown only to the people of the order."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db as _db
from app.models import Assignment, CompletionPhoto
from tests.conftest import csrf_token

PAYLOAD = b"<script>alert(1)</script>"


def _picture(kind: str = "JPEG", size: tuple[int, int] = (2400, 1200), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 16, 46))
    out = BytesIO()
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "CANARY-CAMERA"  # Make
        image.save(out, kind, exif=tags)
    else:
        image.save(out, kind)
    return out.getvalue()


def _job(make_order, users) -> Assignment:
    order = make_order("in_service")  # checked in at its start; the service ends now
    return _db.session.scalars(select(Assignment).where(Assignment.order_id == order.id)).one()


def _complete(client, job: Assignment, files: list[tuple[bytes, str]], summary: str = "活动顺利"):
    data = {"csrf_token": csrf_token(client, f"/jobs/{job.id}"), "hours": "1", "summary": summary,
            "photos": [(BytesIO(body), name) for body, name in files]}
    return client.post(f"/jobs/{job.id}/complete", data=data, content_type="multipart/form-data")


def test_photos_are_kept_as_clean_jpegs_and_shown_to_the_people_of_the_order(app, db, users, make_order, login_as):
    job = _job(make_order, users)
    polyglot = _picture("PNG", (300, 200)) + PAYLOAD
    done = _complete(login_as("volunteer"), job, [(_picture(exif=True), "现场.jpg"), (polyglot, "b.png")])
    assert done.status_code == 303
    kept = _db.session.scalars(select(CompletionPhoto).order_by(CompletionPhoto.id)).all()
    assert [(p.width, p.height) for p in kept] == [(1600, 800), (300, 200)]
    folder = Path(app.config["PHOTO_DIR"]).resolve()
    static = Path(app.static_folder).resolve()
    assert not folder.is_relative_to(static)
    for photo in kept:
        data = (folder / photo.file_name).read_bytes()
        assert data[:3] == b"\xff\xd8\xff" and PAYLOAD not in data and b"CANARY-CAMERA" not in data
        assert "现场" not in photo.file_name

    url = f"/photos/{kept[0].id}.jpg"
    for role in ("volunteer", "requester", "coordinator"):
        shown = login_as(role).get(url)
        assert shown.status_code == 200 and shown.mimetype == "image/jpeg", role
    for role in ("volunteer2", "volunteer3"):  # another volunteer (and requester), another volunteer
        assert login_as(role).get(url).status_code == 404, role
    assert app.test_client().get(url).status_code in (302, 303)  # signed out: the login page
    assert url in login_as("volunteer").get(f"/jobs/{job.id}").get_data(as_text=True)
    assert url in login_as("coordinator").get(f"/dispatch/orders/{job.order_id}").get_data(as_text=True)
    requesters_page = login_as("requester").get(f"/my/orders/{job.order_id}").get_data(as_text=True)
    assert url in requesters_page and "活动顺利" in requesters_page  # the completion report, photos and summary


@pytest.mark.parametrize(("body", "name"), [
    (b"just some text, not a picture", "notes.jpg"),
    (b"GIF89a" + b"\x00" * 64, "anim.gif"),
])
def test_a_file_that_is_no_picture_is_refused_beside_the_field_and_nothing_is_kept(
        db, users, make_order, login_as, body, name):
    job = _job(make_order, users)
    refused = _complete(login_as("volunteer"), job, [(body, name)], summary="我写的总结")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'data-testid="error-photos"' in page and "我写的总结" in page
    _db.session.expire_all()
    assert _db.session.get(Assignment, job.id).state == "checked_in"
    assert _db.session.scalar(select(CompletionPhoto.id)) is None


def test_a_photo_over_the_size_limit_is_refused(app, db, users, make_order, login_as):
    job = _job(make_order, users)
    app.config["PHOTO_MAX_BYTES"], limit = 20_000, app.config["PHOTO_MAX_BYTES"]
    try:
        big = _picture("PNG", (800, 800)) + bytes(30_000)
        refused = _complete(login_as("volunteer"), job, [(big, "big.png")])
    finally:
        app.config["PHOTO_MAX_BYTES"] = limit
    assert refused.status_code == 422 and 'data-testid="error-photos"' in refused.get_data(as_text=True)
    assert _db.session.scalar(select(CompletionPhoto.id)) is None


def test_other_forms_keep_the_apps_request_limit(app, db, login_as):
    big = {"csrf_token": "x", "summary": "长" * (400 * 1024)}
    assert login_as("requester").post("/my/orders/new/1", data=big).status_code == 413
