"""Helpers for the permission matrix (tests/test_permission_matrix.py): a complete application
written through the applicant's own domain functions, and the text of a response, so a row can
check that a page a person may open still leaves out what they must not see."""

import datetime
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from rsportal.applications import domain
from rsportal.applications.forms import SECTIONS, BenefitRowForm, BudgetLineForm

from .factories import PDF, docx_bytes  # noqa: F401 (used by the matrix)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _section(author, application, name, data):
    form = SECTIONS[name](data, instance=application, prefix=name)
    assert form.is_valid(), (name, form.errors)
    domain.save_section(author, application, name, form, domain.section_version(application, name).version)


def complete_and_submit(author, application, *, trust, owners: str, grant_by_year: dict[int, int]):
    """Everything the submission checks ask for, entered as the applicant would, then submitted.
    Returns the submitted version."""
    today = datetime.date.today()
    trust_participant = domain.add_participant(author, application, trust=trust, contact_name="Trond Helseforetak", contact_email="trond@example.invalid")
    municipality_participant = application.participants.get(municipality__isnull=False)
    _section(
        author,
        application,
        "prosjektet",
        {
            "prosjektet-title": application.title,
            "prosjektet-type": application.type,
            "prosjektet-project_owners": owners,
            "prosjektet-start_date": f"{today.year}-01-01",
            "prosjektet-end_date": f"{today.year + 1}-12-31",
            "prosjektet-agreement_date": today.isoformat(),
        },
    )
    _section(
        author,
        application,
        "beskrivelse",
        {
            "beskrivelse-goal": "Færre innleggelser",
            "beskrivelse-target_group": "Skrøpelige eldre",
            "beskrivelse-activities": "Felles team",
            "beskrivelse-organisations_and_staff": "Hjemmetjenesten og geriatrisk avdeling",
        },
    )
    _section(author, application, "nytte", {"nytte-expected_benefit": "Færre reinnleggelser", "nytte-supports_purpose": "Deler erfaringer i regionen"})
    _section(
        author,
        application,
        "finansiering",
        {
            "finansiering-grant_use": "Prosjektleder",
            "finansiering-financing_at_start": "Tilskudd og egeninnsats",
            "finansiering-ordinary_operation_plan": "Inn i budsjettet etter prosjektet",
            "finansiering-research_share": "0",
        },
    )
    _section(
        author,
        application,
        "plan",
        {
            "plan-project_plan": "Plan med evalueringspunkter",
            "plan-involvement_users": "Brukerråd",
            "plan-involvement_unions": "Tillitsvalgte på begge nivåer",
            "plan-involvement_safety": "Verneombud på begge nivåer",
        },
    )
    lines = [{"year": year, "kind": "grant", "amount": amount, "description": "Prosjektleder"} for year, amount in grant_by_year.items()]
    year = min(grant_by_year)
    lines += [
        {"year": year, "kind": "own_time", "participant": municipality_participant.pk, "amount": 200_000, "hours": 400, "description": "Sykepleiere"},
        {"year": year, "kind": "own_competence", "participant": trust_participant.pk, "amount": 150_000, "description": "Geriater"},
    ]
    for line in lines:
        form = BudgetLineForm(application, line)
        assert form.is_valid(), form.errors
        domain.add_budget_line(author, application, form)
    benefit = BenefitRowForm(
        {
            "benefit": "health",
            "description": "Bedre helse",
            "beneficiaries": ["patients"],
            "responsible": "Prosjektleder",
            "measurement": "Reinnleggelser",
            "frequency_and_data": "Kvartalsvis fra journal",
            "prerequisites": "Bemanning",
            "time_horizon": "Prosjektperioden",
        }
    )
    assert benefit.is_valid(), benefit.errors
    domain.add_benefit(author, application, benefit)
    domain.upload_attachment(author, application, kind="agreement", uploaded=SimpleUploadedFile("avtale.pdf", PDF))
    domain.upload_attachment(author, application, kind="budget", uploaded=SimpleUploadedFile("budsjett.docx", docx_bytes()))
    return domain.submit(author, application)


def response_text(response, rendered: list[str]) -> str:
    """What a person can read in a response: the page, the cells of a workbook, or for a PDF the
    HTML it was printed from (the last one rendered; `rendered` is filled by the test's spy)."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        return rendered[-1] if rendered else ""
    if content_type.startswith(XLSX):
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist() if name.endswith(".xml"))
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", "replace")
