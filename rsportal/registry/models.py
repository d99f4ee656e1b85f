"""The organisation registry: who is who in the RS grant.

The registry is data, loaded from the CSV snapshots in `registry/data/` or from
SSB files with the import commands, never written into code.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RegionalHealthAuthority(models.Model):
    code = models.CharField(_("kode"), max_length=8, unique=True)
    name = models.CharField(_("navn"), max_length=100)
    # For letterheads and addressees of decision letters; blank where not known (never guessed).
    org_number = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True)
    postal_address = models.TextField(_("postadresse"), blank=True, help_text=_("Slik den skal stå i brev, for eksempel «Postboks 1, 9050 Storsteinnes»."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("regionalt helseforetak")
        verbose_name_plural = _("regionale helseforetak")

    def __str__(self) -> str:
        return self.name


class NationalGrant(models.Model):
    """The RS grant in the state budget for one year, as the public sources give it.

    Reference data beside the registry's population figures: the money pages set the
    appropriations booked in the portal against it, so a year whose split between the RHFs
    is not known says so instead of looking complete. `amount` is empty where no source
    gives the year's figure."""

    year = models.PositiveSmallIntegerField(_("år"), unique=True)
    amount = models.PositiveBigIntegerField(_("beløp (kr)"), null=True, blank=True)
    source = models.CharField(_("kilde"), max_length=300, blank=True)
    note = models.TextField(_("merknad"), blank=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("RS-tilskudd i statsbudsjettet")
        verbose_name_plural = _("RS-tilskudd i statsbudsjettet")

    def __str__(self) -> str:
        return f"{self.year}: {self.amount if self.amount is not None else '-'}"


class County(models.Model):
    number = models.CharField(_("fylkesnummer"), max_length=2, unique=True)
    name = models.CharField(_("navn"), max_length=100)

    class Meta:
        ordering = ["number"]
        verbose_name = _("fylke")
        verbose_name_plural = _("fylker")

    def __str__(self) -> str:
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def with_population(self, on: datetime.date | None = None):
        """Annotate `population` and `population_date`: the latest figure on or before `on`."""
        figures = PopulationFigure.objects.filter(municipality=models.OuterRef("pk"))
        if on is not None:
            figures = figures.filter(date__lte=on)
        figures = figures.order_by("-date")
        return self.annotate(
            population=models.Subquery(figures.values("population")[:1]),
            population_date=models.Subquery(figures.values("date")[:1]),
        )


HERAD = {"4620", "4621", "4622"}  # Ulvik, Voss and Kvam herad


class Municipality(models.Model):
    number = models.CharField(_("kommunenummer"), max_length=4, unique=True)
    name = models.CharField(_("navn"), max_length=100)
    county = models.ForeignKey(County, verbose_name=_("fylke"), on_delete=models.PROTECT, related_name="municipalities")
    sami_area = models.BooleanField(_("i forvaltningsområdet for samisk språk"), default=False)
    # For letterheads and addressees of decision letters; blank where not known (never guessed).
    org_number = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True)
    postal_address = models.TextField(_("postadresse"), blank=True, help_text=_("Slik den skal stå i brev, for eksempel «Postboks 1, 9050 Storsteinnes»."))
    # The municipality's own inbox (a postmottak), so notices do not depend on one person's address.
    notice_email = models.EmailField(_("e-post for varsler"), blank=True, help_text=_("Kommunens postmottak. Varsler om søknader kommunen er med i og forespørsler om å representere kommunen sendes hit."))

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def official_name(self) -> str:
        """ "Balsfjord kommune", as the municipality is addressed in a letter. Three municipalities
        call themselves "herad" in their official names, and a letter should too."""
        return f"{self.name} {'herad' if self.number in HERAD else 'kommune'}"


