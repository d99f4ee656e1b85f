"""The archive (issue 15, item 3): every document the portal receives or sends becomes a
registry entry in its application's case, after commit; documents are PDF/A; entries go to the
body's postmottak; the Noark 5 export holds every entry of the period with its files unchanged."""

import datetime
import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from rsportal.applications import domain as applications
from rsportal.archive import noark, pdfa, recording
from rsportal.archive.models import ArchiveSettings, Case, Document, Entry
from rsportal.assessment import minutes
from rsportal.core.models import AuditEvent
from rsportal.followup import domain as followup
from rsportal.followup.forms import ReportForm

from . import factories as f
from .test_applications import call, draft, trust_applicant  # noqa: F401
from .test_assessment import round_  # noqa: F401
from .test_followup import grant  # noqa: F401
from .test_minutes import held  # noqa: F401
from .test_query_counts import assert_constant

NS = {"n5": noark.NS}
XSI_TYPE = f"{{{noark.XSI}}}type"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def after_commit_now(monkeypatch):
    """Run the archive's after-commit step at once, for fixtures that build a whole meeting
    (the submission test below shows the step really waits for the commit)."""
    monkeypatch.setattr(recording.transaction, "on_commit", lambda callback, robust=False: callback())


def xmp(content: bytes) -> str:
    """The XMP metadata stream of a PDF, inflated."""
    match = re.search(rb"<<[^>]*/Type\s*/Metadata[^>]*>>\s*stream\r?\n", content)
    assert match, "no XMP metadata stream"
    raw = content[match.end() : content.index(b"endstream", match.end())]
    try:
        raw = zlib.decompress(raw)
    except zlib.error:
        pass
    return raw.decode("utf-8")


def assert_pdfa(document: Document):
    with document.file.open("rb") as handle:
        content = handle.read()
    metadata = xmp(content)
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="B"' in metadata, metadata


def stored_bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def submit(draft, personas, world):  # noqa: F811
    f.fill_completely(draft, personas.applicant, municipality=world.tromso, trust=world.trust)
    return applications.submit(personas.applicant, draft)


