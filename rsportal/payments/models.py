"""Money out of a grant: payment requests (utbetalingsanmodninger) against the commitment, the
pot's payment plan, and the money the owner passes on to its partners.

A helsefellesskap has no organisation number, so the grant is paid to one owner, which passes
each partner its share; the transfer records make that visible to both sides."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rsportal.core.uploads import new_token
from rsportal.followup.models import Payment, Report
from rsportal.funding.models import Grant, Pot
from rsportal.registry.models import HealthTrust, Municipality


class PaymentPlan(models.Model):
    """How a pot pays its grants: a share of each year's commitment may be requested at the start,
    the rest only with a delivered report. A pot without a plan uses its parent's (like the
    reporting rules); with none at all, the whole year may be requested without a report."""

    pot = models.OneToOneField(Pot, on_delete=models.CASCADE, related_name="payment_plan")
    advance_percent = models.PositiveSmallIntegerField(
        _("andel som kan utbetales ved oppstart (prosent)"), default=50, help_text=_("Resten utbetales når prosjektet har levert rapport.")
    )

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(advance_percent__lte=100), name="advance_at_most_everything")]
        verbose_name = _("utbetalingsplan")
        verbose_name_plural = _("utbetalingsplaner")

    def __str__(self) -> str:
        return f"{self.pot}: {self.advance_percent} %"


class PaymentRequest(models.Model):
    """A request from the owning participant to be paid part of a year's commitment."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Til behandling")
        RETURNED = "returned", _("Sendt tilbake")
        APPROVED = "approved", _("Godkjent, ikke utbetalt")
        PAID = "paid", _("Utbetalt")

    # Requested money that still counts against the year's commitment.
    OPEN = [Status.SUBMITTED, Status.APPROVED, Status.PAID]

    grant = models.ForeignKey(Grant, verbose_name=_("tilskudd"), on_delete=models.PROTECT, related_name="payment_requests")
    year = models.PositiveSmallIntegerField(_("tilskuddsår"))
    period_start = models.DateField(_("perioden fra"))
    period_end = models.DateField(_("perioden til"))
    amount = models.PositiveBigIntegerField(_("beløp som anmodes utbetalt (kr)"))
    own_contribution = models.PositiveBigIntegerField(_("egenandel levert i perioden (kr)"), default=0)
    report = models.ForeignKey(Report, verbose_name=_("rapport"), null=True, blank=True, on_delete=models.PROTECT, related_name="payment_requests")
    # The owner that is paid: its organisation number goes to the accounting system.
    recipient_municipality = models.ForeignKey(Municipality, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recipient_trust = models.ForeignKey(HealthTrust, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    # Who asked (an applicant of the owner) and who typed it into the portal (the same person, or
    # the secretariat registering a request that came by letter). Neither may approve it.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("anmodet av"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_by_name = models.CharField(_("anmodet av (navn)"), max_length=200, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registrert av"), on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("sendt inn"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("behandlet av"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("behandlet"), null=True, blank=True)
    return_reason = models.TextField(_("begrunnelse for å sende tilbake"), blank=True)
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="request")
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_request_positive"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="payment_request_period_in_order"),
            models.CheckConstraint(
                condition=Q(recipient_municipality__isnull=False, recipient_trust__isnull=True) | Q(recipient_municipality__isnull=True, recipient_trust__isnull=False),
                name="payment_request_one_recipient",
            ),
        ]
        verbose_name = _("utbetalingsanmodning")
        verbose_name_plural = _("utbetalingsanmodninger")

    def __str__(self) -> str:
        return f"{self.grant}: {self.year} ({self.get_status_display()})"

    @property
    def recipient(self):
        return self.recipient_municipality or self.recipient_trust

    @property
    def requester_name(self) -> str:
        from rsportal.core.formatting import person_name

        return person_name(self.requested_by) if self.requested_by_id else self.requested_by_name


def documentation_path(instance, filename):
    # A random name on disk, never the user's (path tricks, personal data); the name is kept for the download.
    return f"payment-requests/{instance.request_id}/{new_token()}"


class CostLine(models.Model):
    """Costs one participant incurred in the period, with its documentation."""

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="costs")
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField(_("påløpte kostnader (kr)"))
    documentation = models.FileField(_("dokumentasjon"), upload_to=documentation_path, blank=True)
    documentation_name = models.CharField(_("filnavn"), max_length=255, blank=True)
    documentation_content_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["request", "trust", "municipality__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False),
                name="cost_line_one_organisation",
            )
        ]
        verbose_name = _("kostnadslinje")
        verbose_name_plural = _("kostnadslinjer")

    @property
    def organisation(self):
        return self.municipality or self.trust


class PartnerRecord(models.Model):
    """Money between the owner and one partner for a grant year: an invoice the partner sent the
    owner, or a transfer the owner made to the partner."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Fakturert")
        TRANSFER = "transfer", _("Overført")

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="partner_records")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("tilskuddsår"))
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField(_("beløp (kr)"))
    on = models.DateField(_("dato"))
    reference = models.CharField(_("referanse"), max_length=100, blank=True, help_text=_("Fakturanummer eller bilagsnummer."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grant", "year", "on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="partner_record_positive"),
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False),
                name="partner_record_one_organisation",
            ),
        ]
        verbose_name = _("penger mellom partnere")
        verbose_name_plural = _("penger mellom partnere")

    @property
    def organisation(self):
        return self.municipality or self.trust
