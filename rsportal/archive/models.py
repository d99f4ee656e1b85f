"""Cases (saker), registry entries (journalposter) and their documents, per archive body.

An archive body is a secretariat (registry.Body of kind "secretariat"): the secretariat of the
organisation that owns the pot an application is made to keeps its journal. Settings per body
(the postmottak address) live here rather than on registry.Body, so the archive can be added
or removed without touching the registry."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rsportal.core.uploads import new_token


class ArchiveSettings(models.Model):
    body = models.OneToOneField("registry.Body", verbose_name=_("organ"), on_delete=models.CASCADE, related_name="archive_settings")
    postmottak = models.EmailField(
        _("postmottak"),
        blank=True,
        help_text=_("Arkivets e-postadresse. Hver ny journalpost sendes hit som PDF/A med metadata. Tomt: ingenting sendes."),
    )

    class Meta:
        verbose_name = _("arkivoppsett")
        verbose_name_plural = _("arkivoppsett")

    def __str__(self) -> str:
        return _("Postmottak for %(body)s") % {"body": self.body.name}


class Case(models.Model):
    """A saksmappe: one per application, numbered by the application's case number. A grant
    decided outside the portal (registered by the secretariat, no application) gets a case of
    its own when its first report arrives, numbered from the same register."""

    body = models.ForeignKey("registry.Body", verbose_name=_("arkiv"), null=True, blank=True, on_delete=models.PROTECT, related_name="archive_cases")
    application = models.OneToOneField(
        "applications.Application", verbose_name=_("søknad"), null=True, blank=True, on_delete=models.PROTECT, related_name="archive_case"
    )
    grant = models.OneToOneField("funding.Grant", verbose_name=_("tilskudd"), null=True, blank=True, on_delete=models.PROTECT, related_name="archive_case")
    case_number = models.CharField(_("saksnummer"), max_length=20)
    title = models.CharField(_("sakstittel"), max_length=300)
    opened_at = models.DateTimeField(_("saksdato"))

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("sak")
        verbose_name_plural = _("saker")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False, grant__isnull=True) | models.Q(application__isnull=True, grant__isnull=False),
                name="archive_case_of_application_or_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_number} {self.title}"


class EntryCounter(models.Model):
    """The last journal sequence number per archive body and year (locked while numbering)."""

    body = models.ForeignKey("registry.Body", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["body", "year"], name="archive_one_counter_per_body_year")]


class Entry(models.Model):
    """A journalpost: one document the portal received or sent, with its metadata."""

    class Direction(models.TextChoices):
        # The values are Noark 5's journalposttype codes (I, U, N).
        INCOMING = "I", _("Inngående dokument")
        OUTGOING = "U", _("Utgående dokument")
        INTERNAL = "N", _("Organinternt dokument uten oppfølging")

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Søknad")
        LETTER = "letter", _("Vedtaksbrev")
        MINUTES = "minutes", _("Protokoll")
        REPORT = "report", _("Rapport")
        PAYMENT_REQUEST = "payment_request", _("Utbetalingsanmodning")

    class Status(models.TextChoices):
        PENDING = "pending", _("Venter på dokumenter")
        STORED = "stored", _("Arkivert")
        FAILED = "failed", _("Feilet, prøves igjen")

    case = models.ForeignKey(Case, verbose_name=_("sak"), on_delete=models.PROTECT, related_name="entries")
    body = models.ForeignKey("registry.Body", verbose_name=_("arkiv"), null=True, blank=True, on_delete=models.PROTECT, related_name="archive_entries")
    year = models.PositiveSmallIntegerField(_("journalår"))
    number = models.PositiveIntegerField(_("journalsekvensnummer"), null=True, blank=True)
    place = models.PositiveSmallIntegerField(_("nummer i saken"), default=1)
    kind = models.CharField(_("dokument"), max_length=20, choices=Kind.choices)
    direction = models.CharField(_("retning"), max_length=1, choices=Direction.choices)
    journal_date = models.DateField(_("journaldato"))
    document_date = models.DateField(_("dokumentdato"))
    correspondent = models.CharField(_("avsender/mottaker"), max_length=500, blank=True)
    title = models.CharField(_("tittel"), max_length=500)
    # What the documents are made from (an application version, a decision, a meeting, a report):
    # a retry rebuilds them from the same source.
    source_type = models.CharField(max_length=80)
    source_id = models.CharField(max_length=64)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("registrert"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(_("feil"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("forsøk"), default=0)
    sent_at = models.DateTimeField(_("sendt til postmottak"), null=True, blank=True)
    sent_to = models.EmailField(_("sendt til"), blank=True)
    send_error = models.TextField(_("feil ved sending"), blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-journal_date", "-number", "-id"]
        verbose_name = _("journalpost")
        verbose_name_plural = _("journalposter")
        constraints = [
            models.UniqueConstraint(fields=["body", "year", "number"], name="archive_unique_journal_number"),
            # One entry per source document and case: recording twice (a retried hook) adds nothing.
            models.UniqueConstraint(fields=["case", "kind", "source_type", "source_id"], name="archive_one_entry_per_source"),
        ]
        indexes = [models.Index(fields=["body", "journal_date"])]

    def __str__(self) -> str:
        return f"{self.registry_id} {self.title}"

    @property
    def registry_id(self) -> str:
        """ "2026/00012-3": the case number and the entry's place in the case (Noark's registreringsID)."""
        return f"{self.case.case_number}-{self.place}"

    @property
    def journal_id(self) -> str:
        return f"{self.year}/{self.number}" if self.number else "–"


def document_path(instance, filename):
    # A random name on disk; the export names files after the entry and document number.
    return f"archive/{instance.entry.year}/{new_token()}"


class Document(models.Model):
    """A dokumentbeskrivelse with its one dokumentobjekt (the archive format of the file)."""

    class Role(models.TextChoices):
        MAIN = "main", _("Hoveddokument")
        ATTACHMENT = "attachment", _("Vedlegg")

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="documents")
    number = models.PositiveSmallIntegerField(_("dokumentnummer"))
    role = models.CharField(_("tilknyttet som"), max_length=12, choices=Role.choices)
    title = models.CharField(_("tittel"), max_length=500)
    file = models.FileField(upload_to=document_path)
    extension = models.CharField(max_length=10)
    format = models.CharField(_("format"), max_length=40)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("filstørrelse"))
    sha256 = models.CharField(_("sjekksum (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry", "number"]
        constraints = [models.UniqueConstraint(fields=["entry", "number"], name="archive_unique_document_number")]
        verbose_name = _("dokument")
        verbose_name_plural = _("dokumenter")

    def __str__(self) -> str:
        return self.title

    @property
    def export_name(self) -> str:
        return f"dokumenter/{self.entry_id}-{self.number}.{self.extension}"