class TestHooks:
    def test_submission_is_registered_after_commit_with_its_attachments(self, draft, personas, world, django_capture_on_commit_callbacks):  # noqa: F811
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            version = submit(draft, personas, world)
        assert not Entry.objects.exists()  # nothing until the submission has committed
        for callback in callbacks:
            callback()
        entry = Entry.objects.get()
        draft.refresh_from_db()
        assert entry.case.case_number == draft.case_number and entry.case.application == draft
        assert (entry.kind, entry.direction, entry.status) == ("application", "I", "stored")
        assert entry.body == world.rhf_secretariat_body  # the regional pot's owner keeps the case
        assert (entry.year, entry.number, entry.place) == (timezone.localdate().year, 1, 1)
        assert entry.title == f"Søknad: {draft.title} (versjon 1)" and "Tromsø" in entry.correspondent
        documents = list(entry.documents.all())
        assert [d.role for d in documents] == ["main", "attachment", "attachment"]
        assert_pdfa(documents[0])
        for document, attachment in zip(documents[1:], draft.attachments.order_by("uploaded_at", "pk")):
            with attachment.file.open("rb") as handle:
                original = handle.read()
            assert stored_bytes(document) == original and document.sha256 == hashlib.sha256(original).hexdigest()
        assert AuditEvent.objects.filter(action="archive.registered", object_id=str(entry.pk)).exists()
        assert version.number == 1

    def test_a_failing_archive_never_breaks_the_submission_and_is_retried(self, draft, personas, world, monkeypatch, django_capture_on_commit_callbacks):  # noqa: F811
        def broken(*args, **kwargs):
            raise OSError("disken er full")

        monkeypatch.setattr(pdfa, "render", broken)
        with django_capture_on_commit_callbacks(execute=True):
            submit(draft, personas, world)
        draft.refresh_from_db()
        assert draft.status == "submitted" and draft.versions.count() == 1
        entry = Entry.objects.get()
        assert (entry.status, entry.error, entry.attempts) == ("failed", "disken er full", 1)
        assert not entry.documents.exists()
        monkeypatch.undo()
        call_command("archive_process", stdout=io.StringIO())
        entry.refresh_from_db()
        assert (entry.status, entry.error, entry.attempts) == ("stored", "", 2)
        assert entry.documents.count() == 3

    def test_resubmission_is_a_new_entry_in_the_same_case(self, draft, personas, world, after_commit_now):  # noqa: F811
        submit(draft, personas, world)
        applications.reopen_for_revision(personas.sysadmin, draft, "Mangler budsjett for 2029")
        applications.submit(personas.applicant, draft)
        assert Case.objects.count() == 1
        assert list(Entry.objects.order_by("place").values_list("place", "number", "title")) == [
            (1, 1, f"Søknad: {draft.title} (versjon 1)"),
            (2, 2, f"Søknad: {draft.title} (versjon 2)"),
        ]

    def test_letter_minutes_and_report(self, after_commit_now, held, personas, world):  # noqa: F811
        meeting, seats, apps = held
        letter = Entry.objects.get(kind="letter")
        assert (letter.case.application, letter.direction, letter.status) == (apps[0], "U", "stored")
        assert letter.title.startswith("Vedtaksbrev: ") and "Kontakt" not in letter.correspondent and "Tromsø" in letter.correspondent
        assert_pdfa(letter.documents.get())
        assert not Entry.objects.filter(kind="minutes").exists()  # a draft is not archived
        minutes.approve_minutes(personas.chair, meeting)
        entries = Entry.objects.filter(kind="minutes").order_by("case__application_id")
        assert [e.case.application for e in entries] == sorted([i.application for i in meeting.items.all()], key=lambda a: a.pk)
        assert {e.direction for e in entries} == {"N"} and all(e.status == "stored" for e in entries)
        assert_pdfa(entries[0].documents.get())
        grant = apps[0].decisions.get(status="adopted").grant
        form = ReportForm({"progress": "on_track", "progress_text": "Teamet er i gang", "owner": "Tromsø kommune", "agreements": "formal", "user_involvement": "Brukerråd"})
        assert form.is_valid(), form.errors
        followup.submit_report(personas.applicant, grant, form=form, spending={2027: (100_000, SimpleUploadedFile("regnskap.pdf", f.PDF))}, contributions=[])
        report = Entry.objects.get(kind="report")
        assert (report.case.application, report.direction, report.status) == (apps[0], "I", "stored")
        documents = list(report.documents.all())
        assert [d.role for d in documents] == ["main", "attachment"] and stored_bytes(documents[1]) == f.PDF
        assert_pdfa(documents[0])
        # Numbers run per archive body and year without gaps.
        numbers = sorted(Entry.objects.filter(body=world.rhf_secretariat_body).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


    def test_a_report_on_a_grant_decided_outside_the_portal_gets_a_case_of_its_own(self, after_commit_now, grant, personas, world):  # noqa: F811
        form = ReportForm({"progress": "on_track", "progress_text": "Teamet er i gang", "owner": "Tromsø kommune", "agreements": "formal", "user_involvement": "Brukerråd"})
        assert form.is_valid(), form.errors
        followup.submit_report(personas.applicant, grant, form=form, spending={2025: (100_000, None)}, contributions=[])
        entry = Entry.objects.get(kind="report")
        assert (entry.case.grant, entry.case.application, entry.status, entry.body) == (grant, None, "stored", world.rhf_secretariat_body)
        assert re.fullmatch(r"\d\d/00001", entry.case.case_number) and entry.case.title == grant.title
        assert "Tromsø" in entry.correspondent and "Universitetssykehuset" in entry.correspondent

    def test_a_payment_request_is_entered_with_its_documentation(self, after_commit_now, grant, personas, world):  # noqa: F811
        from rsportal.payments import domain as payments

        year = 2025  # the grant fixture commits 2 MNOK for 2025
        made = payments.submit_request(
            personas.applicant, grant, year=year, period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 6, 30),
            costs=[payments.Cost(world.tromso, 40_000, SimpleUploadedFile("bilag.pdf", f.PDF))],
        )
        entry = Entry.objects.get(kind="payment_request")
        assert (entry.source_id, entry.direction, entry.status, entry.case.grant) == (str(made.pk), Entry.Direction.INCOMING, "stored", grant)
        assert entry.correspondent == "Tromsø" and entry.title.startswith("Utbetalingsanmodning: ")
        assert f"1. januar {year}" in entry.title
        main, attachment = entry.documents.order_by("number")
        assert_pdfa(main)
        assert attachment.role == "attachment" and stored_bytes(attachment) == f.PDF


