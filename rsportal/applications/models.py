"""Calls (utlysninger) and joint applications from municipalities and trusts.

A call is configured per pot without code: purpose, priorities, criteria with
scales and weights, deadlines, rules and which body does each step. The
application follows the Helse Nord form (board case 154-2024, attachments 4 and 5)
and is written by its participants together: every section carries its own
version, so two people saving the same section cannot overwrite each other.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rsportal.funding.models import Pot
from rsportal.registry.models import Body, CityDistrict, HealthTrust, Helsefellesskap, Municipality, RegionalHealthAuthority


class ApplicationType(models.TextChoices):
    PROJECT = "project", _("Prosjekt")
    PRE_PROJECT = "pre_project", _("Forprosjekt")
    IMPROVEMENT = "improvement", _("Tilskudd til å forbedre en søknad")
    CONTINUATION = "continuation", _("Videreføring / forlengelse")


class PatientGroup(models.TextChoices):
    """The especially prioritised patient groups of the call texts (board case 154-2024, attachment 3)."""

    MENTAL_ILLNESS = "mental_illness", _("Psykiske lidelser")
    CHRONIC = "chronic", _("Flere kroniske sykdommer")
    CHILDREN_YOUTH = "children_youth", _("Barn og unge")
    FRAIL_ELDERLY = "frail_elderly", _("Skrøpelige eldre")
    MATERNITY = "maternity", _("Svangerskap, fødsel, barsel og kvinnehelse")
    MENTAL_SUBSTANCE = "mental_substance", _("Integrert psykisk helse og rus")
    REHABILITATION = "rehabilitation", _("Rehabilitering")
    DISCHARGE_READY = "discharge_ready", _("Utskrivningsklare pasienter")


class Theme(models.TextChoices):
    """Project themes as classified in the Fafo evaluation (table 10)."""

    RECRUITMENT = "recruitment", _("Rekruttere og beholde, hospitering, kombinerte stillinger")
    PATHWAYS = "pathways", _("Bedre pasientforløp")
    TEAMS = "teams", _("Felles team for kartlegging, utredning og tiltak")
    DIGITAL = "digital", _("Digitale verktøy og simulering")
    EMERGENCY = "emergency", _("Koordinering av akutthjelp")
    RESEARCH = "research", _("Forskning og metodeutvikling")
    OTHER = "other", _("Konferanser, tjenesteutvikling og annet")


class Call(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Åpen utlysning")
        DESIGNED = "designed", _("Prosjekter utformet av utvalg (kommuner kan slutte seg til)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        PUBLISHED = "published", _("Publisert")
        CLOSED = "closed", _("Avsluttet")

    pot = models.ForeignKey(Pot, verbose_name=_("pott"), on_delete=models.PROTECT, related_name="calls")
    title = models.CharField(_("tittel"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.OPEN)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    purpose = models.TextField(_("formål"))
    priorities = models.TextField(_("særlig prioriterte tiltak"), blank=True, help_text=_("Ett punkt per linje."))
    eligibility = models.TextField(_("krav til søknaden"), blank=True, help_text=_("Ett krav per linje."))
    frame_amount = models.PositiveBigIntegerField(_("ramme (kr)"), null=True, blank=True)
    frame_year = models.PositiveSmallIntegerField(_("rammen gjelder år"), null=True, blank=True)
    rolling = models.BooleanField(_("løpende søknadsfrist"), default=False)
    allowed_types = models.JSONField(_("tillatte søknadstyper"), default=list, blank=True)
    max_forwarded_per_helsefellesskap = models.PositiveSmallIntegerField(
        _("maks søknader hvert helsefellesskap kan sende videre"), null=True, blank=True
    )
    max_project_years = models.PositiveSmallIntegerField(_("maks prosjektlengde (år)"), default=5)
    pre_project_max_years = models.PositiveSmallIntegerField(_("maks lengde forprosjekt (år)"), default=1)
    research_deducted = models.BooleanField(_("tilskudd til forskning trekkes fra"), default=True)
    requires_agreement = models.BooleanField(_("signert avtale om felles søknad kreves"), default=True)
    hide_scores_until_scored = models.BooleanField(
        _("skjul andres poeng til medlemmet selv har gitt poeng"), default=True, help_text=_("Hindrer at medlemmer lar seg styre av hverandres poeng.")
    )
    publish_rejected = models.BooleanField(
        _("vis søknader som ikke fikk tilskudd i den åpne prosjektkatalogen"),
        default=True,
        help_text=_("Tittel, deltakere, utfall og vedtaksdato. Evalueringen ber om åpenhet om hva som ikke fikk tilskudd, ikke bare om det som fikk."),
    )
    # Proportionate forms (see applications.variants): small grants and the chosen types get the light form.
    light_form_max_amount = models.PositiveBigIntegerField(
        _("lett søknadsskjema for søknader på inntil (kr)"),
        null=True,
        blank=True,
        help_text=_("Søknader som samlet søker om høyst dette beløpet, får det lette skjemaet og den lette rapporten. Tomt: ingen beløpsgrense."),
    )
    light_form_types = models.JSONField(
        _("lett søknadsskjema for søknadstypene"), default=list, blank=True,
        help_text=_("Disse søknadstypene får alltid det lette skjemaet, uansett beløp."),
    )
    contact = models.CharField(_("kontakt for spørsmål"), max_length=200, blank=True)
    decision_dates = models.TextField(
        _("vedtaksdatoer som vises søkerne"), blank=True, help_text=_("Ett punkt per linje, for eksempel «Vedtak i Tildelingsutvalget 12. juni»."))
    reporting_rules = models.TextField(
        _("krav til rapportering"), blank=True, help_text=_("Ett krav per linje: når prosjektene rapporterer, og hva rapporten skal inneholde."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("utlysning")
        verbose_name_plural = _("utlysninger")

    def __str__(self) -> str:
        return self.title

    @property
    def owner_name(self) -> str:
        return self.pot.helsefellesskap.name if self.pot.helsefellesskap_id else self.pot.rhf.name

    def next_deadline(self, now=None):
        now = now or timezone.now()
        return self.deadlines.filter(at__gte=now).order_by("at").first()

    def is_open(self, now=None) -> bool:
        if self.status != self.Status.PUBLISHED:
            return False
        return self.rolling or self.next_deadline(now) is not None

    def type_choices(self):
        allowed = self.allowed_types or [t.value for t in ApplicationType]
        return [(t.value, t.label) for t in ApplicationType if t.value in allowed]

    def light_form_type_labels(self) -> list[str]:
        return [str(t.label) for t in ApplicationType if t.value in (self.light_form_types or [])]

    def pre_project_cap(self, municipality_count: int) -> int | None:
        caps = [c for c in self.pre_project_caps.all() if c.min_municipalities <= municipality_count]
        return max(caps, key=lambda c: c.min_municipalities).max_amount if caps else None


class Deadline(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="deadlines")
    at = models.DateTimeField(_("frist"))
    label = models.CharField(_("gjelder"), max_length=200, blank=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("søknadsfrist")
        verbose_name_plural = _("søknadsfrister")

    def __str__(self) -> str:
        return f"{self.call}: {self.at:%d.%m.%Y}"


class Criterion(models.Model):
    """A criterion the committee scores, with its scale and weight."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("kriterium"), max_length=200)
    description = models.TextField(_("beskrivelse"), blank=True)
    scale_min = models.PositiveSmallIntegerField(_("laveste skår"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("høyeste skår"), default=5)
    weight = models.DecimalField(_("vekt"), max_digits=5, decimal_places=2, default=1)

    class Meta:
        ordering = ["call", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(scale_max__gt=models.F("scale_min")), name="criterion_scale_order"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]
        verbose_name = _("kriterium")
        verbose_name_plural = _("kriterier")

    def __str__(self) -> str:
        return f"{self.name} ({self.scale_min}–{self.scale_max}, ×{self.weight})"


class PreProjectCap(models.Model):
    """Pre-project cap that grows with the number of participating municipalities."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="pre_project_caps")
    min_municipalities = models.PositiveSmallIntegerField(_("fra antall kommuner"))
    max_amount = models.PositiveBigIntegerField(_("maks beløp (kr)"))

    class Meta:
        ordering = ["call", "min_municipalities"]
        constraints = [models.UniqueConstraint(fields=["call", "min_municipalities"], name="one_cap_per_size")]
        verbose_name = _("beløpsgrense for forprosjekt")
        verbose_name_plural = _("beløpsgrenser for forprosjekt")


class ProcessStep(models.Model):
    """Which body does which step of the call's process."""

    class Step(models.TextChoices):
        FORMAL_CHECK = "formal_check", _("Formell kontroll")
        ASSESSMENT = "assessment", _("Vurdering")
        LOCAL_PRIORITISATION = "local_prioritisation", _("Lokal prioritering")
        SCORING = "scoring", _("Poenggivning på kriteriene")
        RECOMMENDATION = "recommendation", _("Innstilling")
        DECISION = "decision", _("Vedtak")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("steg"), max_length=30, choices=Step.choices)
    body = models.ForeignKey(Body, verbose_name=_("organ"), null=True, blank=True, on_delete=models.PROTECT)
    by_each_helsefellesskap = models.BooleanField(
        _("gjøres av hvert helsefellesskap"), default=False, help_text=_("For eksempel lokal prioritering før regional behandling.")
    )

    class Meta:
        ordering = ["call", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "step"], name="one_body_per_step"),
            models.CheckConstraint(condition=Q(body__isnull=False) | Q(by_each_helsefellesskap=True), name="step_has_a_doer"),
        ]
        verbose_name = _("prosessteg")
        verbose_name_plural = _("prosessteg")

    def __str__(self) -> str:
        return self.get_step_display()


