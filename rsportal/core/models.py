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
    # Who the mail is for when the address belongs to a user, and what it is about (see
    # core/notifications.py); blank for a municipality's postmottak or a contact person.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(_("kategori"), max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("varsel")
        verbose_name_plural = _("varsler")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"


class Notice(models.Model):
    """One entry in a user's list of notifications ("Varsler") in the portal.

    Written beside the e-mail by core.notifications.deliver. `digest_pending` marks an entry
    that the user wants in the daily digest and that no digest has carried yet."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    category = models.CharField(_("kategori"), max_length=20)
    subject = models.CharField(_("emne"), max_length=200)
    body = models.TextField(_("tekst"))
    link = models.CharField(_("lenke"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("lest"), null=True, blank=True)
    digest_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["digest_pending", "user"])]
        verbose_name = _("varsel i portalen")
        verbose_name_plural = _("varsler i portalen")

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """How a user wants one category of notifications by e-mail. No row: the category's default."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Med en gang")
        DIGEST = "digest", _("Daglig oppsummering")
        OFF = "off", _("Av")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    category = models.CharField(_("kategori"), max_length=20)
    mode = models.CharField(_("e-post"), max_length=10, choices=Mode.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="one_preference_per_category")]
        verbose_name = _("varslingsvalg")
        verbose_name_plural = _("varslingsvalg")


class ReminderSent(models.Model):
    """That a reminder about one deadline (`key`, e.g. "deadline:12") went to one user. The unique
    pair is what makes `rsportal send_reminders` safe to run again: a second run finds the row."""

    key = models.CharField(max_length=80)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "user"], name="one_reminder_per_deadline_and_user")]
