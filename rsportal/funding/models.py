"""The money: appropriations from HOD, pots, frames per year, reserves and commitments.

All amounts are whole kroner (integers) and every amount belongs to a year.
The rule that no pot is ever over-committed lives in funding.domain, which
changes these rows only while holding a lock on the pot's year.
"""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from rsportal.core import datacache

from rsportal.registry.models import Body, HealthTrust, Helsefellesskap, Municipality, RegionalHealthAuthority


class DistributionKey(models.Model):
    """Shares that split an amount between RHFs or between helsefellesskap."""

    name = models.CharField(_("navn"), max_length=160, unique=True)
    description = models.TextField(_("beskrivelse"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("fordelingsnøkkel")
        verbose_name_plural = _("fordelingsnøkler")

    def __str__(self) -> str:
        return self.name


class DistributionShare(models.Model):
    key = models.ForeignKey(DistributionKey, on_delete=models.CASCADE, related_name="shares")
    rhf = models.ForeignKey(RegionalHealthAuthority, null=True, blank=True, on_delete=models.PROTECT)
    helsefellesskap = models.ForeignKey(Helsefellesskap, null=True, blank=True, on_delete=models.PROTECT)
    share = models.DecimalField(_("andel"), max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["key", "-share"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rhf__isnull=False, helsefellesskap__isnull=True) | Q(rhf__isnull=True, helsefellesskap__isnull=False),
                name="share_has_one_recipient",
            ),
            models.CheckConstraint(condition=Q(share__gt=0), name="share_positive"),
        ]
        verbose_name = _("andel i fordelingsnøkkel")
        verbose_name_plural = _("andeler i fordelingsnøkkel")

    @property
    def recipient(self):
        return self.rhf or self.helsefellesskap

    def __str__(self) -> str:
        return f"{self.recipient}: {self.share}"


class Appropriation(models.Model):
    """A grant from the ministry (HOD) for one budget year.

    Either split between RHFs by a distribution key, or given to one RHF.
    Booking it (funding.domain.book_appropriation) creates one share per RHF and
    raises that RHF's total frame for the year.
    """

    year = models.PositiveSmallIntegerField(_("år"))
    name = models.CharField(_("navn"), max_length=200)
    amount = models.PositiveBigIntegerField(_("beløp (kr)"))
    key = models.ForeignKey(DistributionKey, verbose_name=_("fordelingsnøkkel"), null=True, blank=True, on_delete=models.PROTECT)
    rhf = models.ForeignKey(
        RegionalHealthAuthority, verbose_name=_("mottaker (RHF)"), null=True, blank=True, on_delete=models.PROTECT
    )
    earmarked_for = models.CharField(_("øremerket til"), max_length=200, blank=True)
    # A permanent grant lets an RHF promise money for later years before the budget
    # is passed. Such years are booked as expected, never counted as granted money.
    expected = models.BooleanField(
        _("forventet (ikke vedtatt)"), default=False, help_text=_("Varig tilskudd for et år som ennå ikke er vedtatt i statsbudsjettet.")
    )
    reference = models.CharField(_("kilde / vedtak"), max_length=300, blank=True)
    booked_at = models.DateTimeField(_("bokført"), null=True, blank=True)

    class Meta:
        ordering = ["year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key__isnull=False, rhf__isnull=True) | Q(key__isnull=True, rhf__isnull=False),
                name="appropriation_key_or_rhf",
            )
        ]
        verbose_name = _("bevilgning")
        verbose_name_plural = _("bevilgninger")

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class AppropriationShare(models.Model):
    appropriation = models.ForeignKey(Appropriation, on_delete=models.CASCADE, related_name="shares")
    rhf = models.ForeignKey(RegionalHealthAuthority, on_delete=models.PROTECT, related_name="appropriation_shares")
    amount = models.PositiveBigIntegerField(_("beløp (kr)"))

    class Meta:
        ordering = ["appropriation", "-amount"]
        constraints = [models.UniqueConstraint(fields=["appropriation", "rhf"], name="one_share_per_rhf")]
        verbose_name = _("andel av bevilgning")
        verbose_name_plural = _("andeler av bevilgninger")

    def __str__(self) -> str:
        return f"{self.rhf}: {self.amount} kr ({self.appropriation.year})"


