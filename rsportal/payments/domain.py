"""State changes of payment requests and of money between partners. One function per change:
in a transaction, permission checked, audited, notified.

A payment request enters the portal through `submit_request` (the owner) or `register_request`
(the secretariat, for a request that came by letter); both create it in `_create`, the one place
to hand it on to the archive (issue 15 item 3) as a registry entry with its `costs` as documents."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal import archive
from rsportal.accounts import permissions as account_permissions
from rsportal.applications.models import BudgetLine
from rsportal.applications.permissions import applicant_scopes
from rsportal.core import uploads
from rsportal.core.audit import notify, record
from rsportal.core.formatting import kroner, long_date, person_name
from rsportal.followup import domain as followup
from rsportal.followup.models import Report
from rsportal.funding.models import Commitment, Grant
from rsportal.registry.models import Body, BodyMember, HealthTrust, Municipality

from .models import CostLine, PartnerRecord, PaymentPlan, PaymentRequest

# A partner's invoice not covered by transfers this many days after its date is overdue.
PAYMENT_DAYS = 30


class PaymentError(Exception):
    pass


class StaleRequest(PaymentError):
    """Someone else has handled the request since the page was opened."""


# --- organisations ---------------------------------------------------------------------


def org_key(organisation) -> str:
    """A participant as a form value: "m:<id>" for a municipality, "t:<id>" for a trust."""
    return f"{'m' if isinstance(organisation, Municipality) else 't'}:{organisation.pk}"


def _org_fields(organisation) -> dict:
    if isinstance(organisation, Municipality):
        return {"municipality": organisation, "trust": None}
    return {"municipality": None, "trust": organisation}


def participants(grant: Grant) -> list:
    """Owners first, then partners, each once."""
    seen, result = set(), []
    for organisation in [*grant.owners(), *grant.participants()]:
        if org_key(organisation) not in seen:
            seen.add(org_key(organisation))
            result.append(organisation)
    return result


def partners(grant: Grant) -> list:
    owners = {org_key(o) for o in grant.owners()}
    return [o for o in participants(grant) if org_key(o) not in owners]


def represented_owners(user, grant: Grant) -> list:
    """The grant's owners the user is an applicant for (municipalities first)."""
    municipalities, trusts = applicant_scopes(user)
    return [m for m in grant.municipalities.all() if m.pk in municipalities] + [t for t in grant.trusts.all() if t.pk in trusts]


def represented_partners(user, grant: Grant) -> list:
    municipalities, trusts = applicant_scopes(user)
    return [o for o in partners(grant) if (o.pk in municipalities if isinstance(o, Municipality) else o.pk in trusts)]


def reference(grant: Grant) -> str:
    """The case number of the application the grant was decided on, else the decision's reference."""
    decision = getattr(grant, "decision", None)
    if decision is not None and decision.application_id and decision.application.case_number:
        return decision.application.case_number
    return grant.reference


# --- the payment plan -------------------------------------------------------------------


def plan_for(pot) -> PaymentPlan | None:
    """The pot's own plan, else its parent's: a region sets it once for all its pots."""
    while pot is not None:
        plan = PaymentPlan.objects.filter(pot=pot).first()
        if plan is not None:
            return plan
        pot = pot.parent
    return None


@transaction.atomic
def set_payment_plan(actor, pot, *, advance_percent: int) -> PaymentPlan:
    if not account_permissions.can_manage_money(actor, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap):
        raise PermissionDenied(_("Bare de som forvalter potten setter utbetalingsplanen."))
    if not 0 <= advance_percent <= 100:
        raise PaymentError(_("Andelen ved oppstart må være mellom 0 og 100 prosent."))
    plan, _created = PaymentPlan.objects.update_or_create(pot=pot, defaults={"advance_percent": advance_percent})
    record(actor, "payments.plan_set", pot, _("Utbetalingsplan: %(p)s %% ved oppstart, resten etter rapport") % {"p": advance_percent})
    return plan


def committed(grant: Grant, year: int) -> int:
    return grant.commitments.filter(status__in=Commitment.ACTIVE, pot_year__year=year).aggregate(s=Sum("amount"))["s"] or 0


