"""结项 photos, one at a time, to the people who may see their order (anyone else: missing)."""

from __future__ import annotations

from flask import abort, send_file
from flask_login import login_required

from ..access import signed_in_user
from ..extensions import db
from ..models import CompletionPhoto
from ..services import photos
from . import bp


@bp.route("/<int:photo_id>.jpg")
@login_required
def photo(photo_id: int):
    found = db.session.get(CompletionPhoto, photo_id)
    if found is None or not photos.may_see(signed_in_user(), found):
        abort(404)
    response = send_file(photos.path_of(found), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
