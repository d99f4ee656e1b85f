"""People: invitations and the organisation roles a secretariat or an RHF administrator gives and ends."""

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.core import backoffice
from rsportal.core.formatting import person_name
from rsportal.registry.models import BodyMember, Municipality

from . import domain, permissions
from .forms import ConfirmForm, DecideRequestForm, EndRoleForm, InviteForm, NoticeEmailForm
from .models import Invitation, OrganisationRole, RepresentationRequest


def _may_invite(user) -> bool:
    return permissions.manages_roles(user) or permissions.manages_bodies(user)


class Roles:
    model = OrganisationRole
    section = "people:list"
    title_plural = gettext_lazy("Personer og roller")

    def may_use(self, user):
        return permissions.manages_roles(user)

    def scope(self):
        return permissions.manageable_roles(self.request.user).select_related("user", "municipality", "trust", "rhf")

    def detail_url(self, obj):
        return reverse("people:role-detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("people:role-history", args=[obj.pk])


def _person(role) -> str:
    return f"{person_name(role.user)} ({role.user.email})" if role.user.email else person_name(role.user)


class RoleList(Roles, backoffice.List):
    columns = [(_person, gettext_lazy("Person")), ("kind", None), ("organisation", gettext_lazy("Organisasjon")), ("valid_from", None), ("valid_to", None)]
    create_url_name = "people:invite"
    intro = gettext_lazy("Søkere for kommunene og helseforetaket, og RHF-administratorer. Nye personer inviteres på e-post; en rolle avsluttes med en siste dag og blir stående i historikken.")

    def get_queryset(self):
        return super().get_queryset().order_by("valid_to", "user__last_name", "user__first_name", "pk")
    create_label = gettext_lazy("Inviter en person")


class RoleDetail(Roles, backoffice.Detail):
    fields = [(_person, gettext_lazy("Person")), ("kind", None), ("organisation", gettext_lazy("Organisasjon")), ("valid_from", None), ("valid_to", None)]

    def actions(self, obj):
        return [(_("Avslutt rollen"), reverse("people:role-end", args=[obj.pk]))]


class RoleEnd(Roles, backoffice.End):
    form_class = EndRoleForm
    submit_label = gettext_lazy("Avslutt rollen")
    question = gettext_lazy("Rollen avsluttes fra datoen du velger. Den slettes ikke, men står i historikken.")

    def perform(self, form, expected):
        return domain.end_role(self.request.user, self.object, end=form.cleaned_data["end"], expected=expected)


class RoleHistory(Roles, backoffice.History):
    pass


class Invitations:
    model = Invitation
    section = "people:invitations"
    title_plural = gettext_lazy("Invitasjoner")

    def may_use(self, user):
        return _may_invite(user)

    def scope(self):
        return permissions.manageable_invitations(self.request.user).select_related("seat__body", "municipality", "trust", "rhf", "invited_by")

    def detail_url(self, obj):
        """A pending invitation's name leads to withdrawing it; there is nothing else to do with one."""
        return "" if obj.used_at or domain.problem(obj) else reverse("people:invitation-withdraw", args=[obj.pk])


def _status(invitation) -> str:
    if invitation.used_at:
        return _("Tatt imot %(when)s") % {"when": backoffice.display(invitation, "used_at")}
    if domain.problem(invitation):
        return _("Utløpt")
    return _("Venter, gyldig til %(when)s") % {"when": backoffice.display(invitation, "expires_at")}


class InvitationList(Invitations, backoffice.List):
    columns = [("name", None), ("email", None), ("grants", gettext_lazy("Gjelder")), ("created_at", None), (_status, gettext_lazy("Status"))]
    create_url_name = "people:invite"
    create_label = gettext_lazy("Inviter en person")


class InvitationWithdraw(Invitations, backoffice.End):
    form_class = ConfirmForm
    submit_label = gettext_lazy("Trekk tilbake")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Trekk tilbake invitasjonen til %(name)s") % {"name": self.object.name}
        context["question"] = _("Lenken som ble sendt til %(email)s (%(grants)s), slutter å virke med en gang.") % {"email": self.object.email, "grants": self.object.grants}
        return context

    def perform(self, form, expected):
        return domain.withdraw(self.request.user, self.object, expected=expected)

    def get_success_url(self):
        return reverse("people:invitations")

    def breadcrumbs(self):
        return backoffice.Scoped.breadcrumbs(self)


class Invite(Invitations, backoffice.Create):
    form_class = InviteForm
    submit_label = gettext_lazy("Send invitasjon")

    def seat(self):
        """The seat named in ?sete=, within the person's bodies (404 otherwise)."""
        if not hasattr(self, "_seat"):
            pk = self.request.GET.get("sete", "")
            self._seat = None
            if pk:
                if not pk.isdigit():
                    from django.http import Http404

                    raise Http404
                bodies = permissions.manageable_bodies(self.request.user)
                self._seat = get_object_or_404(BodyMember.objects.filter(body__in=bodies, user__isnull=True).select_related("body"), pk=pk)
        return self._seat

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "seat": self.seat()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seat = self.seat()
        context["title"] = _("Inviter en person")
        if seat:
            context["intro"] = _("Personen får en e-post med en lenke for å ta imot setet som %(role)s i %(body)s.") % {"role": seat.get_role_display().lower(), "body": seat.body.name}
        else:
            context["intro"] = _("Personen får en e-post med en engangslenke for å velge passord og ta imot rollen.")
        return context

    def perform(self, form, expected):
        invitation, _token = domain.invite(
            self.request.user, email=form.cleaned_data["email"], name=form.cleaned_data["name"], base_url=self.request.build_absolute_uri("/"), **form.grant_kwargs()
        )
        messages.success(self.request, _("Invitasjonen er sendt til %(email)s.") % {"email": invitation.email})
        return invitation

    def get_success_url(self):
        if self.object.seat_id:
            return reverse("bodies:seat-detail", args=[self.object.seat_id])
        return reverse("people:invitations")

    def cancel_url(self):
        seat = self.seat()
        return reverse("bodies:seat-detail", args=[seat.pk]) if seat else reverse("people:invitations")


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Personer og roller"),
        description=gettext_lazy("Inviter personer på e-post, og gi og avslutt roller som søker og RHF-administrator."),
        url_name="people:list",
        may_use=permissions.manages_roles,
    )
)
backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Invitasjoner"),
        description=gettext_lazy("Invitasjoner som er sendt, og om de er tatt imot."),
        url_name="people:invitations",
        may_use=_may_invite,
    )
)