def requested(grant: Grant, year: int, *, exclude=None) -> int:
    rows = PaymentRequest.objects.filter(grant=grant, year=year, status__in=PaymentRequest.OPEN)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.aggregate(s=Sum("amount"))["s"] or 0


# --- payment requests -------------------------------------------------------------------


@dataclass
class Cost:
    organisation: object  # a Municipality or a HealthTrust taking part in the grant
    amount: int
    documentation: object = None  # an uploaded file


def _secretariat_emails(grant: Grant) -> list[str]:
    seats = BodyMember.objects.active_on(timezone.localdate()).filter(body__kind=Body.Kind.SECRETARIAT, user__isnull=False, user__is_active=True)
    # The RHF's own secretariat, and the helsefellesskap's where the grant has one (never a bare
    # "no helsefellesskap", which every RHF secretariat in the country matches).
    community = grant.pot.helsefellesskap_id or grant.helsefellesskap_id
    scope = Q(body__rhf=grant.pot.rhf_id) | (Q(body__helsefellesskap_id=community) if community else Q(pk__in=[]))
    seats = seats.filter(scope)
    return [s.user.email for s in seats.select_related("user")]


def _check_against_commitment(grant: Grant, year: int, amount: int, *, exclude=None) -> None:
    promised = committed(grant, year)
    if not promised:
        raise PaymentError(_("Prosjektet har ikke noe gjeldende tilsagn for %(year)s, så ingenting kan utbetales for året.") % {"year": year})
    already = requested(grant, year, exclude=exclude)
    if already + amount > promised:
        raise PaymentError(
            _("Anmodningen gjør at det er bedt om %(total)s for %(year)s, mer enn tilsagnet på %(committed)s (%(already)s er allerede anmodet eller utbetalt).")
            % {"total": kroner(already + amount), "year": year, "committed": kroner(promised), "already": kroner(already)}
        )


def _check_plan(grant: Grant, year: int, amount: int, report) -> None:
    """Without a report, only the plan's share at start may be requested for the year."""
    plan = plan_for(grant.pot)
    if plan is None or report is not None:
        return
    advance = committed(grant, year) * plan.advance_percent // 100
    if requested(grant, year) + amount > advance:
        raise PaymentError(
            _("Pottens utbetalingsplan gir %(percent)s %% av tilsagnet ved oppstart (%(advance)s for %(year)s). Resten utbetales etter levert rapport: velg rapporten anmodningen hører til.")
            % {"percent": plan.advance_percent, "advance": kroner(advance), "year": year}
        )


@transaction.atomic
def submit_request(
    actor,
    grant: Grant,
    *,
    year: int,
    period_start: datetime.date,
    period_end: datetime.date,
    costs: list[Cost],
    own_contribution: int = 0,
    report: Report | None = None,
    recipient=None,
) -> PaymentRequest:
    """The owning participant requests payment for incurred costs. The amount is the sum of the
    cost lines; it may not, with what is already requested or paid, exceed the year's commitment,
    and beyond the plan's share at start it needs the report it belongs to."""
    owners = represented_owners(actor, grant)
    if not owners:
        raise PermissionDenied(_("Bare søkere for eierne av prosjektet kan be om utbetaling."))
    recipient = recipient or owners[0]
    if org_key(recipient) not in {org_key(o) for o in owners}:
        raise PermissionDenied(_("Mottakeren må være en eier du representerer."))
    return _create(
        actor, grant, year=year, period_start=period_start, period_end=period_end, costs=costs, own_contribution=own_contribution,
        report=report, recipient=recipient, requested_by=actor,
    )


