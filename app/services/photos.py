"""结项 photos: what a volunteer shows of a finished job, for the requester and the desk to see.

Every upload is opened by Pillow and written anew as a JPEG of at most ``MAX_SIDE`` pixels a side:
a file that is not a JPEG or a PNG, is too large, or is too many pixels is refused with a message;
what is kept holds pixels only (no EXIF, no location, nothing appended to the file). Photos live
under ``PHOTO_DIR``, outside the web root, under random names, and are served one by one to the
people who may see the order. The completion form is the one form allowed more than the app's
request limit, and only for that request (``allow_photo_uploads``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Assignment, CompletionPhoto, User
from .errors import ValidationFailed

MAX_SIDE = 1600  # pixels: enough to see the room, small enough for a phone
MAX_PIXELS = 40_000_000  # a larger image is refused before it is decoded
FORMATS = frozenset({"JPEG", "PNG"})
UPLOAD_ENDPOINTS = frozenset({"volunteer.complete"})


def allow_photo_uploads() -> None:
    """For the completion form only: room for its photos in this request (the app's limit stays for the rest)."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        cfg = current_app.config
        request.max_content_length = cfg["PHOTO_MAX_BYTES"] * cfg["PHOTO_MAX_COUNT"] + cfg["MAX_CONTENT_LENGTH"]


@dataclass(frozen=True)
class Photo:
    """An upload re-encoded, not yet kept."""

    data: bytes
    width: int
    height: int


def reencoded(data: bytes) -> Photo:
    """``data`` as a clean JPEG, or ``ValidationFailed`` on ``photos`` saying what is wrong."""
    if len(data) > current_app.config["PHOTO_MAX_BYTES"]:
        raise ValidationFailed("photos", _l("Each photo may be at most %(mb)s MB.",
                                            mb=current_app.config["PHOTO_MAX_BYTES"] // (1024 * 1024)))
    try:
        with Image.open(BytesIO(data)) as probe:
            kind, (width, height) = probe.format, probe.size
            if kind not in FORMATS:
                raise ValidationFailed("photos", _l("Photos must be JPEG or PNG pictures."))
            if width * height > MAX_PIXELS:
                raise ValidationFailed("photos", _l("This picture has too many pixels."))
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            clean = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise ValidationFailed("photos", _l("Photos must be JPEG or PNG pictures.")) from err
    out = BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True)
    return Photo(out.getvalue(), clean.width, clean.height)


def read_uploads(uploads: list[FileStorage]) -> list[Photo]:
    """The files chosen on the form, each re-encoded; empty file inputs are skipped."""
    chosen = [u for u in uploads if u and u.filename]
    if len(chosen) > current_app.config["PHOTO_MAX_COUNT"]:
        raise ValidationFailed("photos", _l("At most %(n)s photos.", n=current_app.config["PHOTO_MAX_COUNT"]))
    return [reencoded(u.read(current_app.config["PHOTO_MAX_BYTES"] + 1)) for u in chosen]


def _folder() -> Path:
    folder = Path(current_app.config["PHOTO_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(job: Assignment, photos: list[Photo]) -> list[CompletionPhoto]:
    """Write ``photos`` for ``job`` and add their rows (flushes, never commits)."""
    kept = []
    for photo in photos:
        name = f"{secrets.token_hex(16)}.jpg"
        (_folder() / name).write_bytes(photo.data)
        row = CompletionPhoto(assignment_id=job.id, order_id=job.order_id, file_name=name,
                              width=photo.width, height=photo.height, size=len(photo.data))
        db.session.add(row)
        kept.append(row)
    db.session.flush()
    return kept


def of_order(order_id: int) -> list[CompletionPhoto]:
    return list(db.session.scalars(select(CompletionPhoto).where(CompletionPhoto.order_id == order_id)
                                   .order_by(CompletionPhoto.id)))


def of_job(job: Assignment) -> list[CompletionPhoto]:
    """A job's photos (one statement, whatever the job's state: a page's statements stay the same)."""
    return list(db.session.scalars(select(CompletionPhoto).where(CompletionPhoto.assignment_id == job.id)
                                   .order_by(CompletionPhoto.id)))


def may_see(user: User, photo: CompletionPhoto) -> bool:
    """Its volunteer, the order's requester, and the center's desk."""
    if user.has_role("coordinator", "admin"):
        return True
    job = db.session.get(Assignment, photo.assignment_id)
    return user.id in (job.volunteer_id, job.order.requester_id)


def path_of(photo: CompletionPhoto) -> Path:
    return _folder() / photo.file_name
