"""Project ideas: what a municipality or trust would like to try, before there is a call to apply to.

The evaluation found that small municipalities seldom take part because writing an application is
a craft of its own. An idea is a few lines; the secretariat sees it, finds similar projects and
suggests partners, and when a call opens the idea becomes a draft application with its text."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rsportal.registry.models import HealthTrust, Helsefellesskap, Municipality


class Idea(models.Model):
    helsefellesskap = models.ForeignKey(Helsefellesskap, verbose_name=_("helsefellesskap"), on_delete=models.PROTECT, related_name="ideas")
    # The organisation the idea belongs to: one municipality or one trust (like an application's owner).
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.PROTECT, related_name="ideas")
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.PROTECT, related_name="ideas")
    title = models.CharField(_("arbeidstittel"), max_length=300)
    problem = models.TextField(_("hvilket problem vil dere løse"))
    approach = models.TextField(_("hva vil dere prøve ut"))
    target_group = models.TextField(_("målgruppe"), blank=True)
    looking_for_partners = models.BooleanField(_("vi søker samarbeidspartnere"), default=False)
    wanted_partners = models.TextField(_("hvilke kommuner eller helseforetak vil dere gjerne samarbeide med"), blank=True)
    contact_name = models.CharField(_("kontaktperson"), max_length=200)
    contact_email = models.EmailField(_("e-post"))
    contact_phone = models.CharField(_("telefon"), max_length=40, blank=True)
    # The draft application the idea became; an idea becomes one application at most.
    application = models.OneToOneField(
        "applications.Application", verbose_name=_("søknad"), null=True, blank=True, on_delete=models.SET_NULL, related_name="idea", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)  # optimistic locking: a stale save is refused
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False),
                name="idea_is_one_organisation",
            ),
        ]
        verbose_name = _("prosjektidé")
        verbose_name_plural = _("prosjektidéer")

    def __str__(self) -> str:
        return self.title

    @property
    def organisation(self):
        return self.municipality or self.trust


class PartnerLink(models.Model):
    """A municipality or trust the secretariat suggested as partner for an idea, and whether both
    sides have agreed (connected). Connected partners join the draft application as participants."""

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("foreslått")
        CONNECTED = "connected", _("koblet")

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="partners")
    municipality = models.ForeignKey(Municipality, verbose_name=_("kommune"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    trust = models.ForeignKey(HealthTrust, verbose_name=_("helseforetak"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUGGESTED)
    note = models.TextField(_("begrunnelse"), blank=True)
    suggested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    suggested_at = models.DateTimeField(auto_now_add=True)
    connected_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["idea", "suggested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(municipality__isnull=False, trust__isnull=True) | Q(municipality__isnull=True, trust__isnull=False),
                name="partner_is_one_organisation",
            ),
            models.UniqueConstraint(fields=["idea", "municipality"], condition=Q(municipality__isnull=False), name="municipality_once_per_idea"),
            models.UniqueConstraint(fields=["idea", "trust"], condition=Q(trust__isnull=False), name="trust_once_per_idea"),
        ]
        verbose_name = _("partner")
        verbose_name_plural = _("partnere")

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def organisation(self):
        return self.municipality or self.trust
