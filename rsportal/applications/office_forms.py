"""Forms of the calls pages: the call itself and its rows (criteria, process steps, deadlines,
pre-project caps) as small tables. The rules are in applications.calls; these only shape input."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rsportal.core.forms import KronerField

from . import calls
from .models import ApplicationType, Call, ProcessStep


class CallForm(forms.ModelForm):
    """The call's own fields. Application types are checkboxes (none ticked: every type)."""

    pot = forms.ModelChoiceField(label=_("Pott"), queryset=None, empty_label=None)
    allowed_types = forms.MultipleChoiceField(
        label=_("Tillatte søknadstyper"),
        choices=ApplicationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Kryss ikke av noen for å tillate alle typene."),
    )
    light_form_types = forms.MultipleChoiceField(
        label=_("Lett søknadsskjema for søknadstypene"),
        choices=ApplicationType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Disse søknadstypene får alltid det lette skjemaet og den lette rapporten, uansett beløp."),
    )

    class Meta:
        model = Call
        fields = ["pot", *calls.CALL_FIELDS]
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 5}),
            "priorities": forms.Textarea(attrs={"rows": 4}),
            "eligibility": forms.Textarea(attrs={"rows": 4}),
            "decision_dates": forms.Textarea(attrs={"rows": 3}),
            "reporting_rules": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"frame_year": _("Rammen gjelder år (første år med tilskudd)")}
        field_classes = {"light_form_max_amount": KronerField}

    def __init__(self, *args, pots, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["pot"]  # a call's money does not move to another pot
        else:
            self.fields["pot"].queryset = pots
        for name in ("frame_amount", "frame_year", "max_forwarded_per_helsefellesskap", "max_project_years", "pre_project_max_years"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"


class _Row(forms.Form):
    """A row of a small table: every input gets the design system's class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "ds-input")


class CriterionRow(_Row):
    order = forms.IntegerField(label=_("Rekkefølge"), min_value=0, initial=0, widget=forms.NumberInput(attrs={"size": 3}))
    name = forms.CharField(label=_("Kriterium"), max_length=200)
    description = forms.CharField(label=_("Beskrivelse"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scale_min = forms.IntegerField(label=_("Laveste skår"), min_value=0, initial=1, widget=forms.NumberInput(attrs={"size": 3}))
    scale_max = forms.IntegerField(label=_("Høyeste skår"), min_value=1, initial=5, widget=forms.NumberInput(attrs={"size": 3}))
    weight = forms.DecimalField(label=_("Vekt"), min_value=0.01, max_digits=5, decimal_places=2, initial=1, widget=forms.NumberInput(attrs={"size": 4, "step": "0.01"}))

    def clean(self):
        data = super().clean()
        if data.get("scale_min") is not None and data.get("scale_max") is not None and data["scale_max"] <= data["scale_min"]:
            self.add_error("scale_max", _("Høyeste skår må være større enn laveste."))
        return data


class StepRow(_Row):
    # An empty choice first, so an unused row is left unchanged (and skipped).
    step = forms.ChoiceField(label=_("Steg"), choices=[("", _("(velg steg)")), *ProcessStep.Step.choices])
    body = forms.ModelChoiceField(label=_("Organ"), queryset=None, required=False, empty_label=_("(ingen)"))
    by_each_helsefellesskap = forms.BooleanField(label=_("Gjøres av hvert helsefellesskap"), required=False)

    def __init__(self, *args, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies

    def clean(self):
        data = super().clean()
        if data.get("step") and not data.get("body") and not data.get("by_each_helsefellesskap"):
            self.add_error("body", _("Velg organet, eller kryss av for at hvert helsefellesskap gjør steget."))
        return data


class DeadlineRow(_Row):
    date = forms.DateField(label=_("Dato"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(label=_("Klokkeslett"), initial=datetime.time(12, 0), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    label = forms.CharField(label=_("Gjelder"), max_length=200, required=False)

    def row(self) -> dict:
        at = timezone.make_aware(datetime.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"]))
        return {"at": at, "label": self.cleaned_data["label"]}


class CapRow(_Row):
    min_municipalities = forms.IntegerField(label=_("Fra antall kommuner"), min_value=1, widget=forms.NumberInput(attrs={"size": 3}))
    max_amount = forms.IntegerField(label=_("Maks beløp (kr)"), min_value=0)


class RowFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The rows kept: filled in and not marked for removal."""
        # Rows drawn from the saved call count even when untouched; an empty extra row does not.
        initial = self.initial_form_count()
        kept = [f for i, f in enumerate(self.forms) if (i < initial or f.has_changed()) and not self._should_delete_form(f)]
        return [f.row() if hasattr(f, "row") else {k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in kept]


def formset(row, extra=2):
    return forms.formset_factory(row, formset=RowFormSet, extra=extra, can_delete=True)


# (prefix, heading, formset class)
ROW_FORMSETS = [
    ("criteria", _("Kriterier, skala og vekt"), formset(CriterionRow)),
    ("steps", _("Saksgang: hvilket organ gjør hvert steg"), formset(StepRow)),
    ("deadlines", _("Søknadsfrister"), formset(DeadlineRow)),
    ("caps", _("Beløpsgrenser for forprosjekt"), formset(CapRow)),
]


def initial_rows(call: Call | None) -> dict[str, list[dict]]:
    if call is None:
        return {key: [] for key, _h, _f in ROW_FORMSETS}
    deadlines = [(timezone.localtime(d.at), d.label) for d in call.deadlines.all()]
    return {
        "criteria": [{f: getattr(c, f) for f in calls.CRITERION_FIELDS} for c in call.criteria.all()],
        "steps": [{"step": s.step, "body": s.body_id, "by_each_helsefellesskap": s.by_each_helsefellesskap} for s in call.steps.all()],
        "deadlines": [{"date": at.date(), "time": at.time().replace(second=0, microsecond=0), "label": label} for at, label in deadlines],
        "caps": [{f: getattr(c, f) for f in calls.CAP_FIELDS} for c in call.pre_project_caps.all()],
    }
