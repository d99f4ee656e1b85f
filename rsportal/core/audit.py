"""Helpers every domain function uses to leave its trace."""

from collections.abc import Iterable

from django.db import models

from .models import AuditEvent, Notification


def record(actor, action: str, obj: models.Model, summary: str, **data) -> AuditEvent:
    """Append one audit event for `obj`. Call inside the domain function's transaction."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary,
        data=data,
    )


def notify(recipients: Iterable[str], subject: str, body: str) -> list[Notification]:
    """Queue e-mails; they are sent after commit by the send_notifications command."""
    return Notification.objects.bulk_create(
        [Notification(recipient=r, subject=subject, body=body) for r in sorted(set(recipients)) if r]
    )
