"""The export for deposit: Noark 5's archive structure (arkivstruktur.xml) and the files.

arkiv > arkivdel (the period) > mappe xsi:type="saksmappe" (a case) > registrering
xsi:type="journalpost" (an entry) > dokumentbeskrivelse > dokumentobjekt, with the element names
and order of Noark 5's arkivstruktur schema. Every file is checked against the checksum taken
when it was archived before it is written; a changed file stops the export."""

import datetime
import hashlib
import io
import uuid
import zipfile
import xml.etree.ElementTree as ET

from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.core.formatting import person_name

from . import pdfa
from .models import Document, Entry

NS = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SYSTEM = "RS-portalen"
ID_NAMESPACE = uuid.UUID("0b5e6a3c-1f0e-4b7d-9b8e-3c2d7f5a9e41")  # fixed: the same object keeps its systemID in every export

ET.register_namespace("", NS)
ET.register_namespace("xsi", XSI)

# Noark's codes for what a document is and how it belongs to its entry.
DOCUMENT_TYPES = {Entry.Kind.APPLICATION: "Søknad", Entry.Kind.LETTER: "Brev", Entry.Kind.MINUTES: "Møteprotokoll", Entry.Kind.REPORT: "Rapport"}
CORRESPONDENT_TYPES = {Entry.Direction.INCOMING: "Avsender", Entry.Direction.OUTGOING: "Mottaker", Entry.Direction.INTERNAL: "Intern avsender"}


class ExportError(Exception):
    pass


def system_id(kind: str, pk) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{pk}"))


def _el(parent, name: str, text=None, **attrs):
    element = ET.SubElement(parent, f"{{{NS}}}{name}", {(f"{{{XSI}}}type" if k == "xsi_type" else k): v for k, v in attrs.items()})
    if text is not None:
        element.text = text.isoformat() if isinstance(text, datetime.date | datetime.datetime) else str(text)
    return element


