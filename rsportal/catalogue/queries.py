"""The open project catalogue: which grants are public, search and filters, and the
public view of one project. Pages and the API both read through here, so the privacy
rule for contact persons lives in exactly one place (public_participants)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from rsportal.applications.models import Application, Participant
from rsportal.applications.similar import find_similar, stems
from rsportal.assessment import visibility
from rsportal.assessment.models import Decision
from rsportal.funding.models import Commitment, Grant
from rsportal.registry.models import HealthTrust, Municipality

PAGE_SIZE = 20


def _active(**extra):
    return Commitment.objects.filter(grant=OuterRef("pk"), kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE, **extra)


def public_grants() -> QuerySet[Grant]:
    """Published grants that still have money promised.

    A grant whose every commitment has been released no longer funds anything, so it
    is not listed as a funded project.
    """
    return Grant.objects.filter(published=True).filter(Exists(_active()))


@dataclass
class CatalogueFilter:
    q: str = ""
    rhf: str = ""  # RHF code
    helsefellesskap: str = ""  # helsefellesskap code
    theme: str = ""  # Theme code
    patient_group: str = ""  # PatientGroup code
    year: int | None = None
    municipality: str = ""  # kommunenummer

    def is_empty(self) -> bool:
        return not any([self.q, self.rhf, self.helsefellesskap, self.theme, self.patient_group, self.year, self.municipality])


def _text_matches(query: str, query_stems: list[str], text: str) -> bool:
    """The search rule, for one text: the reference for text_filter, which applies it in the database."""
    if query.lower() in text.lower():
        return True
    if not query_stems:
        return False
    # Prefix match on stems, so "digital" also finds "digitalisering" and "sykehjem" finds "sykehjemmet".
    document = set(stems(text))
    return all(any(word.startswith(stem) for word in document) for stem in query_stems)


def _storable(text: str) -> bool:
    """Whether the database could hold `text`: PostgreSQL refuses NUL and unpaired surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_filter(query: str) -> Q:
    """_text_matches as a database filter, on the grant's stored search fields
    (Grant.search_text and Grant.search_stems, kept up to date by Grant.save).

    The query is lowered in Python like the stored text, so LIKE compares the same
    strings on SQLite and PostgreSQL; the stems hold only letters and digits and are
    stored as " stem1 stem2 ", so "a word starts with this stem" is contains(" " + stem).
    """
    condition = Q(pk__in=[])
    lowered = query.lower()
    # Text the database cannot store cannot be part of a grant's title or description.
    if _storable(lowered):
        condition |= Q(search_text__contains=lowered)
    query_stems = stems(query)
    if query_stems:
        every_stem = Q()
        for stem in dict.fromkeys(query_stems):
            every_stem &= Q(search_stems__contains=" " + stem)
        condition |= every_stem
    return condition


def matching(filters: CatalogueFilter) -> QuerySet | list[int]:
    """Ids of the public grants that pass the filters, in catalogue order.

    Without a theme or patient-group filter this is a query, so a page of the catalogue is
    counted and sliced in the database (a Paginator over it fetches 20 ids, not all of them).
    Search runs in the database on the stored search fields (see text_filter); the JSON
    classification filters run in Python on the ids and lists alone, so they behave
    identically on SQLite (which has no JSON containment lookup) and PostgreSQL.
    """
    grants = public_grants()
    if filters.rhf:
        grants = grants.filter(pot__rhf__code=filters.rhf)
    if filters.helsefellesskap:
        grants = grants.filter(helsefellesskap__code=filters.helsefellesskap)
    if filters.year:
        grants = grants.filter(Exists(_active(pot_year__year=filters.year)))
    if filters.municipality:
        owners = Grant.municipalities.through.objects.filter(grant_id=OuterRef("pk"), municipality__number=filters.municipality)
        grants = grants.filter(Exists(owners))
    query = filters.q.strip()
    if query:
        grants = grants.filter(text_filter(query))
    grants = grants.order_by("pot__rhf__name", "helsefellesskap__name", "title", "pk")
    if not (filters.theme or filters.patient_group):
        return grants.values_list("pk", flat=True)
    ids = []
    for pk, themes, groups in grants.values_list("pk", "themes", "patient_groups"):
        if filters.theme and filters.theme not in (themes or []):
            continue
        if filters.patient_group and filters.patient_group not in (groups or []):
            continue
        ids.append(pk)
    return ids