class DesignedProject(models.Model):
    """A project designed by a committee (models 3-4) that municipalities can ask to join."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="designed_projects")
    title = models.CharField(_("prosjekt"), max_length=200)
    description = models.TextField(_("beskrivelse"))
    designed_by = models.ForeignKey(Body, verbose_name=_("utformet av"), on_delete=models.PROTECT)
    budget = models.PositiveBigIntegerField(_("budsjett (kr)"), null=True, blank=True)
    join_deadline = models.DateField(_("frist for å melde interesse"), null=True, blank=True)

    class Meta:
        ordering = ["call", "title"]
        verbose_name = _("utvalgsutformet prosjekt")
        verbose_name_plural = _("utvalgsutformede prosjekter")

    def __str__(self) -> str:
        return self.title


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Til behandling")
        ACCEPTED = "accepted", _("Tatt med")
        DECLINED = "declined", _("Ikke tatt med")

    project = models.ForeignKey(DesignedProject, on_delete=models.CASCADE, related_name="join_requests")
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), on_delete=models.PROTECT)
    contact_name = models.CharField(_("kontaktperson"), max_length=200)
    contact_email = models.EmailField(_("e-post"))
    contribution = models.TextField(_("hva kommunen bidrar med"), help_text=_("Tid, kompetanse og eventuelt penger."))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "created_at"]
        constraints = [models.UniqueConstraint(fields=["project", "municipality"], name="one_request_per_municipality")]
        verbose_name = _("ønske om å delta")
        verbose_name_plural = _("ønsker om å delta")


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        SUBMITTED = "submitted", _("Sendt inn")
        REVISION = "revision", _("Åpnet for revisjon")
        WITHDRAWN = "withdrawn", _("Trukket")

    call = models.ForeignKey(Call, verbose_name=_("utlysning"), on_delete=models.PROTECT, related_name="applications")
    helsefellesskap = models.ForeignKey(
        Helsefellesskap, verbose_name=_("sendes til helsefellesskap"), on_delete=models.PROTECT, related_name="applications"
    )
    type = models.CharField(_("søknadstype"), max_length=20, choices=ApplicationType.choices, default=ApplicationType.PROJECT)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    continues = models.ForeignKey(
        "funding.Grant", verbose_name=_("viderefører tilskudd"), null=True, blank=True, on_delete=models.PROTECT
    )

    # Attachment 4 of board case 154-2024, section by section.
    title = models.CharField(_("navn på prosjekt/pilot"), max_length=300)
    project_owners = models.TextField(_("prosjekteiere"), blank=True)
    agreement_date = models.DateField(_("dato for signert avtale om felles søknad"), null=True, blank=True)
    start_date = models.DateField(_("planlagt oppstart"), null=True, blank=True)
    end_date = models.DateField(_("planlagt avslutning"), null=True, blank=True)
    goal = models.TextField(_("mål"), blank=True)
    target_group = models.TextField(_("målgruppe"), blank=True)
    patient_groups = models.JSONField(_("prioriterte pasientgrupper tiltaket retter seg mot"), default=list, blank=True)
    themes = models.JSONField(_("tema"), default=list, blank=True)
    status_description = models.TextField(_("status for prosjektet"), blank=True)
    activities = models.TextField(_("hva skal gjennomføres, og i hvilken periode"), blank=True)
    organisations_and_staff = models.TextField(_("hvilke virksomheter og personellgrupper inngår"), blank=True)
    done_before = models.TextField(_("har andre gjort det samme tidligere"), blank=True)
    expected_benefit = models.TextField(_("hvilken nytte forventes"), blank=True)
    supports_purpose = models.TextField(_("hvordan tiltaket støtter formålet, inkludert erfaringsdeling og spredning"), blank=True)
    grant_use = models.TextField(_("hva skal tilskuddet brukes til"), blank=True)
    financing_at_start = models.TextField(_("finansieringsplan ved oppstart"), blank=True)
    financing_after = models.TextField(_("finansieringsplan ved videreføring"), blank=True)
    ordinary_operation_plan = models.TextField(_("plan for overgang til ordinær drift"), blank=True)
    research_share = models.PositiveBigIntegerField(_("herav forskning (kr)"), default=0)
    patient_responsibility = models.TextField(_("hvem har ansvaret for pasientene"), blank=True)
    is_digital = models.BooleanField(_("tiltaket gjelder digitale løsninger"), default=False)
    digital_regional_path = models.TextField(_("vei mot felles regionale løsninger"), blank=True)
    digital_ehealth_strategy = models.TextField(_("i tråd med Nasjonal e-helsestrategi og målbildet"), blank=True)
    digital_normen = models.TextField(_("oppfyller Normen (informasjonssikkerhet)"), blank=True)
    digital_governance = models.TextField(_("forankret i kommunal samstyring for digitalisering"), blank=True)
    project_plan = models.TextField(_("prosjektplan med evalueringspunkter"), blank=True)
    involvement_users = models.TextField(_("involvering av brukere"), blank=True)
    involvement_unions = models.TextField(_("involvering av tillitsvalgte"), blank=True)
    involvement_safety = models.TextField(_("involvering av vernetjenesten"), blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("sendt inn"), null=True, blank=True)
    # The case reference (saksnummer) "26/00123", given at the first submission by casenumbers.assign():
    # unique within the register of the RHF that keeps it.
    case_number = models.CharField(_("saksnummer"), max_length=12, blank=True, default="", editable=False)
    case_register = models.ForeignKey(
        RegionalHealthAuthority, verbose_name=_("saksnummer gitt av"), null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["case_register", "case_number"], condition=~Q(case_number=""), name="unique_case_number_per_register")
        ]
        verbose_name = _("søknad")
        verbose_name_plural = _("søknader")

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        """Open for its authors' changes; the lifecycle (lifecycle.py) decides."""
        from . import lifecycle

        return self.status in (self.Status.DRAFT, self.Status.REVISION) and lifecycle.state(self) in lifecycle.EDITABLE

    @property
    def lifecycle_state(self) -> str:
        from . import lifecycle

        return lifecycle.state(self)

    @property
    def state_label(self) -> str:
        from . import lifecycle

        return lifecycle.label(self)

    def applied_total(self) -> int:
        return sum(line.amount for line in self.budget_lines.all() if line.kind == BudgetLine.Kind.GRANT)

    def applied_by_year(self) -> dict[int, int]:
        totals: dict[int, int] = {}
        for line in self.budget_lines.all():
            if line.kind == BudgetLine.Kind.GRANT:
                totals[line.year] = totals.get(line.year, 0) + line.amount
        return dict(sorted(totals.items()))


