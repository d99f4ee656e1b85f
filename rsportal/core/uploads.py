"""Checks every uploaded file goes through, and the upload handler that receives them.

A file is judged by its content, not by its name: a PDF must start like one, and the Office
formats (zip archives) must hold the member that names their format. Archives are inspected
from their central directory only: names, declared sizes and compression ratios are checked
without inflating any member, so memory stays flat however the archive is built. The one
member that is read (ODF's `mimetype`) is read with a hard cap, since declared sizes can lie.
"""

import io
import secrets
import unicodedata
import zipfile

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024  # one file
MAX_REQUEST_BYTES = 50 * 1024 * 1024  # all files of one form together (a report has one per year)

# Archive limits. Real Word, Excel and OpenDocument files have tens of members (a large
# workbook some hundreds) and unpack to a few times their size.
MAX_MEMBERS = 1000
MAX_DIRECTORY_BYTES = 1024 * 1024  # the central directory; zipfile builds an object per entry in it
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # sum of the members' declared sizes
MAX_RATIO = 100  # declared size / compressed size of one member ...
RATIO_EXEMPT_BYTES = 1024 * 1024  # ... unless the member is small (tiny XML parts compress very well)
MIMETYPE_READ_BYTES = 100  # ODF's mimetype member is about 40 bytes

# Office formats are zip files; the member that names the format tells them apart.
ALLOWED = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ZIP_MARKERS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}


class RejectedUpload(Exception):
    pass


