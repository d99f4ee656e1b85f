"""The RHF administrator's money pages (/administrasjon/midler/), on the generic back office.

An RHF administrator manages the money of their own RHF; a system administrator all. Everything
else (a helsefellesskap's secretariat, another RHF's administrator) gets 403, and an object of
another RHF is a 404. Every change goes through a funding.domain function, which checks the
permission again, locks the pot and refuses to over-commit it; its refusals are shown as form
errors with the typed values kept, a pot changed meanwhile with 409."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from rsportal.accounts import permissions
from rsportal.core import backoffice
from rsportal.core.formatting import kroner

from . import domain, queries
from .models import Appropriation, Commitment, DistributionKey, FrameEntry, Pot
from .office_forms import AllocationForm, AppropriationForm, ConfirmForm, KeyForm, PassForm, PotForm, ReleaseForm, TransferForm


def manages_rhf_money(user) -> bool:
    return permissions.managed_rhfs(user, secretariat=False).exists()


def _rhfs(user):
    return permissions.managed_rhfs(user, secretariat=False)


class Money:
    section = "money:appropriations"

    def may_use(self, user):
        return manages_rhf_money(user)


# --- appropriations ----------------------------------------------------------------


class Appropriations(Money):
    model = Appropriation
    title_plural = gettext_lazy("Bevilgninger")

    def scope(self):
        user = self.request.user
        base = Appropriation.objects.select_related("rhf", "key")
        if permissions.is_system_admin(user):
            return base
        return base.filter(Q(rhf__in=_rhfs(user)) | Q(shares__rhf__in=_rhfs(user))).distinct()

    def detail_url(self, obj):
        return reverse("money:appropriation-detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("money:appropriation-history", args=[obj.pk])


def _status(appropriation) -> str:
    return _("Forventet") if appropriation.expected else _("Vedtatt")


def _recipient(appropriation) -> str:
    return appropriation.rhf.name if appropriation.rhf_id else str(appropriation.key)


class AppropriationList(Appropriations, backoffice.List):
    columns = [
        ("name", None),
        ("year", None),
        (_recipient, gettext_lazy("Mottaker")),
        (lambda a: kroner(a.amount), gettext_lazy("Beløp")),
        (_status, gettext_lazy("Status")),
        ("booked_at", None),
    ]
    template_name = "backoffice/money/appropriation_list.html"
    create_url_name = "money:appropriation-create"
    create_label = gettext_lazy("Bokfør bevilgning")
    intro = gettext_lazy(
        "Bevilgningene til RHF-et. Et forventet år (varig tilskudd før statsbudsjettet er vedtatt) gir en ramme RHF-et kan "
        "gi betingede tilsagn mot; når budsjettet er vedtatt, bekreftes eller frigjøres de betingede tilsagnene."
    )

    def get_queryset(self):
        return super().get_queryset().order_by("-year", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["links"] = [
            (_("Potter"), reverse("money:pots")),
            (_("Fordelingsnøkler"), reverse("money:keys")),
            (_("Betingede tilsagn"), reverse("money:conditional")),
        ]
        return context


class AppropriationCreate(Appropriations, backoffice.Create):
    form_class = AppropriationForm
    create_title = gettext_lazy("Bokfør bevilgning")
    submit_label = gettext_lazy("Bokfør")

    def perform(self, form, expected):
        data = form.cleaned_data
        try:
            return domain.book_rhf_appropriation(
                self.request.user, rhf=data["rhf"], year=data["year"], name=data["name"], amount=data["amount"],
                expected=data["expected"], reference=data["reference"], earmarked_for=data["earmarked_for"],
            )
        except domain.FundingError as exc:
            raise ValidationError(str(exc)) from exc


class AppropriationDetail(Appropriations, backoffice.Detail):
    fields = [
        ("year", None), (_recipient, gettext_lazy("Mottaker")), (lambda a: kroner(a.amount), gettext_lazy("Beløp")),
        (_status, gettext_lazy("Status")), ("earmarked_for", None), ("reference", None), ("booked_at", None),
    ]

    def actions(self, obj):
        actions = []
        if obj.expected:
            actions.append((_("Marker som vedtatt i statsbudsjettet"), reverse("money:appropriation-pass", args=[obj.pk])))
        actions.append((_("Betingede tilsagn for %(year)s") % {"year": obj.year}, reverse("money:conditional") + f"?ar={obj.year}"))
        return actions


class AppropriationHistory(Appropriations, backoffice.History):
    pass


class AppropriationPass(Appropriations, backoffice.Update):
    form_class = PassForm
    submit_label = gettext_lazy("Marker som vedtatt")

    def get_queryset(self):
        return super().get_queryset().filter(expected=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("%(what)s er vedtatt") % {"what": self.object}
        context["intro"] = _(
            "Bevilgningen regnes da som vedtatte midler. Gå deretter gjennom de betingede tilsagnene for %(year)s og bekreft eller frigjør dem."
        ) % {"year": self.object.year}
        return context

    def perform(self, form, expected):
        try:
            return domain.pass_appropriation(self.request.user, self.object, expected=expected, reference=form.cleaned_data["reference"])
        except domain.FundingError as exc:
            raise ValidationError(str(exc)) from exc


def frame_rows(pot) -> list[tuple]:
    """The pot's years with the part of each frame booked from appropriations not yet passed."""
    expected = dict(
        FrameEntry.objects.filter(pot_year__pot=pot, appropriation_share__appropriation__expected=True)
        .values("pot_year__year")
        .annotate(total=Sum("amount"))
        .values_list("pot_year__year", "total")
    )
    return [(s, expected.get(s.year, 0)) for s in queries.year_summaries([pot])[pot.pk]]


