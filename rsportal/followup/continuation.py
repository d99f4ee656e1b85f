"""Repeated and long-running funding of the same work: a continuation application names the
grant it continues (Application.continues), and the grant decided on it is the next link.

The chain of a grant is every grant before it and after it along those links, with the
total committed money and the years with money, so that funding the same work again and
again is visible instead of looking like new projects each time."""

from dataclasses import dataclass, field

from django.db.models import Sum

from rsportal.assessment.models import Decision
from rsportal.funding.models import Commitment, Grant

# A guard against a loop typed into the data by hand; real chains are a handful of grants.
MAX_LINKS = 25


def earlier_id(grant: Grant) -> int | None:
    """The grant this one continues: the one named on the application it was decided on."""
    return (
        Decision.objects.filter(grant=grant, status=Decision.Status.ADOPTED, application__continues__isnull=False)
        .values_list("application__continues_id", flat=True)
        .first()
    )


def later_ids(grant_ids) -> list[int]:
    """The grants decided on applications that continue any of `grant_ids`."""
    return list(
        Decision.objects.filter(application__continues__in=grant_ids, status=Decision.Status.ADOPTED, grant__isnull=False)
        .order_by("concluded_at", "pk")
        .values_list("grant_id", flat=True)
    )


@dataclass
class Link:
    grant: Grant
    amount: int
    years: list[int]
    current: bool


@dataclass
class Chain:
    links: list[Link] = field(default_factory=list)

    @property
    def repeated(self) -> bool:
        return len(self.links) > 1

    @property
    def amount(self) -> int:
        return sum(link.amount for link in self.links)

    @property
    def years(self) -> list[int]:
        return sorted({year for link in self.links for year in link.years})

    @property
    def first_year(self) -> int | None:
        return self.years[0] if self.years else None

    @property
    def last_year(self) -> int | None:
        return self.years[-1] if self.years else None

    @property
    def span(self) -> int:
        """Years from the first to the last year with money, both included."""
        return self.last_year - self.first_year + 1 if self.years else 0

    def earlier(self) -> Link | None:
        for i, link in enumerate(self.links):
            if link.current:
                return self.links[i - 1] if i else None
        return None

    def later(self) -> list[Link]:
        seen = False
        result = []
        for link in self.links:
            if seen:
                result.append(link)
            seen = seen or link.current
        return result


def chain(grant: Grant, within=None) -> Chain:
    """The grants before and after `grant`, oldest first, each with its committed money and
    years. `within` (a Grant queryset, e.g. the public catalogue) leaves out the others."""
    ids = [grant.pk]
    current = grant
    while len(ids) < MAX_LINKS:
        previous = earlier_id(current)
        if previous is None or previous in ids:
            break
        ids.insert(0, previous)
        current = Grant(pk=previous)
    frontier = [grant.pk]
    while frontier and len(ids) < MAX_LINKS:
        frontier = [pk for pk in later_ids(frontier) if pk not in ids]
        ids.extend(frontier)
    grants = Grant.objects.filter(pk__in=ids)
    if within is not None:
        grants = grants.filter(pk__in=within.values("pk"))
    by_pk = {g.pk: g for g in grants.only("pk", "title", "published")}
    money = (
        Commitment.objects.filter(grant__in=by_pk, kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE)
        .order_by()
        .values_list("grant_id", "pot_year__year")
        .annotate(total=Sum("amount"))
    )
    amounts: dict[int, int] = {}
    years: dict[int, set] = {}
    for grant_id, year, total in money:
        amounts[grant_id] = amounts.get(grant_id, 0) + total
        years.setdefault(grant_id, set()).add(year)
    return Chain(
        [Link(by_pk[pk], amounts.get(pk, 0), sorted(years.get(pk, ())), pk == grant.pk) for pk in ids if pk in by_pk]
    )
