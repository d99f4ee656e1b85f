"""Optimistic locking for the Django admin.

Two administrators editing the same call or municipality must not silently overwrite each other.
The change form carries a fingerprint of the object as it was shown; when the form is saved the
row is read again under a lock (the admin's change view runs in a transaction) and compared. If
someone else saved in between, the save is refused with a message, the typed values stay in the
form, and the form now carries the new fingerprint, so saving again is a deliberate overwrite.

Inline rows (deadlines, criteria, ...) are not covered by the parent's fingerprint."""

import hashlib

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIELD = "_seen_version"


def fingerprint(instance) -> str:
    values = [(f.attname, f.value_to_string(instance)) for f in instance._meta.concrete_fields]
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


class LockedModelAdmin(admin.ModelAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.pop("form", self.form)

        class LockedForm(base):
            _seen_version = forms.CharField(widget=forms.HiddenInput, required=False)

            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                if self.instance.pk and not self.is_bound:
                    self.initial[FIELD] = fingerprint(self.instance)

            def clean(self):
                cleaned = super().clean()
                if self.instance.pk:
                    current = type(self.instance)._base_manager.select_for_update().filter(pk=self.instance.pk).first()
                    if current is not None:
                        now = fingerprint(current)
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
