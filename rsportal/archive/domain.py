"""Who keeps which archive, the postmottak address, and sending entries to it."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions
from rsportal.core.audit import record
from rsportal.core.backoffice import lock
from rsportal.core.formatting import long_date
from rsportal.registry.models import Body

from . import noark
from .models import ArchiveSettings, Entry

logger = logging.getLogger(__name__)


def archive_bodies(user):
    """The secretariats whose archive the person keeps: those of their own helsefellesskap or
    RHF (as the back office scopes bodies), or all for a system administrator."""
    return permissions.manageable_bodies(user).filter(kind=Body.Kind.SECRETARIAT)


def keeps_archive(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and archive_bodies(user).exists()


def settings_for(body: Body) -> ArchiveSettings:
    """The stored settings, or unsaved defaults (nothing is written until someone saves)."""
    return ArchiveSettings.objects.filter(body=body).first() or ArchiveSettings(body=body)


@transaction.atomic
def set_postmottak(actor, body: Body, *, postmottak: str, expected: str | None = None) -> ArchiveSettings:
    if not archive_bodies(actor).filter(pk=body.pk).exists():
        raise PermissionDenied(_("Bare sekretariatet selv setter arkivets postmottak."))
    current = ArchiveSettings.objects.filter(body=body).first()
    if current is None:
        current = ArchiveSettings.objects.create(body=body)  # nobody saved before: nothing to overwrite
    else:
        # A form drawn before the first save carries the unsaved defaults' version, so it is refused here too.
        current = lock(current, expected)
    postmottak = postmottak.strip()
    if postmottak == current.postmottak:
        return current
    old = current.postmottak
    current.postmottak = postmottak
    current.save(update_fields=["postmottak"])
    record(
        actor, "archive.postmottak", current,
        _("Postmottak for %(body)s endret fra «%(old)s» til «%(new)s»") % {"body": body.name, "old": old or "–", "new": postmottak or "–"},
    )
    return current


# --- sending to the postmottak ------------------------------------------------------------


def metadata_text(entry: Entry) -> str:
    lines = [
        (_("Journalpost"), entry.journal_id),
        (_("Saksnummer"), entry.case.case_number),
        (_("Dokumentnummer i saken"), entry.registry_id),
        (_("Tittel"), entry.title),
        (_("Retning"), entry.get_direction_display()),
        (_("Avsender") if entry.direction == Entry.Direction.INCOMING else _("Mottaker"), entry.correspondent or "–"),
        (_("Dokumentdato"), long_date(entry.document_date)),
        (_("Journaldato"), long_date(entry.journal_date)),
    ]
    lines += [(_("Dokument %(n)s") % {"n": d.number}, f"{d.title} ({d.get_role_display().lower()}, SHA-256 {d.sha256})") for d in entry.documents.all()]
    return "\n".join(f"{label}: {value}" for label, value in lines)


def to_send():
    """Archived entries not yet sent to their body's postmottak. When an address is first set,
    the entries journalled before it follow, so the archive receives the whole journal."""
    return (
        Entry.objects.filter(status=Entry.Status.STORED, sent_at__isnull=True, body__archive_settings__postmottak__gt="")
        .select_related("case", "body__archive_settings")
        .prefetch_related("documents")
        .order_by("pk")
    )


def send(entry: Entry) -> bool:
    address = entry.body.archive_settings.postmottak
    message = EmailMessage(
        subject=(_("Journalpost %(id)s: %(title)s") % {"id": entry.registry_id, "title": entry.title})[:200],
        body=metadata_text(entry),
        to=[address],
    )
    for document in entry.documents.all():
        with document.file.open("rb") as handle:
            message.attach(f"{entry.registry_id.replace('/', '-')}-{document.number}.{document.extension}", handle.read(), document.content_type)
    message.attach("journalpost.xml", noark.entry_xml(entry), "application/xml")
    try:
        message.send()
    except Exception as exc:
        logger.exception("Archive entry %s not sent to %s", entry.pk, address)
        Entry.objects.filter(pk=entry.pk).update(send_error=str(exc)[:2000] or type(exc).__name__, send_attempts=entry.send_attempts + 1)
        return False
    Entry.objects.filter(pk=entry.pk).update(sent_at=timezone.now(), sent_to=address, send_error="", send_attempts=entry.send_attempts + 1)
    return True