# --- pots --------------------------------------------------------------------------


class Pots(Money):
    model = Pot
    title_plural = gettext_lazy("Potter")

    def scope(self):
        return Pot.objects.filter(rhf__in=_rhfs(self.request.user)).select_related("rhf", "helsefellesskap", "parent")

    def breadcrumbs(self):
        crumbs = [(_("Administrasjon"), reverse("backoffice:index")), (_("Midler"), reverse("money:appropriations")), (_("Potter"), reverse("money:pots"))]
        return crumbs + self.parent_crumbs()

    def detail_url(self, obj):
        return reverse("money:pot-detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("money:pot-history", args=[obj.pk])


class PotList(Pots, backoffice.List):
    columns = [("name", None), ("kind", None), ("rhf", None), ("helsefellesskap", None), ("parent", None)]
    create_url_name = "money:pot-create"
    create_label = gettext_lazy("Ny pott")
    intro = gettext_lazy("RHF-ets potter og helsefellesskapenes. Velg en pott for å overføre til helsefellesskapene eller tildele midler direkte.")

    def breadcrumbs(self):
        return super().breadcrumbs()[:-1]

    def get_queryset(self):
        return super().get_queryset().order_by("rhf__name", "helsefellesskap__name", "name")


class PotCreate(Pots, backoffice.Create):
    form_class = PotForm
    create_title = gettext_lazy("Ny pott")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "pots": self.scope()}

    def perform(self, form, expected):
        data = form.cleaned_data
        try:
            return domain.create_pot(
                self.request.user, parent=data["parent"], name=data["name"], kind=data["kind"],
                helsefellesskap=data["helsefellesskap"], description=data["description"],
            )
        except domain.FundingError as exc:
            raise ValidationError(str(exc)) from exc


class PotDetail(Pots, backoffice.Detail):
    fields = [("kind", None), ("rhf", None), ("helsefellesskap", None), ("parent", None), ("description", None)]
    extra_template = "backoffice/money/_pot_years.html"

    def actions(self, obj):
        actions = []
        if obj.helsefellesskap_id is None:
            actions.append((_("Overfør til helsefellesskap"), reverse("money:pot-transfer", args=[obj.pk])))
        actions.append((_("Direkte tildeling"), reverse("money:pot-allocate", args=[obj.pk])))
        actions.append((_("Avsetninger og overføring til neste år"), reverse("funding:pot-detail", args=[obj.pk])))
        return actions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["frames"] = frame_rows(self.object)
        return context


class PotHistory(Pots, backoffice.History):
    def audit_children(self, obj):
        return [*obj.years.all(), *Commitment.objects.filter(pot_year__pot=obj)]


# --- actions on a pot: the form carries the pot's version --------------------------------


