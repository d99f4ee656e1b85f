"""Pages for grants decided elsewhere, under /administrasjon/tilskudd/.

The lists are back-office pages (rsportal.core.backoffice); registering one grant and importing
a sheet are plain views, because their forms (amount rows, an upload with a preview) do not fit
the generic form page. The rules are in registration.py; these only translate its answers.
"""

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.accounts import permissions
from rsportal.core import backoffice
from rsportal.core.formatting import kroner

from . import domain, registration, sheets
from .models import Commitment, Grant, Pot
from .registration_forms import ImportForm, RegisterForm, YearAmounts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_MAX_AGE = 60 * 60  # seconds a preview may be saved after it was drawn


def managed_pots(user):
    """The pots whose money the person manages, as funding.domain._require_manager decides."""
    return Pot.objects.filter(
        Q(rhf__in=permissions.managed_rhfs(user)) | Q(helsefellesskap__in=permissions.managed_helsefellesskap(user))
    ).select_related("rhf", "helsefellesskap")


def may_use(user) -> bool:
    # Everyone who could manage a pot: a helsefellesskap's secretariat, an RHF's administrators
    # and secretariat. Which pots is managed_pots(); another's pot is a 404.
    return permissions.manages_bodies(user)


def _pot(request, pk) -> Pot:
    if not may_use(request.user):
        raise PermissionDenied(_("Du har ikke tilgang til denne delen av administrasjonen."))
    return get_object_or_404(managed_pots(request.user), pk=pk)


def _crumbs(pot: Pot | None = None, *last) -> list[tuple[str, str]]:
    crumbs = [(_("Administrasjon"), reverse("backoffice:index")), (_("Tilskudd vedtatt utenfor portalen"), reverse("grants:index"))]
    if pot is not None:
        crumbs.append((pot.name, reverse("grants:pot", args=[pot.pk])))
    return crumbs + list(last)


# --- lists, on the back office -----------------------------------------------------


def _owner(pot) -> str:
    return str(pot.helsefellesskap or pot.rhf)


class PotList(backoffice.List):
    """The pots the person manages, with how many grants of each were registered from elsewhere."""

    model = Pot
    section = "grants:index"
    title_plural = gettext_lazy("Tilskudd vedtatt utenfor portalen")
    intro = gettext_lazy(
        "Tilskudd som er vedtatt utenfor en utlysning i portalen: direkte tildelinger, øremerkede ordninger, "
        "det helsefellesskapenes egne utvalg har vedtatt, og tidligere år. Registrert her teller de med i "
        "midlene, oppfølgingen, prosjektkatalogen og statistikken. Velg potten tilskuddet er gitt fra."
    )
    columns = [
        ("name", gettext_lazy("Pott")),
        (_owner, gettext_lazy("Eier")),
        ("kind", None),
        (lambda pot: str(pot.registered), gettext_lazy("Registrerte tilskudd")),
    ]

    def may_use(self, user):
        return may_use(user)

    def scope(self):
        return managed_pots(self.request.user).annotate(registered=Count("grants", filter=Q(grants__registered_elsewhere=True))).order_by(
            "rhf__name", "helsefellesskap__name", "name"
        )

    def detail_url(self, obj):
        return reverse("grants:pot", args=[obj.pk])


def _total(grant) -> str:
    return kroner(grant.total or 0)


class GrantList(backoffice.List):
    """One pot's grants registered from elsewhere."""

    model = Grant
    section = "grants:index"
    template_name = "funding/registration/grant_list.html"
    columns = [
        ("title", gettext_lazy("Prosjekt")),
        ("helsefellesskap", None),
        ("decided_by", gettext_lazy("Vedtatt av")),
        ("decided_on", gettext_lazy("Vedtaksdato")),
        (_total, gettext_lazy("Tilsagn i alt")),
    ]

    def may_use(self, user):
        return may_use(user)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and may_use(request.user):
            self.pot = get_object_or_404(managed_pots(request.user), pk=kwargs["pk"])
            self.title_plural = self.pot.name
        return super().dispatch(request, *args, **kwargs)

    def scope(self):
        active = Q(commitments__kind=Commitment.Kind.GRANT, commitments__status__in=Commitment.ACTIVE)
        return (
            Grant.objects.filter(pot=self.pot, registered_elsewhere=True)
            .select_related("helsefellesskap", "decided_by_body")
            .annotate(total=Sum("commitments__amount", filter=active))
            .order_by("-decided_on", "title")
        )

    def detail_url(self, obj):
        return reverse("catalogue:project-detail", args=[obj.pk]) if obj.published else ""

    def breadcrumbs(self):
        return _crumbs(self.pot)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            pot=self.pot,
            create_url=reverse("grants:register", args=[self.pot.pk]),
            import_url=reverse("grants:import", args=[self.pot.pk]),
            summaries=_summaries(self.pot),
        )
        return context


