from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.core.formatting import kroner
from rsportal.core.forms import KronerField

from . import domain

DATE_INPUT = {"input_formats": ["%Y-%m-%d", "%d.%m.%Y"], "widget": forms.DateInput(attrs={"type": "date"})}
FILE_HELP = _("PDF, Word, Excel eller OpenDocument, høyst 20 MB.")


class RequestForm(forms.Form):
    """A payment request: the period, the costs per participant (one amount and one file each),
    the own contribution and, where the plan asks for it, the report it belongs to."""

    year = forms.TypedChoiceField(label=_("Tilskuddsår"), coerce=int)
    period_start = forms.DateField(label=_("Perioden fra"), **DATE_INPUT)
    period_end = forms.DateField(label=_("Perioden til"), **DATE_INPUT)
    own_contribution = KronerField(label=_("Egenandel levert i perioden"), min_value=0, required=False, help_text=_("Partenes egen innsats og egne midler i perioden, i kroner."))
    report = forms.TypedChoiceField(label=_("Rapporten anmodningen hører til"), coerce=int, required=False, empty_value=None)
    recipient = forms.ChoiceField(label=_("Mottaker"), help_text=_("Eieren som får pengene utbetalt."))

    def __init__(self, *args, grant, years, reports, owners, registering=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.grant = grant
        if registering:
            # The secretariat types in a request that came by letter: who asked is kept by name.
            self.fields["requested_by_name"] = forms.CharField(label=_("Anmodet av"), max_length=200, help_text=_("Navnet på den hos prosjekteieren som har bedt om utbetalingen."))
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["report"].choices = [("", _("Ingen rapport"))] + [(r.pk, _("Rapport levert %(date)s") % {"date": r.submitted_at.strftime("%d.%m.%Y")}) for r in reports]
        self.fields["recipient"].choices = [(domain.org_key(o), o.name) for o in owners]
        self.owners = {domain.org_key(o): o for o in owners}
        self.participants = domain.participants(grant)
        for organisation in self.participants:
            key = domain.org_key(organisation).replace(":", "_")
            self.fields[f"cost_{key}"] = KronerField(label=_("Påløpte kostnader, %(org)s") % {"org": organisation.name}, min_value=0, required=False)
            self.fields[f"doc_{key}"] = forms.FileField(label=_("Dokumentasjon, %(org)s") % {"org": organisation.name}, required=False, help_text=FILE_HELP)

    def cost_fields(self):
        """(amount field, file field) per participant, for the template."""
        for organisation in self.participants:
            key = domain.org_key(organisation).replace(":", "_")
            yield self[f"cost_{key}"], self[f"doc_{key}"]

    def costs(self) -> list[domain.Cost]:
        result = []
        for organisation in self.participants:
            key = domain.org_key(organisation).replace(":", "_")
            amount = self.cleaned_data.get(f"cost_{key}")
            if amount:
                result.append(domain.Cost(organisation, amount, self.cleaned_data.get(f"doc_{key}")))
        return result

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("Perioden må slutte etter at den begynner."))
        return data


class DecideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReturnForm(DecideForm):
    reason = forms.CharField(label=_("Hvorfor sendes anmodningen tilbake?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class PartnerRecordForm(forms.Form):
    partner = forms.ChoiceField(label=_("Partner"))
    year = forms.IntegerField(label=_("Tilskuddsår"), min_value=2020, max_value=2100)
    amount = KronerField(label=_("Beløp"), min_value=1)
    on = forms.DateField(label=_("Dato"), **DATE_INPUT)
    reference = forms.CharField(label=_("Referanse"), max_length=100, required=False, help_text=_("Fakturanummer eller bilagsnummer."))

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.partners = {domain.org_key(p): p for p in partners}
        self.fields["partner"].choices = [(k, p.name) for k, p in self.partners.items()]


class MarkPaidForm(forms.Form):
    requests = forms.TypedMultipleChoiceField(label=_("Anmodninger som er utbetalt"), coerce=int, widget=forms.CheckboxSelectMultiple)
    paid_on = forms.DateField(label=_("Utbetalt dato"), **DATE_INPUT)

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].choices = [(r.request.pk, f"{r.title}: {kroner(r.amount)} ({r.year})") for r in rows]


class PlanForm(forms.Form):
    advance_percent = forms.IntegerField(label=_("Andel som kan utbetales ved oppstart (prosent)"), min_value=0, max_value=100, help_text=_("Resten utbetales når prosjektet har levert rapport."))
