import re

from django import forms
from django.utils.translation import gettext_lazy as _


class KronerField(forms.IntegerField):
    """Whole kroner as people type them: '1 500 000', '1500000 kr', '1.500.000'."""

    default_error_messages = {"invalid": _("Skriv beløpet som et helt antall kroner, for eksempel 1 500 000.")}

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"(?i)\s|\u00a0|kr\.?|\.(?=\d{3}\b)", "", value)
        return super().to_python(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric", "class": "ds-input"})
        return attrs


class YearField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 2020)
        kwargs.setdefault("max_value", 2100)
        super().__init__(**kwargs)
