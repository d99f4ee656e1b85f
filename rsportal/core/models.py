"""Cross-cutting records: the append-only audit trail and the notification queue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditEvent(models.Model):
    """One state change, written by the domain function that made it.

    Rows are never updated or deleted: the trail is the secretariat's evidence of
    who changed what, so the model refuses both (the admin is read-only too).
    """

    at = models.DateTimeField(_("tidspunkt"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utført av"), null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(_("handling"), max_length=80, db_index=True)
    object_type = models.CharField(_("objekttype"), max_length=80)
    object_id = models.CharField(_("objekt-ID"), max_length=64)
    summary = models.TextField(_("sammendrag"))
    data = models.JSONField(_("detaljer"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("revisjonsspor-hendelse")
        verbose_name_plural = _("revisjonsspor")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}: {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted")


class Notification(models.Model):
    """An e-mail waiting to be sent by `manage.py send_notifications`.

    Queued inside the same transaction as the state change, so a rolled-back
    change never sends mail and a committed one is never forgotten.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    recipient = models.EmailField(_("mottaker"))
    subject = models.CharField(_("emne"), max_length=200)
    body = models.TextField(_("tekst"))
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("varsel")
        verbose_name_plural = _("varsler")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"