def matching_ids(filters: CatalogueFilter) -> list[int]:
    """Every id of matching(), in one query."""
    return list(matching(filters))


@dataclass
class YearAmount:
    year: int
    amount: int
    conditional: bool


def _years(commitments) -> list[YearAmount]:
    by_year: dict[int, YearAmount] = {}
    for c in commitments:
        row = by_year.setdefault(c.pot_year.year, YearAmount(c.pot_year.year, 0, False))
        row.amount += c.amount
        row.conditional = row.conditional or c.status == Commitment.Status.CONDITIONAL
    return [by_year[y] for y in sorted(by_year)]


def with_details(grants: QuerySet[Grant]) -> QuerySet[Grant]:
    return grants.defer("search_text", "search_stems").select_related("pot__rhf", "helsefellesskap__rhf").prefetch_related(
        Prefetch("municipalities", queryset=Municipality.objects.order_by("name")),
        Prefetch("trusts", queryset=HealthTrust.objects.order_by("name")),
        Prefetch(
            "commitments",
            queryset=Commitment.objects.filter(kind=Commitment.Kind.GRANT, status__in=Commitment.ACTIVE)
            .select_related("pot_year")
            .order_by("pot_year__year", "pk"),
            to_attr="active_commitments",
        ),
    )


def decorate(grant: Grant) -> Grant:
    """Attach the per-year amounts, the total and the RHF the templates and the API show."""
    grant.years = _years(grant.active_commitments)
    grant.total = sum(y.amount for y in grant.years)
    grant.rhf = grant.pot.rhf
    grant.owner_names = [m.name for m in grant.municipalities.all()] + [t.name for t in grant.trusts.all()]
    return grant


