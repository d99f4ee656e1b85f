"""How a document becomes a registry entry.

The domain function that brings a document into being (submission, decision letter, approved
minutes, report) calls `archive.record(kind, source)` inside its transaction. After commit the
entry is registered (case, journal number, metadata) and its documents are made: the main
document as PDF/A, attachments as they were received. Each step that can fail leaves the entry
with a status and the error, and `rsportal archive_process` retries it; the business action
that triggered it is never undone by the archive."""

import contextlib
import contextvars
import hashlib
import logging
from dataclasses import dataclass
from functools import partial

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.core import formatting
from rsportal.core.audit import record as audit

from . import pdfa
from .models import Case, Document, Entry, EntryCounter

logger = logging.getLogger(__name__)

# kind -> the model of its source
SOURCES = {
    Entry.Kind.APPLICATION: "applications.applicationversion",
    Entry.Kind.LETTER: "assessment.decision",
    Entry.Kind.MINUTES: "assessment.meeting",
    Entry.Kind.REPORT: "followup.report",
    Entry.Kind.PAYMENT_REQUEST: "payments.paymentrequest",
}


# While set, entries are registered but their PDF/A documents are left for `archive_process`
# (status "waiting"). The demo loader uses it: rendering every document while the demo round is
# built would cost each test that loads the demo seconds for files it never reads.
_deferred = contextvars.ContextVar("archive_deferred", default=False)


@contextlib.contextmanager
def deferred():
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def record(kind: str, source, actor=None) -> None:
    if kind not in SOURCES or source._meta.label_lower != SOURCES[kind]:
        raise ValueError(f"archive.record: {kind} is not made from {source._meta.label_lower}")
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    # Whether to defer is decided now: the commit may come after the `deferred()` block has ended.
    transaction.on_commit(partial(_after_commit, kind, source.pk, actor_id, _deferred.get()), robust=True)


def _after_commit(kind: str, source_id, actor_id, defer: bool = False) -> None:
    try:
        entries = register(kind, _source(kind, source_id), actor_id=actor_id)
    except Exception:
        # Nothing to put a status on yet: the log says it, and the action itself stands.
        logger.exception("Could not register %s %s in the archive", kind, source_id)
        return
    if defer:
        return
    for entry in entries:
        build(entry)


def _source(kind: str, source_id):
    return apps.get_model(SOURCES[kind])._default_manager.get(pk=source_id)


# --- what each kind of document is ---------------------------------------------------


@dataclass
class Registration:
    subject: object  # the application (or, decided outside the portal, the grant) whose case it belongs to
    direction: str
    at: object  # datetime: when the document was received or sent
    correspondent: str
    title: str


def _owners(application) -> str:
    names = [str(p.organisation) for p in application.participants.all() if p.is_owner]
    return ", ".join(names) or str(application.helsefellesskap)


def _grant_case(grant):
    """The case a document about a grant belongs to: its application's, or (decided outside the
    portal) the grant's own; with the owners' names."""
    from rsportal.assessment.models import Decision

    decision = Decision.objects.filter(grant=grant).select_related("application").first()
    if decision:
        return decision.application, _owners(decision.application)
    return grant, ", ".join([m.name for m in grant.municipalities.all()] + [t.name for t in grant.trusts.all()])


def describe(kind: str, source) -> list[Registration]:
    if kind == Entry.Kind.APPLICATION:
        application = source.application
        return [
            Registration(
                application, Entry.Direction.INCOMING, source.submitted_at, _owners(application),
                _("Søknad: %(title)s (versjon %(n)s)") % {"title": application.title, "n": source.number},
            )
        ]
    if kind == Entry.Kind.LETTER:
        application = source.application
        return [
            Registration(
                application, Entry.Direction.OUTGOING, source.concluded_at or timezone.now(), _owners(application),
                _("Vedtaksbrev: %(outcome)s – %(title)s") % {"outcome": source.get_outcome_display(), "title": application.title},
            )
        ]
    if kind == Entry.Kind.MINUTES:
        # The minutes are registered in the case of every application treated at the meeting.
        title = _("Protokoll: %(body)s, %(label)s") % {"body": source.body.name, "label": source.label or source.starts_at.date()}
        return [
            Registration(item.application, Entry.Direction.INTERNAL, source.minutes_approved_at or timezone.now(), source.body.name, title)
            for item in source.items.select_related("application").order_by("order", "pk")
        ]
    if kind == Entry.Kind.PAYMENT_REQUEST:
        subject, _owner_names = _grant_case(source.grant)
        return [
            Registration(
                subject, Entry.Direction.INCOMING, source.submitted_at, source.recipient.name,
                _("Utbetalingsanmodning: %(title)s (%(year)s, %(start)s–%(end)s)")
                % {"title": source.grant.title, "year": source.year, "start": formatting.long_date(source.period_start), "end": formatting.long_date(source.period_end)},
            )
        ]
    if kind == Entry.Kind.REPORT:
        subject, owners = _grant_case(source.grant)
        return [
            Registration(
                subject, Entry.Direction.INCOMING, source.submitted_at, owners,
                _("Rapport: %(title)s (%(progress)s)") % {"title": source.grant.title, "progress": source.get_progress_display()},
            )
        ]
    raise ValueError(kind)