@transaction.atomic
def register_request(
    actor,
    grant: Grant,
    *,
    requested_by_name: str,
    year: int,
    period_start: datetime.date,
    period_end: datetime.date,
    costs: list[Cost],
    recipient,
    own_contribution: int = 0,
    report: Report | None = None,
) -> PaymentRequest:
    """The secretariat registers a request that came by letter or e-mail, in the owner's name.
    The person who registers it may not approve it either."""
    if not followup.manages(actor, grant):
        raise PermissionDenied(_("Bare sekretariatet registrerer anmodninger på vegne av prosjekteieren."))
    if not requested_by_name.strip():
        raise PaymentError(_("Skriv hvem hos prosjekteieren som har bedt om utbetalingen."))
    if org_key(recipient) not in {org_key(o) for o in grant.owners()}:
        raise PaymentError(_("Mottakeren må være en av prosjektets eiere."))
    return _create(
        actor, grant, year=year, period_start=period_start, period_end=period_end, costs=costs, own_contribution=own_contribution,
        report=report, recipient=recipient, requested_by=None, requested_by_name=requested_by_name.strip(),
    )


def _create(actor, grant, *, year, period_start, period_end, costs, own_contribution, report, recipient, requested_by, requested_by_name="") -> PaymentRequest:
    # Under the grant's row lock, like payments and releases: two requests sent at once must not
    # together ask for more than the commitment.
    Grant.objects.select_for_update(of=("self",)).filter(pk=grant.pk).first()
    if period_end < period_start:
        raise PaymentError(_("Perioden må slutte etter at den begynner."))
    costs = [c for c in costs if c.amount]
    if not costs:
        raise PaymentError(_("Før opp de påløpte kostnadene for minst én part."))
    allowed = {org_key(o) for o in participants(grant)}
    for cost in costs:
        if org_key(cost.organisation) not in allowed:
            raise PaymentError(_("%(org)s er ikke part i prosjektet.") % {"org": cost.organisation.name})
    if report is not None and report.grant_id != grant.pk:
        raise PaymentError(_("Rapporten hører til et annet prosjekt."))
    amount = sum(c.amount for c in costs)
    _check_against_commitment(grant, year, amount)
    _check_plan(grant, year, amount, report)
    # Documentation goes through the same checks as every other upload, before anything is saved.
    content_types = {}
    for index, cost in enumerate(costs):
        if cost.documentation:
            try:
                content_types[index] = uploads.check(cost.documentation)
            except uploads.RejectedUpload as exc:
                raise PaymentError(_("Dokumentasjonen for %(org)s: %(reason)s") % {"org": cost.organisation.name, "reason": exc}) from exc
    request = PaymentRequest.objects.create(
        grant=grant,
        year=year,
        period_start=period_start,
        period_end=period_end,
        amount=amount,
        own_contribution=own_contribution or 0,
        report=report,
        recipient_municipality=recipient if isinstance(recipient, Municipality) else None,
        recipient_trust=recipient if isinstance(recipient, HealthTrust) else None,
        requested_by=requested_by,
        requested_by_name=requested_by_name,
        registered_by=actor,
    )
    for index, cost in enumerate(costs):
        line = CostLine(request=request, amount=cost.amount, **_org_fields(cost.organisation))
        if cost.documentation:
            line.documentation_name = uploads.display_name(cost.documentation.name)
            line.documentation_content_type = content_types[index]
            line.documentation.save(cost.documentation.name, cost.documentation, save=False)
        line.save()
    archive.record("payment_request", request, actor)  # a registry entry in the grant's case, after commit
    record(actor, "payments.request_submitted", request, _("Utbetalingsanmodning for %(year)s: %(amount)s") % {"year": year, "amount": kroner(amount)}, grant=grant.pk)
    notify(
        _secretariat_emails(grant),
        _("Ny utbetalingsanmodning: %(t)s") % {"t": grant.title},
        _("%(who)s ber om %(amount)s for %(year)s (perioden %(start)s–%(end)s). Anmodningen behandles i RS-portalen.")
        % {"who": person_name(requested_by) if requested_by else requested_by_name, "amount": kroner(amount), "year": year, "start": long_date(period_start), "end": long_date(period_end)},
    )
    return request


