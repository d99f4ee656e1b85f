"""After the decision: reporting on one template for all projects, and the money
paid and used per project and year."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rsportal.core.uploads import new_token
from rsportal.funding.models import Grant, Pot


class DelayReason(models.TextChoices):
    """The reasons for delay the 2026 reports gave (STU minutes 1/2026)."""

    RECRUITMENT = "recruitment", _("Rekruttering")
    ANCHORING = "anchoring", _("Forankring og tillitsbygging")
    PROCUREMENT = "procurement", _("Anskaffelser")
    CAPACITY = "capacity", _("Kapasitet i kommuner og klinikker")
    LAW = "law", _("Lovverk")
    FUNDING = "funding", _("Usikker finansiering")
    INVOICING = "invoicing", _("Manglende rutiner for fakturering")


class ReportingRule(models.Model):
    """When the projects of a pot report. Several rules can apply (e.g. yearly plus
    a short half-yearly status for Prosjekt X)."""

    class Frequency(models.TextChoices):
        YEARLY = "yearly", _("Årlig")
        HALF_YEARLY = "half_yearly", _("Halvårlig")
        QUARTERLY = "quarterly", _("Kvartalsvis")

    pot = models.ForeignKey(Pot, on_delete=models.CASCADE, related_name="reporting_rules")
    frequency = models.CharField(_("hyppighet"), max_length=20, choices=Frequency.choices, default=Frequency.YEARLY)
    due_month = models.PositiveSmallIntegerField(_("frist, måned"), default=2)
    due_day = models.PositiveSmallIntegerField(_("frist, dag"), default=1)
    final_report_days = models.PositiveSmallIntegerField(_("sluttrapport, dager etter prosjektslutt"), default=90)
    remind_days_before = models.PositiveSmallIntegerField(_("påminnelse, dager før frist"), default=14)

    class Meta:
        verbose_name = _("rapporteringsregel")
        verbose_name_plural = _("rapporteringsregler")

    def __str__(self) -> str:
        return f"{self.pot}: {self.get_frequency_display()} ({self.due_day}.{self.due_month}.)"


class ReportDue(models.Model):
    """A report a project owes, with its deadline."""

    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("Statusrapport")
        FINAL = "final", _("Sluttrapport")

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="reports_due")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERIODIC)
    due_date = models.DateField(_("frist"))
    period_start = models.DateField(_("perioden fra"))
    period_end = models.DateField(_("perioden til"))
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notice_at = models.DateTimeField(null=True, blank=True)
    # Reports delivered before the portal was used (e-mail, Word) are marked received, not late.
    received_elsewhere = models.CharField(_("mottatt utenfor portalen"), max_length=300, blank=True)

    class Meta:
        ordering = ["due_date", "grant"]
        constraints = [models.UniqueConstraint(fields=["grant", "due_date", "kind"], name="one_report_per_deadline")]
        verbose_name = _("rapportfrist")
        verbose_name_plural = _("rapportfrister")

    def __str__(self) -> str:
        return f"{self.grant}: {self.due_date}"


class Report(models.Model):
    """One report on the common template."""

    class Progress(models.TextChoices):
        ON_TRACK = "on_track", _("Etter plan")
        DELAYED = "delayed", _("Forsinket")
        NOT_STARTED = "not_started", _("Ikke startet")
        STOPPED = "stopped", _("Stanset")
        COMPLETED = "completed", _("Avsluttet")

    class Agreement(models.TextChoices):
        FORMAL = "formal", _("Formell intensjonsavtale")
        ORAL = "oral", _("Muntlig avtale")
        MIXED = "mixed", _("Formell med noen, muntlig med andre")

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="reports")
    due = models.OneToOneField(ReportDue, null=True, blank=True, on_delete=models.SET_NULL, related_name="report")
    progress = models.CharField(_("framdrift"), max_length=20, choices=Progress.choices)
    progress_text = models.TextField(_("framdrift i perioden"))
    milestones = models.JSONField(_("milepæler"), default=list, blank=True)
    owner = models.TextField(_("hvem eier prosjektet"))
    agreements = models.CharField(_("avtaler mellom partene"), max_length=20, choices=Agreement.choices)
    user_involvement = models.TextField(_("brukermedvirkning"))
    involvement_per_guideline = models.BooleanField(_("brukermedvirkningen følger nasjonal veileder"), null=True)
    delay_reasons = models.JSONField(_("årsaker til forsinkelse"), default=list, blank=True)
    delay_text = models.TextField(_("om forsinkelsene"), blank=True)
    effects = models.TextField(_("effekter så langt"), blank=True)
    lessons = models.TextField(_("læringspunkter"), blank=True)
    spreading = models.TextField(_("spredning og deling"), blank=True)
    public_update = models.TextField(
        _("løypemelding"), blank=True, help_text=_("Kort status som vises i den åpne prosjektkatalogen.")
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("rapport")
        verbose_name_plural = _("rapporter")

    def delay_reason_labels(self) -> list[str]:
        labels = dict(DelayReason.choices)
        return [str(labels[r]) for r in self.delay_reasons if r in labels]


def accounts_path(instance, filename):
    # Never the user's file name on disk (path tricks, personal data): a random one, whatever
    # name the file came with. The user's name is kept in accounts_name for the download.
    return f"accounts/{instance.report_id}/{new_token()}"


class Spending(models.Model):
    """Money of the grant used in a year, as reported (with accounts attached)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="spending")
    year = models.PositiveSmallIntegerField(_("år"))
    amount = models.PositiveBigIntegerField(_("brukt av tilskuddet (kr)"))
    accounts = models.FileField(_("prosjektregnskap"), upload_to=accounts_path, blank=True)
    accounts_name = models.CharField(_("filnavn"), max_length=255, blank=True)
    # Set when the upload check passed; empty for files stored before the check existed,
    # which the download view checks before it serves them.
    accounts_content_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["report", "year"]
        constraints = [models.UniqueConstraint(fields=["report", "year"], name="one_spending_per_year")]