class PotAction(Pots, backoffice.Scoped, generic.FormView):
    """A form on one pot of the person's RHFs. `perform` calls the domain function; a money rule
    it refuses is a form error (400), a pot changed meanwhile 409 with the new version."""

    template_name = "backoffice/money/form.html"
    title = ""
    pot_kwarg = "source"  # the name the form takes the pot under
    submit_label = gettext_lazy("Lagre")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.may_use(request.user):
            self.pot = get_object_or_404(self.scope(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def parent_crumbs(self):
        return [(self.pot.name, self.detail_url(self.pot))]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs[self.pot_kwarg] = self.pot
        return kwargs

    def get_initial(self):
        return {"expected": self.pot.version, "year": timezone.localdate().year}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title % {"pot": self.pot.name}, submit_label=self.submit_label, cancel_url=self.detail_url(self.pot))
        context["frames"] = frame_rows(self.pot)
        return context

    def form_valid(self, form):
        try:
            message = self.perform(form)
        except domain.StaleEdit as exc:
            self.pot.refresh_from_db()
            form.data = form.data.copy()
            form.data[form.add_prefix("expected")] = self.pot.version
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(form=form, stale=True), status=409)
        except (domain.FundingError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(self.detail_url(self.pot))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PotTransfer(PotAction):
    """Transfer from an RHF pot to the helsefellesskap: by key (previewed, then confirmed) or by amount."""

    form_class = TransferForm
    title = gettext_lazy("Overfør fra %(pot)s til helsefellesskap")
    submit_label = gettext_lazy("Vis fordelingen")

    def scope(self):
        return super().scope().filter(helsefellesskap__isnull=True)

    def get_initial(self):
        return {**super().get_initial(), "mode": TransferForm.BY_KEY}

    def parts(self, form) -> list[tuple[Pot, int]]:
        data = form.cleaned_data
        if data["mode"] == TransferForm.BY_AMOUNT:
            return [(data["target"], data["amount"])]
        shares = [(s.helsefellesskap, s.share) for s in data["key"].shares.select_related("helsefellesskap") if s.helsefellesskap_id and s.helsefellesskap.rhf_id == self.pot.rhf_id]
        parts = []
        for hf, amount in domain.split_by_shares(data["amount"], shares):
            target = domain.helsefellesskap_pot(self.pot, hf)
            if target is None:
                raise domain.FundingError(
                    _("%(hf)s har ingen pott som finansieres fra %(pot)s. Opprett den først.") % {"hf": hf.name, "pot": self.pot.name}
                )
            parts.append((target, amount))
        return parts

    def form_valid(self, form):
        if "confirm" in self.request.POST:
            return super().form_valid(form)
        try:
            parts = self.parts(form)
        except domain.FundingError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        year = form.cleaned_data["year"]
        preview = [(pot.helsefellesskap.name, pot.name, kroner(amount), domain.transfers_this_year(pot.helsefellesskap, year)) for pot, amount in parts]
        return self.render_to_response(self.get_context_data(form=form, preview=preview, preview_total=kroner(sum(a for _p, a in parts))))

    def perform(self, form):
        parts = self.parts(form)
        data = form.cleaned_data
        domain.transfer_to_helsefellesskap(
            self.request.user, source=self.pot, year=data["year"], parts=parts, note=data["note"], expected_version=data["expected"]
        )
        return _("%(amount)s er overført for %(year)s.") % {"amount": kroner(sum(a for _p, a in parts)), "year": data["year"]}


class PotAllocate(PotAction):
    """A direct allocation decided by a body, outside any call."""

    form_class = AllocationForm
    pot_kwarg = "pot"
    title = gettext_lazy("Direkte tildeling fra %(pot)s")
    submit_label = gettext_lazy("Bokfør tildelingen")

    def get_initial(self):
        return {"expected": self.pot.version, "year_1": timezone.localdate().year}

    def perform(self, form):
        data = form.cleaned_data
        domain.allocate_by_decision(
            self.request.user, pot=self.pot, amounts=data["amounts"], body=data["body"], decided_on=data["decided_on"],
            reason=data["reason"], expected_version=data["expected"],
        )
        return _("Tildelingen er bokført: %(amount)s.") % {"amount": kroner(sum(data["amounts"].values()))}


# --- distribution keys ---------------------------------------------------------------------


class Keys(Money):
    model = DistributionKey
    title_plural = gettext_lazy("Fordelingsnøkler")

    def scope(self):
        if permissions.is_system_admin(self.request.user):
            return DistributionKey.objects.all()
        return DistributionKey.objects.filter(shares__helsefellesskap__rhf__in=_rhfs(self.request.user)).distinct()

    def breadcrumbs(self):
        crumbs = [(_("Administrasjon"), reverse("backoffice:index")), (_("Midler"), reverse("money:appropriations")), (_("Fordelingsnøkler"), reverse("money:keys"))]
        return crumbs + self.parent_crumbs()

    def detail_url(self, obj):
        return reverse("money:key-detail", args=[obj.pk])

    def history_url(self, obj):
        return reverse("money:key-history", args=[obj.pk])


def _share_summary(key) -> str:
    return ", ".join(f"{s.helsefellesskap or s.rhf}: {s.share.normalize():f}".replace(".", ",") for s in key.shares.all())


class KeyList(Keys, backoffice.List):
    template_name = "backoffice/money/appropriation_list.html"
    columns = [("name", None), (_share_summary, gettext_lazy("Andeler")), ("description", None)]
    create_label = gettext_lazy("Ny fordelingsnøkkel")
    intro = gettext_lazy("Andelene en overføring til helsefellesskapene fordeles etter. En nøkkel endres ikke etter at den er laget: en ny fordeling er en ny nøkkel.")

    def breadcrumbs(self):
        return super().breadcrumbs()[:-1]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("shares__helsefellesskap", "shares__rhf").order_by("name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rhfs = list(_rhfs(self.request.user).order_by("name"))
        context["create_url"] = reverse("money:key-create", args=[rhfs[0].pk]) if len(rhfs) == 1 else ""
        context["links"] = [(_("Ny nøkkel for %(rhf)s") % {"rhf": rhf.name}, reverse("money:key-create", args=[rhf.pk])) for rhf in rhfs] if len(rhfs) > 1 else []
        return context


class KeyCreate(Keys, backoffice.Create):
    form_class = KeyForm
    create_title = gettext_lazy("Ny fordelingsnøkkel")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.may_use(request.user):
            self.rhf = get_object_or_404(_rhfs(request.user), pk=kwargs["rhf"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "rhf": self.rhf}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Ny fordelingsnøkkel for %(rhf)s") % {"rhf": self.rhf.name}
        return context

    def perform(self, form, expected):
        try:
            return domain.create_distribution_key(
                self.request.user, rhf=self.rhf, name=form.cleaned_data["name"], description=form.cleaned_data["description"], shares=form.shares()
            )
        except domain.FundingError as exc:
            raise ValidationError(str(exc)) from exc


class KeyDetail(Keys, backoffice.Detail):
    fields = [("description", None), (_share_summary, gettext_lazy("Andeler"))]


class KeyHistory(Keys, backoffice.History):
    pass


# --- conditional later-year commitments ------------------------------------------------


class Conditional(Money, backoffice.Scoped, generic.TemplateView):
    """The conditional commitments of a year, each to be confirmed or released once the
    appropriation for the year is passed."""

    model = Commitment
    template_name = "backoffice/money/conditional.html"
    title_plural = gettext_lazy("Betingede tilsagn")

    def scope(self):
        return Commitment.objects.filter(status=Commitment.Status.CONDITIONAL, pot_year__pot__rhf__in=_rhfs(self.request.user)).select_related(
            "pot_year__pot", "grant"
        )

    def breadcrumbs(self):
        return [(_("Administrasjon"), reverse("backoffice:index")), (_("Midler"), reverse("money:appropriations"))]

    def year(self) -> int:
        try:
            return int(self.request.GET.get("ar") or self.request.POST.get("ar") or "")
        except ValueError:
            years = list(self.scope().order_by("pot_year__year").values_list("pot_year__year", flat=True)[:1])
            return years[0] if years else timezone.localdate().year

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = self.year()
        rows = [
            (c, kroner(c.amount), kwargs.get("forms", {}).get(c.pk) or ReleaseForm(prefix=f"c{c.pk}", initial={"expected": c.pot_year.pot.version}))
            for c in self.scope().filter(pot_year__year=year).order_by("pot_year__pot__name", "pot_year__pot_id", "id")
        ]
        years = sorted(set(self.scope().values_list("pot_year__year", flat=True)))
        context.update(title=_("Betingede tilsagn %(year)s") % {"year": year}, year=year, rows=rows, years=years)
        return context


class CommitmentAction(Conditional):
    """POST only: confirm or release one conditional commitment; errors redraw the list."""

    form_class: type[forms.Form] = ConfirmForm

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":  # like require_POST: 405 before anything else
            return HttpResponseNotAllowed(["POST"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk):
        commitment = get_object_or_404(self.scope(), pk=pk)
        form = self.form_class(request.POST, prefix=f"c{pk}")
        status = 400
        if form.is_valid():
            try:
                message = self.perform(commitment, form)
            except domain.StaleEdit as exc:
                form.add_error(None, str(exc))
                status = 409
            except domain.FundingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, message)
                return redirect(reverse("money:conditional") + f"?ar={commitment.pot_year.year}")
        self.request.GET = self.request.GET.copy()
        self.request.GET["ar"] = str(commitment.pot_year.year)
        forms_by_pk = {pk: form} if isinstance(form, ReleaseForm) else {}
        return self.render_to_response(self.get_context_data(forms=forms_by_pk, error=form.errors), status=status)


class CommitmentConfirm(CommitmentAction):
    form_class = ConfirmForm

    def perform(self, commitment, form):
        domain.confirm_commitment(self.request.user, commitment, expected_version=form.cleaned_data["expected"])
        return _("Tilsagnet på %(amount)s er bekreftet.") % {"amount": kroner(commitment.amount)}


class CommitmentRelease(CommitmentAction):
    form_class = ReleaseForm

    def perform(self, commitment, form):
        domain.release_conditional(self.request.user, commitment, form.cleaned_data["reason"], expected_version=form.cleaned_data["expected"])
        return _("Tilsagnet på %(amount)s er frigjort.") % {"amount": kroner(commitment.amount)}


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Midler"),
        description=gettext_lazy("Bevilgninger, potter, overføringer til helsefellesskapene, direkte tildelinger og betingede tilsagn."),
        url_name="money:appropriations",
        may_use=manages_rhf_money,
    )
)