# --- requests to represent a municipality or a trust --------------------------------------


class Requests:
    model = RepresentationRequest
    section = "people:requests"
    title_plural = gettext_lazy("Forespørsler om å representere")

    def may_use(self, user):
        return permissions.manages_roles(user)

    def scope(self):
        return permissions.manageable_requests(self.request.user).select_related("user", "municipality", "trust", "decided_by")

    def detail_url(self, obj):
        """Only a pending request has anything to do; an answered one stands in the list and the history."""
        return reverse("people:request-decide", args=[obj.pk]) if obj.status == RepresentationRequest.Status.PENDING else ""


def _requester(request) -> str:
    return _person(request)


class RequestList(Requests, backoffice.List):
    columns = [(_requester, gettext_lazy("Person")), ("organisation", gettext_lazy("Organisasjon")), ("created_at", None), ("status", None)]
    intro = gettext_lazy("Personer som ber om å bli søker for en kommune eller et helseforetak. Godkjenner du, får personen rollen som søker fra i dag.")

    def get_queryset(self):
        # Pending first (p sorts after a and r, hence the explicit ordering), newest first within each.
        from django.db.models import Case, IntegerField, Value, When

        pending = Case(When(status=RepresentationRequest.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
        return super().get_queryset().order_by(pending, "-created_at", "-pk")


class RequestDecide(Requests, backoffice.Update):
    form_class = DecideRequestForm
    submit_label = gettext_lazy("Send svaret")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        obj = self.object
        context["title"] = _("Svar på forespørselen fra %(user)s") % {"user": person_name(obj.user)}
        context["intro"] = _("%(who)s ber om å bli søker for %(org)s (sendt %(when)s). Melding: %(message)s") % {
            "who": _person(obj),
            "org": obj.organisation,
            "when": backoffice.display(obj, "created_at"),
            "message": obj.message or "–",
        }
        return context

    def perform(self, form, expected):
        approve = form.cleaned_data["decision"] == "approve"
        done = domain.decide_request(self.request.user, self.object, approve=approve, reason=form.cleaned_data["reason"], expected=expected)
        messages.success(self.request, _("Svaret er sendt til %(user)s.") % {"user": person_name(done.user)})
        return done

    def get_success_url(self):
        return reverse("people:requests")

    def breadcrumbs(self):
        return backoffice.Scoped.breadcrumbs(self)


# --- the member municipalities' addresses for notices --------------------------------------


class NoticeAddresses:
    model = Municipality
    section = "people:notice-addresses"
    title_plural = gettext_lazy("E-post for varsler til kommunene")

    def may_use(self, user):
        return permissions.manages_notice_addresses(user)

    def scope(self):
        return permissions.notice_municipalities(self.request.user).order_by("name")

    def detail_url(self, obj):
        return reverse("people:notice-address-update", args=[obj.pk])


class NoticeAddressList(NoticeAddresses, backoffice.List):
    columns = [("name", None), ("number", None), ("notice_email", None)]
    intro = gettext_lazy("Kommunenes postmottak. Varsler om søknader kommunen er med i, og forespørsler om å representere kommunen, sendes også hit.")


class NoticeAddressUpdate(NoticeAddresses, backoffice.Update):
    form_class = NoticeEmailForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("E-post for varsler til %(org)s") % {"org": self.object.official_name}
        return context

    def perform(self, form, expected):
        return domain.set_notice_email(self.request.user, self.object, notice_email=form.cleaned_data["notice_email"], expected=expected)

    def get_success_url(self):
        return reverse("people:notice-addresses")

    def breadcrumbs(self):
        return backoffice.Scoped.breadcrumbs(self)


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Forespørsler om å representere"),
        description=gettext_lazy("Godkjenn eller avslå forespørsler fra personer som vil søke for en kommune eller et helseforetak."),
        url_name="people:requests",
        may_use=permissions.manages_roles,
    )
)
backoffice.register(
    backoffice.Section(
        title=gettext_lazy("E-post for varsler til kommunene"),
        description=gettext_lazy("Postmottaket til hver medlemskommune, som får varsler om søknader og forespørsler."),
        url_name="people:notice-addresses",
        may_use=permissions.manages_notice_addresses,
    )
)
