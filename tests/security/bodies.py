"""What a scan of every page reads of a response: the text a person would see."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader


def readable_text(response) -> str | None:
    """The page's text; a PDF's text as its reader extracts it; None for images and spreadsheets
    (files, not pages: their contents have tests of their own)."""
    if response.mimetype.startswith("image/") or "spreadsheetml" in response.mimetype:
        return None
    if response.mimetype == "application/pdf":
        return "".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
    return response.get_data(as_text=True)
