"""The volunteer's record of hours: every credit, the sums per year, the star level."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user

from ..access import role_required
from ..extensions import db
from ..models import ServiceCertificate
from ..services import certificates
from ..services.hours import record_of
from . import bp


@bp.route("/hours")
@role_required("volunteer")
def hours():
    return render_template("volunteer/hours.html", record=record_of(current_user),
                           certificates=certificates.of_volunteer(current_user.id))


def _own_certificate_or_404(certificate_id: int) -> ServiceCertificate:
    found = db.session.get(ServiceCertificate, certificate_id)
    if found is None or found.volunteer_id != current_user.id:
        abort(404)
    return found


@bp.route("/certificates/<int:certificate_id>")
@role_required("volunteer")
def certificate(certificate_id: int):
    """The volunteer's own record, to print or save as PDF from the browser; anyone else's is missing."""
    found = _own_certificate_or_404(certificate_id)
    return render_template("certificates/certificate.html", certificate=found, revoke_form=None,
                           pdf_url=url_for("volunteer.certificate_pdf", certificate_id=found.id),
                           **certificates.page_context(found))


@bp.route("/certificates/<int:certificate_id>.pdf")
@role_required("volunteer")
def certificate_pdf(certificate_id: int):
    """The volunteer's own record as a PDF to hand to an employer or a school."""
    found = _own_certificate_or_404(certificate_id)
    from ..services import pdf  # WeasyPrint loads Pango: only where a PDF is asked for

    return pdf.record(found)
