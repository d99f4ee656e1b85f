"""Case references (saksnummer) such as "26/00123": the two-digit year of the first submission
and a running number per RHF and year. A public body's letters, minutes and archive refer to a
case by this number, so it is given once and never changes, not even when the application is
revised and submitted again."""

from django.db import transaction
from django.utils import timezone

from .models import Application, CaseCounter


def register_of(application: Application):
    """The RHF whose register numbers the case: the owner of the call's pot."""
    return application.call.pot.rhf


def assign(application: Application) -> str:
    """Give `application` its case number if it has none. Call inside the submit transaction:
    the counter row is locked until the transaction ends, so concurrent submissions queue up
    here and each takes the next number (the unique constraint is the last line of defence)."""
    if application.case_number:
        return application.case_number
    assert transaction.get_connection().in_atomic_block, "assign() must run inside the submit transaction"
    rhf = register_of(application)
    year = timezone.localdate().year
    CaseCounter.objects.get_or_create(rhf=rhf, year=year)
    counter = CaseCounter.objects.select_for_update().get(rhf=rhf, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    application.case_number = f"{year % 100:02d}/{counter.last:05d}"
    application.case_register = rhf
    application.save(update_fields=["case_number", "case_register"])
    return application.case_number
