"""Grants decided outside the portal's calls: registering one, or importing many from a sheet.

Some grants are decided elsewhere: the RHF's direct allocation to Vefsn (21 MNOK), the projects of
an earmarked scheme (Prosjekt X), what a helsefellesskap's own committee decides from its local pot,
and every grant of the years before the portal. Registered here, they count like any other grant:
the money is committed per year through funding.domain.commit_grant (under the pot's lock, so no pot
is ever over-committed), the report deadlines are planned, the catalogue and the statistics read
them, and the decision's facts (who decided, when and why) and the partners are kept on the grant,
since there is no application to read them from.

The sheet import (import_grants) checks every row first and saves nothing unless the whole sheet
is clean; see sheets.py for the layout it reads.
"""

import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.core.audit import record
from rsportal.core.formatting import kroner, long_date
from rsportal.registry.models import Body, HealthTrust, Helsefellesskap, Municipality

from . import domain
from .queries import year_summaries
from .models import Grant, Pot, PotYear


class RegistrationError(domain.FundingError):
    """One or more reasons the grant cannot be registered; `messages` lists them all."""

    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


def pre_project_value(value) -> str:
    """A Grant.PreProject value from True/False or the value itself."""
    if isinstance(value, bool):
        return Grant.PreProject.YES if value else Grant.PreProject.NO
    if value in Grant.PreProject.values:
        return value
    raise RegistrationError([_("Ukjent verdi for forprosjekt: «%(value)s».") % {"value": value}])


def bodies_for(pot: Pot):
    """The bodies that may have decided a grant from `pot`: the RHF's and its helsefellesskap's."""
    return Body.objects.filter(Q(rhf=pot.rhf_id) | Q(helsefellesskap__rhf=pot.rhf_id)).select_related("helsefellesskap", "rhf")


def problems(
    pot: Pot,
    *,
    title: str,
    helsefellesskap: Helsefellesskap | None,
    owners: Collection,
    partners: Collection,
    amounts_by_year: Mapping[int, int],
    decided_by,
    decided_on,
    reason: str,
    conditional_years: Collection[int] = (),
    today: datetime.date | None = None,
) -> list[str]:
    """Everything wrong with a grant to be registered from `pot`, in Norwegian; empty when nothing is.

    Reads the frames without the pot's lock: the headroom itself is checked again under the
    lock when the money is committed."""
    today = today or timezone.localdate()
    found = []
    if not (title or "").strip():
        found.append(_("Oppgi prosjektnavnet."))
    elif len(title.strip()) > Grant._meta.get_field("title").max_length:
        found.append(_("Prosjektnavnet er for langt (høyst 300 tegn)."))
    if helsefellesskap is not None:
        if helsefellesskap.rhf_id != pot.rhf_id:
            found.append(_("%(hf)s hører ikke til %(rhf)s, som eier potten.") % {"hf": helsefellesskap.name, "rhf": pot.rhf.name})
        elif pot.helsefellesskap_id and helsefellesskap.pk != pot.helsefellesskap_id:
            found.append(_("Potten hører til %(hf)s; tilskudd fra den kan ikke gis i %(other)s.") % {"hf": pot.helsefellesskap.name, "other": helsefellesskap.name})
    if not owners:
        found.append(_("Oppgi minst én eier (kommune eller helseforetak)."))
    both = [o for o in owners if o in set(partners)]
    if both:
        found.append(_("%(names)s står både som eier og som deltaker.") % {"names": ", ".join(o.name for o in both)})
    if isinstance(decided_by, Body):
        if decided_by.owner_rhf.pk != pot.rhf_id:
            found.append(_("%(body)s hører ikke til %(rhf)s.") % {"body": decided_by.name, "rhf": pot.rhf.name})
    elif not (decided_by or "").strip():
        found.append(_("Oppgi hvem som vedtok tilskuddet."))
    elif len(decided_by.strip()) > Grant._meta.get_field("decided_by_text").max_length:
        found.append(_("«Vedtatt av» er for langt (høyst 200 tegn)."))
    if decided_on is None:
        found.append(_("Oppgi vedtaksdatoen."))
    elif decided_on > today:
        found.append(_("Vedtaksdatoen %(date)s er fram i tid.") % {"date": long_date(decided_on)})
    if not (reason or "").strip():
        found.append(_("Oppgi begrunnelsen for vedtaket."))
    if not amounts_by_year:
        found.append(_("Oppgi beløp for minst ett år."))
    frames = dict(PotYear.objects.filter(pot=pot, year__in=list(amounts_by_year)).values_list("year", "frame"))
    for year in sorted(amounts_by_year):
        amount = amounts_by_year[year]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            found.append(_("Beløpet for %(year)s må være et helt antall kroner større enn null.") % {"year": year})
        elif not frames.get(year):
            found.append(_("%(pot)s har ingen ramme for %(year)s.") % {"pot": pot.name, "year": year})
    stray = sorted(set(conditional_years) - set(amounts_by_year))
    if stray:
        found.append(_("Betingede år uten beløp: %(years)s.") % {"years": ", ".join(map(str, stray))})
    return found