def _moment(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def _by(entry: Entry) -> str:
    return person_name(entry.registered_by) if entry.registered_by_id else SYSTEM


def journalpost(parent, entry: Entry, documents: list[Document]):
    """One registrering xsi:type="journalpost" with its documents."""
    reg = _el(parent, "registrering", xsi_type="journalpost")
    _el(reg, "systemID", system_id("entry", entry.pk))
    _el(reg, "opprettetDato", _moment(entry.created_at))
    _el(reg, "opprettetAv", _by(entry))
    _el(reg, "arkivertDato", _moment(entry.created_at))
    _el(reg, "arkivertAv", SYSTEM)
    for document in documents:
        desc = _el(reg, "dokumentbeskrivelse")
        _el(desc, "systemID", system_id("document", document.pk))
        _el(desc, "dokumenttype", DOCUMENT_TYPES[entry.kind] if document.role == Document.Role.MAIN else "Vedlegg")
        _el(desc, "dokumentstatus", "Dokumentet er ferdigstilt")
        _el(desc, "tittel", document.title)
        _el(desc, "opprettetDato", _moment(document.created_at))
        _el(desc, "opprettetAv", SYSTEM)
        _el(desc, "tilknyttetRegistreringSom", document.get_role_display())
        _el(desc, "dokumentnummer", document.number)
        _el(desc, "tilknyttetDato", _moment(document.created_at))
        _el(desc, "tilknyttetAv", SYSTEM)
        obj = _el(desc, "dokumentobjekt")
        _el(obj, "versjonsnummer", 1)
        archival = document.format == pdfa.FORMAT
        _el(obj, "variantformat", "Arkivformat" if archival else "Produksjonsformat")
        _el(obj, "format", document.format)
        _el(obj, "formatDetaljer", pdfa.FORMAT_DETAILS if archival else _("Som mottatt, ikke konvertert"))
        _el(obj, "opprettetDato", _moment(document.created_at))
        _el(obj, "opprettetAv", SYSTEM)
        _el(obj, "referanseDokumentfil", document.export_name)
        _el(obj, "sjekksum", document.sha256)
        _el(obj, "sjekksumAlgoritme", "SHA256")
        _el(obj, "filstoerrelse", document.size)
    _el(reg, "registreringsID", entry.registry_id)
    _el(reg, "tittel", entry.title)
    _el(reg, "dokumentmedium", "Elektronisk arkiv")
    _el(reg, "journalaar", entry.year)
    _el(reg, "journalsekvensnummer", entry.number)
    _el(reg, "journalpostnummer", entry.place)
    _el(reg, "journalposttype", entry.get_direction_display())
    _el(reg, "journalstatus", "Journalført")
    _el(reg, "journaldato", entry.journal_date)
    _el(reg, "dokumentetsDato", entry.document_date)
    if entry.direction == Entry.Direction.INCOMING:
        _el(reg, "mottattDato", entry.document_date)
    elif entry.direction == Entry.Direction.OUTGOING:
        _el(reg, "sendtDato", entry.document_date)
    _el(reg, "antallVedlegg", sum(1 for d in documents if d.role == Document.Role.ATTACHMENT))
    part = _el(reg, "korrespondansepart")
    _el(part, "korrespondanseparttype", CORRESPONDENT_TYPES[entry.direction])
    _el(part, "korrespondansepartNavn", entry.correspondent or "–")
    return reg


def entries_for(body, start: datetime.date, end: datetime.date):
    return (
        Entry.objects.filter(body=body, journal_date__gte=start, journal_date__lte=end)
        .select_related("case__application", "registered_by")
        .prefetch_related("documents")
        .order_by("case__case_number", "place", "pk")
    )


def _read(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != document.sha256 or len(content) != document.size:
        raise ExportError(
            _("Filen til dokument %(n)s i journalpost %(id)s er endret etter at den ble arkivert. Uttrekket er ikke laget.")
            % {"n": document.number, "id": document.entry.registry_id}
        )
    return content


def build(body, start: datetime.date, end: datetime.date, *, by: str = SYSTEM) -> bytes:
    """The zip for `body`'s entries journalled from `start` to `end` (both included)."""
    entries = list(entries_for(body, start, end))
    unfinished = [e for e in entries if e.status != Entry.Status.STORED]
    if unfinished:
        raise ExportError(
            _("%(n)s journalposter i perioden mangler dokumenter (for eksempel %(id)s: %(error)s). De prøves igjen automatisk; lag uttrekket når de er arkivert.")
            % {"n": len(unfinished), "id": unfinished[0].journal_id, "error": unfinished[0].error or unfinished[0].get_status_display()}
        )
    now = timezone.now()
    root = ET.Element(f"{{{NS}}}arkiv")
    _el(root, "systemID", system_id("arkiv", body.pk))
    _el(root, "tittel", _("RS-portalen: arkiv for %(body)s") % {"body": body})
    _el(root, "arkivstatus", "Avsluttet")
    _el(root, "dokumentmedium", "Elektronisk arkiv")
    _el(root, "opprettetDato", _moment(now))
    _el(root, "opprettetAv", by)
    _el(root, "avsluttetDato", _moment(now))
    _el(root, "avsluttetAv", by)
    creator = _el(root, "arkivskaper")
    owner = body.helsefellesskap or body.rhf
    _el(creator, "arkivskaperID", getattr(owner, "org_number", "") or getattr(owner, "code", "") or str(owner.pk))
    _el(creator, "arkivskaperNavn", str(owner))
    part = _el(root, "arkivdel")
    _el(part, "systemID", system_id(f"arkivdel:{body.pk}:{start}:{end}", body.pk))
    _el(part, "tittel", _("Journalposter %(start)s–%(end)s") % {"start": start.isoformat(), "end": end.isoformat()})
    _el(part, "arkivdelstatus", "Avsluttet periode")
    _el(part, "dokumentmedium", "Elektronisk arkiv")
    _el(part, "opprettetDato", _moment(now))
    _el(part, "opprettetAv", by)
    _el(part, "avsluttetDato", _moment(now))
    _el(part, "avsluttetAv", by)
    _el(part, "arkivperiodeStartDato", start)
    _el(part, "arkivperiodeSluttDato", end)
    files: list[tuple[str, bytes]] = []
    by_case: dict[int, list[Entry]] = {}
    for entry in entries:
        by_case.setdefault(entry.case_id, []).append(entry)
    for case_entries in by_case.values():
        case = case_entries[0].case
        folder = _el(part, "mappe", xsi_type="saksmappe")
        _el(folder, "systemID", system_id("case", case.pk))
        _el(folder, "mappeID", case.case_number)
        _el(folder, "tittel", case.title)
        _el(folder, "dokumentmedium", "Elektronisk arkiv")
        _el(folder, "opprettetDato", _moment(case.opened_at))
        _el(folder, "opprettetAv", SYSTEM)
        for entry in case_entries:
            documents = list(entry.documents.all())
            for document in documents:
                files.append((document.export_name, _read(document)))
            journalpost(folder, entry, documents)
        year, _slash, sequence = case.case_number.partition("/")
        if sequence.isdigit():
            _el(folder, "saksaar", 2000 + int(year) if len(year) == 2 else year)
            _el(folder, "sakssekvensnummer", int(sequence))
        _el(folder, "saksdato", timezone.localdate(case.opened_at))
        _el(folder, "administrativEnhet", body.name)
        _el(folder, "saksansvarlig", body.name)
        _el(folder, "saksstatus", "Under behandling")
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("arkivstruktur.xml", xml)
        for name, content in files:
            archive.writestr(name, content)
    return buffer.getvalue()


def entry_xml(entry: Entry) -> bytes:
    """One entry's journalpost element, sent with it to the postmottak."""
    holder = ET.Element(f"{{{NS}}}mappe")
    reg = journalpost(holder, entry, list(entry.documents.all()))
    return ET.tostring(reg, encoding="utf-8", xml_declaration=True)
