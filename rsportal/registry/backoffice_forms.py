"""Forms of the bodies-and-seats pages. The rules themselves are in registry.domain; the seat form
asks the same check, so a broken rule is shown on its field before anything is saved."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rsportal.accounts import permissions

from . import domain
from .models import Body, BodyMember, HealthTrust, Membership, Municipality


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class BodyForm(forms.ModelForm):
    owner = forms.ChoiceField(label=_("Hører til"))

    class Meta:
        model = Body
        fields = domain.BODY_FIELDS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["owner"]
            return
        choices = [(f"hf-{hf.pk}", hf.name) for hf in permissions.managed_helsefellesskap(user)]
        choices += [(f"rhf-{rhf.pk}", rhf.name) for rhf in permissions.managed_rhfs(user)]
        self.fields["owner"].choices = choices
        self.order_fields(["owner"])

    def owner_kwargs(self) -> dict:
        from .models import Helsefellesskap, RegionalHealthAuthority

        kind, pk = self.cleaned_data["owner"].split("-")
        return {"helsefellesskap": Helsefellesskap.objects.get(pk=pk)} if kind == "hf" else {"rhf": RegionalHealthAuthority.objects.get(pk=pk)}


class SeatForm(forms.ModelForm):
    class Meta:
        model = BodyMember
        fields = domain.SEAT_FIELDS
        widgets = {"start": DateInput(), "end": DateInput()}
        labels = {"start": _("Fra og med"), "end": _("Til og med")}

    def __init__(self, *args, user, body: Body, **kwargs):
        super().__init__(*args, **kwargs)
        self.body = body
        today = timezone.localdate()
        members = Membership.objects.valid_on(today)
        members = members.filter(helsefellesskap=body.helsefellesskap) if body.helsefellesskap_id else members.filter(helsefellesskap__rhf=body.rhf)
        # The current members, and the one already on the seat (a former member keeps the seat's history).
        self.fields["municipality"].queryset = Municipality.objects.filter(Q(pk__in=members.values("municipality")) | Q(pk=self.instance.municipality_id)).order_by("name")
        self.fields["trust"].queryset = HealthTrust.objects.filter(rhf=body.owner_rhf)
        self.fields["municipality"].empty_label = _("Ingen")
        self.fields["trust"].empty_label = _("Ingen")
        if not self.instance.pk:
            self.initial.setdefault("start", today)

    def clean(self):
        cleaned = super().clean()
        try:
            domain.check_seat(self.body, cleaned)
        except forms.ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


class EndSeatForm(forms.Form):
    end = forms.DateField(label=_("Siste dag i setet"), widget=DateInput())

    def __init__(self, *args, user, instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("end", timezone.localdate())
