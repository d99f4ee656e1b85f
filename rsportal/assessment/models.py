"""The secretariat's and the committees' side: formal check, local prioritisation,
scoring, conflicts of interest, the meeting, votes and decisions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rsportal.applications.models import Application, Call, Criterion
from rsportal.funding.models import Grant
from rsportal.registry.models import Body, BodyMember, Helsefellesskap


class FormalCheck(models.Model):
    """Are the eligibility rules met? Grey-zone applications get one of the three grey outcomes."""

    class Outcome(models.TextChoices):
        ELIGIBLE = "eligible", _("Oppfyller kravene")
        REAPPLY = "reapply", _("Gråsone: be om ny søknad ved neste tildeling")
        PART = "part", _("Gråsone: tilskudd til deler av prosjektet")
        PRE_PROJECT = "pre_project", _("Gråsone: tilskudd til forprosjekt")
        REJECTED = "rejected", _("Oppfyller ikke kravene")

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="formal_check")
    efficient_use = models.BooleanField(_("stimulerer til effektiv ressursbruk og skaper ikke større behov"), null=True)
    not_ordinary_operation = models.BooleanField(_("finansierer ikke ordinær drift"), null=True)
    digital_compliant = models.BooleanField(
        _("digitale tiltak følger e-helsestrategien og Normen"), null=True, blank=True, help_text=_("Tomt når tiltaket ikke er digitalt.")
    )
    outcome = models.CharField(_("resultat"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("begrunnelse"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("formell kontroll")
        verbose_name_plural = _("formelle kontroller")

    @property
    def passes(self) -> bool:
        return self.outcome not in (self.Outcome.REJECTED, self.Outcome.REAPPLY)


class Forwarding(models.Model):
    """An application a helsefellesskap has approved and forwarded, with its local rank.
    Joint applications (several communities) are forwarded without a rank."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="forwarding")
    helsefellesskap = models.ForeignKey(Helsefellesskap, on_delete=models.PROTECT)
    rank = models.PositiveSmallIntegerField(_("prioritet"), null=True, blank=True)
    joint = models.BooleanField(_("felles søknad med andre helsefellesskap"), default=False)
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    forwarded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["helsefellesskap", "joint", "rank"]
        constraints = [models.CheckConstraint(condition=Q(joint=True) | Q(rank__isnull=False), name="ranked_unless_joint")]
        verbose_name = _("videresendt søknad")
        verbose_name_plural = _("videresendte søknader")