class SectionVersion(models.Model):
    """The version of one section of an application draft.

    A save carries the version the author started from; if someone else has saved
    the section since, the save is refused and both texts are shown.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="section_versions")
    section = models.CharField(max_length=40)
    version = models.PositiveIntegerField(default=0)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    saved_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "section"], name="one_version_per_section")]


class CaseCounter(models.Model):
    """The last case number given by an RHF's register in a year; the row is locked while a
    number is taken, so two submissions never get the same one."""

    rhf = models.ForeignKey(RegionalHealthAuthority, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rhf", "year"], name="one_case_counter_per_rhf_year")]


class Participant(models.Model):
    """A municipality or a trust taking part in an application, with its contact and contribution."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="participants")
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.PROTECT)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.PROTECT)
    # A city district (bydel) takes part as itself, but counts as its municipality everywhere
    # municipalities are counted, so `municipality` is set to the district's municipality too.
    district = models.ForeignKey(CityDistrict, verbose_name=_("bydel"), null=True, blank=True, on_delete=models.PROTECT)
    is_owner = models.BooleanField(_("prosjekteier"), default=False)
    contact_name = models.CharField(_("kontaktperson"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-post"), blank=True)
    contact_phone = models.CharField(_("telefon"), max_length=40, blank=True)
    publish_contact = models.BooleanField(
        _("kontaktpersonen samtykker til å vises i den åpne prosjektkatalogen"), default=False
    )
    # Who added the organisation: a co-applicant may remove the participants they added themselves.
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        ordering = ["application", "trust", "municipality__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False),
                name="participant_is_one_organisation",
            ),
            models.UniqueConstraint(fields=["application", "municipality"], condition=Q(district__isnull=True), name="municipality_once_per_application"),
            models.UniqueConstraint(fields=["application", "district"], condition=Q(district__isnull=False), name="district_once_per_application"),
            models.CheckConstraint(condition=Q(district__isnull=True) | Q(municipality__isnull=False), name="district_has_its_municipality"),
            models.UniqueConstraint(fields=["application", "trust"], name="trust_once_per_application"),
        ]
        verbose_name = _("deltaker")
        verbose_name_plural = _("deltakere")

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def organisation(self):
        """What takes part, as named to people: the district, the municipality or the trust."""
        return self.district or self.municipality or self.trust


class BudgetLine(models.Model):
    """One amount of the budget for one year: applied grant or a party's own contribution."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Søkt tilskudd")
        OWN_MONEY = "own_money", _("Egen finansiering")
        OWN_TIME = "own_time", _("Egen innsats: arbeidstid")
        OWN_COMPETENCE = "own_competence", _("Egen innsats: kompetanse")
        OTHER_FUNDING = "other_funding", _("Annen finansiering")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    year = models.PositiveSmallIntegerField(_("år"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    participant = models.ForeignKey(Participant, verbose_name=_("part"), null=True, blank=True, on_delete=models.CASCADE)
    amount = models.PositiveBigIntegerField(_("beløp (kr)"))
    hours = models.PositiveIntegerField(_("timer"), null=True, blank=True)
    description = models.CharField(_("hva"), max_length=300)

    class Meta:
        ordering = ["application", "year", "kind", "id"]
        verbose_name = _("budsjettlinje")
        verbose_name_plural = _("budsjettlinjer")


class BenefitRow(models.Model):
    """One row of the benefit table (attachment 5)."""

    class Benefit(models.TextChoices):
        HEALTH = "health", _("Helsegevinst")
        QUALITY = "quality", _("Kvalitet i behandling")
        STAFF = "staff", _("Mer effektiv bruk av personell")
        TRAVEL = "travel", _("Redusert reisevirksomhet")
        TIME = "time", _("Tidsbesparelser")
        ECONOMY = "economy", _("Økonomi")
        OTHER = "other", _("Annet")

    BENEFICIARIES = [
        ("patients", _("Pasient/pårørende")),
        ("municipal", _("Kommunehelsetjenesten")),
        ("specialist", _("Spesialisthelsetjenesten")),
        ("others", _("Andre")),
    ]

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="benefits")
    benefit = models.CharField(_("forventet nytte"), max_length=20, choices=Benefit.choices)
    description = models.TextField(_("beskrivelse av nytten"))
    beneficiaries = models.JSONField(_("hvem får nytte"), default=list)
    responsible = models.CharField(_("ansvarlig for gjennomføring"), max_length=200)
    measurement = models.TextField(_("måling av nytte"), help_text=_("For eksempel reisetid, tidsbruk, kostnader, reinnleggelser, ventetid."))
    frequency_and_data = models.TextField(_("hvor ofte måles det, og hvordan samles data inn"))
    prerequisites = models.TextField(_("forutsetninger og risikoreduserende tiltak"))
    freed_resources = models.TextField(_("bruk av frigjorte ressurser"), blank=True)
    time_horizon = models.CharField(_("tidshorisont"), max_length=200)

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("nytterad")
        verbose_name_plural = _("nyttetabell")

    def beneficiary_labels(self) -> list[str]:
        labels = dict(self.BENEFICIARIES)
        return [str(labels[b]) for b in self.beneficiaries if b in labels]


def attachment_path(instance, filename):
    # Never the user's file name on disk: it could carry path tricks or personal data.
    return f"applications/{instance.application_id}/{instance.token}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Signert avtale om felles søknad")
        BUDGET = "budget", _("Budsjett")
        PROJECT_PLAN = "project_plan", _("Prosjektplan")
        OTHER = "other", _("Annet vedlegg")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(_("filnavn"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "kind", "uploaded_at"]
        verbose_name = _("vedlegg")
        verbose_name_plural = _("vedlegg")

    def __str__(self) -> str:
        return self.original_name


class ApplicationVersion(models.Model):
    """A frozen copy of a submitted application; revisions add new versions, old ones stay readable."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField()

    class Meta:
        ordering = ["application", "-number"]
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="unique_version_number")]
        verbose_name = _("innsendt versjon")
        verbose_name_plural = _("innsendte versjoner")


