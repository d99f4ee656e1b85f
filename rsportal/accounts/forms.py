from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rsportal.registry.models import BodyMember, HealthTrust, Helsefellesskap, Membership, Municipality, RegionalHealthAuthority

from . import permissions
from .models import OrganisationRole


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class InviteForm(forms.Form):
    """Name, e-mail and what the person gets: a seat (from the seat's page) or an organisation role."""

    name = forms.CharField(label=_("Navn"), max_length=160)
    email = forms.EmailField(label=_("E-post"), help_text=_("Invitasjonen sendes hit. Lenken kan brukes én gang og virker i 14 dager."))
    grant = forms.ChoiceField(label=_("Rolle"))

    def __init__(self, *args, user, seat: BodyMember | None = None, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.seat = seat
        if seat is not None:
            del self.fields["grant"]
            self.initial.setdefault("name", seat.name)
            return
        self.fields["grant"].choices = [("", _("Velg rolle"))] + grantable(user)

    def grant_kwargs(self) -> dict:
        if self.seat is not None:
            return {"seat": self.seat}
        kind, org, pk = self.cleaned_data["grant"].split(":")
        model = {"m": Municipality, "t": HealthTrust, "r": RegionalHealthAuthority}[org]
        field = {"m": "municipality", "t": "trust", "r": "rhf"}[org]
        return {"kind": kind, field: model.objects.get(pk=pk)}


def grantable(user) -> list[tuple[str, str]]:
    """The roles the person may give, as choices: applicant for each municipality and trust in
    scope, and RHF administrator for their own RHF."""
    applicant = OrganisationRole.Kind.APPLICANT
    today = timezone.localdate()
    rhfs = permissions.managed_rhfs(user, secretariat=False)
    hfs = permissions.managed_helsefellesskap(user)
    if permissions.is_system_admin(user):
        hfs = Helsefellesskap.objects.all()
    municipalities = Municipality.objects.filter(
        pk__in=Membership.objects.valid_on(today).filter(helsefellesskap__in=hfs).values("municipality")
    ) | Municipality.objects.filter(pk__in=Membership.objects.valid_on(today).filter(helsefellesskap__rhf__in=rhfs).values("municipality"))
    trusts = HealthTrust.objects.filter(rhf__in=rhfs) | HealthTrust.objects.filter(helsefellesskap__in=hfs) | HealthTrust.objects.filter(area_trust__helsefellesskap__in=hfs)
    choices = [(f"{applicant}:m:{m.pk}", _("Søker for %(org)s") % {"org": m.name}) for m in municipalities.distinct().order_by("name")]
    choices += [(f"{applicant}:t:{t.pk}", _("Søker for %(org)s") % {"org": t.name}) for t in trusts.distinct().order_by("name")]
    choices += [(f"{OrganisationRole.Kind.RHF_ADMIN}:r:{r.pk}", _("RHF-administrator for %(org)s") % {"org": r.name}) for r in rhfs.order_by("name")]
    return choices


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button is the answer (the version field is added by the view)."""

    def __init__(self, *args, user, instance, **kwargs):
        super().__init__(*args, **kwargs)


class EndRoleForm(forms.Form):
    end = forms.DateField(label=_("Siste dag i rollen"), widget=DateInput())

    def __init__(self, *args, user, instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("end", timezone.localdate())


class NewAccountForm(forms.Form):
    """The password for a new account, checked by Django's password validators."""

    password1 = forms.CharField(label=_("Velg passord"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("Minst 10 tegn, ikke bare tall og ikke likt navnet eller e-postadressen din."))
    password2 = forms.CharField(label=_("Skriv passordet en gang til"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, invitation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        first, _sep, last = invitation.name.rpartition(" ")
        self.candidate = get_user_model()(username=invitation.email.lower(), email=invitation.email, first_name=first, last_name=last)

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("Passordene er ikke like."))
        elif one:
            try:
                password_validation.validate_password(one, self.candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


def representable() -> list[tuple[str, str]]:
    """Municipalities that are members of a helsefellesskap today and trusts with one, by name:
    the organisations a request can be answered for."""
    today = timezone.localdate()
    municipalities = Municipality.objects.filter(pk__in=Membership.objects.valid_on(today).values("municipality")).order_by("name")
    with_community = Helsefellesskap.objects.values("trust")
    trusts = HealthTrust.objects.filter(Q(pk__in=with_community) | Q(area_trust__in=with_community)).order_by("name")
    return [(f"m:{m.pk}", m.official_name) for m in municipalities] + [(f"t:{t.pk}", t.name) for t in trusts]


class RepresentationRequestForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Kommune eller helseforetak"))
    message = forms.CharField(
        label=_("Melding til sekretariatet"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Skriv kort hvem du er og hvilken stilling du har, så sekretariatet kan kjenne deg igjen."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("Velg kommune eller helseforetak"))] + representable()

    def organisation_kwargs(self) -> dict:
        kind, pk = self.cleaned_data["organisation"].split(":")
        if kind == "m":
            return {"municipality": Municipality.objects.get(pk=pk)}
        return {"trust": HealthTrust.objects.get(pk=pk)}


class DecideRequestForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Svar"), choices=[("approve", _("Godkjenn: personen blir søker")), ("refuse", _("Avslå"))], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Begrunnelse"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Må fylles ut ved avslag. Sendes på e-post til personen som spurte."),
    )

    def __init__(self, *args, user, instance, **kwargs):
        super().__init__(*args, **kwargs)


class NoticeEmailForm(forms.Form):
    notice_email = forms.EmailField(label=_("E-post for varsler"), required=False, help_text=Municipality._meta.get_field("notice_email").help_text)

    def __init__(self, *args, user, instance, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("notice_email", instance.notice_email)