class Score(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(BodyMember, on_delete=models.CASCADE, related_name="scores")
    value = models.PositiveSmallIntegerField(_("poeng"))
    comment = models.TextField(_("kommentar"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application", "criterion__order", "member"]
        constraints = [models.UniqueConstraint(fields=["application", "criterion", "member"], name="one_score_per_member")]
        verbose_name = _("poeng")
        verbose_name_plural = _("poeng")


class Conflict(models.Model):
    """A possible conflict of interest (inhabilitet). Until the chair dismisses it, the
    member is treated as conflicted: it is safer to leave the room once too often."""

    class Source(models.TextChoices):
        NAMED = "named", _("Navngitt i søknaden")
        ORGANISATION = "organisation", _("Representerer en deltaker i søknaden")
        SELF = "self", _("Meldt av medlemmet selv")
        OTHER = "other", _("Meldt av et annet medlem")

    class Status(models.TextChoices):
        PENDING = "pending", _("Til vurdering hos leder")
        CONFIRMED = "confirmed", _("Inhabil")
        DISMISSED = "dismissed", _("Habil")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    member = models.ForeignKey(BodyMember, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(_("kilde"), max_length=20, choices=Source.choices)
    reason = models.TextField(_("grunn"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "member"]
        constraints = [models.UniqueConstraint(fields=["application", "member"], name="one_conflict_per_member")]
        verbose_name = _("habilitetsspørsmål")
        verbose_name_plural = _("habilitetsspørsmål")

    @property
    def blocks(self) -> bool:
        return self.status != self.Status.DISMISSED


class ConflictVote(models.Model):
    """A member's vote on another member's conflict, used when neither the leader nor the
    deputy can decide it (forvaltningsloven § 8: the body decides, without the member concerned)."""

    conflict = models.ForeignKey(Conflict, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(BodyMember, on_delete=models.CASCADE, related_name="+")
    conflicted = models.BooleanField(_("inhabil"))
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conflict", "member"], name="one_conflict_vote_per_member")]
        verbose_name = _("stemme om habilitet")
        verbose_name_plural = _("stemmer om habilitet")


class Meeting(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="meetings")
    body = models.ForeignKey(Body, verbose_name=_("organ"), on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("møtestart"))
    location = models.CharField(_("sted"), max_length=200, blank=True)
    pitch_minutes = models.PositiveSmallIntegerField(_("minutter per prosjekt"), default=15)
    changeover_minutes = models.PositiveSmallIntegerField(_("minutter mellom prosjektene"), default=0)
    notes = models.TextField(_("merknader til protokollen"), blank=True)
    present = models.ManyToManyField(BodyMember, blank=True, related_name="+", verbose_name=_("til stede"))
    attendance_recorded_at = models.DateTimeField(_("oppmøte registrert"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # "Møte 3/2026": the body's third meeting in the year of the meeting, given at scheduling.
    year = models.PositiveSmallIntegerField(_("år"), null=True, blank=True)
    number = models.PositiveSmallIntegerField(_("møtenummer"), null=True, blank=True)
    # The minutes are a draft until the leader or secretary approves them (usually at the next
    # meeting); the approved minutes are frozen as a snapshot of their content (see minutes.py).
    minutes_approved_at = models.DateTimeField(_("protokoll godkjent"), null=True, blank=True)
    minutes_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("protokoll godkjent av")
    )
    minutes_approval_note = models.TextField(_("merknad til godkjenningen"), blank=True)
    minutes_snapshot = models.JSONField(_("godkjent protokoll"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [models.UniqueConstraint(fields=["body", "year", "number"], name="meeting_number_per_body_and_year")]
        verbose_name = _("møte")
        verbose_name_plural = _("møter")

    def __str__(self) -> str:
        return f"{self.body.name} {self.starts_at:%d.%m.%Y}"

    @property
    def label(self) -> str:
        """'Møte 3/2026', or '' for a meeting scheduled before numbering."""
        return _("Møte %(n)s/%(year)s") % {"n": self.number, "year": self.year} if self.number else ""


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="agenda_items")
    order = models.PositiveSmallIntegerField()
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    deliberation = models.TextField(_("drøfting"), blank=True)
    left_room = models.ManyToManyField(BodyMember, blank=True, related_name="+", verbose_name=_("forlot rommet"))
    # "Sak 12/26": the body's twelfth case in 2026, running across the body's meetings of the year.
    case_number = models.PositiveSmallIntegerField(_("saksnummer"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "order"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "order"], name="unique_agenda_order"),
            models.UniqueConstraint(fields=["meeting", "application"], name="application_once_per_meeting"),
        ]
        verbose_name = _("sak på dagsorden")
        verbose_name_plural = _("dagsorden")

    @property
    def case_label(self) -> str:
        """'12/26' (the Norwegian "sak 12/26"); the agenda order for items from before numbering."""
        if self.case_number and self.meeting.year:
            return f"{self.case_number}/{self.meeting.year % 100:02d}"
        return str(self.order)


class Decision(models.Model):
    """A proposed decision on one application; the body's rule turns the votes into
    adopted or not adopted. An adopted positive decision books the money."""

    class Outcome(models.TextChoices):
        FULL = "full", _("Innvilget")
        PARTIAL = "partial", _("Delvis innvilget")
        PRE_PROJECT = "pre_project", _("Innvilget som forprosjekt")
        REJECTED = "rejected", _("Avslått")
        REAPPLY = "reapply", _("Bedt om å søke på nytt")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Til avstemning")
        ADOPTED = "adopted", _("Vedtatt")
        NOT_ADOPTED = "not_adopted", _("Ikke vedtatt")

    GRANTING = (Outcome.FULL, Outcome.PARTIAL, Outcome.PRE_PROJECT)

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions")
    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("vedtak"), max_length=20, choices=Outcome.choices)
    amounts = models.JSONField(_("beløp per år"), default=dict, blank=True)
    part_description = models.TextField(_("hvilken del av prosjektet"), blank=True)
    reason = models.TextField(_("begrunnelse"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    casting_vote_used = models.BooleanField(default=False)
    grant = models.OneToOneField(Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="decision")

    class Meta:
        ordering = ["application", "-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["application"], condition=Q(status="adopted"), name="one_adopted_decision_per_application")
        ]
        verbose_name = _("vedtak")
        verbose_name_plural = _("vedtak")

    def total(self) -> int:
        return sum(int(v) for v in self.amounts.values())


class Vote(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Mot")
        ABSTAIN = "abstain", _("Avstår")

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(BodyMember, on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "member"], name="one_vote_per_member")]
        verbose_name = _("stemme")
        verbose_name_plural = _("stemmer")


class LetterTemplate(models.Model):
    """The texts of a decision letter of one kind, kept by an RHF's administrators (for all the
    bodies deciding on the RHF's money, or for one of them). Texts hold {{ placeholders }}
    filled by letters.fill(): plain substitution from a fixed list, never a template language."""

    rhf = models.ForeignKey("registry.RegionalHealthAuthority", verbose_name=_("RHF"), on_delete=models.CASCADE, related_name="letter_templates")
    body = models.ForeignKey(
        Body, verbose_name=_("gjelder organ"), null=True, blank=True, on_delete=models.CASCADE, related_name="letter_templates",
        help_text=_("Tomt: gjelder alle organer som fatter vedtak om RHF-ets midler."),
    )
    kind = models.CharField(_("vedtak"), max_length=20, choices=Decision.Outcome.choices)
    subject = models.CharField(_("emne"), max_length=300)
    body_text = models.TextField(_("brevtekst"), help_text=_("Står før tabellen med beløp. Tom linje gir nytt avsnitt."))
    terms = models.TextField(_("vilkår"), blank=True, help_text=_("Står etter begrunnelsen. Ett vilkår per linje."))
    appeal_text = models.TextField(_("klageadgang"))
    signer_name = models.CharField(_("underskriver"), max_length=200, blank=True)
    signer_title = models.CharField(_("underskriverens tittel"), max_length=200, blank=True)
    letterhead_name = models.CharField(_("avsender i brevhodet"), max_length=200, blank=True, help_text=_("Tomt: organets eier."))
    letterhead_address = models.TextField(_("avsenderens postadresse"), blank=True)
    letterhead_org_number = models.CharField(_("avsenderens organisasjonsnummer"), max_length=11, blank=True)
    logo = models.BinaryField(_("logo"), blank=True, default=b"", editable=False)
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rhf", "body", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["rhf", "kind"], condition=Q(body__isnull=True), name="one_letter_template_per_rhf_kind"),
            models.UniqueConstraint(fields=["rhf", "body", "kind"], condition=Q(body__isnull=False), name="one_letter_template_per_body_kind"),
        ]
        verbose_name = _("brevmal")
        verbose_name_plural = _("brevmaler")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.body.name if self.body_id else self.rhf.name})"