def _split(organisations: Iterable) -> tuple[list[Municipality], list[HealthTrust]]:
    organisations = list(organisations)
    return [o for o in organisations if isinstance(o, Municipality)], [o for o in organisations if isinstance(o, HealthTrust)]


@transaction.atomic
def register_grant(
    actor,
    *,
    pot: Pot,
    title: str,
    description: str = "",
    helsefellesskap: Helsefellesskap | None = None,
    owners: Collection,
    partners: Collection = (),
    amounts_by_year: Mapping[int, int],
    decided_by: Body | str,
    decided_on: datetime.date,
    reason: str,
    pre_project=False,
    conditional_years: Collection[int] = (),
    publish: bool = True,
    reference: str = "",
) -> Grant:
    """Register a grant decided outside the portal's calls, with its money, owners and partners.

    Permission: whoever manages the pot (funding.domain._require_manager: the RHF's administrators
    and secretariat, and for a helsefellesskap's pot also that community's secretariat).
    `owners` and `partners` are Municipality and HealthTrust objects; `decided_by` is a Body or
    the name of whoever decided, as text. The money is committed one year at a time under the
    pot's lock; a year without frame, or without room in it, refuses the whole registration and
    nothing is saved. The report deadlines are planned as for a grant decided in a call.
    """
    domain._require_manager(actor, pot)
    pot = Pot.objects.select_related("rhf", "helsefellesskap").get(pk=pot.pk)
    pre_project = pre_project_value(pre_project)
    helsefellesskap = helsefellesskap or pot.helsefellesskap
    amounts = {int(year): amount for year, amount in amounts_by_year.items()}
    # The lock first, so the frames read by the check are the ones the commitments are held to.
    domain._lock(pot)
    found = problems(
        pot,
        title=title,
        helsefellesskap=helsefellesskap,
        owners=owners,
        partners=partners,
        amounts_by_year=amounts,
        decided_by=decided_by,
        decided_on=decided_on,
        reason=reason,
        conditional_years=conditional_years,
    )
    if found:
        raise RegistrationError(found)
    body = decided_by if isinstance(decided_by, Body) else None
    grant = Grant.objects.create(
        pot=pot,
        title=title.strip(),
        description=(description or "").strip(),
        helsefellesskap=helsefellesskap,
        pre_project=pre_project,
        published=publish,
        reference=reference,
        registered_elsewhere=True,
        decided_by_body=body,
        decided_by_text="" if body else decided_by.strip(),
        decided_on=decided_on,
        decision_reason=reason.strip(),
    )
    owner_municipalities, owner_trusts = _split(owners)
    partner_municipalities, partner_trusts = _split(partners)
    grant.municipalities.set(owner_municipalities)
    grant.trusts.set(owner_trusts)
    grant.partner_municipalities.set(partner_municipalities)
    grant.partner_trusts.set(partner_trusts)
    domain.commit_grant(actor, grant=grant, amounts=amounts, conditional_years=set(conditional_years))
    summary = ", ".join(f"{year}: {kroner(amounts[year])}" for year in sorted(amounts))
    record(
        actor,
        "grant.registered",
        grant,
        _("Tilskudd vedtatt utenfor portalen registrert: %(title)s, vedtatt av %(by)s %(date)s (%(summary)s)")
        % {"title": grant.title, "by": grant.decided_by, "date": long_date(decided_on), "summary": summary},
        pot=pot.pk,
        owners=[o.name for o in owners],
        partners=[p.name for p in partners],
        amounts={str(year): amount for year, amount in amounts.items()},
        conditional_years=sorted(conditional_years),
    )
    # Imported here: follow-up builds on funding, not the other way round.
    from rsportal.followup.domain import plan_reports

    plan_reports(grant)
    return grant


@dataclass
class YearTotal:
    """What a sheet (or a form) would bind in one year against what the pot has free."""

    year: int
    amount: int
    available: int

    @property
    def fits(self) -> bool:
        return self.amount <= self.available