@pytest.fixture
def archived(after_commit_now, held, personas):  # noqa: F811
    meeting, seats, apps = held
    minutes.approve_minutes(personas.chair, meeting)
    return meeting, apps


class TestExport:
    def test_the_export_holds_every_entry_of_the_period_with_unchanged_files(self, archived, world):
        body = world.rhf_secretariat_body
        today = timezone.localdate()
        entries = list(Entry.objects.filter(body=body))
        assert len(entries) >= 3
        content = noark.build(body, today.replace(month=1, day=1), today.replace(month=12, day=31))
        package = zipfile.ZipFile(io.BytesIO(content))
        root = ET.fromstring(package.read("arkivstruktur.xml"))
        assert root.tag == f"{{{noark.NS}}}arkiv"
        part = root.find("n5:arkivdel", NS)
        assert part.findtext("n5:arkivperiodeStartDato", namespaces=NS) == f"{today.year}-01-01"
        found = {}
        for folder in part.findall("n5:mappe", NS):
            assert folder.get(XSI_TYPE) == "saksmappe"
            case = Case.objects.get(case_number=folder.findtext("n5:mappeID", namespaces=NS), body=body)
            # Noark's order: the folder's own metadata, its entries, then the case fields.
            tags = [child.tag.split("}")[1] for child in folder]
            assert tags[:2] == ["systemID", "mappeID"] and tags.index("registrering") < tags.index("saksdato")
            for reg in folder.findall("n5:registrering", NS):
                assert reg.get(XSI_TYPE) == "journalpost"
                entry = Entry.objects.get(case=case, number=int(reg.findtext("n5:journalsekvensnummer", namespaces=NS)))
                assert reg.findtext("n5:registreringsID", namespaces=NS) == entry.registry_id
                assert reg.findtext("n5:journalposttype", namespaces=NS) == entry.get_direction_display()
                assert reg.findtext("n5:korrespondansepart/n5:korrespondansepartNavn", namespaces=NS) == entry.correspondent
                files = []
                for desc in reg.findall("n5:dokumentbeskrivelse", NS):
                    obj = desc.find("n5:dokumentobjekt", NS)
                    name = obj.findtext("n5:referanseDokumentfil", namespaces=NS)
                    in_zip = package.read(name)
                    document = entry.documents.get(number=int(desc.findtext("n5:dokumentnummer", namespaces=NS)))
                    checksum = obj.findtext("n5:sjekksum", namespaces=NS)
                    assert obj.findtext("n5:sjekksumAlgoritme", namespaces=NS) == "SHA256"
                    assert hashlib.sha256(in_zip).hexdigest() == checksum == document.sha256 == hashlib.sha256(stored_bytes(document)).hexdigest()
                    assert int(obj.findtext("n5:filstoerrelse", namespaces=NS)) == len(in_zip) == document.size
                    if document.role == "main":
                        assert obj.findtext("n5:format", namespaces=NS) == "fmt/480" and in_zip.startswith(b"%PDF")
                    files.append(document.pk)
                assert sorted(files) == sorted(entry.documents.values_list("pk", flat=True))
                found[entry.pk] = True
        assert sorted(found) == sorted(e.pk for e in entries)

    def test_a_changed_file_stops_the_export(self, archived, world):
        document = Document.objects.filter(entry__body=world.rhf_secretariat_body).first()
        with open(document.file.path, "ab") as handle:
            handle.write(b"endret")
        today = timezone.localdate()
        with pytest.raises(noark.ExportError, match="endret etter at den ble arkivert"):
            noark.build(world.rhf_secretariat_body, today, today)

    def test_an_entry_still_waiting_for_its_documents_stops_the_export(self, archived, world):
        Entry.objects.filter(body=world.rhf_secretariat_body, kind="letter").update(status="failed", error="disken er full")
        today = timezone.localdate()
        with pytest.raises(noark.ExportError, match="mangler dokumenter.*disken er full"):
            noark.build(world.rhf_secretariat_body, today, today)

    def test_entries_outside_the_period_are_left_out(self, archived, world):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        root = ET.fromstring(zipfile.ZipFile(io.BytesIO(noark.build(world.rhf_secretariat_body, tomorrow, tomorrow))).read("arkivstruktur.xml"))
        assert root.find("n5:arkivdel/n5:mappe", NS) is None

    def test_the_command_writes_the_same_export(self, archived, world, tmp_path):
        today = timezone.localdate().isoformat()
        out = tmp_path / "uttrekk.zip"
        call_command("archive_export", str(world.rhf_secretariat_body.pk), today, today, str(out), stdout=io.StringIO())
        names = zipfile.ZipFile(out).namelist()
        assert "arkivstruktur.xml" in names and len(names) == 1 + Document.objects.filter(entry__body=world.rhf_secretariat_body).count()


