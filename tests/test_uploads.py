"""Uploads: archives inspected without inflating them, every upload checked the same way, report
accounts stored under random names and served only to those who may see the grant, and no
temporary upload files that a killed worker could leave behind."""

import io
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.test import Client
from django.urls import reverse

from rsportal.applications import uploads  # the checks every upload goes through (rsportal.core.uploads)
from rsportal.applications.models import Attachment
from rsportal.followup import domain
from rsportal.followup.forms import ReportForm
from rsportal.followup.models import Report, Spending

from .factories import PDF, docx_bytes
from .test_applications import call, draft, trust_applicant  # noqa: F401 (fixtures)
from .test_followup import grant, report_post  # noqa: F401 (fixture)

MB = 1024 * 1024
ZEROS = 200 * MB  # compresses to about 200 KB, so the bombs are quick to build
DOCX = {"[Content_Types].xml": "<Types/>", "word/document.xml": "<document/>"}
ODT_TYPE = "application/vnd.oasis.opendocument.text"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 4000 + b"This program cannot be run in DOS mode."


def write_zip(path, members: dict, *, big: str = "", big_size: int = ZEROS, chunk: bytes = bytes(MB), declared: int | None = None):
    """A zip of `members`, plus member `big` of `big_size` bytes (zeros unless `chunk` says
    otherwise) written chunk by chunk, never held in memory. `declared` replaces the size the
    central directory gives for `big`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if big:
            with archive.open(big, "w") as member:
                for _ in range(big_size // len(chunk)):
                    member.write(chunk)
            if declared is not None:
                archive.getinfo(big).file_size = declared  # the local header keeps the truth
    return path


def zip_bytes(members: dict, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    return {
        # The review's file: a .docx whose `mimetype` member inflates to far more than the upload.
        "mimetype": write_zip(folder / "mimetype.docx", DOCX, big="mimetype"),
        "document": write_zip(folder / "document.docx", {"[Content_Types].xml": "<Types/>"}, big="word/document.xml"),
        # Sizes lie: the directory says the mimetype is 39 bytes, the data inflates to 200 MB.
        "lying": write_zip(folder / "lying.odt", {"content.xml": "<office/>"}, big="mimetype", declared=len(ODT_TYPE)),
    }


def check_measured(path, name):
    """check() on a file from disk; returns (the refusal or None, peak memory it allocated)."""
    with open(path, "rb") as handle:
        uploaded = UploadedFile(handle, name=name, size=path.stat().st_size)
        tracemalloc.start()
        try:
            uploads.check(uploaded)
        except uploads.RejectedUpload as exc:
            refusal = str(exc)
        else:
            refusal = None
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return refusal, peak


class TestArchives:
    @pytest.mark.parametrize(
        "bomb, name, message",
        [
            ("mimetype", "rapport.docx", "uvanlig kraftig komprimert"),
            ("document", "rapport.docx", "uvanlig kraftig komprimert"),
            ("lying", "rapport.odt", "skadet"),
        ],
    )
    def test_zip_bomb_refused_with_flat_memory(self, bombs, bomb, name, message):
        assert bombs[bomb].stat().st_size < MB
        refusal, peak = check_measured(bombs[bomb], name)
        assert refusal is not None and message in refusal
        assert peak < 5 * MB, f"check() allocated {peak // MB} MB"

    def test_declared_total_over_the_limit_refused(self, tmp_path):
        # 2 MB of random data declared as 120 MB: a ratio of 60, no bomb by the ratio, but more
        # than the archive may unpack to in all. Refused from the declared sizes alone.
        path = write_zip(tmp_path / "big.xlsx", {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}, big="xl/sheet.xml", big_size=2 * MB, chunk=os.urandom(MB), declared=120 * MB)
        refusal, _peak = check_measured(path, "big.xlsx")
        assert refusal and "større enn 100 MB" in refusal

    @pytest.mark.parametrize("bad", ["../../etc/cron.d/x", "word/../../x.xml", "/etc/passwd", "C:/Windows/x.dll", "word\\..\\..\\x.xml", "word/a\nb.xml"])
    def test_path_traversal_names_refused(self, bad):
        content = zip_bytes({**DOCX, bad: "x"})
        with pytest.raises(uploads.RejectedUpload, match="ugyldig filnavn"):
            uploads.check(SimpleUploadedFile("dokument.docx", content))

    def test_too_many_members_refused(self):
        content = zip_bytes({**DOCX, **{f"word/media/{i}.xml": "" for i in range(1000)}})
        with pytest.raises(uploads.RejectedUpload, match="for mange deler"):
            uploads.check(SimpleUploadedFile("dokument.docx", content))

    def test_a_directory_larger_than_its_count_says_refused(self):
        # The end record claims 3 entries, but zipfile would parse every entry the directory holds.
        content = bytearray(zip_bytes({**DOCX, **{f"word/x/{i:05}-{'n' * 60}.xml": "" for i in range(12000)}}))
        end = content.rindex(b"PK\x05\x06")
        content[end + 8 : end + 12] = (3).to_bytes(2, "little") * 2
        with pytest.raises(uploads.RejectedUpload, match="for mange deler"):
            uploads.check(SimpleUploadedFile("dokument.docx", bytes(content)))

    def test_other_compression_methods_refused(self):
        content = zip_bytes(DOCX, method=zipfile.ZIP_BZIP2)
        with pytest.raises(uploads.RejectedUpload, match="støttes"):
            uploads.check(SimpleUploadedFile("dokument.docx", content))

    def test_real_documents_still_pass(self):
        # Guards against limits too strict for real files: a 3 MB sheet compressing about 7:1,
        # and a small part compressing far better than 100:1 (exempt as small).
        sheet = "".join(f'<row r="{i}"><c r="A{i}"><v>{i * 7919 % 100003}</v></c><c r="B{i}" t="s"><v>{i % 50}</v></c></row>' for i in range(40000))
        xlsx = zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>", "xl/sheet1.xml": sheet, "xl/styles.xml": " " * 500_000})
        odt = zip_bytes({"mimetype": ODT_TYPE, "content.xml": "<office/>"}, method=zipfile.ZIP_STORED)
        assert uploads.check(SimpleUploadedFile("budsjett.xlsx", xlsx)) == uploads.ALLOWED[".xlsx"]
        assert uploads.check(SimpleUploadedFile("plan.odt", odt)) == ODT_TYPE
        assert uploads.check(SimpleUploadedFile("budsjett.docx", docx_bytes())) == uploads.ALLOWED[".docx"]
        assert uploads.check(SimpleUploadedFile("avtale.pdf", PDF)) == "application/pdf"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


class TestReportAccounts:
    def post(self, client, grant, name, content):
        return client.post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", {**report_post(grant), "spending-0-accounts": SimpleUploadedFile(name, content)})

    def test_exe_renamed_pdf_refused(self, login, personas, grant, media):
        response = self.post(login(personas.applicant), grant, "regnskap.pdf", EXE)
        assert response.status_code == 400
        assert "Prosjektregnskapet for 2025: Filen er ikke en gyldig PDF." in response.content.decode()
        assert not Report.objects.exists() and not Spending.objects.exists()
        assert stored_files(media) == []

    def test_zip_bomb_accounts_refused(self, login, personas, grant, media, bombs):
        response = self.post(login(personas.applicant), grant, "regnskap.docx", bombs["mimetype"].read_bytes())
        assert response.status_code == 400 and "uvanlig kraftig komprimert" in response.content.decode()
        assert not Report.objects.exists() and stored_files(media) == []

    def test_valid_pdf_stored_under_a_random_name_and_served_to_those_who_see_the_grant(self, login, personas, grant, media):
        response = self.post(login(personas.applicant), grant, "Regnskap Tromsø 2025.pdf", PDF)
        assert response.status_code == 302
        spending = Spending.objects.get()
        assert (spending.accounts_name, spending.accounts_content_type) == ("Regnskap Tromsø 2025.pdf", "application/pdf")
        folder, _, stored = spending.accounts.name.rpartition("/")
        assert folder == f"accounts/{spending.report_id}" and len(stored) >= 40 and "Regnskap" not in stored and "." not in stored
        assert stored_files(media) == [spending.accounts.name]
        url = reverse("followup:accounts", args=[spending.pk])
        assert url in login(personas.secretariat).get(f"/oppfolging/rapport/{spending.report_id}/").content.decode()

        for who in ("applicant", "secretariat", "sysadmin"):
            response = login(getattr(personas, who)).get(url)
            assert response.status_code == 200, who
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Disposition"] == "attachment; filename*=utf-8''Regnskap%20Troms%C3%B8%202025.pdf"
        for who in ("other_applicant", "other_secretariat", "member", "outsider"):
            assert login(getattr(personas, who)).get(url).status_code in (403, 404), who
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/logg-inn/")

    def test_files_from_before_the_check_are_served_only_if_they_pass_it(self, login, personas, grant, media):
        report = domain.submit_report(personas.applicant, grant, form=_report_form(), spending={}, contributions=[])
        good = Spending(report=report, year=2025, amount=1, accounts_name="regnskap.pdf")
        good.accounts.save("x", ContentFile(PDF), save=True)
        bad = Spending(report=report, year=2026, amount=1, accounts_name="regnskap.pdf")
        bad.accounts.save("x", ContentFile(EXE), save=True)
        client = login(personas.secretariat)
        response = client.get(reverse("followup:accounts", args=[good.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        b"".join(response.streaming_content)
        assert client.get(reverse("followup:accounts", args=[bad.pk])).status_code == 404


def _report_form():
    form = ReportForm({"progress": "on_track", "progress_text": "I gang", "owner": "Tromsø kommune", "agreements": "formal", "user_involvement": "Brukerråd"})
    assert form.is_valid(), form.errors
    return form


class TestTemporaryFiles:
    """Django writes uploads above 2.5 MB to temporary files by default, and a worker killed
    mid-request leaves them behind. What is on disk while the upload is checked is what a kill
    at that moment would leave."""

    @pytest.fixture
    def seen(self, settings, tmp_path, monkeypatch):
        settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
        (tmp_path / "tmp").mkdir()
        seen = []
        real = uploads.check

        def watching(uploaded, **kwargs):
            seen.append({"temp_files": sorted(p.name for p in (tmp_path / "tmp").iterdir()), "on_disk": hasattr(uploaded, "temporary_file_path")})
            return real(uploaded, **kwargs)

        monkeypatch.setattr(uploads, "check", watching)
        return seen

    def test_a_large_upload_never_touches_the_disk(self, login, personas, draft, media, seen):
        content = PDF + b"%" + b"x" * (3 * MB)  # above Django's in-memory threshold of 2.5 MB
        response = login(personas.applicant).post(f"/soknader/{draft.pk}/vedlegg/", {"kind": "budget", "file": SimpleUploadedFile("budsjett.pdf", content)})
        assert response.status_code == 302
        assert seen == [{"temp_files": [], "on_disk": False}]
        attachment = Attachment.objects.get(application=draft, kind="budget")
        assert attachment.size == len(content) and attachment.file.read() == content

    def test_an_oversized_upload_is_dropped_as_it_streams_in(self, login, personas, draft, media, seen):
        content = PDF + b"x" * (uploads.MAX_BYTES + 1)
        response = login(personas.applicant).post(f"/soknader/{draft.pk}/vedlegg/", {"kind": "budget", "file": SimpleUploadedFile("budsjett.pdf", content)})
        assert response.status_code == 400 and "Filen er for stor (høyst 20 MB)." in response.content.decode()
        assert seen == [{"temp_files": [], "on_disk": False}]
        assert not Attachment.objects.filter(application=draft, kind="budget").exists() and stored_files(media) == []

    def test_the_handler_keeps_at_most_the_limits_in_memory(self):
        from rsportal.core.uploads import LimitedMemoryUploadHandler

        handler = LimitedMemoryUploadHandler()
        chunk = b"x" * handler.chunk_size

        def send(size):
            handler.new_file("file", "f.pdf", "application/pdf", size)
            for start in range(0, size, len(chunk)):
                handler.receive_data_chunk(chunk, start)
            return handler.file_complete(size)

        too_big = send(uploads.MAX_BYTES + len(chunk))
        assert too_big.refused == "file" and too_big.size > uploads.MAX_BYTES and too_big.file.getbuffer().nbytes == 0
        kept = [send(18 * MB), send(18 * MB), send(18 * MB)]  # 54 MB together: the third is over 50 MB
        assert [f.refused for f in kept] == ["", "", "request"]
        assert [f.file.getbuffer().nbytes for f in kept] == [18 * MB, 18 * MB, 0]
        with pytest.raises(uploads.RejectedUpload, match="til sammen for store"):
            uploads.check(kept[2])