# --- registering -----------------------------------------------------------------------


def _pot(subject):
    return subject.call.pot if hasattr(subject, "call") else subject.pot


def archive_body_for(subject):
    """The secretariat that keeps the case: that of the organisation owning the pot."""
    from rsportal.registry.models import Body

    pot = _pot(subject)
    bodies = Body.objects.filter(kind=Body.Kind.SECRETARIAT)
    bodies = bodies.filter(helsefellesskap_id=pot.helsefellesskap_id) if pot.helsefellesskap_id else bodies.filter(rhf_id=pot.rhf_id)
    return bodies.order_by("pk").first()


def open_case(subject) -> Case:
    """The case of an application (or of a grant decided outside the portal), opened on first
    use (inside a transaction)."""
    from rsportal.applications import casenumbers
    from rsportal.applications.models import Application

    is_application = isinstance(subject, Application)
    key = {"application": subject} if is_application else {"grant": subject}
    case = Case.objects.select_for_update().filter(**key).first()
    if case is not None:
        if case.body_id is None and (body := archive_body_for(subject)):
            case.body = body
            case.save(update_fields=["body"])
        return case
    if is_application:
        # Every submitted application has its case number; one that reaches the archive without
        # (decided outside the usual submission) is given the next number here.
        number = casenumbers.assign(subject)
        opened = subject.submitted_at or timezone.now()
    else:
        number = _grant_case_number(subject)
        opened = timezone.now()
    return Case.objects.create(**key, body=archive_body_for(subject), case_number=number, title=subject.title[:300], opened_at=opened)


def _grant_case_number(grant) -> str:
    """The next number in the RHF's case register (the one applications are numbered from)."""
    from rsportal.applications.models import CaseCounter

    year = timezone.localdate().year
    CaseCounter.objects.get_or_create(rhf=grant.pot.rhf, year=year)
    counter = CaseCounter.objects.select_for_update().get(rhf=grant.pot.rhf, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year % 100:02d}/{counter.last:05d}"


