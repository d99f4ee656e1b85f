import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ArchiveSettings


class PostmottakForm(forms.ModelForm):
    class Meta:
        model = ArchiveSettings
        fields = ["postmottak"]
        error_messages = {"postmottak": {"invalid": _("Skriv en gyldig e-postadresse, for eksempel postmottak@kommune.no.")}}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Fra og med"), input_formats=["%Y-%m-%d", "%d.%m.%Y"], widget=forms.DateInput(attrs={"type": "date"}), error_messages={"invalid": _("Skriv datoen som dd.mm.åååå."), "required": _("Velg første dag.")})
    end = forms.DateField(label=_("Til og med"), input_formats=["%Y-%m-%d", "%d.%m.%Y"], widget=forms.DateInput(attrs={"type": "date"}), error_messages={"invalid": _("Skriv datoen som dd.mm.åååå."), "required": _("Velg siste dag.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["start"].initial = datetime.date(year, 1, 1)
        self.fields["end"].initial = datetime.date(year, 12, 31)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            raise forms.ValidationError(_("Første dag må være før siste dag."))
        return cleaned
