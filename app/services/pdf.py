"""PDFs made by WeasyPrint from the app's own templates: the 志愿服务记录证明 and the monthly report.

The same HTML the page prints is laid out on A4 with the app's stylesheets and the CJK font the
machine has. WeasyPrint may fetch only the app's own stylesheets: any other address (another host,
a file elsewhere) is refused, so nothing typed into a record or a report can make it read more.
Imported where a PDF is asked for only: WeasyPrint loads Pango when it is imported.
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
            raise ValueError(f"not fetched for a PDF: {url}")
        return super().fetch(url, headers)


def render(template: str, **context) -> bytes:
    """``template`` rendered (in the request's language) and laid out as PDF bytes."""
    html = render_template(template, **context)
    static = _static_dir()
    return HTML(string=html, base_url=f"{static}/", url_fetcher=OwnStylesheets(static / "css")).write_pdf()


def download(data: bytes, file_name: str) -> Response:
    """``data`` as a PDF download; never kept by a cache (a record carries an ID number, a report names people)."""
    response = send_file(BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=file_name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def record(certificate: ServiceCertificate) -> Response:
    """The 志愿服务记录证明 as a PDF download named after its number."""
    data = render("certificates/pdf.html", certificate=certificate, **certificates.page_context(certificate))
    return download(data, f"志愿服务记录证明-{certificate.number}.pdf")
