"""Documents for the archive as PDF/A-3b (ISO 19005-3, level B), written by WeasyPrint.

PDF/A embeds its fonts and colour profile and carries XMP metadata saying which part and
conformance it claims (pdfaid:part="3", pdfaid:conformance="B"); the archive's tests read that
back. The letter and minutes use the same templates as the portal's own PDFs, so the archived
document is the one the reader got."""

import copy

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.core import formatting, present

VARIANT = "pdf/a-3b"
FORMAT = "fmt/480"  # PRONOM's identifier for PDF/A-3b, as Noark 5's format field expects
FORMAT_DETAILS = "PDF/A-3b"


def render(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML

    from rsportal.assessment.documents import PDF_STYLESHEET

    html = render_to_string(template, {**context, "generated_at": timezone.now()})
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PDF_STYLESHEET))], pdf_variant=VARIANT)


def _rows(model, data: dict, names) -> list[tuple[str, str]]:
    rows = []
    for name in names:
        field = model._meta.get_field(name)
        rows.append((str(field.verbose_name).capitalize(), present.present(data.get(name), field)))
    return rows


def application_context(version, entry) -> dict:
    """The submitted version as frozen: every section's answers with their labels."""
    from rsportal.applications import variants
    from rsportal.applications.models import Application

    data = version.data
    sections = []
    # Only what the form variant the version was submitted in asked for (see applications.variants).
    for form, fields in variants.sections(variants.of_data(data)).values():
        sections.append((str(form.title_text), _rows(Application, data, fields)))
    return {
        "entry": entry,
        "version": version,
        "application": version.application,
        "submitted": formatting.long_date(version.submitted_at),
        "data": data,
        "sections": sections,
        "budget": [{**line, "amount": formatting.kroner(line["amount"]) if line.get("amount") is not None else "–"} for line in data.get("budget", [])],
    }


def report_context(report, entry) -> dict:
    from rsportal.applications import variants
    from rsportal.followup.models import Report

    names = ["progress", "progress_text", "owner", "agreements", "user_involvement", "involvement_per_guideline", "delay_reasons", "delay_text", "effects", "lessons", "spreading", "public_update"]
    if variants.for_grant(report.grant) == variants.LIGHT:
        names = [name for name in names if name in variants.LIGHT_REPORT_FIELDS]  # the light report asked only these
    values = {name: getattr(report, name) for name in names}
    return {
        "entry": entry,
        "report": report,
        "submitted": formatting.long_date(report.submitted_at),
        "rows": _rows(Report, values, names),
        "milestones": report.milestones,
        "spending": [(s.year, formatting.kroner(s.amount), s.accounts_name) for s in report.spending.order_by("year")],
    }


def payment_request_context(request, entry) -> dict:
    return {
        "entry": entry,
        "request": request,
        "submitted": formatting.long_date(request.submitted_at),
        "period": f"{formatting.long_date(request.period_start)} – {formatting.long_date(request.period_end)}",
        "amount": formatting.kroner(request.amount),
        "own_contribution": formatting.kroner(request.own_contribution),
        "requester": request.requester_name or "–",
        "costs": [(line.organisation.name, formatting.kroner(line.amount), line.documentation_name or "–") for line in request.costs.all()],
        "report": formatting.long_date(request.report.submitted_at) if request.report_id else "",
    }


def minutes_context(meeting) -> dict:
    """The approved minutes in full: the archive keeps the record, not a reader's redacted copy."""
    from rsportal.assessment import minutes

    data = copy.deepcopy(meeting.minutes_snapshot) if meeting.minutes_snapshot else minutes.content(meeting)
    for item in data["items"]:
        item["conflicted"] = False
    data["present"] = [m for m in data["members"] if m["present"] is not False]
    data["absent"] = [m for m in data["members"] if m["present"] is False]
    approved = meeting.minutes_approved_at is not None
    return {
        "m": data,
        "approved": approved,
        "approved_on": formatting.long_date(meeting.minutes_approved_at) if approved else "",
        "approved_by": formatting.person_name(meeting.minutes_approved_by) if approved else "",
        "approval_note": meeting.minutes_approval_note,
        "archive_copy": _("Arkiveksemplar"),
    }