class Pot(models.Model):
    """A pot of money owned by an RHF or a helsefellesskap.

    Each RHF has one root pot that receives its appropriations; every other pot is
    funded by transfers from its parent. The frame is kept per year (PotYear).
    """

    class Kind(models.TextChoices):
        ROOT = "root", _("Samlet tilskudd (RHF)")
        DIRECT_TRANSFER = "direct_transfer", _("Direkte overføring")
        APPLICATION = "application", _("Søknadsbasert")
        EARMARKED = "earmarked", _("Øremerket")
        STRATEGIC = "strategic", _("Strategiske prosjekter (utformet av utvalg)")
        DIRECT_ALLOCATION = "direct_allocation", _("Direkte tildeling utenom utlysning")

    name = models.CharField(_("navn"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    rhf = models.ForeignKey(RegionalHealthAuthority, verbose_name=_("RHF"), on_delete=models.PROTECT, related_name="pots")
    helsefellesskap = models.ForeignKey(
        Helsefellesskap, verbose_name=_("helsefellesskap"), null=True, blank=True, on_delete=models.PROTECT, related_name="pots"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("finansieres fra"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(_("beskrivelse"), blank=True)
    # Bumped by every change to the pot's money; forms carry it so that a change made
    # by someone else since the page was drawn is refused instead of overwritten.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["rhf", "helsefellesskap", "name"]
        constraints = [
            models.UniqueConstraint(fields=["rhf"], condition=Q(kind="root"), name="one_root_pot_per_rhf"),
            models.CheckConstraint(condition=Q(kind="root", parent__isnull=True) | ~Q(kind="root"), name="root_has_no_parent"),
            models.CheckConstraint(condition=Q(kind="root") | Q(parent__isnull=False), name="pot_has_parent"),
        ]
        verbose_name = _("pott")
        verbose_name_plural = _("potter")

    def __str__(self) -> str:
        return self.name


class PotYear(models.Model):
    """A pot's frame for one budget year. `frame` is the sum of the year's FrameEntry rows."""

    pot = models.ForeignKey(Pot, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("år"))
    frame = models.BigIntegerField(_("ramme (kr)"), default=0)

    class Meta:
        ordering = ["pot", "year"]
        constraints = [
            models.UniqueConstraint(fields=["pot", "year"], name="one_frame_per_pot_year"),
            models.CheckConstraint(condition=Q(frame__gte=0), name="frame_not_negative"),
        ]
        verbose_name = _("pott per år")
        verbose_name_plural = _("potter per år")

    def __str__(self) -> str:
        return f"{self.pot.name} {self.year}"

    def committed(self) -> int:
        return self.commitments.filter(status__in=Commitment.ACTIVE).aggregate(s=Sum("amount"))["s"] or 0

    def reserved(self) -> int:
        return self.reserves.aggregate(s=Sum("amount"))["s"] or 0

    def available(self) -> int:
        return self.frame - self.committed() - self.reserved()


class FrameEntry(models.Model):
    """One change to a pot's frame for a year: the ledger behind PotYear.frame."""

    class Kind(models.TextChoices):
        APPROPRIATION = "appropriation", _("Bevilgning")
        TRANSFER_IN = "transfer_in", _("Overført fra overordnet pott")
        CARRY_OVER_IN = "carry_over_in", _("Overført fra forrige år")
        CARRY_OVER_OUT = "carry_over_out", _("Overført til neste år")

    pot_year = models.ForeignKey(PotYear, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField(_("beløp (kr)"))
    note = models.CharField(_("merknad"), max_length=300, blank=True)
    appropriation_share = models.ForeignKey(AppropriationShare, null=True, blank=True, on_delete=models.PROTECT)
    transfer = models.ForeignKey("Commitment", null=True, blank=True, on_delete=models.PROTECT, related_name="frame_entries")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["pot_year", "created_at", "id"]
        verbose_name = _("rammepostering")
        verbose_name_plural = _("rammeposteringer")

    def __str__(self) -> str:
        return f"{self.pot_year}: {self.get_kind_display()} {self.amount} kr"


class Reserve(models.Model):
    """Money of a pot-year set aside and not available for commitments."""

    class Kind(models.TextChoices):
        ADMINISTRATION = "administration", _("Administrasjon / felles drift")
        NEXT_YEAR = "next_year", _("Avsatt til neste år")
        HELD_BACK = "held_back", _("Holdt tilbake")

    pot_year = models.ForeignKey(PotYear, on_delete=models.PROTECT, related_name="reserves")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("beløp (kr)"))
    note = models.CharField(_("merknad"), max_length=300, blank=True)

    class Meta:
        ordering = ["pot_year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["pot_year", "kind"], name="one_reserve_per_kind"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reserve_positive"),
        ]
        verbose_name = _("avsetning")
        verbose_name_plural = _("avsetninger")

    def __str__(self) -> str:
        return f"{self.pot_year}: {self.get_kind_display()} {self.amount} kr"


# The fields the catalogue search reads; the stored search fields are derived from them.
SEARCH_SOURCES = frozenset({"title", "description"})
SEARCH_FIELDS = ("search_text", "search_stems")


def search_fields(title: str, description: str) -> tuple[str, str]:
    """What the catalogue search matches against, derived from a grant's title and description.

    search_text: the title and description in lower case, for plain substring search.
    search_stems: the distinct Norwegian word stems, each preceded and followed by a space
    (" digital hjem "), so that "some word starts with this stem" is a substring test for
    " stem" and the database can filter with LIKE on SQLite and PostgreSQL alike.
    """
    from rsportal.applications.similar import stems  # imports this module

    text = f"{title}\n{description}"
    words = sorted(set(stems(text)))
    return text.lower(), (" " + " ".join(words) + " ") if words else ""


def _public_data_changed() -> None:
    """Bulk writes send no signals: tell the public pages' cache (core.datacache) directly."""
    datacache.bump()


class GrantQuerySet(models.QuerySet):
    """Keeps the stored search fields right for bulk writes too, which bypass Grant.save."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refresh_search_fields()
        _public_data_changed()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if SEARCH_SOURCES & set(fields):
            for obj in objs:
                obj.refresh_search_fields()
            fields = list(dict.fromkeys([*fields, *SEARCH_FIELDS]))
        _public_data_changed()
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        _public_data_changed()
        if not SEARCH_SOURCES & kwargs.keys():
            return super().update(**kwargs)
        # The new values may be expressions, so recompute from what was written.
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            changed = list(self.model._base_manager.using(self.db).filter(pk__in=pks).only("pk", "title", "description"))
            for grant in changed:
                grant.refresh_search_fields()
            self.model._base_manager.using(self.db).bulk_update(changed, list(SEARCH_FIELDS))
        return count

    update.alters_data = True


class Answer(models.TextChoices):
    """A yes/no question of the classification that may not be answered yet."""

    YES = "yes", _("Ja")
    NO = "no", _("Nei")
    UNKNOWN = "unknown", _("Vet ikke")


class Grant(models.Model):
    """A decided grant to a project (tilskudd), paid from one pot over one or more years."""

    class PreProject(models.TextChoices):
        NO = "no", _("Prosjekt")
        YES = "yes", _("Forprosjekt")
        COMBINED = "combined", _("Kombinert forprosjekt og prosjekt")

    pot = models.ForeignKey(Pot, verbose_name=_("pott"), on_delete=models.PROTECT, related_name="grants")
    title = models.CharField(_("prosjektnavn"), max_length=300)
    helsefellesskap = models.ForeignKey(
        Helsefellesskap, verbose_name=_("helsefellesskap"), null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    # Owners only (prosjekteiere), as the application said: the statistics of ownership, equality and
    # inter-municipal cooperation count these. The partners are in participants().
    municipalities = models.ManyToManyField(Municipality, verbose_name=_("kommuner (eiere)"), blank=True, related_name="grants")
    trusts = models.ManyToManyField(HealthTrust, verbose_name=_("helseforetak (eiere)"), blank=True, related_name="grants")
    pre_project = models.CharField(_("forprosjekt"), max_length=10, choices=PreProject.choices, default=PreProject.NO)
    round_label = models.CharField(_("tildelingsrunde"), max_length=200, blank=True)
    reference = models.CharField(_("kilde / vedtak"), max_length=300, blank=True)
    description = models.TextField(_("beskrivelse"), blank=True)
    # Classification for statistics (Fafo tables 10 and 11), set by the secretariat through
    # funding.classification.classify_grant. An empty list means "none" once classified_at is
    # set and "not classified" while it is null; a list filled in without classified_at (older
    # data, imports) still counts with its codes. See catalogue.statistics.
    themes = models.JSONField(_("tema"), default=list, blank=True)
    patient_groups = models.JSONField(_("prioriterte pasientgrupper"), default=list, blank=True)
    digital_home_follow_up = models.CharField(
        _("digital hjemmeoppfølging"), max_length=10, choices=Answer.choices, default=Answer.UNKNOWN
    )
    task_shifting = models.CharField(
        _("oppgavedeling mellom nivåene"), max_length=10, choices=Answer.choices, default=Answer.UNKNOWN
    )
    classified_at = models.DateTimeField(_("klassifisert"), null=True, blank=True, editable=False)
    classified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("klassifisert av"), null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    initiated_by = models.CharField(
        _("tatt initiativ av"),
        max_length=20,
        blank=True,
        choices=[("municipality", _("Kommune")), ("trust", _("Helseforetak")), ("joint", _("Begge sammen"))],
    )
    published = models.BooleanField(_("vises i den åpne prosjektkatalogen"), default=True)
    # A grant decided outside the portal's calls (by a committee's own process, a board, an
    # earlier year) is registered with the decision's facts and its own partners, since there is
    # no application to read them from (funding.registration.register_grant).
    registered_elsewhere = models.BooleanField(_("vedtatt utenfor portalen"), default=False, editable=False)
    decided_by_body = models.ForeignKey(
        Body, verbose_name=_("vedtatt av (organ)"), null=True, blank=True, on_delete=models.PROTECT, related_name="registered_grants"
    )
    decided_by_text = models.CharField(_("vedtatt av"), max_length=200, blank=True)
    decided_on = models.DateField(_("vedtaksdato"), null=True, blank=True)
    decision_reason = models.TextField(_("begrunnelse for vedtaket"), blank=True)
    partner_municipalities = models.ManyToManyField(
        Municipality, verbose_name=_("kommuner (deltakere)"), blank=True, related_name="partner_grants"
    )
    partner_trusts = models.ManyToManyField(HealthTrust, verbose_name=_("helseforetak (deltakere)"), blank=True, related_name="partner_grants")
    created_at = models.DateTimeField(auto_now_add=True)
    # Derived from title and description by save() (see search_fields), so the catalogue
    # search filters in the database instead of stemming every grant on every request.
    search_text = models.TextField(editable=False, blank=True, default="")
    search_stems = models.TextField(editable=False, blank=True, default="")

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["pot", "round_label", "title"]
        verbose_name = _("tilskudd")
        verbose_name_plural = _("tilskudd")

    def __str__(self) -> str:
        return self.title

    def owners(self) -> list:
        """The organisations that own the project (municipalities first)."""
        return [*self.municipalities.all(), *self.trusts.all()]

    def partners(self) -> list:
        """Organisations taking part without owning the project, as registered for a grant
        decided outside the portal (a grant decided on an application has them there)."""
        return [*self.partner_municipalities.all(), *self.partner_trusts.all()]

    @property
    def decided_by(self) -> str:
        """Who decided a grant registered from elsewhere: the body's name or the text typed."""
        return self.decided_by_body.name if self.decided_by_body_id else self.decided_by_text

    def participants(self) -> list:
        """Every organisation taking part, owners and partners.

        The many-to-many fields `municipalities` and `trusts` hold the owners only; the
        partners are read from the application the grant was decided on, or, for a grant
        registered from a decision made elsewhere, from its own partner fields."""
        decision = getattr(self, "decision", None)
        if decision is None or not decision.application_id:
            return self.owners() + self.partners()
        return [p.organisation for p in decision.application.participants.select_related("municipality", "trust", "district")]

    @property
    def classified(self) -> bool:
        return self.classified_at is not None

    def refresh_search_fields(self) -> None:
        self.search_text, self.search_stems = search_fields(self.title, self.description)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or SEARCH_SOURCES & set(update_fields):
            self.refresh_search_fields()
            if update_fields is not None:
                kwargs["update_fields"] = list(dict.fromkeys([*update_fields, *SEARCH_FIELDS]))
        super().save(*args, **kwargs)


class Commitment(models.Model):
    """Money of one pot-year promised away: to a grant, or transferred to a child pot."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Tilskudd")
        TRANSFER = "transfer", _("Overføring til annen pott")
        ALLOCATION = "allocation", _("Tildeling uten prosjektfordeling")

    class Status(models.TextChoices):
        FIRM = "firm", _("Bindende")
        CONDITIONAL = "conditional", _("Betinget av framdrift")
        RELEASED = "released", _("Frigjort")

    ACTIVE = [Status.FIRM, Status.CONDITIONAL]

    pot_year = models.ForeignKey(PotYear, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("beløp (kr)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.FIRM)
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="commitments")
    recipient_pot = models.ForeignKey(Pot, null=True, blank=True, on_delete=models.PROTECT, related_name="incoming")
    description = models.CharField(_("beskrivelse"), max_length=300, blank=True)
    release_reason = models.CharField(_("begrunnelse for frigjøring"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pot_year", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="commitment_positive"),
            models.CheckConstraint(
                condition=Q(kind="grant", grant__isnull=False, recipient_pot__isnull=True)
                | Q(kind="transfer", grant__isnull=True, recipient_pot__isnull=False)
                | Q(kind="allocation", grant__isnull=True, recipient_pot__isnull=True),
                name="commitment_target_matches_kind",
            ),
        ]
        verbose_name = _("tilsagn")
        verbose_name_plural = _("tilsagn")

    def __str__(self) -> str:
        return f"{self.pot_year}: {self.amount} kr ({self.get_status_display()})"