def _extension(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check(uploaded, *, pdf_only: bool = False, name: str | None = None) -> str:
    """Return the content type to store, or raise RejectedUpload with a Norwegian message.
    `name` is the user's file name when `uploaded` (a stored file) has another."""
    refused = getattr(uploaded, "refused", "")
    if refused == LimitedMemoryUploadHandler.REQUEST_TOO_BIG:
        raise RejectedUpload(_("Filene i skjemaet er til sammen for store (høyst %(mb)s MB).") % {"mb": MAX_REQUEST_BYTES // 2**20})
    if refused or uploaded.size > MAX_BYTES:
        raise RejectedUpload(_("Filen er for stor (høyst %(mb)s MB).") % {"mb": MAX_BYTES // 2**20})
    if uploaded.size == 0:
        raise RejectedUpload(_("Filen er tom."))
    extension = _extension(name or uploaded.name)
    if pdf_only and extension != ".pdf":
        raise RejectedUpload(_("Avtalen om felles søknad må lastes opp som PDF."))
    if extension not in ALLOWED:
        raise RejectedUpload(_("Filtypen er ikke tillatt. Bruk PDF, Word (.docx), Excel (.xlsx) eller OpenDocument (.odt, .ods)."))
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    if extension == ".pdf":
        if not head.startswith(b"%PDF-"):
            raise RejectedUpload(_("Filen er ikke en gyldig PDF."))
    else:
        if not head.startswith(b"PK\x03\x04"):
            raise RejectedUpload(_("Filen er ikke et gyldig %(type)s-dokument.") % {"type": extension})
        try:
            _check_archive(uploaded, extension)
        finally:
            uploaded.seek(0)
    return ALLOWED[extension]


def _check_archive(uploaded, extension: str) -> None:
    mismatch = _("Innholdet i filen stemmer ikke med filtypen %(type)s.") % {"type": extension}
    try:
        # zipfile reads the whole central directory and builds an object per entry, trusting
        # the size the end record gives; a 20 MB file could list half a million entries. The
        # end record is read the way zipfile reads it, so both see the same directory.
        end = zipfile._EndRecData(uploaded)
        if not end:
            raise zipfile.BadZipFile
        if end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES or end[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS:
            raise RejectedUpload(_("Dokumentet består av for mange deler (høyst %(n)s).") % {"n": MAX_MEMBERS})
        uploaded.seek(0)
        with zipfile.ZipFile(uploaded) as archive:
            members = archive.infolist()
            _check_members(members)
            names = {m.filename for m in members}
            marker = ZIP_MARKERS.get(extension)
            if marker and marker not in names:
                raise RejectedUpload(mismatch)
            if extension in (".odt", ".ods"):
                if "mimetype" not in names:
                    raise RejectedUpload(mismatch)
                # Never read() a member whole: it would inflate whatever the data holds, whatever
                # size the directory declares. A bounded read inflates at most a few kilobytes.
                with archive.open("mimetype") as member:
                    mimetype = member.read(MIMETYPE_READ_BYTES + 1)
                if mimetype != ALLOWED[extension].encode():
                    raise RejectedUpload(mismatch)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, NotImplementedError, ValueError, OSError):
        raise RejectedUpload(_("Filen er skadet eller ikke et gyldig dokument.")) from None


def _check_members(members) -> None:
    if len(members) > MAX_MEMBERS:
        raise RejectedUpload(_("Dokumentet består av for mange deler (høyst %(n)s).") % {"n": MAX_MEMBERS})
    seen = set()
    unpacked = 0
    for member in members:
        if not _safe_member_name(member.filename) or member.filename in seen:
            raise RejectedUpload(_("Dokumentet inneholder et ugyldig filnavn og godtas ikke."))
        seen.add(member.filename)
        # Office writes only stored or deflated members, unencrypted. Other methods (bzip2,
        # lzma) can expand far more per byte read, so they are refused outright.
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or member.flag_bits & 0x1:
            raise RejectedUpload(_("Dokumentet er pakket eller kryptert på en måte som ikke støttes."))
        unpacked += member.file_size
        if member.file_size > RATIO_EXEMPT_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise RejectedUpload(_("Dokumentet er uvanlig kraftig komprimert og godtas ikke."))
    if unpacked > MAX_UNPACKED_BYTES:
        raise RejectedUpload(_("Dokumentet blir større enn %(mb)s MB når det pakkes ut, og godtas ikke.") % {"mb": MAX_UNPACKED_BYTES // 2**20})


def _safe_member_name(name: str) -> bool:
    """No absolute paths, drive letters, parent steps or control characters in a member name."""
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return False
    if any(unicodedata.category(c) == "Cc" for c in name):
        return False
    return ".." not in name.replace("\\", "/").split("/")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def display_name(name: str) -> str:
    """The user's file name as kept for the download (never as a name on disk): the last path
    part, without control characters, at most 255 characters with the extension kept."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf")).strip() or "fil"
    if len(name) > 255:
        extension = _extension(name)[:20]
        name = name[: 255 - len(extension)] + extension
    return name


class LimitedMemoryUploadHandler(FileUploadHandler):
    """Keeps uploaded files in memory, up to MAX_BYTES each and MAX_REQUEST_BYTES per request.

    Django's default writes files above 2.5 MB to a temporary file, which is left behind when
    a worker is killed mid-request, and it writes however much the client sends before any
    check runs. Here nothing is ever written to disk, so nothing can be left behind, and memory
    per request is bounded: once a file goes over a limit, the rest of it is counted and
    dropped. The file still reaches the form, empty and marked `refused`, so check() refuses
    it with a message next to the field instead of the whole form being lost. Every upload
    goes through check(), which refuses a marked file."""

    FILE_TOO_BIG = "file"
    REQUEST_TOO_BIG = "request"

    def __init__(self, request=None):
        super().__init__(request)
        self.kept = 0  # bytes of the request's accepted files held in memory

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0
        self.refused = ""

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if not self.refused:
            if self.received > MAX_BYTES:
                self.refused = self.FILE_TOO_BIG
            elif self.kept + self.received > MAX_REQUEST_BYTES:
                self.refused = self.REQUEST_TOO_BIG
            if self.refused:
                self.buffer = io.BytesIO()
            else:
                self.buffer.write(raw_data)
        return None  # the data stops here; no later handler gets it

    def file_complete(self, file_size):
        if not self.refused:
            self.kept += self.received
        self.buffer.seek(0)
        uploaded = InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        uploaded.refused = self.refused
        return uploaded


MAX_CSV_BYTES = 2 * 1024 * 1024  # a sheet of rows to import, not a document


def check_csv(uploaded, *, max_bytes: int = MAX_CSV_BYTES, name: str | None = None) -> str:
    """The checks for a CSV sheet to be imported (never an attachment: check() keeps refusing .csv).
    Plain UTF-8 text, with or without a byte order mark, no NUL bytes. Returns the content type
    to store, or raises RejectedUpload with a Norwegian message."""
    refused = getattr(uploaded, "refused", "")
    if refused or uploaded.size > max_bytes:
        raise RejectedUpload(_("Filen er for stor (høyst %(mb)s MB).") % {"mb": max(1, max_bytes // 2**20)})
    if uploaded.size == 0:
        raise RejectedUpload(_("Filen er tom."))
    if _extension(name or uploaded.name) != ".csv":
        raise RejectedUpload(_("Filen må være en CSV-fil (.csv)."))
    uploaded.seek(0)
    data = uploaded.read(max_bytes + 1)
    uploaded.seek(0)
    if len(data) > max_bytes:
        raise RejectedUpload(_("Filen er for stor (høyst %(mb)s MB).") % {"mb": max(1, max_bytes // 2**20)})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RejectedUpload(_("Filen er ikke lagret som UTF-8. Velg «CSV UTF-8» når du lagrer fra Excel.")) from None
    # NUL and the other control characters have no place in a sheet of names and amounts.
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text):
        raise RejectedUpload(_("Filen inneholder tegn som ikke hører hjemme i en CSV-fil."))
    return "text/csv"