class DraftReview(models.Model):
    """The applicants' invitation to the secretariat to read and comment on their draft before
    it is sent in. While the row exists the secretariat that receives the application may read
    the draft and the thread (assessment/visibility.py); withdrawing deletes it (audited)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="draft_review")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(_("hva ønsker dere hjelp med"), blank=True)

    class Meta:
        verbose_name = _("invitasjon til å lese utkast")
        verbose_name_plural = _("invitasjoner til å lese utkast")


class Message(models.Model):
    """One message in the thread on an application: between its applicants and the secretariat
    (`shared`), or an internal note of the secretariat and the committee that the applicants
    never see (`internal`). Who may read and write which is decided in assessment/visibility.py."""

    class Kind(models.TextChoices):
        SHARED = "shared", _("Til søkerne og sekretariatet")
        INTERNAL = "internal", _("Internt notat (søkerne ser det ikke)")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.SHARED)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_applicants = models.BooleanField(default=False)  # which side wrote it, as it was then
    body = models.TextField(_("melding"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["application", "kind", "created_at"])]
        verbose_name = _("melding")
        verbose_name_plural = _("meldinger")

    def __str__(self) -> str:
        return self.body[:60]


class CallInterest(models.Model):
    """A user who wants to hear when a helsefellesskap (or its RHF) publishes a call."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_interests")
    helsefellesskap = models.ForeignKey(Helsefellesskap, verbose_name=_("helsefellesskap"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "helsefellesskap"], name="one_interest_per_helsefellesskap")]
        verbose_name = _("interesse for utlysninger")
        verbose_name_plural = _("interesser for utlysninger")
