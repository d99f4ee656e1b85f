"""The secretariat's pages for its organisations, on the generic back office: the city districts
(bydeler) applications may name as participants, and the organisation number and postal address
each decision letter prints for a municipality, a district or a trust."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.core import backoffice

from . import domain
from .models import CityDistrict, HealthTrust, Municipality


class DistrictForm(forms.ModelForm):
    class Meta:
        model = CityDistrict
        fields = ["municipality", *domain.DISTRICT_FIELDS]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["municipality"]
        else:
            self.fields["municipality"].queryset = domain.manageable_municipalities(user).order_by("name")
            self.fields["municipality"].label_from_instance = lambda m: m.official_name


class LetterDetailsForm(forms.ModelForm):
    class Meta:
        fields = list(domain.ADDRESS_FIELDS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_number"].help_text = _("Ni sifre, slik det står i Enhetsregisteret.")
        self.fields["org_number"].widget.attrs["inputmode"] = "numeric"


def _municipality_form():
    return forms.modelform_factory(Municipality, form=LetterDetailsForm, fields=list(domain.ADDRESS_FIELDS))


def _trust_form():
    return forms.modelform_factory(HealthTrust, form=LetterDetailsForm, fields=list(domain.ADDRESS_FIELDS))


class Organisations:
    section = "organisations:districts"
    title_plural = gettext_lazy("Organisasjoner og bydeler")

    def may_use(self, user):
        return domain.manages_organisations(user)


# --- city districts ----------------------------------------------------------------------------


class Districts(Organisations):
    model = CityDistrict

    def scope(self):
        return domain.manageable_districts(self.request.user).select_related("municipality")

    def detail_url(self, obj):
        return reverse("organisations:district", args=[obj.pk])

    def history_url(self, obj):
        return reverse("organisations:district-history", args=[obj.pk])


class DistrictList(Districts, backoffice.List):
    template_name = "backoffice/registry/districts.html"
    # SSB's district number is kept for matching with SSB data, not shown: a six-digit code says nothing to a reader.
    columns = [("name", None), (lambda d: d.municipality.official_name, gettext_lazy("Kommune")), ("org_number", None)]
    create_url_name = "organisations:district-create"
    create_label = gettext_lazy("Registrer bydel")
    intro = gettext_lazy(
        "Bydelene kan være deltakere i en søknad. En bydel telles som sin kommune i statistikken (kommunesiden, "
        "kommunens innbyggere og deltakelse). Organisasjonsnummer og postadresse for kommunene og helseforetakene "
        "endres fra lenkene under."
    )

    def get_queryset(self):
        return super().get_queryset().order_by("municipality__name", "name")


class DistrictCreate(Districts, backoffice.Create):
    form_class = DistrictForm
    create_title = gettext_lazy("Registrer bydel")

    def perform(self, form, expected):
        return domain.register_district(self.request.user, municipality=form.cleaned_data["municipality"], **{k: form.cleaned_data[k] for k in domain.DISTRICT_FIELDS})


class DistrictUpdate(Districts, backoffice.Update):
    form_class = DistrictForm

    def perform(self, form, expected):
        return domain.update_district(self.request.user, self.object, expected=expected, **{k: form.cleaned_data[k] for k in domain.DISTRICT_FIELDS})


class DistrictDetail(Districts, backoffice.Detail):
    fields = [
        (lambda d: d.municipality.official_name, gettext_lazy("Kommune")),
        ("org_number", None),
        ("postal_address", None),
        (lambda d: d.official_name, gettext_lazy("Navn i brev")),
    ]

    def actions(self, obj):
        return [(_("Endre bydelen"), reverse("organisations:district-update", args=[obj.pk]))]


class DistrictHistory(Districts, backoffice.History):
    pass


# --- organisation numbers and addresses of municipalities and trusts ---------------------------


class Municipalities(Organisations):
    model = Municipality

    def scope(self):
        return domain.manageable_municipalities(self.request.user)

    def detail_url(self, obj):
        return reverse("organisations:municipality", args=[obj.pk])

    def history_url(self, obj):
        return reverse("organisations:municipality-history", args=[obj.pk])


class MunicipalityList(Municipalities, backoffice.List):
    columns = [(lambda m: m.official_name, gettext_lazy("Kommune")), ("number", None), ("org_number", None), (lambda m: m.postal_address or "–", gettext_lazy("Postadresse"))]
    intro = gettext_lazy("Organisasjonsnummer og postadresse slik vedtaksbrevene skriver dem. Et tomt felt står tomt i brevet; det gjettes aldri.")

    def get_queryset(self):
        return super().get_queryset().order_by("name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Kommuner")
        return context


class MunicipalityDetail(Municipalities, backoffice.Detail):
    fields = [("number", None), ("org_number", None), ("postal_address", None), ("notice_email", None)]

    def actions(self, obj):
        return [(_("Endre organisasjonsnummer og adresse"), reverse("organisations:municipality-update", args=[obj.pk]))]


class MunicipalityUpdate(Municipalities, backoffice.Update):
    def get_form_class(self):
        self.form_class = _municipality_form()
        return super().get_form_class()

    def perform(self, form, expected):
        return domain.update_letter_details(self.request.user, self.object, expected=expected, **{k: form.cleaned_data[k] for k in domain.ADDRESS_FIELDS})


class MunicipalityHistory(Municipalities, backoffice.History):
    pass


class Trusts(Organisations):
    model = HealthTrust

    def scope(self):
        return domain.manageable_trusts(self.request.user)

    def detail_url(self, obj):
        return reverse("organisations:trust", args=[obj.pk])

    def history_url(self, obj):
        return reverse("organisations:trust-history", args=[obj.pk])


class TrustList(Trusts, backoffice.List):
    columns = [("name", None), ("kind", None), ("org_number", None), (lambda t: t.postal_address or "–", gettext_lazy("Postadresse"))]
    intro = MunicipalityList.intro

    def get_queryset(self):
        return super().get_queryset().order_by("kind", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Helseforetak og private ideelle sykehus")
        return context


class TrustDetail(Trusts, backoffice.Detail):
    fields = [("kind", None), ("area_trust", None), ("org_number", None), ("postal_address", None)]

    def actions(self, obj):
        return [(_("Endre organisasjonsnummer og adresse"), reverse("organisations:trust-update", args=[obj.pk]))]


class TrustUpdate(Trusts, backoffice.Update):
    def get_form_class(self):
        self.form_class = _trust_form()
        return super().get_form_class()

    def perform(self, form, expected):
        return domain.update_letter_details(self.request.user, self.object, expected=expected, **{k: form.cleaned_data[k] for k in domain.ADDRESS_FIELDS})


class TrustHistory(Trusts, backoffice.History):
    pass


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Organisasjoner og bydeler"),
        description=gettext_lazy("Bydeler som kan delta i søknader, og organisasjonsnummer og postadresse til kommuner og helseforetak i brevene."),
        url_name="organisations:districts",
        may_use=domain.manages_organisations,
    )
)