class OwnContribution(models.Model):
    """The parties' own contribution in the period, quantified."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="contributions")
    party = models.CharField(_("part"), max_length=200)
    side = models.CharField(_("side"), max_length=20, choices=[("municipality", _("Kommune")), ("trust", _("Helseforetak"))])
    hours = models.PositiveIntegerField(_("timer"), default=0)
    amount = models.PositiveBigIntegerField(_("verdi / penger (kr)"), default=0)

    class Meta:
        ordering = ["report", "side", "party"]


class Payment(models.Model):
    """Money actually paid out to a project, as recorded by the secretariat."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    year = models.PositiveSmallIntegerField(_("tilskuddsår"))
    amount = models.PositiveBigIntegerField(_("utbetalt (kr)"))
    paid_on = models.DateField(_("utbetalt dato"))
    note = models.CharField(_("merknad"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["grant", "paid_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]
        verbose_name = _("utbetaling")
        verbose_name_plural = _("utbetalinger")


class DocumentJob(models.Model):
    """A long document ordered in a request and built by `rsportal build_documents` (a timer runs it
    every minute). The annual report PDF takes seconds and a hundred MB to build; built in the
    request it would hold a web worker and its memory while other people wait."""

    class Kind(models.TextChoices):
        ANNUAL_REPORT_PDF = "annual_pdf", _("Årsmelding (PDF)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("I kø")
        BUILDING = "building", _("Lages")
        READY = "ready", _("Klar")
        FAILED = "failed", _("Feilet")

    kind = models.CharField(_("dokument"), max_length=20, choices=Kind.choices)
    rhf = models.ForeignKey("registry.RegionalHealthAuthority", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("år"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The file's name in the default storage: random, under MEDIA_ROOT, served only through a permission check.
    file = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("dokumentbestilling")
        verbose_name_plural = _("dokumentbestillinger")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.rhf.code} {self.year}"

    @property
    def filename(self) -> str:
        return f"arsmelding-rs-{self.rhf.code}-{self.year}.pdf"


class AfterProject(models.Model):
    """One year after a project's money ends, the owners answer three questions: is it in
    ordinary operation, who pays for it, and what was spread to others. The evaluation found
    projects ending without anyone paying for their operation; these answers make that
    visible in the catalogue and the statistics."""

    class InOperation(models.TextChoices):
        YES = "yes", _("Ja")
        PARTLY = "partly", _("Delvis")
        NO = "no", _("Nei")

    class Payer(models.TextChoices):
        MUNICIPALITY = "municipality", _("Kommunen(e)")
        TRUST = "trust", _("Helseforetaket")
        BOTH = "both", _("Kommune og helseforetak sammen")
        OTHER = "other", _("Annen finansiering")
        NOBODY = "nobody", _("Ingen")

    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="after_project")
    due_date = models.DateField(_("frist"))
    in_operation = models.CharField(_("er tiltaket i ordinær drift"), max_length=10, choices=InOperation.choices, blank=True)
    payer = models.CharField(_("hvem betaler for driften"), max_length=20, choices=Payer.choices, blank=True)
    payer_note = models.CharField(_("utdyping om finansieringen"), max_length=300, blank=True)
    spread = models.TextField(_("hva er spredt til andre"), blank=True, help_text=_("Til andre kommuner, helseforetak eller helsefellesskap: hva, og til hvem."))
    answered_at = models.DateTimeField(_("besvart"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["due_date", "grant"]
        verbose_name = _("status etter prosjektslutt")
        verbose_name_plural = _("status etter prosjektslutt")

    def __str__(self) -> str:
        return f"{self.grant}: {self.due_date}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None
