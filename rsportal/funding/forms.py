from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.core.forms import KronerField, YearField

from .models import Reserve

STALE_FORM = _("Skjemaet mangler versjonen av potten du så. Last siden på nytt og prøv igjen.")


def _version_field():
    """The pot's version when the page was drawn. Required: a post without it would skip the
    check, and a change someone else made meanwhile must be refused, not overwritten."""
    return forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": STALE_FORM, "invalid": STALE_FORM})


class ReserveForm(forms.Form):
    year = YearField(label=_("År"))
    kind = forms.ChoiceField(label=_("Type avsetning"), choices=Reserve.Kind.choices)
    amount = KronerField(label=_("Beløp"), min_value=0, help_text=_("0 fjerner avsetningen."))
    note = forms.CharField(label=_("Merknad"), max_length=300, required=False)
    expected = _version_field()


class CarryOverForm(forms.Form):
    from_year = YearField(label=_("Fra år"))
    amount = KronerField(label=_("Beløp"), min_value=1)
    note = forms.CharField(label=_("Merknad"), max_length=300, required=False)
    expected = _version_field()
