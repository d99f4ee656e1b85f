from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from rsportal.accounts import permissions
from rsportal.core.decorators import role_required
from rsportal.funding.models import Pot
from rsportal.funding.queries import year_summaries

from . import services
from .models import Body, BodyMember, CityDistrict, Helsefellesskap


def _reference_date(request):
    """Memberships are shown as of today; population is the latest SSB figure up to today."""
    return timezone.localdate()


@role_required
def helsefellesskap_list(request):
    day = _reference_date(request)
    active = Q(memberships__valid_from__lte=day) & (Q(memberships__valid_to__isnull=True) | Q(memberships__valid_to__gte=day))
    communities = list(
        Helsefellesskap.objects.select_related("rhf", "trust").annotate(member_count=Count("memberships", filter=active)).order_by(
            "rhf__name", "name"
        )
    )
    population = services.population_by_helsefellesskap(day)
    for hf in communities:
        hf.population = population.get(hf.pk, 0)
    return render(
        request,
        "registry/helsefellesskap_list.html",
        {"communities": communities, "day": day, "population_date": services.latest_population_date(day)},
    )


@role_required
def helsefellesskap_detail(request, code: str):
    hf = get_object_or_404(Helsefellesskap.objects.select_related("rhf", "trust"), code=code)
    if not permissions.can_view_helsefellesskap(request.user, hf):
        raise PermissionDenied
    day = _reference_date(request)
    municipalities = list(services.members_on(hf, day))
    current = {m.municipality_id: m for m in hf.memberships.valid_on(day)}
    for municipality in municipalities:
        municipality.membership = current.get(municipality.pk)
    former = hf.memberships.filter(valid_to__lt=day).select_related("municipality")
    seats = Prefetch("members", queryset=BodyMember.objects.active_on(day).select_related("municipality", "trust"))
    bodies = hf.bodies.prefetch_related(seats).order_by("kind", "name")
    # The region's own bodies (STU in Helse Nord) decide on the community's applications too.
    regional_bodies = hf.rhf.bodies.exclude(kind=Body.Kind.SECRETARIAT).prefetch_related(seats).order_by("kind", "name")
    pots = list(Pot.objects.filter(Q(helsefellesskap=hf)).select_related("parent").order_by("name"))
    summaries = year_summaries(pots)
    return render(
        request,
        "registry/helsefellesskap_detail.html",
        {
            "hf": hf,
            "day": day,
            "municipalities": municipalities,
            "former": former,
            "population": sum(m.population or 0 for m in municipalities),
            "small_count": sum(1 for m in municipalities if (m.population or 0) < 5000),
            "sami_count": sum(1 for m in municipalities if m.sami_area),
            "hospitals": hf.trust.hospitals.all(),
            "private_hospitals": hf.trust.private_hospitals.order_by("name"),
            "districts": CityDistrict.objects.filter(municipality__in=municipalities).select_related("municipality").order_by("municipality__name", "name"),
            "bodies": bodies,
            "regional_bodies": regional_bodies,
            "body_kinds": Body.Kind,
            "pots": [(pot, summaries[pot.pk]) for pot in pots],
        },
    )
