"""Checks on uploaded files: allowed types by content, not by name, and a size limit."""

import secrets
import zipfile

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024

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


def check(uploaded, *, pdf_only: bool = False) -> str:
    """Return the content type to store, or raise RejectedUpload with a Norwegian message."""
    if uploaded.size > MAX_BYTES:
        raise RejectedUpload(_("Filen er for stor (høyst 20 MB)."))
    if uploaded.size == 0:
        raise RejectedUpload(_("Filen er tom."))
    extension = _extension(uploaded.name)
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
            with zipfile.ZipFile(uploaded) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype").decode(errors="replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, KeyError):
            raise RejectedUpload(_("Filen er skadet eller ikke et gyldig dokument.")) from None
        finally:
            uploaded.seek(0)
        marker = ZIP_MARKERS.get(extension)
        if marker and marker not in names:
            raise RejectedUpload(_("Innholdet i filen stemmer ikke med filtypen %(type)s.") % {"type": extension})
        if extension in (".odt", ".ods") and mimetype != ALLOWED[extension]:
            raise RejectedUpload(_("Innholdet i filen stemmer ikke med filtypen %(type)s.") % {"type": extension})
    return ALLOWED[extension]


def new_token() -> str:
    return secrets.token_urlsafe(32)
