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


def notify(recipients: Iterable, subject: str, body: str, *, category: str = "required", link: str = "") -> list[Notification]:
    """Tell people: an entry in each user's list in the portal and an e-mail in the queue, sent
    after commit by the send_notifications command, as each user chose for `category`
    (core/notifications.py). `recipients` are e-mail addresses or users."""
    from .notifications import deliver

    return deliver(recipients, subject, body, category=category, link=link)
