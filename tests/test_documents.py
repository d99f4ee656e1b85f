"""Long documents are ordered in a request and built by `rsportal build_documents`, so building
the annual report PDF (seconds, a hundred MB) never holds a web worker (issue 13)."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from rsportal.followup import documents
from rsportal.followup.models import DocumentJob

from .test_followup import grant, report_post  # noqa: F401 - the fixture, and the report that fills the document

PDF_URL = "/oppfolging/rhf/HN/arsmelding-2025.pdf"


@pytest.fixture
def queued(settings, tmp_path):
    """Production behaviour: orders wait for the timer's command."""
    settings.RSPORTAL_BUILD_DOCUMENTS_INLINE = False
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def build_documents() -> str:
    out = io.StringIO()
    call_command("build_documents", stdout=out)
    return out.getvalue()


def test_annual_pdf_is_ordered_built_by_the_command_and_downloaded(queued, login, personas, grant, client):  # noqa: F811
    login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant))
    admin = login(personas.rhf_admin)

    page = admin.get(PDF_URL)
    assert page.status_code == 200 and "Lag PDF" in page.content.decode()
    assert not DocumentJob.objects.exists()  # looking at the page orders nothing

    ordered = admin.post(PDF_URL)
    job = DocumentJob.objects.get()
    assert ordered.status_code == 302 and ordered["Location"] == f"/oppfolging/dokument/{job.pk}/"
    assert (job.status, job.rhf.code, job.year, job.requested_by) == ("queued", "HN", 2025, personas.rhf_admin)
    admin.post(PDF_URL)  # pressing twice builds once
    assert DocumentJob.objects.count() == 1

    waiting = admin.get(f"/oppfolging/dokument/{job.pk}/").content.decode()
    assert "Dokumentet lages" in waiting and 'hx-trigger="every 3s"' in waiting
    partial = admin.get(f"/oppfolging/dokument/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith("<div id=\"document-status\"") and "<html" not in partial

    assert "built: 1" in build_documents()
    job.refresh_from_db()
    assert job.status == "ready" and job.finished_at and (queued / job.file).is_file()
    assert "built: 0" in build_documents()  # nothing is built twice

    ready = admin.get(f"/oppfolging/dokument/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    link = f"/oppfolging/dokument/{job.pk}/arsmelding-rs-HN-2025.pdf"
    assert link in ready and "hx-trigger" not in ready  # the polling stops
    download = admin.get(link)
    content = b"".join(download.streaming_content)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf" and content.startswith(b"%PDF")
    assert "arsmelding-rs-HN-2025.pdf" in download["Content-Disposition"]
    assert admin.get(f"/oppfolging/dokument/{job.pk}/annet.pdf").status_code == 404


def test_only_those_who_may_see_the_report_open_the_job_and_its_file(queued, login, personas, grant, client):  # noqa: F811
    job = documents.order_annual_pdf(personas.rhf_admin, grant.pot.rhf, 2025)
    documents.build(job)
    link = f"/oppfolging/dokument/{job.pk}/arsmelding-rs-HN-2025.pdf"
    for person in (personas.secretariat, personas.applicant, personas.member, personas.outsider):
        other = login(person)
        assert other.get(f"/oppfolging/dokument/{job.pk}/").status_code == 403, person
        assert other.get(link).status_code == 403, person
        assert other.post(PDF_URL).status_code == 403, person
    assert DocumentJob.objects.count() == 1  # the refused orders queued nothing
    client.logout()
    assert client.get(link).status_code == 302  # to the login page
    assert login(personas.sysadmin).get(link).status_code == 200


def test_inline_mode_builds_in_the_request(settings, tmp_path, login, personas, grant):  # noqa: F811
    """`make demo` has no timer: with RSPORTAL_BUILD_DOCUMENTS_INLINE the order builds the PDF at once."""
    settings.RSPORTAL_BUILD_DOCUMENTS_INLINE = True
    settings.MEDIA_ROOT = str(tmp_path)
    admin = login(personas.rhf_admin)
    page = admin.get(admin.post(PDF_URL)["Location"]).content.decode()
    assert DocumentJob.objects.get().status == "ready"
    assert "/arsmelding-rs-HN-2025.pdf" in page


def test_a_failed_build_is_shown_and_a_killed_builder_is_retried(queued, login, personas, grant, monkeypatch):  # noqa: F811
    job = documents.order_annual_pdf(personas.rhf_admin, grant.pot.rhf, 2025)
    monkeypatch.setattr(documents, "_render", lambda job: 1 / 0)
    build_documents()
    job.refresh_from_db()
    assert job.status == "failed" and "division by zero" in job.error
    assert "kunne ikke lages" in login(personas.rhf_admin).get(f"/oppfolging/dokument/{job.pk}/").content.decode()

    monkeypatch.undo()
    stuck = documents.order_annual_pdf(personas.rhf_admin, grant.pot.rhf, 2025)
    DocumentJob.objects.filter(pk=stuck.pk).update(status="building", started_at=timezone.now() - datetime.timedelta(minutes=11))
    fresh = documents.order_annual_pdf(personas.sysadmin, grant.pot.rhf, 2025)
    DocumentJob.objects.filter(pk=fresh.pk).update(status="building", started_at=timezone.now())
    assert set(documents.pending()) == {stuck}  # the one still building is left alone
    assert "built: 1" in build_documents()
    assert DocumentJob.objects.get(pk=stuck.pk).status == "ready"


def test_documents_older_than_a_week_are_deleted(queued, personas, grant):  # noqa: F811
    old = documents.order_annual_pdf(personas.rhf_admin, grant.pot.rhf, 2025)
    documents.build(old)
    old.refresh_from_db()
    DocumentJob.objects.filter(pk=old.pk).update(requested_at=timezone.now() - datetime.timedelta(days=8))
    recent = documents.order_annual_pdf(personas.rhf_admin, grant.pot.rhf, 2026)
    documents.build(recent)
    assert "removed: 1" in build_documents()
    assert list(DocumentJob.objects.all()) == [recent]
    assert not (Path(queued) / old.file).exists()
