"""The GET forms of the catalogue and the statistics page. A value that is not one of
the choices is dropped (with the form's error shown) instead of failing the page."""

from dataclasses import dataclass

from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from rsportal.applications.models import PatientGroup, Theme
from rsportal.funding.models import Grant
from rsportal.registry.models import Helsefellesskap, Municipality, RegionalHealthAuthority

from rsportal.core import datacache as public_cache
from . import statistics
from .queries import CatalogueFilter, public_grants

ALL = [("", _("Alle"))]


@dataclass(frozen=True)
class Community:
    code: str
    name: str
    rhf_name: str


def catalogue_choices() -> dict:
    """The choices of the catalogue's filters, as plain values so they can be cached until the
    data changes (catalogue.cache): regions, communities, years with money, owner municipalities."""
    owns = Grant.municipalities.through.objects.filter(municipality=OuterRef("pk"), grant__in=public_grants())
    owners = Municipality.objects.filter(Exists(owns)).order_by("name", "number").values_list("number", "name")
    return {
        "rhf": list(RegionalHealthAuthority.objects.order_by("name").values_list("code", "name")),
        "communities": [Community(*row) for row in Helsefellesskap.objects.order_by("rhf__name", "name").values_list("code", "name", "rhf__name")],
        "years": [(y, y) for y in statistics.committed_years()],
        "municipalities": list(owners),
    }


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Søk i navn og beskrivelse"), required=False, max_length=200)
    rhf = forms.ChoiceField(label=_("Regionalt helseforetak"), required=False)
    helsefellesskap = forms.ChoiceField(label=_("Helsefellesskap"), required=False)
    tema = forms.ChoiceField(label=_("Tema"), required=False, choices=ALL + list(Theme.choices))
    pasientgruppe = forms.ChoiceField(label=_("Pasientgruppe"), required=False, choices=ALL + list(PatientGroup.choices))
    ar = forms.TypedChoiceField(label=_("Har tilsagn i år"), required=False, coerce=int, empty_value=None)
    kommune = forms.ChoiceField(label=_("Kommune (eier)"), required=False)

    def __init__(self, data=None):
        super().__init__(data)
        choices = public_cache.get_or_build("catalogue-choices", (), catalogue_choices)
        self.fields["rhf"].choices = ALL + choices["rhf"]
        self.communities = choices["communities"]
        self.fields["helsefellesskap"].choices = ALL + [(hf.code, hf.name) for hf in self.communities]
        self.fields["ar"].choices = ALL + choices["years"]
        self.fields["kommune"].choices = ALL + choices["municipalities"]

    def filters(self) -> CatalogueFilter:
        self.is_valid()  # invalid fields are left out of cleaned_data, the rest still filter
        data = self.cleaned_data
        return CatalogueFilter(
            q=data.get("q") or "",
            rhf=data.get("rhf") or "",
            helsefellesskap=data.get("helsefellesskap") or "",
            theme=data.get("tema") or "",
            patient_group=data.get("pasientgruppe") or "",
            year=data.get("ar"),
            municipality=data.get("kommune") or "",
        )

    def community_groups(self):
        """Helsefellesskap grouped by RHF, for an <optgroup> per region."""
        groups: dict[str, list] = {}
        for hf in self.communities:
            groups.setdefault(hf.rhf_name, []).append(hf)
        return list(groups.items())


class StatisticsForm(forms.Form):
    ar = forms.IntegerField(label=_("År"), required=False, min_value=2000, max_value=2100)
    rhf = forms.ChoiceField(label=_("Regionalt helseforetak"), required=False)
    uten = forms.IntegerField(label=_("Uten tilskudd"), required=False, min_value=1)

    def __init__(self, data=None):
        super().__init__(data)
        self.regions = list(RegionalHealthAuthority.objects.order_by("name"))
        self.fields["rhf"].choices = ALL + [(r.code, r.name) for r in self.regions]

    def values(self):
        """(year or None, RHF or None, grant id to leave out or None), ignoring invalid input."""
        self.is_valid()
        data = self.cleaned_data
        region = next((r for r in self.regions if r.code == data.get("rhf")), None)
        return data.get("ar"), region, data.get("uten")
