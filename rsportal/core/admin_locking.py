"""Optimistic locking for the Django admin.

Two administrators editing the same call or municipality must not silently overwrite each other.
The change form carries a fingerprint of the object as it was shown; when the form is saved the
row is read again under a lock (the admin's change view runs in a transaction) and compared. If
someone else saved in between, the save is refused with a message, the typed values stay in the
form, and the form now carries the new fingerprint, so saving again is a deliberate overwrite.

The fingerprint covers the inline rows too (a call's deadlines and criteria, a body's members):
they are edited on the same page and saved in the same transaction, after the parent row is
locked, so a second administrator's save waits for the first and then sees its rows."""

import hashlib

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import _get_foreign_key
from django.utils.translation import gettext as _

FIELD = "_seen_version"


def _values(instance) -> list[tuple[str, str]]:
    return [(f.attname, f.value_to_string(instance)) for f in instance._meta.concrete_fields]


def fingerprint(instance, inlines=()) -> str:
    """A digest of the row and of its rows in each inline model ((model, fk name) pairs)."""
    values = [_values(instance)]
    for model, fk_name in inlines:
        values.append([_values(row) for row in model._base_manager.filter(**{fk_name: instance.pk}).order_by("pk")])
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


class LockedModelAdmin(admin.ModelAdmin):
    def _inline_models(self, request, obj) -> list[tuple[type, str]]:
        return [
            (inline.model, _get_foreign_key(self.model, inline.model, fk_name=inline.fk_name).name)
            for inline in self.get_inline_instances(request, obj)
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.pop("form", self.form)
        inlines = self._inline_models(request, obj) if obj is not None else []

        class LockedForm(base):
            _seen_version = forms.CharField(widget=forms.HiddenInput, required=False)

            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                if self.instance.pk and not self.is_bound:
                    self.initial[FIELD] = fingerprint(self.instance, inlines)

            def clean(self):
                cleaned = super().clean()
                if self.instance.pk:
                    current = type(self.instance)._base_manager.select_for_update().filter(pk=self.instance.pk).first()
                    if current is not None:
                        now = fingerprint(current, inlines)
                        if self.data.get(self.add_prefix(FIELD), "") != now:
                            self.data = self.data.copy()
                            self.data[self.add_prefix(FIELD)] = now
                            raise ValidationError(
                                _(
                                    "Noen andre har lagret endringer i dette siden du åpnet det. Det du skrev er ikke lagret, "
                                    "men står fortsatt i skjemaet. Åpne siden i en ny fane for å se den lagrede versjonen; "
                                    "lagrer du igjen, erstatter du den."
                                )
                            )
                return cleaned

        return super().get_form(request, obj, change=change, form=LockedForm, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        names = {name for _title, options in fieldsets for name in options.get("fields", ())}
        if FIELD in names:
            return fieldsets
        (title, options), *rest = fieldsets
        return [(title, {**options, "fields": [*options.get("fields", ()), FIELD]}), *rest]
