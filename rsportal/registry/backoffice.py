"""The secretariat's pages for its bodies and their seats, on the generic back office."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.accounts import permissions
from rsportal.core import backoffice

from . import domain
from .backoffice_forms import BodyForm, EndSeatForm, SeatForm
from .models import Body, BodyMember


def _owner(body) -> str:
    return str(body.helsefellesskap or body.rhf)


class Bodies:
    """Bodies of the person's helsefellesskap and RHF."""

    model = Body
    section = "bodies:list"
    title_plural = gettext_lazy("Organer og seter")

    def may_use(self, user):
        return permissions.manages_bodies(user)

    def scope(self):
        return permissions.manageable_bodies(self.request.user).select_related("helsefellesskap", "rhf")

    def detail_url(self, obj):
        return reverse("bodies:detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("bodies:history", args=[obj.pk])


class BodyList(Bodies, backoffice.List):
    columns = [("name", None), ("kind", None), (_owner, gettext_lazy("Hører til")), ("seat_count", gettext_lazy("Seter i dag"))]
    create_url_name = "bodies:create"
    create_label = gettext_lazy("Nytt organ")
    intro = gettext_lazy("Organene dere holder selv: utvalg, arbeidsutvalg, vurderingsnemnd og sekretariat. Velg et organ for å legge til, endre eller avslutte seter.")

    def get_queryset(self):
        today = timezone.localdate()
        active = Q(members__start__lte=today) & (Q(members__end__isnull=True) | Q(members__end__gte=today))
        return super().get_queryset().annotate(seat_count=Count("members", filter=active)).order_by("helsefellesskap__name", "rhf__name", "kind", "name")


class BodyCreate(Bodies, backoffice.Create):
    form_class = BodyForm
    create_title = gettext_lazy("Nytt organ")

    def perform(self, form, expected):
        values = {k: form.cleaned_data[k] for k in domain.BODY_FIELDS}
        return domain.create_body(self.request.user, **form.owner_kwargs(), **values)


class BodyUpdate(Bodies, backoffice.Update):
    form_class = BodyForm

    def perform(self, form, expected):
        return domain.update_body(self.request.user, self.object, expected=expected, **{k: form.cleaned_data[k] for k in domain.BODY_FIELDS})


class BodyDetail(Bodies, backoffice.Detail):
    fields = [("kind", None), (_owner, gettext_lazy("Hører til")), ("decision_rule", None), ("quorum", None), ("requires_both_sides", None)]
    extra_template = "backoffice/registry/_seats.html"

    def actions(self, obj):
        return [(_("Endre organet"), reverse("bodies:update", args=[obj.pk])), (_("Legg til sete"), reverse("bodies:seat-create", args=[obj.pk]))]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seats = list(self.object.members.select_related("municipality", "trust", "user").order_by("end", "role", "name"))
        today = timezone.localdate()
        context["current_seats"] = [s for s in seats if s.start <= today and (s.end is None or s.end >= today)]
        context["future_seats"] = [s for s in seats if s.start > today]
        context["ended_seats"] = [s for s in seats if s.end is not None and s.end < today]
        context["rotation"] = domain.rotation(self.object)
        return context


class BodyHistory(Bodies, backoffice.History):
    def audit_children(self, obj):
        return list(obj.members.all())


class Seats:
    """Seats of the bodies the person keeps."""

    model = BodyMember
    section = "bodies:list"
    title_plural = gettext_lazy("Organer og seter")

    def may_use(self, user):
        return permissions.manages_bodies(user)

    def scope(self):
        return BodyMember.objects.filter(body__in=permissions.manageable_bodies(self.request.user)).select_related("body", "municipality", "trust", "user")

    def detail_url(self, obj):
        return reverse("bodies:seat-detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("bodies:seat-history", args=[obj.pk])

    def parent_crumbs(self):
        body = self.body()
        return [(body.name, reverse("bodies:detail", args=[body.pk]))]

    def body(self):
        return self.object.body

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "body": self.body()}


class SeatCreate(Seats, backoffice.Create):
    form_class = SeatForm

    def body(self):
        if not hasattr(self, "_body"):
            self._body = get_object_or_404(permissions.manageable_bodies(self.request.user), pk=self.kwargs["body"])
        return self._body

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.may_use(request.user):
            self.body()  # a body outside scope is a 404 before anything else
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Nytt sete i %(body)s") % {"body": self.body().name}
        return context

    def perform(self, form, expected):
        return domain.add_seat(self.request.user, self.body(), **{k: form.cleaned_data[k] for k in domain.SEAT_FIELDS})


class SeatUpdate(Seats, backoffice.Update):
    form_class = SeatForm

    def perform(self, form, expected):
        return domain.change_seat(self.request.user, self.object, expected=expected, **{k: form.cleaned_data[k] for k in domain.SEAT_FIELDS})


class SeatEnd(Seats, backoffice.End):
    form_class = EndSeatForm
    submit_label = gettext_lazy("Avslutt setet")
    question = gettext_lazy("Setet avsluttes fra datoen du velger, men slettes ikke: hvem som satt i organet, og når, står i historikken.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("body")
        return kwargs

    def perform(self, form, expected):
        return domain.end_seat(self.request.user, self.object, end=form.cleaned_data["end"], expected=expected)


class SeatDetail(Seats, backoffice.Detail):
    fields = [
        ("name", None), ("role", None), ("side", None), ("voting_label", gettext_lazy("Stemmerett")), ("basis", None),
        ("municipality", None), ("trust", None), ("start", gettext_lazy("Fra og med")), ("end", gettext_lazy("Til og med")),
        (lambda seat: seat.user.email if seat.user_id else _("Ingen konto knyttet til setet ennå"), gettext_lazy("Konto")),
    ]

    def actions(self, obj):
        actions = [(_("Endre setet"), reverse("bodies:seat-update", args=[obj.pk])), (_("Avslutt setet"), reverse("bodies:seat-end", args=[obj.pk]))]
        if not obj.user_id:
            actions.append((_("Inviter personen"), reverse("people:invite") + f"?sete={obj.pk}"))
        return actions


class SeatHistory(Seats, backoffice.History):
    pass


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Organer og seter"),
        description=gettext_lazy("SSU, FSU, AU, vurderingsnemnd, sekretariat og STU: seter, roller, stemmerett og perioder."),
        url_name="bodies:list",
        may_use=permissions.manages_bodies,
    )
)