class CityDistrict(models.Model):
    """A city district (bydel) of a municipality, such as Oslo's 15: not a municipality of its own,
    but it runs services and takes part in projects, so an application may name it as a participant.

    Everything that counts municipalities (statistics, sides, pre-project caps, ownership) counts the
    district as its municipality: a participant that is a district carries both."""

    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), on_delete=models.PROTECT, related_name="districts")
    name = models.CharField(_("navn"), max_length=100, help_text=_("Slik bydelen kaller seg, for eksempel «Bydel Gamle Oslo»."))
    number = models.CharField(_("bydelsnummer"), max_length=6, blank=True, help_text=_("SSBs bydelsnummer, for eksempel «030101». Kan stå tomt."))
    # For letters, like a municipality's; blank where not known (never guessed).
    org_number = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True)
    postal_address = models.TextField(_("postadresse"), blank=True, help_text=_("Slik den skal stå i brev, for eksempel «Postboks 1, 9050 Storsteinnes»."))

    class Meta:
        ordering = ["municipality__name", "name"]
        constraints = [models.UniqueConstraint(fields=["municipality", "name"], name="district_name_once_per_municipality")]
        verbose_name = _("bydel")
        verbose_name_plural = _("bydeler")

    def __str__(self) -> str:
        return self.name

    @property
    def official_name(self) -> str:
        """ "Oslo kommune, Bydel Gamle Oslo", as the district is addressed in a letter."""
        return f"{self.municipality.official_name}, {self.name}"


