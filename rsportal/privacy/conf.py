"""Retention periods for attachments, read from the environment.

The defaults follow how Norwegian public bodies treat grant cases (the RHF and HF are
covered by the Archives Act):

* A draft that was never submitted never reached the public body: it is not a case
  document and nobody has a duty to keep it. One year after its last change it is
  clearly abandoned (RSPORTAL_DRAFT_RETENTION_YEARS, default 1).
* An application that ended without a grant (rejected, asked to re-apply, failed the
  formal check, withdrawn, or its call closed without a decision for it) is a case
  document. Case files of grant schemes that did not lead to a payment are normally
  approved for disposal after a few years; five years covers the appeal and complaint
  routes, the general three-year limitation period and matches the five-year retention
  of accounting documentation in the Bookkeeping Act, which the secretariat also uses
  when a rejected project re-applies (RSPORTAL_ATTACHMENT_RETENTION_YEARS, default 5).
* Attachments of granted applications are never deleted here: they document the basis
  for paying out public money and belong to the grant's accounts and the archive.

A deployment whose records schedule (bevarings- og kassasjonsplan) says otherwise sets
the variables; Django settings of the same name override the environment (tests do).
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _years(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name, "")
        value = raw if raw.strip() else default
    try:
        years = int(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a whole number of years, not {value!r}") from None
    if years < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1")
    return years


def draft_retention_years() -> int:
    return _years("RSPORTAL_DRAFT_RETENTION_YEARS", 1)


def attachment_retention_years() -> int:
    return _years("RSPORTAL_ATTACHMENT_RETENTION_YEARS", 5)
