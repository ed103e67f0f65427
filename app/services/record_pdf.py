"""志愿服务记录证明 as a PDF, made by WeasyPrint from the same record the page prints.

The record's HTML (``certificates/_record.html``) is laid out on A4 with the page's stylesheet and the
CJK font the machine has. WeasyPrint may fetch only the app's own stylesheets: any other address
(another host, a file elsewhere) is refused, so nothing typed into a record can make it read more.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Response, current_app, render_template, send_file
from weasyprint import HTML, URLFetcher

from ..models import ServiceCertificate
from . import certificates


def _static_dir() -> Path:
    return Path(current_app.static_folder).resolve()


class OwnStylesheets(URLFetcher):
    """Fetches the app's own stylesheets from disk and refuses every other address."""

    def __init__(self, css_dir: Path) -> None:
        super().__init__(allowed_protocols=("file",))
        self.css_dir = css_dir

    def fetch(self, url: str, headers: dict | None = None):
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not (url.startswith("file://") and path.is_relative_to(self.css_dir) and path.suffix == ".css"):
            raise ValueError(f"not fetched for a record: {url}")
        return super().fetch(url, headers)


def pdf_of(certificate: ServiceCertificate) -> bytes:
    """The record as PDF bytes (A4, one or more pages), in the language of the request."""
    html = render_template("certificates/pdf.html", certificate=certificate, **certificates.page_context(certificate))
    document = HTML(string=html, base_url=f"{_static_dir()}/", url_fetcher=OwnStylesheets(_static_dir() / "css"))
    return document.write_pdf()


def download(certificate: ServiceCertificate) -> Response:
    """The PDF as a download named after the record; never kept by a cache (it carries an ID number)."""
    response = send_file(BytesIO(pdf_of(certificate)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"志愿服务记录证明-{certificate.number}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
