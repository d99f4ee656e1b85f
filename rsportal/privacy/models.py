"""Privacy records: who viewed whose personal data, and attachments removed by retention."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rsportal.applications.models import Attachment
from rsportal.core.models import AppendOnlyError
from rsportal.registry.models import Helsefellesskap


class PersonalDataView(models.Model):
    """One person's data shown to one signed-in user: one row per person per page view.

    Rows are append-only like the audit trail. The one exception is anonymise_person in
    domain.py, which blanks the identifying fields of the *viewed person* through a
    queryset update; who looked, when, at what and why always stays.
    """

    class Reason(models.TextChoices):
        APPLICATION = "application", _("Leste søknaden")
        VERSION = "application_version", _("Leste en innsendt versjon av søknaden")
        ATTACHMENT = "attachment", _("Lastet ned vedlegg")
        CATALOGUE = "catalogue", _("Åpnet prosjektet i prosjektkatalogen")

    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("vist for"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("grunn"), max_length=40, choices=Reason.choices)
    object_type = models.CharField(_("objekttype"), max_length=80)
    object_id = models.CharField(_("objekt-ID"), max_length=64)
    object_label = models.CharField(_("objekt"), max_length=300)
    detail = models.CharField(_("del"), max_length=200, blank=True)
    helsefellesskap = models.ForeignKey(
        Helsefellesskap, verbose_name=_("helsefellesskap"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person_name = models.CharField(_("person"), max_length=200, blank=True)
    person_email = models.CharField(_("personens e-post"), max_length=254, blank=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("visning av personopplysninger")
        verbose_name_plural = _("visninger av personopplysninger")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.viewer_id} → {self.person_email or self.person_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("View records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("View records cannot be deleted")


class AttachmentDisposal(models.Model):
    """The file of an attachment was deleted by the retention rules; the row stays as a trace."""

    class Rule(models.TextChoices):
        DRAFT = "draft", _("Utkast som aldri ble sendt inn")
        NOT_GRANTED = "not_granted", _("Søknad som ikke fikk tilskudd")

    attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE, related_name="disposal")
    disposed_at = models.DateTimeField(_("slettet"), auto_now_add=True)
    rule = models.CharField(_("regel"), max_length=20, choices=Rule.choices)
    retention_years = models.PositiveSmallIntegerField(_("oppbevaringstid (år)"))
    clock_started = models.DateTimeField(_("oppbevaringstiden løp fra"))

    class Meta:
        ordering = ["-disposed_at"]
        verbose_name = _("slettet vedleggsfil")
        verbose_name_plural = _("slettede vedleggsfiler")
