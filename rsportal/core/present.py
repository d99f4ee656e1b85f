"""One presentation layer: what a stored value looks like to a reader.

Stored data keeps codes ("frail_elderly"), ISO dates and plain integers, as it should; a page, a
PDF, a workbook or a message shows labels, Norwegian dates and grouped kroner. Frozen snapshots
(plain dicts) lose the model's help, so `present` takes the model field the value came from and
decides from it. Templates use the `vis` filter of the `rs` tag library."""

import datetime

from django.db import models
from django.utils.translation import gettext as _

from . import formatting

# Lists of codes kept in JSON fields, which carry no choices of their own: the field name says
# which choices they come from. Imported lazily, as the models import this module's neighbours.
_LIST_CHOICES = {
    "patient_groups": "rsportal.applications.models.PatientGroup",
    "themes": "rsportal.applications.models.Theme",
    "allowed_types": "rsportal.applications.models.ApplicationType",
    "delay_reasons": "rsportal.followup.models.DelayReason",
}


def _choices_of(name: str) -> dict:
    from django.utils.module_loading import import_string

    path = _LIST_CHOICES.get(name)
    return dict(import_string(path).choices) if path else {}


def label_for(model, field_name: str, code) -> str:
    """The label of `code` for `model.field_name` (single choice or a list of codes)."""
    return present(code, model._meta.get_field(field_name))


def choice_label(field, code) -> str:
    labels = dict(field.flatchoices) if getattr(field, "choices", None) else _choices_of(getattr(field, "name", ""))
    if isinstance(code, list | tuple | set | frozenset):
        return ", ".join(str(labels.get(c, c)) for c in code)
    return str(labels.get(code, code))


def is_amount(field) -> bool:
    """Integer fields holding kroner: named for an amount, or labelled "(kr)"."""
    if not isinstance(field, models.IntegerField | models.BigIntegerField | models.PositiveBigIntegerField | models.PositiveIntegerField):
        return False
    return "amount" in field.name or "(kr)" in str(field.verbose_name) or field.name.endswith("_kr")


def present(value, field=None) -> str:
    """`value` as a reader should see it. `field` is the model field it came from, if known."""
    if value is None or value == "" or value == []:
        return "–"
    if field is not None and (getattr(field, "choices", None) or getattr(field, "name", "") in _LIST_CHOICES):
        return choice_label(field, value)
    if isinstance(value, bool):
        return _("Ja") if value else _("Nei")
    if isinstance(value, str) and isinstance(field, models.DateField):
        try:
            value = (datetime.datetime if isinstance(field, models.DateTimeField) else datetime.date).fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        return formatting.local_stamp(value)
    if isinstance(value, datetime.date):
        return formatting.long_date(value)
    if isinstance(value, int) and field is not None and is_amount(field):
        return formatting.kroner(value)
    if isinstance(value, int) and abs(value) >= 10_000:
        return formatting.group(value)
    if isinstance(value, list | tuple):
        return ", ".join(present(v) for v in value)
    return str(value)


def community_name(code: str) -> str:
    """A helsefellesskap's name for its slug ("troms-ofoten" -> "Troms og Ofoten")."""
    from rsportal.registry.models import Helsefellesskap

    return Helsefellesskap.objects.filter(code=code).values_list("name", flat=True).first() or code
