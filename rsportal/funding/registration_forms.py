"""Forms of the pages for grants decided elsewhere (registration_views.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.core.forms import KronerField, YearField
from rsportal.registry.models import HealthTrust, Helsefellesskap, Municipality

from .models import Grant
from .registration import bodies_for
from .sheets import parse_date


def organisation_choices(pot) -> list[tuple[str, list[tuple[str, str]]]]:
    """The region's municipalities and health trusts, as "m<pk>" / "t<pk>" choices in two groups."""
    municipalities = Municipality.objects.filter(helsefellesskap__rhf=pot.rhf_id).distinct().order_by("name")
    if not municipalities.exists():
        municipalities = Municipality.objects.order_by("name")
    trusts = HealthTrust.objects.filter(rhf=pot.rhf_id).order_by("name")
    return [
        (str(_("Kommuner")), [(f"m{m.pk}", f"{m.name} ({m.number})") for m in municipalities]),
        (str(_("Helseforetak")), [(f"t{t.pk}", t.name) for t in trusts]),
    ]


def organisations(values) -> list:
    """The Municipality and HealthTrust objects of chosen "m<pk>" / "t<pk>" values, in that order."""
    ids = {"m": [], "t": []}
    for value in values:
        ids[value[0]].append(int(value[1:]))
    found = {f"m{m.pk}": m for m in Municipality.objects.filter(pk__in=ids["m"])}
    found.update({f"t{t.pk}": t for t in HealthTrust.objects.filter(pk__in=ids["t"])})
    return [found[v] for v in values if v in found]


class NorwegianDateField(forms.CharField):
    """A date typed as 15.01.2026 or 15. januar 2026."""

    default_error_messages = {"invalid": _("Skriv datoen slik: 15.01.2026 (eller «15. januar 2026»).")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        parsed = parse_date(value)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class RegisterForm(forms.Form):
    title = forms.CharField(label=_("Prosjektnavn"), max_length=300)
    description = forms.CharField(label=_("Beskrivelse"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    helsefellesskap = forms.ModelChoiceField(label=_("Helsefellesskap"), queryset=Helsefellesskap.objects.none(), required=False, empty_label="–")
    owners = forms.MultipleChoiceField(label=_("Eiere"), help_text=_("Kommunene og helseforetakene som eier prosjektet."))
    partners = forms.MultipleChoiceField(label=_("Deltakere"), required=False, help_text=_("Andre som deltar uten å være eiere."))
    decided_by_body = forms.ModelChoiceField(label=_("Vedtatt av (organ)"), queryset=None, required=False, empty_label="–")
    decided_by_text = forms.CharField(
        label=_("… eller vedtatt av (fritekst)"), max_length=200, required=False, help_text=_("For eksempel «Helse Nord RHF (foretaksprotokoll)».")
    )
    decided_on = NorwegianDateField(label=_("Vedtaksdato"), help_text=_("For eksempel 15.01.2026 eller 15. januar 2026."))
    reason = forms.CharField(label=_("Begrunnelse for vedtaket"), widget=forms.Textarea(attrs={"rows": 3}))
    pre_project = forms.ChoiceField(label=_("Forprosjekt"), choices=Grant.PreProject.choices, initial=Grant.PreProject.NO)
    publish = forms.BooleanField(label=_("Vis i den åpne prosjektkatalogen"), required=False, initial=True)

    def __init__(self, *args, pot, **kwargs):
        super().__init__(*args, **kwargs)
        self.pot = pot
        if pot.helsefellesskap_id:
            self.fields["helsefellesskap"].queryset = Helsefellesskap.objects.filter(pk=pot.helsefellesskap_id)
            self.fields["helsefellesskap"].initial = pot.helsefellesskap_id
        else:
            self.fields["helsefellesskap"].queryset = Helsefellesskap.objects.filter(rhf=pot.rhf_id)
        self.fields["decided_by_body"].queryset = bodies_for(pot)
        self.groups = organisation_choices(pot)
        choices = [choice for _label, group in self.groups for choice in group]
        self.fields["owners"].choices = choices
        self.fields["partners"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("decided_by_body") and not (cleaned.get("decided_by_text") or "").strip():
            self.add_error("decided_by_text", _("Velg organet som vedtok tilskuddet, eller skriv hvem som gjorde det."))
        return cleaned

    def selects(self) -> list[tuple[forms.BoundField, list]]:
        """The owner and partner lists with what was chosen marked, for the template."""
        result = []
        for name in ("owners", "partners"):
            bound = self[name]
            chosen = {str(v) for v in (bound.value() or [])}
            result.append((bound, [(label, [(value, text, value in chosen) for value, text in group]) for label, group in self.groups]))
        return result

    def register_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "helsefellesskap": data["helsefellesskap"],
            "owners": organisations(data["owners"]),
            "partners": organisations(data["partners"]),
            "decided_by": data["decided_by_body"] or data["decided_by_text"],
            "decided_on": data["decided_on"],
            "reason": data["reason"],
            "pre_project": data["pre_project"],
            "publish": data["publish"],
        }


class YearAmountForm(forms.Form):
    year = YearField(label=_("År"), required=False)
    amount = KronerField(label=_("Beløp (kr)"), min_value=1, required=False)
    conditional = forms.BooleanField(label=_("Betinget av framdrift"), required=False)

    def clean(self):
        cleaned = super().clean()
        year, amount = cleaned.get("year"), cleaned.get("amount")
        if (year is None) != (amount is None) and not self.errors:
            raise forms.ValidationError(_("Fyll ut både år og beløp, eller la begge stå tomme."))
        return cleaned


class BaseYearAmounts(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        years = [f.cleaned_data["year"] for f in self.forms if f.cleaned_data.get("year") is not None]
        if not years:
            raise forms.ValidationError(_("Oppgi beløp for minst ett år."))
        if len(years) != len(set(years)):
            raise forms.ValidationError(_("Hvert år kan stå bare én gang."))

    def amounts(self) -> tuple[dict[int, int], set[int]]:
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data.get("year") is not None]
        return {r["year"]: r["amount"] for r in rows}, {r["year"] for r in rows if r["conditional"]}


YearAmounts = forms.formset_factory(YearAmountForm, formset=BaseYearAmounts, extra=5, max_num=10, validate_max=True)


class ImportForm(forms.Form):
    sheet = forms.FileField(
        label=_("Regneark (.xlsx eller .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
