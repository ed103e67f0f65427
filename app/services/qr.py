"""QR codes as inline SVG, made by segno: the check-in link, the attendees' link, a record's
verification link. Only links the app signed go in; no request for an image, nothing cached."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str) -> Markup:
    """The QR of ``url`` as an inline ``<svg>`` (segno's output: paths, no text of anybody's)."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#212529"))