def _decide(actor, request: PaymentRequest, version: int) -> PaymentRequest:
    """Lock and re-read the request, and check who may decide: those who manage the grant's
    money, but never the person who asked for it or typed it in (separation of duties)."""
    Grant.objects.select_for_update(of=("self",)).filter(pk=request.grant_id).first()
    request = PaymentRequest.objects.select_related("grant__pot__rhf", "grant__pot__helsefellesskap", "requested_by").get(pk=request.pk)
    if not followup.manages(actor, request.grant):
        raise PermissionDenied(_("Bare sekretariatet behandler utbetalingsanmodninger."))
    if actor.pk in (request.requested_by_id, request.registered_by_id):
        raise PermissionDenied(_("Den som har anmodet om eller registrert en utbetaling, kan ikke selv godkjenne den. En annen i sekretariatet må behandle den."))
    if request.version != version:
        raise StaleRequest(_("Anmodningen er behandlet av noen andre mens du hadde den åpen. Se hva som er gjort nå."))
    if request.status != PaymentRequest.Status.SUBMITTED:
        raise PaymentError(_("Anmodningen er allerede behandlet (%(status)s).") % {"status": request.get_status_display()})
    return request


def _requester_emails(request: PaymentRequest) -> list[str]:
    return [request.requested_by.email] if request.requested_by_id else []


@transaction.atomic
def approve_request(actor, request: PaymentRequest, *, version: int) -> PaymentRequest:
    """The secretariat approves: the money is checked against the commitment again (it may have
    been released since), and the request waits for the accounting export."""
    request = _decide(actor, request, version)
    _check_against_commitment(request.grant, request.year, request.amount, exclude=request)
    request.status = PaymentRequest.Status.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.version += 1
    request.save(update_fields=["status", "decided_by", "decided_at", "version"])
    record(actor, "payments.request_approved", request, _("Utbetalingsanmodning godkjent: %(amount)s for %(year)s") % {"amount": kroner(request.amount), "year": request.year}, grant=request.grant_id)
    notify(
        _requester_emails(request),
        _("Utbetalingsanmodningen er godkjent: %(t)s") % {"t": request.grant.title},
        _("%(amount)s for %(year)s er godkjent og sendes til utbetaling.") % {"amount": kroner(request.amount), "year": request.year},
    )
    return request


@transaction.atomic
def return_request(actor, request: PaymentRequest, *, reason: str, version: int) -> PaymentRequest:
    """The secretariat sends the request back with a reason; the money no longer counts as requested."""
    if not reason.strip():
        raise PaymentError(_("Skriv hvorfor anmodningen sendes tilbake."))
    request = _decide(actor, request, version)
    request.status = PaymentRequest.Status.RETURNED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.return_reason = reason.strip()
    request.version += 1
    request.save(update_fields=["status", "decided_by", "decided_at", "return_reason", "version"])
    record(actor, "payments.request_returned", request, _("Utbetalingsanmodning sendt tilbake: %(reason)s") % {"reason": request.return_reason}, grant=request.grant_id)
    notify(
        _requester_emails(request),
        _("Utbetalingsanmodningen er sendt tilbake: %(t)s") % {"t": request.grant.title},
        _("Sekretariatet har sendt tilbake anmodningen om %(amount)s for %(year)s: %(reason)s") % {"amount": kroner(request.amount), "year": request.year, "reason": request.return_reason},
    )
    return request


@transaction.atomic
def mark_paid(actor, requests, *, paid_on: datetime.date) -> list[PaymentRequest]:
    """Mark approved requests paid, after the accounting system has paid them. Each becomes a
    payment through followup.domain.record_payment, so the commitment's limit and the locks
    that keep paid money from being released apply here too."""
    done = []
    for request in requests:
        request = PaymentRequest.objects.select_for_update(of=("self",)).select_related("grant__pot").get(pk=request.pk)
        if request.status != PaymentRequest.Status.APPROVED:
            raise PaymentError(_("Bare godkjente anmodninger kan markeres som utbetalt."))
        try:
            payment = followup.record_payment(actor, request.grant, year=request.year, amount=request.amount, paid_on=paid_on, note=_("Utbetalingsanmodning %(ref)s") % {"ref": request.pk})
        except followup.FollowupError as exc:
            raise PaymentError(f"{request.grant.title}: {exc}") from exc
        request.payment = payment
        request.status = PaymentRequest.Status.PAID
        request.version += 1
        request.save(update_fields=["payment", "status", "version"])
        record(actor, "payments.request_paid", request, _("Utbetalt %(amount)s %(date)s") % {"amount": kroner(request.amount), "date": long_date(paid_on)}, grant=request.grant_id, payment=payment.pk)
        done.append(request)
    return done


