from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.core.dates import NorwegianDateTimeField
from rsportal.core.forms import KronerField

from .models import Decision, FormalCheck

TRI = [("", _("Ikke vurdert")), ("yes", _("Ja")), ("no", _("Nei"))]


def _tri(value):
    return {"yes": True, "no": False}.get(value)


class FormalCheckForm(forms.Form):
    efficient_use = forms.ChoiceField(label=_("Stimulerer til effektiv ressursbruk og skaper ikke større behov for helsetjenester"), choices=TRI, required=False)
    not_ordinary_operation = forms.ChoiceField(label=_("Finansierer ikke aktivitet som er del av ordinær drift"), choices=TRI, required=False)
    digital_compliant = forms.ChoiceField(
        label=_("Digitale tiltak følger Nasjonal e-helsestrategi og Normen"), choices=[("", _("Ikke relevant"))] + TRI[1:], required=False
    )
    outcome = forms.ChoiceField(label=_("Resultat"), choices=FormalCheck.Outcome.choices)
    note = forms.CharField(label=_("Begrunnelse"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def cleaned(self):
        data = self.cleaned_data
        return {
            "outcome": data["outcome"],
            "efficient_use": _tri(data["efficient_use"]),
            "not_ordinary_operation": _tri(data["not_ordinary_operation"]),
            "digital_compliant": _tri(data["digital_compliant"]),
            "note": data["note"],
        }


class MeetingForm(forms.Form):
    starts_at = NorwegianDateTimeField(label=_("Møtestart"), help_text=_("Dato og klokkeslett, for eksempel 15.01.2027 10.00."))
    location = forms.CharField(label=_("Sted"), max_length=200, required=False)
    pitch_minutes = forms.IntegerField(label=_("Minutter per prosjekt (lik tid for alle)"), min_value=1, max_value=120, initial=15)
    changeover_minutes = forms.IntegerField(label=_("Minutter mellom prosjektene"), min_value=0, max_value=60, initial=0)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Vedtak"), choices=Decision.Outcome.choices)
    part_description = forms.CharField(label=_("Hvilken del av prosjektet (ved delvis innvilgelse)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reason = forms.CharField(label=_("Begrunnelse"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, years, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = list(years)
        for year in self.years:
            self.fields[f"amount_{year}"] = KronerField(
                label=_("Beløp %(year)s") % {"year": year}, min_value=0, required=False, help_text=_("Gjelder bare vedtak som gir tilskudd.")
            )

    def amounts(self) -> dict[int, int]:
        # The amount fields come pre-filled with what was applied for; a rejection or
        # "apply again" must not make the chair clear them first.
        if self.cleaned_data.get("outcome") not in Decision.GRANTING:
            return {}
        return {year: self.cleaned_data.get(f"amount_{year}") or 0 for year in self.years}


class ConflictDeclareForm(forms.Form):
    application = forms.ModelChoiceField(label=_("Søknad"), queryset=None)
    member = forms.ModelChoiceField(label=_("Medlem"), queryset=None)
    reason = forms.CharField(label=_("Hvorfor"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, applications, members, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: f"{m.name} ({m.get_role_display()})"


class AttendanceForm(forms.Form):
    """Who is present: every seat of the body, voting or not, for the minutes."""

    present = forms.ModelMultipleChoiceField(label=_("Til stede"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, seats, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = seats
        self.fields["present"].label_from_instance = lambda m: f"{m.name} ({m.get_role_display()}, {m.get_side_display()}; {_('stemmerett')}: {m.voting_label.lower()})"
