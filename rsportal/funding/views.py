from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rsportal.accounts import permissions
from rsportal.core.decorators import role_required
from rsportal.core.years import chosen_year

from . import domain, queries, research
from .forms import CarryOverForm, ReserveForm
from .models import Appropriation, Commitment, FrameEntry, Pot, PotYear


@role_required
def overview(request):
    """One year of the money (a selector, this year by default): the state's allocation per
    inhabitant, the appropriations and every pot's frame, commitments and reserves that year."""
    years = sorted(
        set(Appropriation.objects.order_by().values_list("year", flat=True).distinct())
        | set(PotYear.objects.order_by().values_list("year", flat=True).distinct())
    )
    year = chosen_year(request.GET.get("ar"), years, timezone.localdate().year)
    appropriations = list(Appropriation.objects.filter(year=year).select_related("key", "rhf").prefetch_related("shares__rhf").order_by("name"))
    by_year = queries.allocations_per_inhabitant([year]) if appropriations else {}
    per_inhabitant = [(year, by_year[year])] if by_year else []
    pots = list(Pot.objects.select_related("rhf", "helsefellesskap").order_by("rhf__name", "parent_id", "name"))
    summaries = queries.year_summaries(pots, year=year)
    return render(
        request,
        "funding/overview.html",
        {
            "year": year,
            "years": sorted(set(years) | {year}),
            "appropriations": appropriations,
            "national": queries.national_years(appropriations, year),
            "per_inhabitant": per_inhabitant,
            "pots": [(pot, summaries[pot.pk]) for pot in pots],
            "classifies": queries.money_scope(request.user).classifies,
        },
    )


def _expected(form, pot, stale: bool):
    """The pot version a re-drawn form posts back: after "changed by someone else" the current
    one (the page now shows the new figures); after any other error the one first seen."""
    if form is None or stale or not form.is_bound:
        return pot.version
    return form.data.get(form.add_prefix("expected")) or pot.version


def _pot_context(request, pot, reserve_form=None, carry_form=None, stale=False):
    years = list(
        PotYear.objects.filter(pot=pot).order_by("year").prefetch_related(
            Prefetch("entries", queryset=FrameEntry.objects.select_related("created_by")),
            Prefetch("commitments", queryset=Commitment.objects.select_related("grant__decision__application__call", "recipient_pot")),
            "reserves",
        )
    )
    research.mark_commitments(years)
    can_manage = permissions.can_manage_money(request.user, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap)
    summaries = queries.year_summaries([pot])[pot.pk]
    return {
        "pot": pot,
        "summaries": summaries,
        "calls": _calls_against(pot, summaries),
        "years": years,
        "children": pot.children.all(),
        "can_manage": can_manage,
        "reserve_form": reserve_form or ReserveForm(prefix="reserve"),
        "carry_form": carry_form or CarryOverForm(prefix="carry"),
        "reserve_expected": _expected(reserve_form, pot, stale),
        "carry_expected": _expected(carry_form, pot, stale),
    }


def _calls_against(pot, summaries) -> list[tuple]:
    """The pot's calls with a frame, each beside what the pot has free in the frame's year, so a
    frame set from a decision (a committee's minutes) can be read against the ledger."""
    from rsportal.applications.models import Call  # applications builds on funding

    free = {summary.year: summary.available for summary in summaries}
    calls = Call.objects.filter(pot=pot, frame_amount__isnull=False).exclude(status=Call.Status.DRAFT).order_by("frame_year", "title")
    return [(call, free.get(call.frame_year)) for call in calls]


@role_required
def pot_detail(request, pk: int):
    pot = get_object_or_404(Pot.objects.select_related("rhf", "helsefellesskap", "parent"), pk=pk)
    return render(request, "funding/pot_detail.html", _pot_context(request, pot))


def _managed_pot(request, pk):
    pot = get_object_or_404(Pot.objects.select_related("rhf", "helsefellesskap"), pk=pk)
    if not permissions.can_manage_money(request.user, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap):
        raise PermissionDenied(_("Du har ikke tilgang til å disponere midlene i %(pot)s.") % {"pot": pot.name})
    return pot


@require_POST
@role_required
def pot_reserve(request, pk: int):
    pot = _managed_pot(request, pk)
    form = ReserveForm(request.POST, prefix="reserve")
    stale = False
    if form.is_valid():
        try:
            domain.set_reserve(
                request.user,
                pot=pot,
                year=form.cleaned_data["year"],
                kind=form.cleaned_data["kind"],
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["expected"],
            )
        except domain.FundingError as exc:
            form.add_error(None, str(exc))
            stale = isinstance(exc, domain.StaleEdit)
        else:
            messages.success(request, _("Avsetningen er lagret."))
            return redirect("funding:pot-detail", pk=pot.pk)
    pot.refresh_from_db()
    return render(request, "funding/pot_detail.html", _pot_context(request, pot, reserve_form=form, stale=stale), status=400)


@require_POST
@role_required
def pot_carry_over(request, pk: int):
    pot = _managed_pot(request, pk)
    form = CarryOverForm(request.POST, prefix="carry")
    stale = False
    if form.is_valid():
        try:
            domain.carry_over(
                request.user,
                pot=pot,
                from_year=form.cleaned_data["from_year"],
                amount=form.cleaned_data["amount"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["expected"],
            )
        except domain.FundingError as exc:
            form.add_error(None, str(exc))
            stale = isinstance(exc, domain.StaleEdit)
        else:
            messages.success(request, _("Midlene er overført til neste år."))
            return redirect("funding:pot-detail", pk=pot.pk)
    pot.refresh_from_db()
    return render(request, "funding/pot_detail.html", _pot_context(request, pot, carry_form=form, stale=stale), status=400)