def next_number(body, year: int) -> int:
    EntryCounter.objects.get_or_create(body=body, year=year)
    counter = EntryCounter.objects.select_for_update().get(body=body, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@transaction.atomic
def register(kind: str, source, *, actor_id=None) -> list[Entry]:
    """The entries for `source`, created once (a second call returns the same ones)."""
    entries = []
    for reg in describe(kind, source):
        case = open_case(reg.subject)
        existing = Entry.objects.filter(case=case, kind=kind, source_type=source._meta.label_lower, source_id=str(source.pk)).first()
        if existing:
            entries.append(existing)
            continue
        day = timezone.localdate(reg.at)
        entry = Entry.objects.create(
            case=case,
            body=case.body,
            year=day.year,
            number=next_number(case.body, day.year) if case.body_id else None,
            place=case.entries.count() + 1,
            kind=kind,
            direction=reg.direction,
            # The day the document came or went: the same day as the registration in normal use,
            # and right for events replayed later (the demo's past round).
            journal_date=day,
            document_date=day,
            correspondent=reg.correspondent[:500],
            title=reg.title[:500],
            source_type=source._meta.label_lower,
            source_id=str(source.pk),
            registered_by_id=actor_id,
        )
        audit(entry.registered_by, "archive.registered", entry, _("Journalført %(id)s: %(title)s") % {"id": entry.journal_id, "title": entry.title})
        entries.append(entry)
    return entries


# --- the documents -------------------------------------------------------------------------


@dataclass
class File:
    role: str
    title: str
    content: bytes
    extension: str
    format: str
    content_type: str


PDFA = ("pdf", pdfa.FORMAT, "application/pdf")
ORIGINAL_FORMATS = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def _original(title: str, field_file, content_type: str) -> File:
    with field_file.open("rb") as handle:
        content = handle.read()
    extension = ORIGINAL_FORMATS.get(content_type, "bin")
    return File(Document.Role.ATTACHMENT, title, content, extension, extension.upper(), content_type)


def files_for(entry: Entry) -> list[File]:
    source = _source(entry.kind, entry.source_id)
    ext, fmt, mime = PDFA
    if entry.kind == Entry.Kind.APPLICATION:
        from rsportal.applications.models import Attachment

        main = pdfa.render("archive/application_pdf.html", pdfa.application_context(source, entry))
        files = [File(Document.Role.MAIN, entry.title, main, ext, fmt, mime)]
        tokens = [a["token"] for a in source.data.get("attachments", [])]
        for attachment in Attachment.objects.filter(application=source.application, token__in=tokens).order_by("uploaded_at", "pk"):
            files.append(_original(f"{attachment.get_kind_display()}: {attachment.original_name}", attachment.file, attachment.content_type))
        return files
    if entry.kind == Entry.Kind.LETTER:
        from rsportal.assessment import letters

        return [File(Document.Role.MAIN, entry.title, pdfa.render("assessment/letter_pdf.html", {"letter": letters.for_decision(source)}), ext, fmt, mime)]
    if entry.kind == Entry.Kind.MINUTES:
        return [File(Document.Role.MAIN, entry.title, pdfa.render("assessment/minutes_pdf.html", pdfa.minutes_context(source)), ext, fmt, mime)]
    if entry.kind == Entry.Kind.REPORT:
        files = [File(Document.Role.MAIN, entry.title, pdfa.render("archive/report_pdf.html", pdfa.report_context(source, entry)), ext, fmt, mime)]
        for spending in source.spending.order_by("year"):
            if spending.accounts:
                files.append(_original(_("Prosjektregnskap %(year)s: %(name)s") % {"year": spending.year, "name": spending.accounts_name}, spending.accounts, spending.accounts_content_type))
        return files
    if entry.kind == Entry.Kind.PAYMENT_REQUEST:
        files = [File(Document.Role.MAIN, entry.title, pdfa.render("archive/payment_request_pdf.html", pdfa.payment_request_context(source, entry)), ext, fmt, mime)]
        for line in source.costs.all():
            if line.documentation:
                files.append(_original(_("Dokumentasjon: %(org)s, %(name)s") % {"org": line.organisation.name, "name": line.documentation_name}, line.documentation, line.documentation_content_type))
        return files
    raise ValueError(entry.kind)


def build(entry: Entry) -> bool:
    """Make the entry's documents (a pending or failed entry); True when it is archived."""
    entry.attempts += 1
    try:
        with transaction.atomic():
            locked = Entry.objects.select_for_update().select_related("case").get(pk=entry.pk)
            if locked.status == Entry.Status.STORED:
                return True  # another run got there first: documents are never made twice
            if locked.body_id is None:
                case = open_case(locked.case.application or locked.case.grant)
                if case.body_id is None:
                    raise ValueError(_("Søknadens pott har ikke noe sekretariat som fører arkivet. Opprett et sekretariat for eieren av potten."))
                locked.body = case.body
                locked.number = next_number(case.body, locked.year)
            files = files_for(locked)
            for old in locked.documents.all():
                old.file.delete(save=False)
                old.delete()
            for number, f in enumerate(files, 1):
                document = Document(
                    entry=locked, number=number, role=f.role, title=f.title[:500], extension=f.extension, format=f.format,
                    content_type=f.content_type, size=len(f.content), sha256=hashlib.sha256(f.content).hexdigest(),
                )
                document.file.save(f"{number}.{f.extension}", ContentFile(f.content), save=False)
                document.save()
            locked.status, locked.error, locked.attempts = Entry.Status.STORED, "", entry.attempts
            locked.save(update_fields=["body", "number", "status", "error", "attempts"])
        entry.refresh_from_db()
        return True
    except Exception as exc:
        logger.exception("Archive entry %s: documents not made", entry.pk)
        Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.FAILED, error=f"{exc}"[:2000] or type(exc).__name__, attempts=entry.attempts)
        entry.refresh_from_db()
        return False


def waiting():
    return Entry.objects.exclude(status=Entry.Status.STORED).select_related("case__application", "case__grant").order_by("pk")
