from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rsportal.accounts import permissions as account_permissions
from rsportal.applications import permissions as application_permissions
from rsportal.applications.models import Call
from rsportal.applications.similar import find_similar
from rsportal.core.decorators import role_required

from . import domain
from .forms import ConvertForm, IdeaForm, NewIdeaForm, PartnerForm
from .models import Idea


@role_required
def idea_list(request):
    ideas = (
        domain.visible_ideas(request.user)
        .select_related("helsefellesskap", "municipality", "trust", "application")
        .prefetch_related("partners__municipality", "partners__trust")
        .order_by("-updated_at")
    )
    return render(
        request,
        "ideas/list.html",
        {
            "ideas": ideas,
            "is_applicant": application_permissions.is_applicant(request.user),
            "is_secretariat": account_permissions.managed_helsefellesskap(request.user).exists(),
        },
    )


def _idea(request, pk) -> Idea:
    idea = get_object_or_404(Idea.objects.select_related("helsefellesskap__rhf", "municipality", "trust", "application__call", "created_by"), pk=pk)
    if not domain.can_view(request.user, idea):
        raise PermissionDenied(_("Du har ikke tilgang til denne prosjektidéen."))
    return idea


@role_required
def idea_new(request):
    if not application_permissions.is_applicant(request.user):
        raise PermissionDenied(_("Bare søkere for en kommune eller et helseforetak kan registrere en prosjektidé."))
    communities = domain.communities_for(request.user)
    initial = {"contact_name": request.user.get_full_name(), "contact_email": request.user.email}
    form = NewIdeaForm(communities, request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in domain.FIELDS}
            try:
                idea = domain.register_idea(request.user, helsefellesskap=form.cleaned_data["helsefellesskap"], **data)
            except domain.IdeaError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Idéen er registrert. Sekretariatet i helsefellesskapet kan nå se den."))
                return redirect("ideas:detail", pk=idea.pk)
        return render(request, "ideas/form.html", {"form": form, "new": True}, status=400)
    return render(request, "ideas/form.html", {"form": form, "new": True})


@role_required
def idea_edit(request, pk: int):
    idea = _idea(request, pk)
    if not domain.can_edit(request.user, idea):
        raise PermissionDenied(_("Bare søkere for organisasjonen som eier idéen, kan endre den, og bare før den er blitt en søknad."))
    if request.method != "POST":
        return render(request, "ideas/form.html", {"form": IdeaForm(instance=idea, initial={"version": idea.version}), "idea": idea})
    form = IdeaForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in domain.FIELDS}
        try:
            domain.update_idea(request.user, idea, form.cleaned_data.get("version") or 0, **data)
        except domain.IdeaConflict as exc:
            # What was typed stays in the form; the saved text is shown beside it, and the new
            # version goes in the form so the next save is the person's informed choice.
            form.data = form.data.copy()
            form.data["version"] = exc.current.version
            current = [(IdeaForm.base_fields[name].label, getattr(exc.current, name)) for name in domain.FIELDS]
            return render(request, "ideas/form.html", {"form": form, "idea": idea, "conflict": str(exc), "current": current}, status=409)
        except domain.IdeaError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Idéen er lagret."))
            return redirect("ideas:detail", pk=idea.pk)
    return render(request, "ideas/form.html", {"form": form, "idea": idea}, status=400)


def _detail(request, idea, *, partner_form=None, status=200):
    manages = domain.can_manage_partners(request.user, idea)
    similar = find_similar(idea.title, f"{idea.problem} {idea.approach}", idea.target_group)
    context = {
        "idea": idea,
        "partners": idea.partners.select_related("municipality", "trust"),
        "similar": similar,
        "may_edit": domain.can_edit(request.user, idea),
        "owns": domain.owns(request.user, idea),
        "manages": manages,
        "partner_form": partner_form or (PartnerForm() if manages else None),
    }
    return render(request, "ideas/detail.html", context, status=status)


@role_required
def idea_detail(request, pk: int):
    return _detail(request, _idea(request, pk))


@require_POST
@role_required
def partner_add(request, pk: int):
    idea = _idea(request, pk)
    if not domain.can_manage_partners(request.user, idea):
        raise PermissionDenied(_("Bare sekretariatet i idéens helsefellesskap kan foreslå partnere."))
    form = PartnerForm(request.POST)
    if form.is_valid():
        try:
            link = domain.suggest_partner(request.user, idea, municipality=form.cleaned_data["municipality"], trust=form.cleaned_data["trust"], note=form.cleaned_data["note"])
        except domain.IdeaError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(org)s er foreslått som partner. Begge parter har fått beskjed.") % {"org": link.organisation})
            return redirect("ideas:detail", pk=idea.pk)
    return _detail(request, idea, partner_form=form, status=400)


@require_POST
@role_required
def partner_connect(request, pk: int, link: int):
    idea = _idea(request, pk)
    partner = get_object_or_404(idea.partners, pk=link)
    try:
        domain.connect_partner(request.user, partner)
    except domain.IdeaError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(org)s er koblet som partner. Begge parter har fått beskjed.") % {"org": partner.organisation})
    return redirect("ideas:detail", pk=idea.pk)


def _open_calls(idea):
    """Open calls of the idea's RHF that take applications to its helsefellesskap."""
    calls = (
        Call.objects.filter(status=Call.Status.PUBLISHED, kind=Call.Kind.OPEN, pot__rhf=idea.helsefellesskap.rhf_id)
        .filter(Q(pot__helsefellesskap__isnull=True) | Q(pot__helsefellesskap=idea.helsefellesskap_id))
        .select_related("pot")
        .prefetch_related("deadlines")
        .order_by("title")
    )
    return [call for call in calls if call.is_open()]


@role_required
def idea_convert(request, pk: int):
    idea = _idea(request, pk)
    if not domain.can_edit(request.user, idea):
        raise PermissionDenied(_("Bare søkere for organisasjonen som eier idéen, kan gjøre den om til en søknad, og bare én gang."))
    calls = _open_calls(idea)
    form = ConvertForm(calls, request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                application = domain.convert_to_application(request.user, idea, call=form.cleaned_data["call"], type=form.cleaned_data["type"])
            except domain.IdeaError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Idéen er gjort om til et søknadsutkast. Teksten og partnerne er hentet over; skriv videre her."))
                return redirect("applications:edit", pk=application.pk)
    return render(request, "ideas/convert.html", {"idea": idea, "form": form, "calls": calls}, status=status)
