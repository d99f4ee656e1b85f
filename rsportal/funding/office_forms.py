"""Forms of the RHF administrator's money pages. Amounts are typed as people write them
("1 250 000"); the rules themselves are checked in funding.domain."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.accounts import permissions
from rsportal.core.forms import KronerField, YearField
from rsportal.registry.models import Body

from .forms import _version_field
from .models import Appropriation, DistributionKey, Pot


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


def _rhf_field(user):
    return forms.ModelChoiceField(label=_("RHF"), queryset=permissions.managed_rhfs(user, secretariat=False), empty_label=None)


class AppropriationForm(forms.ModelForm):
    amount = KronerField(label=_("Beløp"), min_value=1)
    year = YearField(label=_("År"))

    class Meta:
        model = Appropriation
        fields = ["rhf", "year", "name", "amount", "expected", "earmarked_for", "reference"]
        labels = {"name": _("Navn"), "expected": _("Forventet (ikke vedtatt ennå)"), "earmarked_for": _("Øremerket til"), "reference": _("Kilde / vedtak")}
        help_texts = {"earmarked_for": _("Tomt for frie midler. Øremerkede midler legges i en egen pott.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rhf"] = _rhf_field(user)


class PotForm(forms.Form):
    name = forms.CharField(label=_("Navn"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=[c for c in Pot.Kind.choices if c[0] != Pot.Kind.ROOT])
    parent = forms.ModelChoiceField(label=_("Finansieres fra"), queryset=Pot.objects.none())
    helsefellesskap = forms.ModelChoiceField(label=_("Helsefellesskap"), queryset=None, required=False, empty_label=_("Ingen (RHF-ets egen pott)"))
    description = forms.CharField(label=_("Beskrivelse"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, pots, **kwargs):
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        from rsportal.registry.models import Helsefellesskap

        rhfs = permissions.managed_rhfs(user, secretariat=False)
        self.fields["parent"].queryset = pots.filter(helsefellesskap__isnull=True)
        self.fields["helsefellesskap"].queryset = Helsefellesskap.objects.filter(rhf__in=rhfs).order_by("name")


class TransferForm(forms.Form):
    BY_KEY, BY_AMOUNT = "key", "amount"

    year = YearField(label=_("År"))
    mode = forms.ChoiceField(
        label=_("Fordeling"), choices=[(BY_KEY, _("Etter fordelingsnøkkel")), (BY_AMOUNT, _("Beløp til ett helsefellesskap"))]
    )
    amount = KronerField(label=_("Beløp"), min_value=1, help_text=_("Etter nøkkel: summen som fordeles. Ellers: beløpet til helsefellesskapet."))
    key = forms.ModelChoiceField(label=_("Fordelingsnøkkel"), queryset=DistributionKey.objects.none(), required=False)
    target = forms.ModelChoiceField(label=_("Til pott"), queryset=Pot.objects.none(), required=False)
    note = forms.CharField(label=_("Merknad"), max_length=300, required=False)
    expected = _version_field()

    def __init__(self, *args, source: Pot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].queryset = DistributionKey.objects.filter(shares__helsefellesskap__rhf=source.rhf).distinct()
        self.fields["target"].queryset = source.children.filter(helsefellesskap__isnull=False).select_related("helsefellesskap")
        self.fields["target"].label_from_instance = lambda pot: f"{pot.name} ({pot.helsefellesskap.name})"

    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("mode")
        if mode == self.BY_KEY and not cleaned.get("key"):
            self.add_error("key", _("Velg fordelingsnøkkelen."))
        if mode == self.BY_AMOUNT and not cleaned.get("target"):
            self.add_error("target", _("Velg potten det skal overføres til."))
        return cleaned


class AllocationForm(forms.Form):
    """Up to three years of one direct allocation."""

    YEARS = 3

    body = forms.ModelChoiceField(label=_("Vedtatt av"), queryset=Body.objects.none())
    decided_on = forms.DateField(label=_("Vedtaksdato"), widget=DateInput())
    reason = forms.CharField(label=_("Vedtaket"), max_length=200, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Hva som ble tildelt, og til hva."))
    expected = _version_field()

    def __init__(self, *args, pot: Pot, **kwargs):
        super().__init__(*args, **kwargs)
        from django.db.models import Q

        self.fields["body"].queryset = Body.objects.filter(Q(rhf=pot.rhf) | Q(helsefellesskap__rhf=pot.rhf)).order_by("name")
        for i in range(1, self.YEARS + 1):
            self.fields[f"year_{i}"] = YearField(label=_("År %(n)s") % {"n": i}, required=i == 1)
            self.fields[f"amount_{i}"] = KronerField(label=_("Beløp år %(n)s") % {"n": i}, min_value=1, required=i == 1)
        self.order_fields([f for i in range(1, self.YEARS + 1) for f in (f"year_{i}", f"amount_{i}")])

    def clean(self):
        cleaned = super().clean()
        amounts = {}
        for i in range(1, self.YEARS + 1):
            year, amount = cleaned.get(f"year_{i}"), cleaned.get(f"amount_{i}")
            if (year is None) != (amount is None):
                self.add_error(f"amount_{i}" if year else f"year_{i}", _("Fyll inn både år og beløp, eller ingen av dem."))
            elif year is not None:
                if year in amounts:
                    self.add_error(f"year_{i}", _("Året står allerede over."))
                amounts[year] = amount
        cleaned["amounts"] = amounts
        return cleaned


class ConfirmForm(forms.Form):
    expected = _version_field()


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Begrunnelse"), max_length=300)
    expected = _version_field()


class PassForm(forms.Form):
    reference = forms.CharField(label=_("Kilde / vedtak"), max_length=300, required=False, help_text=_("For eksempel statsbudsjettet for året."))

    def __init__(self, *args, user=None, instance=None, **kwargs):
        super().__init__(*args, **kwargs)


class KeyForm(forms.Form):
    """A name and one share per helsefellesskap of the RHF (any numbers: they are used as proportions)."""

    name = forms.CharField(label=_("Navn"), max_length=160)
    description = forms.CharField(label=_("Beskrivelse"), widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text=_("For eksempel hvilket folketall andelene bygger på."))

    def __init__(self, *args, user, rhf, **kwargs):
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        from rsportal.registry.models import Helsefellesskap

        self.communities = list(Helsefellesskap.objects.filter(rhf=rhf).order_by("name"))
        for hf in self.communities:
            self.fields[f"hf_{hf.pk}"] = forms.DecimalField(
                label=_("Andel for %(hf)s") % {"hf": hf.name}, min_value=0, max_digits=9, decimal_places=6, required=False, localize=True
            )

    def shares(self) -> dict:
        return {hf: self.cleaned_data.get(f"hf_{hf.pk}") for hf in self.communities if self.cleaned_data.get(f"hf_{hf.pk}")}
