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
