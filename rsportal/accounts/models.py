"""Roles held through an organisation.

Seats in bodies (secretariat, committee member, chair, observer) are
registry.BodyMember rows with a user; the roles here are the ones held on behalf
of an organisation: applying for a municipality or a trust, and administering an
RHF's money. System administrators are Django superusers.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rsportal.registry.models import HealthTrust, Municipality, RegionalHealthAuthority


class OrganisationRoleQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        return self.filter(Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day)))


class OrganisationRole(models.Model):
    class Kind(models.TextChoices):
        APPLICANT = "applicant", _("Søker")
        RHF_ADMIN = "rhf_admin", _("RHF-administrator")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_roles")
    kind = models.CharField(_("rolle"), max_length=20, choices=Kind.choices)
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.CASCADE)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.CASCADE)
    rhf = models.ForeignKey(RegionalHealthAuthority, verbose_name=_("RHF"), null=True, blank=True, on_delete=models.CASCADE)
    valid_from = models.DateField(_("gyldig fra"), default=datetime.date.today)
    valid_to = models.DateField(_("gyldig til"), null=True, blank=True)

    objects = OrganisationRoleQuerySet.as_manager()

    class Meta:
        ordering = ["user", "kind"]
        constraints = [
            # An applicant speaks for exactly one municipality or trust; an RHF admin for one RHF.
            models.CheckConstraint(
                condition=(
                    Q(kind="applicant", rhf__isnull=True)
                    & (Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False))
                )
                | Q(kind="rhf_admin", rhf__isnull=False, municipality__isnull=True, trust__isnull=True),
                name="role_has_matching_scope",
            )
        ]
        verbose_name = _("organisasjonsrolle")
        verbose_name_plural = _("organisasjonsroller")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} for {self.organisation}"

    @property
    def organisation(self):
        return self.municipality or self.trust or self.rhf


class Invitation(models.Model):
    """A one-time link by e-mail that gives a person an organisation role or a seat.

    Only a digest of the token is stored: someone reading the database (or a backup) cannot use
    a pending invitation. The link works once and for a fortnight."""

    VALID_DAYS = 14

    email = models.EmailField(_("e-post"))
    name = models.CharField(_("navn"), max_length=160)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # What it grants: a seat (already made, with the person's name) or an organisation role.
    seat = models.ForeignKey(
        "registry.BodyMember", verbose_name=_("sete"), null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(_("rolle"), max_length=20, choices=OrganisationRole.Kind.choices, blank=True)
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.CASCADE)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.CASCADE)
    rhf = models.ForeignKey(RegionalHealthAuthority, verbose_name=_("RHF"), null=True, blank=True, on_delete=models.CASCADE)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invitert av"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sendt"), auto_now_add=True)
    expires_at = models.DateTimeField(_("utløper"))
    used_at = models.DateTimeField(_("brukt"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("brukt av"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seat__isnull=False, kind="") | Q(seat__isnull=True) & ~Q(kind=""), name="invitation_grants_seat_or_role"
            )
        ]
        verbose_name = _("invitasjon")
        verbose_name_plural = _("invitasjoner")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def organisation(self):
        return self.municipality or self.trust or self.rhf

    @property
    def grants(self) -> str:
        if self.seat_id:
            return _("%(role)s i %(body)s") % {"role": self.seat.get_role_display(), "body": self.seat.body.name}
        return _("%(role)s for %(org)s") % {"role": self.get_kind_display(), "org": self.organisation}


class RepresentationRequest(models.Model):
    """A signed-in person asks to apply on behalf of a municipality or a trust; the secretariat
    that gives applicant roles for it approves (the role is made) or refuses (with a reason)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Venter på svar")
        APPROVED = "approved", _("Godkjent")
        REFUSED = "refused", _("Avslått")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="representation_requests")
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.CASCADE)
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.CASCADE)
    message = models.TextField(_("melding"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("sendt"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("besvart av"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("besvart"), null=True, blank=True)
    reason = models.TextField(_("begrunnelse"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False),
                name="request_for_one_organisation",
            ),
            # A second click (or a second tab) must not queue the same question twice.
            models.UniqueConstraint(fields=["user", "municipality"], condition=Q(status="pending"), name="one_pending_request_per_municipality"),
            models.UniqueConstraint(fields=["user", "trust"], condition=Q(status="pending"), name="one_pending_request_per_trust"),
        ]
        verbose_name = _("forespørsel om å representere")
        verbose_name_plural = _("forespørsler om å representere")

    def __str__(self) -> str:
        return f"{self.user}: {self.organisation}"

    @property
    def organisation(self):
        return self.municipality or self.trust