# --- money between partners --------------------------------------------------------------


def planned_shares(grant: Grant) -> dict[tuple[str, int], int]:
    """(participant, year) -> the grant money the application's budget plans for that participant.
    Budget lines not tied to a participant belong to the project as a whole and are not anyone's share."""
    decision = getattr(grant, "decision", None)
    if decision is None or not decision.application_id:
        return {}
    shares: dict[tuple[str, int], int] = {}
    lines = BudgetLine.objects.filter(application_id=decision.application_id, kind=BudgetLine.Kind.GRANT, participant__isnull=False)
    for municipality_id, trust_id, year, amount in lines.values_list("participant__municipality_id", "participant__trust_id", "year", "amount"):
        key = (f"m:{municipality_id}" if municipality_id else f"t:{trust_id}", year)
        shares[key] = shares.get(key, 0) + amount
    return shares


def _check_partner(grant: Grant, organisation) -> None:
    if org_key(organisation) not in {org_key(p) for p in partners(grant)}:
        raise PaymentError(_("%(org)s er ikke partner i prosjektet.") % {"org": organisation.name})


@transaction.atomic
def record_transfer(actor, grant: Grant, *, partner, year: int, amount: int, on: datetime.date, reference: str = "") -> PartnerRecord:
    """The owner records money it has passed on to a partner. The owner cannot pass on more for a
    year than it has been paid for it."""
    if not represented_owners(actor, grant):
        raise PermissionDenied(_("Bare eierne av prosjektet registrerer overføringer til partnerne."))
    _check_partner(grant, partner)
    if amount <= 0:
        raise PaymentError(_("Beløpet må være større enn null."))
    Grant.objects.select_for_update(of=("self",)).filter(pk=grant.pk).first()
    paid = grant.payments.filter(year=year).aggregate(s=Sum("amount"))["s"] or 0
    passed = PartnerRecord.objects.filter(grant=grant, year=year, kind=PartnerRecord.Kind.TRANSFER).aggregate(s=Sum("amount"))["s"] or 0
    if passed + amount > paid:
        raise PaymentError(
            _("Overføringen gjør at %(total)s er sendt videre for %(year)s, mer enn de %(paid)s prosjektet har fått utbetalt for året.")
            % {"total": kroner(passed + amount), "year": year, "paid": kroner(paid)}
        )
    row = PartnerRecord.objects.create(grant=grant, kind=PartnerRecord.Kind.TRANSFER, year=year, amount=amount, on=on, reference=reference, recorded_by=actor, **_org_fields(partner))
    record(actor, "payments.transfer", grant, _("Overført %(amount)s til %(org)s for %(year)s") % {"amount": kroner(amount), "org": partner.name, "year": year}, record=row.pk)
    return row


@transaction.atomic
def record_invoice(actor, grant: Grant, *, partner, year: int, amount: int, on: datetime.date, reference: str = "") -> PartnerRecord:
    """A partner records what it has invoiced the owner."""
    if org_key(partner) not in {org_key(p) for p in represented_partners(actor, grant)}:
        raise PermissionDenied(_("Bare partneren selv registrerer hva den har fakturert."))
    if amount <= 0:
        raise PaymentError(_("Beløpet må være større enn null."))
    row = PartnerRecord.objects.create(grant=grant, kind=PartnerRecord.Kind.INVOICE, year=year, amount=amount, on=on, reference=reference, recorded_by=actor, **_org_fields(partner))
    record(actor, "payments.invoice", grant, _("%(org)s fakturerte %(amount)s for %(year)s") % {"amount": kroner(amount), "org": partner.name, "year": year}, record=row.pk)
    return row