class TestPages:
    def test_the_secretariat_sets_the_postmottak_and_new_entries_are_sent_there(self, archived, world, personas, login):
        body = world.rhf_secretariat_body
        client = login(personas.rhf_admin)  # the secretary of the RHF's secretariat
        page = client.get(f"/administrasjon/arkiv/{body.pk}/postmottak/")
        assert page.status_code == 200
        bad = client.post(f"/administrasjon/arkiv/{body.pk}/postmottak/", {"postmottak": "ikke en adresse", "_version": page.context["form"].initial["_version"]})
        assert bad.status_code == 400 and "ikke en adresse" in bad.content.decode() and not ArchiveSettings.objects.exists()
        saved = client.post(f"/administrasjon/arkiv/{body.pk}/postmottak/", {"postmottak": "postmottak@helse-nord.invalid", "_version": page.context["form"].initial["_version"]})
        assert saved.status_code == 302
        assert ArchiveSettings.objects.get(body=body).postmottak == "postmottak@helse-nord.invalid"
        assert AuditEvent.objects.filter(action="archive.postmottak").exists()
        mail.outbox.clear()
        call_command("archive_process", stdout=io.StringIO())
        entries = Entry.objects.filter(body=body)
        assert len(mail.outbox) == entries.count() and all(e.sent_to == "postmottak@helse-nord.invalid" for e in entries)
        message = next((m for m in mail.outbox if "Vedtaksbrev" in m.subject), None)
        assert message, [m.subject for m in mail.outbox]
        names = [a[0] for a in message.attachments]
        assert "journalpost.xml" in names and any(n.endswith(".pdf") for n in names)
        assert "Utgående dokument" in message.body and "SHA-256" in message.body
        call_command("archive_process", stdout=io.StringIO())
        assert len(mail.outbox) == entries.count()  # each entry is sent once

    def test_a_stale_postmottak_form_is_refused_with_what_was_typed(self, world, personas, login):
        body = world.rhf_secretariat_body
        f.seat(body, personas.rhf_admin)
        client = login(personas.rhf_admin)
        url = f"/administrasjon/arkiv/{body.pk}/postmottak/"
        drawn = client.get(url).context["form"].initial["_version"]
        assert client.post(url, {"postmottak": "forste@helse-nord.invalid", "_version": drawn}).status_code == 302
        stale = client.post(url, {"postmottak": "andre@helse-nord.invalid", "_version": drawn})
        assert stale.status_code == 409 and "andre@helse-nord.invalid" in stale.content.decode()
        assert ArchiveSettings.objects.get(body=body).postmottak == "forste@helse-nord.invalid"

    def test_the_journal_in_norwegian(self, archived, world, personas, login):
        body = world.rhf_secretariat_body
        html = login(personas.rhf_admin).get(f"/administrasjon/arkiv/{body.pk}/journal/").content.decode()
        today = timezone.localdate()
        months = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember")
        assert f"{today.day}. {months[today.month - 1]} {today.year}" in html
        assert "Utgående dokument" in html and "Organinternt dokument uten oppfølging" in html and "Arkivert" in html
        entry = Entry.objects.filter(body=body, kind="letter").get()
        one_case = login(personas.rhf_admin).get(f"/administrasjon/arkiv/{body.pk}/journal/?sak={entry.case.case_number}").content.decode()
        other = Entry.objects.filter(body=body).exclude(case=entry.case).first()
        assert entry.title in one_case and other.case.case_number not in one_case
        detail = login(personas.rhf_admin).get(f"/administrasjon/arkiv/journalpost/{entry.pk}/").content.decode()
        assert "Hoveddokument" in detail and "PDF/A-3b" in detail and entry.documents.get().sha256 in detail

    def test_another_secretariat_cannot_see_this_archive(self, archived, world, personas, login):
        body = world.rhf_secretariat_body
        entry = Entry.objects.filter(body=body).first()
        document = entry.documents.first()
        client = login(personas.other_secretariat)
        for url in (
            f"/administrasjon/arkiv/{body.pk}/",
            f"/administrasjon/arkiv/{body.pk}/journal/",
            f"/administrasjon/arkiv/{body.pk}/uttrekk/?start=2000-01-01&end=2100-12-31",
            f"/administrasjon/arkiv/{body.pk}/postmottak/",
            f"/administrasjon/arkiv/journalpost/{entry.pk}/",
            f"/administrasjon/arkiv/dokument/{document.pk}/",
        ):
            assert client.get(url).status_code == 404, url
        listing = client.get("/administrasjon/arkiv/").content.decode()
        assert f"/administrasjon/arkiv/{body.pk}/" not in listing

    def test_the_export_page_downloads_the_zip(self, archived, world, personas, login):
        body = world.rhf_secretariat_body
        client = login(personas.rhf_admin)
        assert "Last ned uttrekket" in client.get(f"/administrasjon/arkiv/{body.pk}/uttrekk/").content.decode()
        response = client.get(f"/administrasjon/arkiv/{body.pk}/uttrekk/?start=2000-01-01&end=2100-12-31")
        assert response["Content-Type"] == "application/zip"
        assert "arkivstruktur.xml" in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        wrong = client.get(f"/administrasjon/arkiv/{body.pk}/uttrekk/?start=2030-01-01&end=2020-01-01")
        assert wrong.status_code == 400 and "Første dag må være før siste dag" in wrong.content.decode()

    def test_the_journal_costs_the_same_queries_with_more_entries(self, archived, world, personas, login):
        body = world.rhf_secretariat_body
        client = login(personas.rhf_admin)
        template = Entry.objects.filter(body=body).first()

        def add_rows():
            last = Entry.objects.filter(body=body).aggregate(n=Max("number"))["n"]
            for i in range(1, 20):
                Entry.objects.create(
                    case=template.case, body=body, year=template.year, number=last + i, place=template.place + i, kind="report", direction="I",
                    journal_date=template.journal_date, document_date=template.document_date, title=f"Rapport {i}", source_type="followup.report", source_id=str(1000 + i), status="stored",
                )

        assert_constant(client, f"/administrasjon/arkiv/{body.pk}/journal/", add_rows)
