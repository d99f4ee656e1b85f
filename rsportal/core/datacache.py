"""Caching of what is the same for everyone until the data changes (the public statistics and
catalogue, the population per day): worth computing once per change rather than once per request.

Everything is stored under a data version (a random token in the shared cache). Saving or
deleting anything the public pages read (grants, commitments, their owners and
classification, decisions and refused applications, the registry and its population figures)
replaces the token, so the next request computes afresh: never stale, never time-based. The
token is replaced when the change is made and again when its transaction commits, so a request
that read the old rows in between cannot leave them under the new token.

Only with a cache that every worker shares (RSPORTAL_CACHE_URL, Redis): with memory caches per
process, a change made in one worker could not reach the others' copies, so the pages are then
computed on every request (settings.RSPORTAL_PUBLIC_PAGE_CACHE).
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "public-data-version"
T = TypeVar("T")


def enabled() -> bool:
    return getattr(settings, "RSPORTAL_PUBLIC_PAGE_CACHE", False)


def version() -> str:
    token = cache.get(VERSION_KEY)
    if token is None:
        # add: of two workers starting at once, both end up with the first one's token.
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        token = cache.get(VERSION_KEY)
    return token


def _replace() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def bump() -> None:
    """The public data changed: now, and once more when the transaction commits."""
    if not enabled():
        return
    _replace()
    transaction.on_commit(_replace)


def get_or_build(name: str, parts: tuple, build: Callable[[], T]) -> T:
    """The value cached for `name` with `parts` under the current data version, built and
    stored when missing. `parts` must hold everything the value depends on besides the data."""
    if not enabled():
        return build()
    # Hashed: parts may hold a visitor's search text, which is no fit for a cache key as it is.
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    key = f"public:{version()}:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = build()
        # The key is dead once the version moves on; a day lets the cache drop old ones.
        cache.set(key, value, 24 * 3600)
    return value


def _changed(sender, **kwargs) -> None:
    bump()


def _audited(sender, instance, **kwargs) -> None:
    # Only grant and commitment records date the statistics ("last changed"); the rest of the
    # audit trail (logins, scores) says nothing the public pages show.
    if instance.object_type in ("funding.grant", "funding.commitment"):
        bump()


def connect() -> None:
    """Replace the version on every write to a model the public pages read (called by the app config)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from rsportal.applications.models import Application, Call, Participant
    from rsportal.assessment.models import Decision
    from rsportal.core.models import AuditEvent
    from rsportal.followup.models import AfterProject
    from rsportal.funding.models import Commitment, Grant, Pot, PotYear
    from rsportal.registry import models as registry

    watched = [
        Grant,
        Commitment,
        Pot,
        PotYear,
        Decision,
        Application,
        Participant,
        Call,
        AfterProject,  # the statistics' "in ordinary operation" figures
        registry.RegionalHealthAuthority,
        registry.County,
        registry.Municipality,
        registry.PopulationFigure,
        registry.HealthTrust,
        registry.Helsefellesskap,
        registry.Membership,
        registry.CityDistrict,
    ]
    for model in watched:
        post_save.connect(_changed, sender=model, dispatch_uid=f"public-cache-save-{model._meta.label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"public-cache-delete-{model._meta.label}")
    post_save.connect(_audited, sender=AuditEvent, dispatch_uid="public-cache-audit")
    for field in Grant._meta.many_to_many:
        through = field.remote_field.through
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"public-cache-m2m-{through._meta.label}")