def headroom(pot: Pot, amounts: Mapping[int, int]) -> list[YearTotal]:
    """The totals per year against the pot's free money (frame less commitments and reserves)."""
    # The same figures as the pot page and the vote's headroom: frame less commitments and reserves.
    free = {s.year: s.available for s in year_summaries([pot])[pot.pk] if s.year in amounts}
    return [YearTotal(year, amounts[year], free.get(year, 0)) for year in sorted(amounts)]


@dataclass
class PlannedGrant:
    """One project of a sheet, as register_grant will be called with it."""

    row: int  # the sheet row where the project starts
    rows: list[int]
    title: str
    helsefellesskap: Helsefellesskap | None
    owners: list
    partners: list
    amounts_by_year: dict[int, int]
    conditional_years: set[int]
    decided_by: Body | str
    decided_on: datetime.date | None
    reason: str
    pre_project: str
    description: str = ""
    publish: bool = True

    @property
    def total(self) -> int:
        return sum(self.amounts_by_year.values())

    @property
    def decided_by_name(self) -> str:
        return self.decided_by.name if isinstance(self.decided_by, Body) else self.decided_by

    def kwargs(self) -> dict:
        return {
            "title": self.title,
            "description": self.description,
            "helsefellesskap": self.helsefellesskap,
            "owners": self.owners,
            "partners": self.partners,
            "amounts_by_year": self.amounts_by_year,
            "decided_by": self.decided_by,
            "decided_on": self.decided_on,
            "reason": self.reason,
            "pre_project": self.pre_project,
            "conditional_years": self.conditional_years,
            "publish": self.publish,
        }


@dataclass
class ImportResult:
    planned: list[PlannedGrant] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    totals: list[YearTotal] = field(default_factory=list)
    saved: list[Grant] = field(default_factory=list)
    dry_run: bool = True

    @property
    def clean(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return sum(t.amount for t in self.totals)


def import_grants(actor, pot: Pot, file, *, dry_run: bool) -> ImportResult:
    """Register every grant of an uploaded sheet (.xlsx or .csv, see sheets.py), or none.

    Every row is checked first; the errors name their row ("Rad 7: Ukjent kommune «Tromsø2»").
    With `dry_run`, or when any row is wrong, nothing is saved and the result is the preview:
    the grants as they would be registered and the totals per year against the pot's free money.
    Otherwise all grants are registered in one transaction; if one is refused on the way (the
    pot changed meanwhile), none is saved and the refusal is reported.
    """
    from . import sheets  # the reading side; kept apart so this module stays about the rules

    domain._require_manager(actor, pot)
    pot = Pot.objects.select_related("rhf", "helsefellesskap").get(pk=pot.pk)
    result = ImportResult(dry_run=dry_run)
    try:
        rows = sheets.read(file)
    except sheets.SheetError as exc:
        result.errors = exc.messages
        return result
    result.planned, result.errors = sheets.plan(pot, rows)
    amounts: dict[int, int] = {}
    for planned in result.planned:
        for year, amount in planned.amounts_by_year.items():
            amounts[year] = amounts.get(year, 0) + amount
    result.totals = headroom(pot, amounts)
    for total in result.totals:
        if not total.fits:
            result.errors.append(
                _("%(year)s: regnearket binder %(amount)s, men %(pot)s har bare %(available)s ledig.")
                % {"year": total.year, "amount": kroner(total.amount), "pot": pot.name, "available": kroner(total.available)}
            )
    if not result.planned and not result.errors:
        result.errors.append(_("Regnearket har ingen rader med tilskudd."))
    if dry_run or result.errors:
        return result
    try:
        with transaction.atomic():
            for planned in result.planned:
                try:
                    result.saved.append(register_grant(actor, pot=pot, **planned.kwargs()))
                except domain.FundingError as exc:
                    raise _RowRefused(planned.row, str(exc)) from exc
            record(
                actor,
                "grants.imported",
                pot,
                _("%(count)s tilskudd vedtatt utenfor portalen importert til %(pot)s fra regnearket «%(file)s»")
                % {"count": len(result.saved), "pot": pot.name, "file": getattr(file, "name", "")},
                grants=[g.pk for g in result.saved],
            )
    except _RowRefused as exc:
        result.saved = []
        result.errors = [_("Rad %(row)s: %(message)s") % {"row": exc.row, "message": exc.message}]
    return result


class _RowRefused(Exception):
    def __init__(self, row: int, message: str):
        self.row, self.message = row, message
        super().__init__(message)
