import datetime

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from rsportal.core.forms import KronerField
from rsportal.registry.models import CityDistrict, HealthTrust, Helsefellesskap, Municipality

from .models import Application, ApplicationType, Attachment, BenefitRow, BudgetLine, JoinRequest, PatientGroup, Theme

TEXT = forms.Textarea(attrs={"rows": 4})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class SectionForm(forms.ModelForm):
    """A section of the application form; drafts may be incomplete, so nothing is required here.
    Completeness is checked when the application is submitted."""

    title_text = ""

    def __init__(self, *args, only=None, **kwargs):
        super().__init__(*args, **kwargs)
        if only is not None:
            # A variant's form (see variants): the other fields are neither shown nor saved,
            # so what was typed in them in the other variant is kept.
            for name in list(self.fields):
                if name not in only:
                    del self.fields[name]
        for field in self.fields.values():
            field.required = False
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.setdefault("rows", 4)
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
                field.input_formats = ["%Y-%m-%d", "%d.%m.%Y"]


class BasicsForm(SectionForm):
    title_text = _("Prosjektet")

    class Meta:
        model = Application
        fields = ["title", "type", "continues", "project_owners", "start_date", "end_date", "agreement_date"]
        widgets = {"project_owners": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "continues": _("For en videreføring: tilskuddet prosjektet fikk før. Listen viser tilskuddene til eierne i søknaden."),
            "project_owners": _("Hvem eier prosjektet? Skriv om eierskapet er avtalt formelt (intensjonsavtale) eller muntlig."),
            "agreement_date": _("Avtalen om felles søknad må lastes opp som PDF under Vedlegg."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = True
        self.fields["type"].choices = self.instance.call.type_choices()
        if "continues" in self.fields:  # a variant may leave it out (applications/variants.py)
            self.fields["continues"].queryset = earlier_grants(self.instance)
            self.fields["continues"].empty_label = _("Ingen (ikke en videreføring)")
            self.fields["continues"].label_from_instance = lambda grant: grant.title

    def clean(self):
        data = super().clean()
        if data.get("type") == ApplicationType.CONTINUATION and "continues" in self.fields and not data.get("continues") and self.fields["continues"].queryset.exists():
            self.add_error("continues", _("Velg tilskuddet som videreføres."))
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("Avslutning kan ikke være før oppstart."))
        agreement = data.get("agreement_date")
        if agreement and agreement > datetime.date.today():
            self.add_error("agreement_date", _("Avtalen kan ikke være signert fram i tid."))
        return data


def earlier_grants(application):
    """The grants an application may continue: those owned by its owners (or, before any
    owner is chosen, by its participants), newest first."""
    from rsportal.funding.models import Grant

    participants = application.participants.all() if application.pk else []
    owners = [p for p in participants if p.is_owner] or list(participants)
    municipalities = {p.municipality_id for p in owners if p.municipality_id}
    trusts = {p.trust_id for p in owners if p.trust_id}
    if application.continues_id:
        chosen = Grant.objects.filter(pk=application.continues_id)
    else:
        chosen = Grant.objects.none()
    owned = Grant.objects.filter(models.Q(municipalities__in=municipalities) | models.Q(trusts__in=trusts))
    return Grant.objects.filter(models.Q(pk__in=owned.values("pk")) | models.Q(pk__in=chosen.values("pk"))).order_by("-created_at", "title")


class DescriptionForm(SectionForm):
    title_text = _("Kort beskrivelse")
    patient_groups = forms.MultipleChoiceField(
        label=_("Prioriterte pasientgrupper tiltaket retter seg mot"),
        choices=PatientGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    themes = forms.MultipleChoiceField(label=_("Tema"), choices=Theme.choices, widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = Application
        fields = ["goal", "target_group", "patient_groups", "themes", "status_description", "activities", "organisations_and_staff", "done_before"]


class BenefitForm(SectionForm):
    title_text = _("Nytte og formål")

    class Meta:
        model = Application
        fields = ["expected_benefit", "supports_purpose"]
        help_texts = {"expected_benefit": _("Fyll gjerne ut nyttetabellen nedenfor: hvordan nytten kan måles, forutsetninger og risikoreduserende tiltak.")}


class FinancingForm(SectionForm):
    title_text = _("Finansiering og drift")

    class Meta:
        model = Application
        fields = ["grant_use", "financing_at_start", "financing_after", "ordinary_operation_plan", "research_share"]
        field_classes = {"research_share": KronerField}
        help_texts = {
            "grant_use": _("Tilskuddet kan dekke kostnader der samarbeidet gir én part økte kostnader mens den andre sparer."),
            "research_share": _("Tilskudd til forskning trekkes fra."),
        }

    def clean_research_share(self):
        # An emptied field means "no research", not "unknown": the column holds a number.
        return self.cleaned_data["research_share"] or 0


class PatientsDigitalForm(SectionForm):
    title_text = _("Pasientansvar og digitale tiltak")

    class Meta:
        model = Application
        fields = [
            "patient_responsibility",
            "is_digital",
            "digital_regional_path",
            "digital_ehealth_strategy",
            "digital_normen",
            "digital_governance",
        ]


class PlanForm(SectionForm):
    title_text = _("Prosjektplan og medvirkning")

    class Meta:
        model = Application
        fields = ["project_plan", "involvement_users", "involvement_unions", "involvement_safety"]
        help_texts = {
            "involvement_users": _("Både i kommunene og i helseforetaket, i tråd med nasjonal veileder for brukermedvirkning."),
            "involvement_unions": _("Tillitsvalgte på begge nivåer."),
            "involvement_safety": _("Vernetjenesten på begge nivåer."),
        }


SECTIONS = {
    "prosjektet": BasicsForm,
    "beskrivelse": DescriptionForm,
    "nytte": BenefitForm,
    "finansiering": FinancingForm,
    "pasienter-digitalt": PatientsDigitalForm,
    "plan": PlanForm,
}


class StartForm(forms.Form):
    title = forms.CharField(label=_("Navn på prosjekt/pilot"), max_length=300)
    type = forms.ChoiceField(label=_("Søknadstype"))
    helsefellesskap = forms.ModelChoiceField(label=_("Sendes til helsefellesskap"), queryset=Helsefellesskap.objects.none())

    def __init__(self, call, communities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = call.type_choices()
        self.fields["helsefellesskap"].queryset = communities
        self.fields["helsefellesskap"].empty_label = None


class ParticipantForm(forms.Form):
    municipality = forms.ModelChoiceField(label=_("Kommune"), queryset=Municipality.objects.order_by("name"), required=False)
    trust = forms.ModelChoiceField(
        label=_("Helseforetak eller privat ideelt sykehus"), queryset=HealthTrust.objects.order_by("name"), required=False
    )
    district = forms.ModelChoiceField(
        label=_("Bydel"),
        queryset=CityDistrict.objects.select_related("municipality").order_by("municipality__name", "name"),
        required=False,
        help_text=_("En bydel deltar på vegne av sin kommune og telles som kommunen i statistikken."),
    )
    is_owner = forms.BooleanField(label=_("Prosjekteier"), required=False)
    contact_name = forms.CharField(label=_("Kontaktperson"), max_length=200)
    contact_email = forms.EmailField(label=_("E-post"))
    contact_phone = forms.CharField(label=_("Telefon"), max_length=40, required=False)
    publish_contact = forms.BooleanField(label=_("Kontaktpersonen samtykker til å vises i den åpne prosjektkatalogen"), required=False)

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("municipality", "trust", "district") if data.get(name)]
        if len(chosen) != 1:
            raise forms.ValidationError(_("Velg én kommune, ett helseforetak (eller privat ideelt sykehus) eller én bydel."))
        return data


class BudgetLineForm(forms.ModelForm):
    amount = KronerField(label=_("Beløp"), min_value=1)

    class Meta:
        model = BudgetLine
        fields = ["year", "kind", "participant", "amount", "hours", "description"]

    def __init__(self, application, *args, light=False, **kwargs):
        super().__init__(*args, **kwargs)
        if light:
            # The light form asks only what is applied for each year (see variants).
            self.instance.kind = BudgetLine.Kind.GRANT
            for name in ("kind", "participant", "hours", "description"):
                del self.fields[name]
            self.fields["year"].widget.attrs["inputmode"] = "numeric"
            return
        self.fields["participant"].queryset = application.participants.select_related("municipality", "trust", "district")
        self.fields["participant"].label_from_instance = lambda p: str(p.organisation)
        self.fields["participant"].help_text = _("Hvem bidrar? Ikke nødvendig for søkt tilskudd.")
        self.fields["year"].widget.attrs["inputmode"] = "numeric"
        self.fields["hours"].help_text = _("For arbeidstid: antall timer.")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and kind != BudgetLine.Kind.GRANT and not data.get("participant"):
            self.add_error("participant", _("Velg hvilken part som bidrar."))
        year = data.get("year")
        if year and not 2020 <= year <= 2100:
            self.add_error("year", _("Skriv et årstall, for eksempel 2027."))
        return data


class BenefitRowForm(forms.ModelForm):
    beneficiaries = forms.MultipleChoiceField(
        label=_("Hvem får nytte"), choices=BenefitRow.BENEFICIARIES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = BenefitRow
        fields = [
            "benefit",
            "description",
            "beneficiaries",
            "responsible",
            "measurement",
            "frequency_and_data",
            "prerequisites",
            "freed_resources",
            "time_horizon",
        ]
        widgets = {f: forms.Textarea(attrs={"rows": 2}) for f in ["description", "measurement", "frequency_and_data", "prerequisites", "freed_resources"]}


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type vedlegg"), choices=Attachment.Kind.choices)
    file = forms.FileField(label=_("Fil"), help_text=_("PDF, Word, Excel eller OpenDocument, høyst 20 MB."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".pdf,.docx,.xlsx,.odt,.ods"


class JoinRequestForm(forms.ModelForm):
    class Meta:
        model = JoinRequest
        fields = ["municipality", "contact_name", "contact_email", "contribution"]

    def __init__(self, municipalities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        self.fields["municipality"].empty_label = None


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Hva skal søkerne endre?"), widget=forms.Textarea(attrs={"rows": 3}))
