"""The public verification page of a 志愿服务记录证明, opened from its QR: whoever holds the paper
learns whether it stands, and nothing else (no phone, no ID number, the name masked)."""

from __future__ import annotations

from flask import render_template

from ..extensions import limiter
from ..services import certificates
from . import bp


@bp.route("/<cert_token>")
@limiter.limit("30 per minute")
def certificate(cert_token: str):
    found = certificates.by_token(cert_token)
    if found is None:  # a link mistyped or made up: say so in words, as a 404
        return render_template("certificates/verify.html", certificate=None, masked_name=""), 404
    return render_template("certificates/verify.html", certificate=found,
                           masked_name=certificates.masked_name(found.real_name))
