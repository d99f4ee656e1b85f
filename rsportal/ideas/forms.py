from django import forms
from django.utils.translation import gettext_lazy as _

from rsportal.registry.models import HealthTrust, Helsefellesskap, Municipality

from .models import Idea


class IdeaForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Idea
        fields = ["title", "problem", "approach", "target_group", "looking_for_partners", "wanted_partners", "contact_name", "contact_email", "contact_phone"]
        labels = {
            "title": _("Arbeidstittel"),
            "problem": _("Hvilket problem vil dere løse?"),
            "approach": _("Hva vil dere prøve ut?"),
            "target_group": _("Målgruppe"),
            "looking_for_partners": _("Vi søker samarbeidspartnere"),
            "wanted_partners": _("Hvilke kommuner eller helseforetak vil dere gjerne samarbeide med?"),
            "contact_name": _("Kontaktperson"),
            "contact_email": _("E-post"),
            "contact_phone": _("Telefon"),
        }
        help_texts = {
            "problem": _("Noen setninger holder. Dette blir «status for prosjektet» i søknaden."),
            "approach": _("Dette blir «hva skal gjennomføres» i søknaden."),
            "wanted_partners": _("Sekretariatet bruker dette når de foreslår partnere. Kan stå tomt."),
        }
        widgets = {"problem": forms.Textarea(attrs={"rows": 4}), "approach": forms.Textarea(attrs={"rows": 4}), "target_group": forms.Textarea(attrs={"rows": 2}), "wanted_partners": forms.Textarea(attrs={"rows": 2})}


class NewIdeaForm(IdeaForm):
    helsefellesskap = forms.ModelChoiceField(label=_("Helsefellesskap"), queryset=Helsefellesskap.objects.none())

    def __init__(self, communities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helsefellesskap"].queryset = communities
        self.fields["helsefellesskap"].empty_label = None
        self.order_fields(["helsefellesskap"])


class PartnerForm(forms.Form):
    municipality = forms.ModelChoiceField(label=_("Kommune"), queryset=Municipality.objects.order_by("name"), required=False)
    trust = forms.ModelChoiceField(label=_("Helseforetak eller privat ideelt sykehus"), queryset=HealthTrust.objects.order_by("name"), required=False)
    note = forms.CharField(label=_("Hvorfor passer de?"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if bool(data.get("municipality")) == bool(data.get("trust")):
            raise forms.ValidationError(_("Velg én kommune eller ett helseforetak."))
        return data


class ConvertForm(forms.Form):
    call = forms.ChoiceField(label=_("Utlysning"))
    type = forms.ChoiceField(label=_("Søknadstype"))

    def __init__(self, calls, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = {str(c.pk): c for c in calls}
        self.fields["call"].choices = [(str(c.pk), c.title) for c in calls]
        types = {}
        for call in calls:
            types.update(dict(call.type_choices()))
        self.fields["type"].choices = list(types.items())

    def clean_call(self):
        return self.calls[self.cleaned_data["call"]]
