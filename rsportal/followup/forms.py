from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.core.forms import KronerField

from .models import AfterProject, DelayReason, Report


class ReportForm(forms.ModelForm):
    delay_reasons = forms.MultipleChoiceField(label=_("Årsaker til forsinkelse"), choices=DelayReason.choices, widget=forms.CheckboxSelectMultiple, required=False)
    milestones_text = forms.CharField(
        label=_("Milepæler"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Én milepæl per linje: navn | status | kommentar. For eksempel: Prosjektleder ansatt | nådd | mars 2026"),
    )
    involvement_per_guideline = forms.TypedChoiceField(
        label=_("Følger brukermedvirkningen nasjonal veileder?"),
        choices=[("", _("Vet ikke")), ("yes", _("Ja")), ("no", _("Nei"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Report
        fields = [
            "progress",
            "progress_text",
            "owner",
            "agreements",
            "user_involvement",
            "involvement_per_guideline",
            "delay_reasons",
            "delay_text",
            "effects",
            "lessons",
            "spreading",
            "public_update",
        ]
        widgets = {f: forms.Textarea(attrs={"rows": 3}) for f in ["progress_text", "owner", "user_involvement", "delay_text", "effects", "lessons", "spreading", "public_update"]}

    def clean(self):
        data = super().clean()
        # The light report (applications.variants) does not ask why: there is no field to fault.
        if data.get("progress") == Report.Progress.DELAYED and "delay_reasons" in self.fields and not data.get("delay_reasons"):
            self.add_error("delay_reasons", _("Kryss av for hvorfor prosjektet er forsinket."))
        milestones = []
        for line in (data.get("milestones_text") or "").splitlines():
            if line.strip():
                parts = [p.strip() for p in line.split("|")] + ["", ""]
                milestones.append({"name": parts[0], "status": parts[1], "comment": parts[2]})
        data["milestones"] = milestones
        return data

    def save(self, commit=True):
        report = super().save(commit=False)
        report.milestones = self.cleaned_data["milestones"]
        if commit:
            report.save()
        return report


class SpendingForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput)
    amount = KronerField(label=_("Brukt av tilskuddet"), min_value=0, required=False)
    accounts = forms.FileField(label=_("Prosjektregnskap"), required=False, help_text=_("PDF, Word, Excel eller OpenDocument, høyst 20 MB."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One row per year with the same fields: the year goes into the labels, or a screen reader
        # hears "Brukt av tilskuddet" for every year without knowing which is which.
        year = self.initial.get("year") or self.data.get(self.add_prefix("year"))
        if year:
            self.fields["amount"].label = _("Brukt av tilskuddet i %(year)s") % {"year": year}
            self.fields["accounts"].label = _("Prosjektregnskap for %(year)s") % {"year": year}


class ContributionForm(forms.Form):
    party = forms.CharField(label=_("Part"), max_length=200, required=False)
    side = forms.ChoiceField(label=_("Side"), choices=[("municipality", _("Kommune")), ("trust", _("Helseforetak"))])
    hours = forms.IntegerField(label=_("Timer"), min_value=0, required=False)
    amount = KronerField(label=_("Verdi / penger"), min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rows repeat the same fields; the party (or the row number) tells them apart when read aloud.
        party = self.initial.get("party") or (self.prefix or "").rsplit("-", 1)[-1]
        if party.isdigit():
            party = _("rad %(number)s") % {"number": int(party) + 1}
        for name in ("party", "side", "hours", "amount"):
            self.fields[name].label = f"{self.fields[name].label} ({party})"


class PaymentForm(forms.Form):
    year = forms.IntegerField(label=_("Tilskuddsår"), min_value=2020, max_value=2100)
    amount = KronerField(label=_("Beløp"), min_value=1)
    paid_on = forms.DateField(label=_("Utbetalt dato"), input_formats=["%Y-%m-%d", "%d.%m.%Y"], widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Merknad"), max_length=300, required=False)


class ReleaseForm(forms.Form):
    """Release a commitment's unpaid part, or (action "move") carry `amount` of it to next year."""

    RELEASE, MOVE = "release", "move"
    commitment = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(RELEASE, _("Frigjør")), (MOVE, _("Flytt til neste år"))], required=False)
    amount = KronerField(label=_("Beløp som flyttes"), min_value=1, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)
    reason = forms.CharField(label=_("Begrunnelse"), max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("action") == self.MOVE and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", _("Oppgi hvor mye som flyttes til neste år."))
        return data

    @property
    def moving(self) -> bool:
        return self.data.get("action") == self.MOVE


class AfterProjectForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = AfterProject
        fields = ["in_operation", "payer", "payer_note", "spread"]
        widgets = {"spread": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An answer is required; the empty choice asks for one instead of showing dashes.
        for name in ("in_operation", "payer"):
            self.fields[name].required = True
            self.fields[name].choices = [("", _("Velg"))] + [c for c in self.fields[name].choices if c[0]]
        self.fields["in_operation"].error_messages["required"] = _("Svar på om tiltaket er i ordinær drift.")
        self.fields["payer"].error_messages["required"] = _("Velg hvem som betaler for driften.")