class PopulationFigure(models.Model):
    """Registered population of a municipality on a date (SSB table 07459: 1 January)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="population_figures")
    date = models.DateField(_("dato"))
    population = models.PositiveIntegerField(_("folketall"))
    source = models.CharField(_("kilde"), max_length=200, blank=True)

    class Meta:
        ordering = ["municipality", "-date"]
        constraints = [models.UniqueConstraint(fields=["municipality", "date"], name="one_population_per_date")]
        verbose_name = _("folketall")
        verbose_name_plural = _("folketall")

    def __str__(self) -> str:
        return f"{self.municipality.name} {self.date}: {self.population}"


class HealthTrust(models.Model):
    """A hospital trust (helseforetak), or a private non-profit hospital with an operating
    agreement with its RHF (Lovisenberg, Diakonhjemmet, Haraldsplass): such a hospital serves part
    of a trust's area, takes part in applications like a trust, and its applicants are managed by
    the helsefellesskap of that trust."""

    class Kind(models.TextChoices):
        TRUST = "trust", _("Helseforetak")
        PRIVATE = "private", _("Privat ideelt sykehus med driftsavtale")

    code = models.CharField(_("kode"), max_length=8, unique=True)
    name = models.CharField(_("navn"), max_length=120)
    rhf = models.ForeignKey(RegionalHealthAuthority, verbose_name=_("RHF"), on_delete=models.PROTECT, related_name="trusts")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.TRUST)
    area_trust = models.ForeignKey(
        "self",
        verbose_name=_("i opptaksområdet til"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="private_hospitals",
        help_text=_("For et privat ideelt sykehus: helseforetaket det har driftsavtale i området til."),
    )
    # For letterheads and addressees of decision letters; blank where not known (never guessed).
    org_number = models.CharField(_("organisasjonsnummer"), max_length=9, blank=True)
    postal_address = models.TextField(_("postadresse"), blank=True, help_text=_("Slik den skal stå i brev, for eksempel «Postboks 1, 9050 Storsteinnes»."))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="trust", area_trust__isnull=True) | Q(kind="private", area_trust__isnull=False), name="private_hospital_has_area_trust"
            )
        ]
        verbose_name = _("helseforetak")
        verbose_name_plural = _("helseforetak")

    def __str__(self) -> str:
        return self.name

    @property
    def own_trust_id(self) -> int:
        """The trust whose helsefellesskap this one belongs to: itself, or for a private hospital the trust of its area."""
        return self.area_trust_id or self.pk


class Hospital(models.Model):
    name = models.CharField(_("navn"), max_length=120)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), on_delete=models.CASCADE, related_name="hospitals")
    acute = models.BooleanField(_("akuttfunksjoner"), default=True)
    smallest = models.BooleanField(
        _("blant de minste sykehusene"),
        default=False,
        help_text=_("Små akuttsykehus og sykehus uten akuttfunksjoner, hvis opptaksområder prioriteres."),
    )

    class Meta:
        ordering = ["trust__name", "name"]
        constraints = [models.UniqueConstraint(fields=["trust", "name"], name="unique_hospital_per_trust")]
        verbose_name = _("sykehus")
        verbose_name_plural = _("sykehus")

    def __str__(self) -> str:
        return self.name


class Helsefellesskap(models.Model):
    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("navn"), max_length=120)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), on_delete=models.PROTECT, related_name="helsefellesskap")
    rhf = models.ForeignKey(
        RegionalHealthAuthority, verbose_name=_("RHF"), on_delete=models.PROTECT, related_name="helsefellesskap"
    )
    municipalities = models.ManyToManyField(Municipality, through="Membership", related_name="helsefellesskap")

    class Meta:
        ordering = ["rhf__name", "name"]
        verbose_name = _("helsefellesskap")
        verbose_name_plural = _("helsefellesskap")

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day)))


class Membership(models.Model):
    """A municipality's membership of a helsefellesskap for a period.

    A municipality may be in two at once (the Værnes municipalities were in both
    Trøndelag communities until 1 January 2026), so memberships carry dates.
    """

    helsefellesskap = models.ForeignKey(Helsefellesskap, on_delete=models.CASCADE, related_name="memberships")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="memberships")
    valid_from = models.DateField(_("gyldig fra"))
    valid_to = models.DateField(_("gyldig til"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["helsefellesskap", "municipality__number", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["helsefellesskap", "municipality", "valid_from"], name="unique_membership_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")), name="membership_period_order"
            ),
        ]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")

    def __str__(self) -> str:
        return f"{self.municipality.name} i {self.helsefellesskap.name}"


class Body(models.Model):
    """A body (organ) of a helsefellesskap or an RHF: SSU, FSU, AU, secretariat, committees."""

    class Kind(models.TextChoices):
        PARTNERSHIP = "partnership", _("Partnerskapsmøte / dialogmøte")
        SSU = "ssu", _("Strategisk samarbeidsutvalg (SSU/ASU)")
        FSU = "fsu", _("Faglig samarbeidsutvalg (FSU/fagråd)")
        LSU = "lsu", _("Lokalt samarbeidsutvalg / områdeutvalg")
        AU = "au", _("Arbeidsutvalg (AU)")
        ASSESSMENT = "assessment", _("Vurderingsnemnd / søknadskomité")
        SECRETARIAT = "secretariat", _("Sekretariat")
        ALLOCATION = "allocation", _("Regionalt tildelingsutvalg")

    class DecisionRule(models.TextChoices):
        MAJORITY_CASTING = "majority", _("Flertall, leders dobbeltstemme ved likhet")
        CONSENSUS = "consensus", _("Konsensus kreves")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("navn"), max_length=160)
    helsefellesskap = models.ForeignKey(
        Helsefellesskap, verbose_name=_("helsefellesskap"), null=True, blank=True, on_delete=models.CASCADE, related_name="bodies"
    )
    rhf = models.ForeignKey(
        RegionalHealthAuthority, verbose_name=_("RHF"), null=True, blank=True, on_delete=models.CASCADE, related_name="bodies"
    )
    class Quorum(models.TextChoices):
        # Kommuneloven § 11-9 says "at least half"; many bodies' own rules say "more than half".
        MORE_THAN_HALF = "more_than_half", _("Mer enn halvparten av de stemmeberettigede til stede og habile")
        AT_LEAST_HALF = "at_least_half", _("Minst halvparten av de stemmeberettigede til stede og habile")

    decision_rule = models.CharField(
        _("beslutningsregel"), max_length=20, choices=DecisionRule.choices, default=DecisionRule.MAJORITY_CASTING
    )
    quorum = models.CharField(_("vedtaksført når"), max_length=20, choices=Quorum.choices, default=Quorum.MORE_THAN_HALF)
    requires_both_sides = models.BooleanField(
        _("krever begge parter"),
        default=False,
        help_text=_("Vedtaksført bare når både kommunesiden og foretakssiden (HF eller RHF) er til stede med habile, stemmeberettigede medlemmer."),
    )

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(helsefellesskap__isnull=False, rhf__isnull=True) | Q(helsefellesskap__isnull=True, rhf__isnull=False),
                name="body_belongs_to_one_owner",
            )
        ]
        verbose_name = _("organ")
        verbose_name_plural = _("organer")

    def __str__(self) -> str:
        owner = self.helsefellesskap or self.rhf
        return f"{self.name} ({owner})"

    @property
    def owner_rhf(self) -> RegionalHealthAuthority:
        return self.rhf if self.rhf_id else self.helsefellesskap.rhf

    def quorum_needed(self, voting_seats: int) -> int:
        """How many voting members must be present and not conflicted for the body to decide."""
        if self.quorum == self.Quorum.AT_LEAST_HALF:
            return (voting_seats + 1) // 2
        return voting_seats // 2 + 1


class BodyMemberQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        return self.filter(Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day)))


class BodyMember(models.Model):
    """A seat in a body for a period. Committee, chair, observer and secretariat
    access all derive from these seats, so the membership list is the permission list."""

    class Side(models.TextChoices):
        MUNICIPALITY = "municipality", _("Kommune")
        TRUST = "trust", _("Helseforetak")
        RHF = "rhf", _("Regionalt helseforetak")
        USER_REP = "user_rep", _("Brukerrepresentant")
        GP = "gp", _("Fastlege")
        UNION = "union", _("Tillitsvalgt / verneombud")
        KS = "ks", _("KS")
        OTHER = "other", _("Annet")

    class Role(models.TextChoices):
        LEADER = "leader", _("Leder")
        DEPUTY = "deputy", _("Nestleder")
        MEMBER = "member", _("Medlem")
        SECRETARY = "secretary", _("Sekretær")
        OBSERVER = "observer", _("Observatør (tale- og forslagsrett)")
        # Some bodies have a secretary who is one of the members (STU: board case 154-2024),
        # others a minute-taker from the secretariat beside the members, who never votes.
        MINUTE_TAKER = "minute_taker", _("Referent (uten stemmerett)")

    # The two parties of a helsefellesskap; quorum rules that require both sides count these.
    MUNICIPAL_SIDES = (Side.MUNICIPALITY,)
    SPECIALIST_SIDES = (Side.TRUST, Side.RHF)

    body = models.ForeignKey(Body, verbose_name=_("organ"), on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("bruker"), null=True, blank=True, on_delete=models.SET_NULL, related_name="seats"
    )
    name = models.CharField(_("navn"), max_length=160)
    side = models.CharField(_("side"), max_length=20, choices=Side.choices)
    role = models.CharField(_("rolle"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    voting = models.BooleanField(_("stemmerett"), default=True)
    basis = models.CharField(
        _("grunnlag for setet"), max_length=200, blank=True, help_text=_("Hva setet og stemmeretten bygger på, for eksempel «Styresak 154-2024: oppnevnt av adm. dir.».")
    )
    municipality = models.ForeignKey(Municipality, verbose_name=_("representerer kommune"), null=True, blank=True, on_delete=models.SET_NULL)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("representerer helseforetak"), null=True, blank=True, on_delete=models.SET_NULL)
    start = models.DateField(_("fra"))
    end = models.DateField(_("til"), null=True, blank=True)

    objects = BodyMemberQuerySet.as_manager()

    class Meta:
        ordering = ["body", "role", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(role="observer") | Q(voting=False), name="observers_do_not_vote"),
            models.CheckConstraint(condition=~Q(role="minute_taker") | Q(voting=False), name="minute_takers_do_not_vote"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="seat_period_order"),
        ]
        verbose_name = _("medlem av organ")
        verbose_name_plural = _("medlemmer av organer")

    def __str__(self) -> str:
        return f"{self.name}, {self.get_role_display()} i {self.body.name}"

    @property
    def voting_label(self) -> str:
        """The voting right with its reason, for the body page and the minutes."""
        if self.voting:
            return _("Ja")
        if self.role == self.Role.OBSERVER:
            return _("Nei, observatør med tale- og forslagsrett")
        if self.role == self.Role.MINUTE_TAKER:
            return _("Nei, referent")
        return _("Nei, møte- og talerett")

    @property
    def party(self) -> str:
        """"municipality", "specialist" or "" (user representatives, GPs, unions and others)."""
        if self.side in self.MUNICIPAL_SIDES:
            return "municipality"
        if self.side in self.SPECIALIST_SIDES:
            return "specialist"
        return ""
