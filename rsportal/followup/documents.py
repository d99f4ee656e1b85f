"""Long documents built outside the request: ordered by a person, built by `rsportal build_documents`
(a systemd timer, every minute; no broker), downloaded from a page that polls until it is ready.

With RSPORTAL_BUILD_DOCUMENTS_INLINE (on when debugging, so `make demo` needs no timer) the order
builds the document at once, in the request."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions as account_permissions
from rsportal.core.uploads import new_token

from . import exports, money
from .models import DocumentJob

# A builder killed mid-way (a reboot, the OOM killer) leaves its job "building"; after this long
# the next run takes it again.
STALE_AFTER = datetime.timedelta(minutes=10)
# Built documents are kept this long for downloading, then deleted with their job.
KEEP_FOR = datetime.timedelta(days=7)


def may_see_reports(user, rhf) -> bool:
    """The RHF's reports to the ministry and the directorate are made by the RHF: its administrators
    and the secretariat of its grant (the same rule as the Excel versions)."""
    return account_permissions.is_rhf_admin(user, rhf) or account_permissions.is_secretariat(user, rhf=rhf)


def order_annual_pdf(user, rhf, year: int) -> DocumentJob:
    """Queue the annual report PDF for `user`. An order of the same document that is still waiting
    is reused, so pressing the button twice builds it once."""
    if not may_see_reports(user, rhf):
        raise PermissionDenied(_("Rapportene til departementet og direktoratet lages av RHF-et."))
    waiting = DocumentJob.objects.filter(
        kind=DocumentJob.Kind.ANNUAL_REPORT_PDF, rhf=rhf, year=year, requested_by=user, status__in=[DocumentJob.Status.QUEUED, DocumentJob.Status.BUILDING]
    ).first()
    return waiting or DocumentJob.objects.create(kind=DocumentJob.Kind.ANNUAL_REPORT_PDF, rhf=rhf, year=year, requested_by=user)


def may_download(user, job: DocumentJob) -> bool:
    # The rule of the document itself, asked again now: a role that ended since the order ends the access.
    return may_see_reports(user, job.rhf)


def _render(job: DocumentJob) -> bytes:
    from rsportal.assessment.documents import pdf

    rows = exports.annual_rows(job.rhf, job.year)
    learned = [r for r in rows if r.last_report and (r.last_report.effects or r.last_report.lessons or r.last_report.spreading)]
    from rsportal.payments.queries import figures

    payments = [r for r in figures([job.rhf.pk], job.year) if r.pot is not None]
    return pdf("followup/annual_pdf.html", {"rhf": job.rhf, "year": job.year, "rows": rows, "learned": learned, "totals": money.totals(rows), "payments": payments})


def build(job: DocumentJob) -> bool:
    """Build one queued job. Returns False when another builder claimed it first."""
    with transaction.atomic():
        claimed = DocumentJob.objects.filter(pk=job.pk, status=job.status, started_at=job.started_at).update(
            status=DocumentJob.Status.BUILDING, started_at=timezone.now()
        )
    if not claimed:
        return False
    try:
        content = _render(job)
        name = default_storage.save(f"documents/{new_token()}.pdf", ContentFile(content))
    except Exception as error:  # noqa: BLE001 - recorded on the job, which the person sees as failed
        DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.FAILED, finished_at=timezone.now(), error=str(error)[:2000])
        return True
    DocumentJob.objects.filter(pk=job.pk).update(status=DocumentJob.Status.READY, finished_at=timezone.now(), file=name, error="")
    return True


def pending(now=None):
    """Jobs waiting to be built, and jobs whose builder died."""
    now = now or timezone.now()
    stale = Q(status=DocumentJob.Status.BUILDING, started_at__lt=now - STALE_AFTER)
    return DocumentJob.objects.select_related("rhf").filter(Q(status=DocumentJob.Status.QUEUED) | stale)


def remove_old(now=None) -> int:
    """Delete documents older than KEEP_FOR, file and job."""
    now = now or timezone.now()
    old = DocumentJob.objects.filter(requested_at__lt=now - KEEP_FOR).exclude(status=DocumentJob.Status.BUILDING)
    for job in old:
        if job.file:
            default_storage.delete(job.file)
    return old.delete()[0]
