"""Read-side queries of the follow-up pages: a fixed number of queries per page, however
many grants, pots and regions there are."""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from rsportal.applications.permissions import applicant_scopes
from rsportal.funding.models import Grant, Pot
from rsportal.funding.queries import money_scope
from rsportal.registry.models import RegionalHealthAuthority

from .models import ReportDue


def own_grants(user) -> list[Grant]:
    """The grants the user reports on (their municipalities' or trusts' projects), each with
    `next_due` (the first report due and not delivered) and `late`."""
    municipalities, trusts = applicant_scopes(user)
    if not (municipalities or trusts):
        return []
    owned_by_municipality = Grant.objects.filter(municipalities__in=municipalities).values("pk")
    owned_by_trust = Grant.objects.filter(trusts__in=trusts).values("pk")
    grants = list(
        Grant.objects.filter(Q(pk__in=owned_by_municipality) | Q(pk__in=owned_by_trust))
        .select_related("helsefellesskap")
        .prefetch_related(Prefetch("reports_due", queryset=ReportDue.objects.select_related("report").order_by("due_date")))
    )
    today = timezone.localdate()
    for grant in grants:
        grant.next_due = next((d for d in grant.reports_due.all() if getattr(d, "report", None) is None and not d.received_elsewhere), None)
        grant.late = grant.next_due is not None and grant.next_due.due_date < today
    return grants


def followed_pots(user, scope=None) -> list[Pot]:
    """Pots (not the RHF roots) the user manages and that have at least one grant."""
    scope = scope or money_scope(user)
    pots = Pot.objects.select_related("rhf", "helsefellesskap").exclude(kind=Pot.Kind.ROOT).annotate(has_grants=Exists(Grant.objects.filter(pot=OuterRef("pk"))))
    return [p for p in pots if p.has_grants and scope.manages(p.rhf_id, p.helsefellesskap_id)]


def reporting_rhfs(user, scope=None) -> list[RegionalHealthAuthority]:
    """RHFs whose reports to the ministry and the directorate the user makes."""
    scope = scope or money_scope(user)
    return [r for r in RegionalHealthAuthority.objects.all() if scope.reports_for(r.pk)]