def _summaries(pot):
    from .queries import year_summaries

    return year_summaries([pot])[pot.pk]


backoffice.register(
    backoffice.Section(
        title=gettext_lazy("Tilskudd vedtatt utenfor portalen"),
        description=gettext_lazy("Registrer tilskudd som er vedtatt et annet sted, ett og ett eller fra et regneark."),
        url_name="grants:index",
        may_use=may_use,
    )
)


# --- register one ----------------------------------------------------------------


@login_required
def register(request, pk: int):
    pot = _pot(request, pk)
    form = RegisterForm(request.POST or None, pot=pot)
    years = YearAmounts(request.POST or None, prefix="years")
    if request.method == "POST":
        if form.is_valid() and years.is_valid():
            amounts, conditional = years.amounts()
            try:
                grant = registration.register_grant(
                    request.user, pot=pot, amounts_by_year=amounts, conditional_years=conditional, **form.register_kwargs()
                )
            except registration.RegistrationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            except domain.FundingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Tilskuddet «%(title)s» er registrert.") % {"title": grant.title})
                return redirect("grants:pot", pk=pot.pk)
        status = 400
    else:
        status = 200
    context = {
        "pot": pot,
        "form": form,
        "years": years,
        "summaries": _summaries(pot),
        "title": _("Registrer tilskudd"),
        "breadcrumbs": _crumbs(pot, (_("Registrer tilskudd"), request.path)),
    }
    return render(request, "funding/registration/register.html", context, status=status)


# --- import a sheet ----------------------------------------------------------------


def _payload(pot: Pot, name: str, data: bytes) -> str:
    """The sheet, signed, for the preview's "Lagre alle" to post back (it is checked again then)."""
    return signing.dumps({"pot": pot.pk, "name": name, "data": base64.b64encode(data).decode()}, salt="funding.import", compress=True)


def _unpack(pot: Pot, payload: str) -> SimpleUploadedFile | None:
    try:
        value = signing.loads(payload, salt="funding.import", max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:
        return None
    if value.get("pot") != pot.pk:
        return None
    return SimpleUploadedFile(value["name"], base64.b64decode(value["data"]))


@login_required
def import_sheet(request, pk: int):
    pot = _pot(request, pk)
    form = ImportForm()
    result, payload, status = None, "", 200
    if request.method == "POST":
        status = 400
        if "payload" in request.POST:
            sheet = _unpack(pot, request.POST["payload"])
            if sheet is None:
                result = registration.ImportResult(errors=[_("Forhåndsvisningen er for gammel eller ugyldig. Last opp regnearket på nytt.")])
            else:
                result = registration.import_grants(request.user, pot, sheet, dry_run=False)
                if result.clean:
                    messages.success(request, _("%(count)s tilskudd er registrert fra regnearket.") % {"count": len(result.saved)})
                    return redirect("grants:pot", pk=pot.pk)
        else:
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                sheet = form.cleaned_data["sheet"]
                result = registration.import_grants(request.user, pot, sheet, dry_run=True)
                if result.clean:
                    sheet.seek(0)
                    payload = _payload(pot, sheet.name, sheet.read())
                    status = 200
    context = {
        "pot": pot,
        "form": form,
        "result": result,
        "payload": payload,
        "columns": sheets.COLUMNS,
        "summaries": _summaries(pot),
        "title": _("Importer fra regneark"),
        "breadcrumbs": _crumbs(pot, (_("Importer fra regneark"), request.path)),
    }
    return render(request, "funding/registration/import.html", context, status=status)


@login_required
def template_sheet(request):
    if not may_use(request.user):
        raise PermissionDenied(_("Du har ikke tilgang til denne delen av administrasjonen."))
    response = HttpResponse(sheets.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="tilskudd-vedtatt-utenfor-portalen.xlsx"'
    return response