def grants_for_ids(ids: list[int]) -> list[Grant]:
    """The grants of one page, with everything the list shows, in a fixed number of queries."""
    by_id = {g.pk: decorate(g) for g in with_details(Grant.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


def public_grant(pk: int) -> Grant | None:
    grant = with_details(public_grants()).filter(pk=pk).first()
    return decorate(grant) if grant else None


@dataclass
class Contact:
    name: str
    email: str
    phone: str


@dataclass
class PublicParticipant:
    name: str
    kind: str  # "municipality" or "trust"
    is_owner: bool
    contact: Contact | None = None


def published_decision(grant: Grant) -> Decision | None:
    """The public part of the assessment (the adopted decision), as assessment.visibility rules."""
    return visibility.published_decision(grant=grant)


def public_participants(grant: Grant, decision: Decision | None) -> list[PublicParticipant]:
    """Who takes part, and a contact person only where that person agreed to be shown.

    Contact details are copied out here and nowhere else, so a template or schema that
    forgets the consent check cannot leak them: without consent they are never loaded
    into what the public page or the API receives.
    """
    if decision is not None and decision.application_id:
        participants = decision.application.participants.select_related("municipality", "trust", "district").order_by(
            "trust__name", "municipality__name"
        )
        result = []
        for p in participants:
            contact = None
            if p.publish_contact and p.contact_name:
                contact = Contact(name=p.contact_name, email=p.contact_email, phone=p.contact_phone)
            result.append(
                PublicParticipant(
                    name=p.organisation.name,
                    kind="municipality" if p.municipality_id else "trust",
                    is_owner=p.is_owner,
                    contact=contact,
                )
            )
        return result
    # Grants decided outside the portal (such as the demo's table-18 grants) have no
    # application: the owners and the partners registered with the grant are all that is
    # known, and there is no one's consent to show a contact.
    return (
        [PublicParticipant(name=m.name, kind="municipality", is_owner=True) for m in grant.municipalities.all()]
        + [PublicParticipant(name=t.name, kind="trust", is_owner=True) for t in grant.trusts.all()]
        + [PublicParticipant(name=m.name, kind="municipality", is_owner=False) for m in grant.partner_municipalities.order_by("name")]
        + [PublicParticipant(name=t.name, kind="trust", is_owner=False) for t in grant.partner_trusts.order_by("name")]
    )


@dataclass
class Refusal:
    """A refused application as the catalogue shows it: nothing but these facts."""

    title: str
    participants: list[str]
    outcome: str
    decided: datetime.date | None
    call: str
    helsefellesskap: str


REFUSALS_SHOWN = 100


def published_refusals(filters: CatalogueFilter) -> tuple[list[Refusal], int]:
    """Applications refused by an adopted decision, in calls that publish them
    (Call.publish_rejected): the newest REFUSALS_SHOWN and how many there are in all.

    Only the title, the participating organisations, the outcome, the date and the call are
    public; the search therefore looks at the title alone. Drafts, withdrawn applications
    and those not yet decided never appear: only an adopted decision makes a refusal public.
    A year filter asks for grants in that year, which a refusal never has.
    """
    if filters.year:
        return [], 0
    decisions = (
        Decision.objects.filter(status=Decision.Status.ADOPTED, application__call__publish_rejected=True, application__submitted_at__isnull=False)
        .exclude(outcome__in=Decision.GRANTING)
        .exclude(application__status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])
    )
    if filters.rhf:
        decisions = decisions.filter(application__call__pot__rhf__code=filters.rhf)
    if filters.helsefellesskap:
        decisions = decisions.filter(application__helsefellesskap__code=filters.helsefellesskap)
    if filters.municipality:
        decisions = decisions.filter(Exists(Participant.objects.filter(application=OuterRef("application"), municipality__number=filters.municipality)))
    decisions = decisions.order_by("-concluded_at", "-pk")
    query = filters.q.strip()
    if query or filters.theme or filters.patient_group:
        # The title search and the JSON filters run in Python (as matching() does), on the
        # title and the two lists alone; the details are loaded for the shown rows only.
        query_stems = stems(query) if query else []
        chosen = []
        for pk, title, themes, groups in decisions.values_list("pk", "application__title", "application__themes", "application__patient_groups"):
            if query and not _text_matches(query, query_stems, title):
                continue
            if filters.theme and filters.theme not in (themes or []):
                continue
            if filters.patient_group and filters.patient_group not in (groups or []):
                continue
            chosen.append(pk)
        count, shown = len(chosen), chosen[:REFUSALS_SHOWN]
    else:
        count, shown = decisions.count(), list(decisions.values_list("pk", flat=True)[:REFUSALS_SHOWN])
    details = Decision.objects.filter(pk__in=shown).select_related("application__call", "application__helsefellesskap").prefetch_related(
        Prefetch("application__participants", queryset=Participant.objects.select_related("municipality", "trust", "district").order_by("trust__name", "municipality__name"))
    )
    by_pk = {d.pk: d for d in details}
    rows = []
    for pk in shown:
        decision = by_pk[pk]
        application = decision.application
        rows.append(
            Refusal(
                title=application.title,
                participants=[p.organisation.name for p in application.participants.all()],
                outcome=decision.get_outcome_display(),
                decided=timezone.localdate(decision.concluded_at) if decision.concluded_at else None,
                call=application.call.title,
                helsefellesskap=application.helsefellesskap.name,
            )
        )
    return rows, count


@dataclass
class Update:
    date: datetime.date
    text: str


def public_updates(grant: Grant) -> list[Update]:
    reports = grant.reports.exclude(public_update="").order_by("-submitted_at", "-pk").values_list("submitted_at", "public_update")
    return [Update(date=timezone.localdate(submitted), text=text) for submitted, text in reports]


@dataclass
class SimilarProject:
    grant: Grant
    score: float
    shared: list[str] = field(default_factory=list)


def similar_projects(grant: Grant, limit: int = 5) -> list[SimilarProject]:
    """Similar funded projects in all regions. Submitted applications are left out on
    purpose: they are not public, only decided grants are."""
    matches = [m for m in find_similar(grant.title, grant.description, limit=limit + 20) if m.kind == "tilskudd"]
    candidates: dict[str, list[Grant]] = {}
    for other in public_grants().filter(title__in={m.title for m in matches}).exclude(pk=grant.pk).select_related(
        "helsefellesskap", "pot__rhf"
    ):
        candidates.setdefault(other.title, []).append(other)
    result = []
    for match in matches:
        for other in candidates.pop(match.title, []):
            result.append(SimilarProject(grant=other, score=match.score, shared=match.shared))
    return result[:limit]
