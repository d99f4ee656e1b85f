"""State changes of the money. One function per change; each runs in a
transaction, checks permission, writes an audit record and queues notifications.

The invariant guarded here: for every pot-year,
    active commitments + reserves <= frame
Every function that could break it first locks the pot row (SELECT ... FOR
UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions take the database write
lock at BEGIN), then re-reads the sums under that lock. Pots are always locked
in primary-key order, so two transfers in opposite directions cannot deadlock.
"""

from collections.abc import Collection, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from rsportal.accounts import permissions
from rsportal.core.audit import notify, record
from rsportal.core.formatting import kroner, local_stamp, person_name
from rsportal.core.models import AuditEvent

from .models import (
    Appropriation,
    AppropriationShare,
    Commitment,
    FrameEntry,
    Grant,
    Pot,
    PotYear,
    Reserve,
)


class FundingError(Exception):
    """A money rule would be broken; the message is shown to the user as it is."""


class OverCommitted(FundingError):
    pass


class StaleEdit(FundingError):
    pass


# --- pure helpers ----------------------------------------------------------


def split_by_shares(amount: int, shares: Sequence[tuple[object, Decimal]]) -> list[tuple[object, int]]:
    """Split whole kroner by shares so that the parts add up exactly to `amount`.

    Largest-remainder method: everyone gets the floor of their exact part, and
    the kroner left over go one by one to the largest remainders (ties in the
    order given), so a 150 MNOK appropriation never becomes 149 999 999 kr.
    """
    total = sum((share for _, share in shares), Decimal(0))
    if total <= 0:
        raise FundingError(_("Fordelingsnøkkelen har ingen andeler."))
    exact = [(recipient, Decimal(amount) * share / total) for recipient, share in shares]
    floors = [(recipient, int(value.to_integral_value(rounding=ROUND_FLOOR))) for recipient, value in exact]
    left = amount - sum(part for _, part in floors)
    order = sorted(range(len(exact)), key=lambda i: exact[i][1] - floors[i][1], reverse=True)
    parts = [part for _, part in floors]
    for i in order[:left]:
        parts[i] += 1
    return [(floors[i][0], parts[i]) for i in range(len(floors))]


def _lock(*pots: Pot, expected_version: int | None = None) -> dict[int, Pot]:
    """Lock the pots' rows for the rest of the transaction and bump their versions.

    `expected_version` (for a single pot) is the version the person saw; if the pot
    has changed since, the change is refused rather than silently applied on top.
    """
    locked = {pot.pk: pot for pot in Pot.objects.select_for_update().filter(pk__in=[p.pk for p in pots]).order_by("pk")}
    if expected_version is not None and len(pots) == 1 and locked[pots[0].pk].version != expected_version:
        raise StaleEdit(_("Potten er endret av noen andre mens du arbeidet%(last)s. Se de oppdaterte tallene og prøv igjen.") % {"last": _last_change(pots[0])})
    Pot.objects.filter(pk__in=locked).update(version=F("version") + 1)
    return locked


def _last_change(pot: Pot) -> str:
    """Who last changed the pot and how, from the audit trail (for the "changed meanwhile" message)."""
    def ids(queryset):
        return [str(pk) for pk in queryset.values_list("pk", flat=True)]

    years = PotYear.objects.filter(pot=pot)
    event = (
        AuditEvent.objects.filter(
            Q(object_type="funding.potyear", object_id__in=ids(years))
            | Q(object_type="funding.commitment", object_id__in=ids(Commitment.objects.filter(Q(pot_year__in=years) | Q(recipient_pot=pot))))
            | Q(object_type="funding.grant", object_id__in=ids(Grant.objects.filter(pot=pot)))
        )
        .select_related("actor")
        .first()
    )
    if event is None:
        return ""
    who = person_name(event.actor) if event.actor else _("systemet")
    return _(" (sist: %(who)s %(when)s: %(what)s)") % {"who": who, "when": local_stamp(event.at), "what": event.summary}


def _pot_year(pot: Pot, year: int) -> PotYear:
    """The pot-year row; call only while holding the pot's lock, which makes get_or_create race-free."""
    pot_year, _created = PotYear.objects.get_or_create(pot=pot, year=year)
    return pot_year


def _used(pot_year: PotYear) -> int:
    committed = pot_year.commitments.filter(status__in=Commitment.ACTIVE).aggregate(s=Sum("amount"))["s"] or 0
    reserved = pot_year.reserves.aggregate(s=Sum("amount"))["s"] or 0
    return committed + reserved


def _require_headroom(pot_year: PotYear, amount: int) -> None:
    available = pot_year.frame - _used(pot_year)
    if amount > available:
        raise OverCommitted(
            _("%(pot)s har bare %(available)s ledig i %(year)s, men %(amount)s ble forsøkt bundet.")
            % {"pot": pot_year.pot.name, "available": kroner(available), "year": pot_year.year, "amount": kroner(amount)}
        )


def _require_positive(amount: int) -> None:
    if not isinstance(amount, int) or amount <= 0:
        raise FundingError(_("Beløpet må være et helt antall kroner større enn null."))


def _require_manager(actor, pot: Pot) -> None:
    if not permissions.can_manage_money(actor, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap):
        raise PermissionDenied(_("Du har ikke tilgang til å disponere midlene i %(pot)s.") % {"pot": pot.name})


def _add_frame(actor, pot: Pot, year: int, amount: int, kind: str, note: str, **links) -> PotYear:
    """Change a pot-year's frame through a ledger entry. The caller holds the pot's lock."""
    pot_year = _pot_year(pot, year)
    FrameEntry.objects.create(
        pot_year=pot_year, kind=kind, amount=amount, note=note[:300], created_by=actor if actor and actor.is_authenticated else None, **links
    )
    pot_year.frame += amount
    pot_year.save(update_fields=["frame"])
    return pot_year


def root_pot(rhf) -> Pot:
    pot, _created = Pot.objects.get_or_create(
        rhf=rhf, kind=Pot.Kind.ROOT, defaults={"name": _("Samlet RS-tilskudd %(rhf)s") % {"rhf": rhf.name}}
    )
    return pot


# --- state changes ---------------------------------------------------------


@transaction.atomic
def book_appropriation(actor, appropriation: Appropriation) -> list[AppropriationShare]:
    """Book a ministry appropriation: split it between the RHFs and raise their root frames.

    Only a system administrator books national money; an appropriation to a single
    RHF may also be booked by that RHF's administrator.
    """
    appropriation = Appropriation.objects.select_for_update().get(pk=appropriation.pk)
    allowed = permissions.is_system_admin(actor) or (
        appropriation.rhf_id is not None and permissions.is_rhf_admin(actor, appropriation.rhf)
    )
    if not allowed:
        raise PermissionDenied(_("Bare systemadministrator kan bokføre bevilgninger fra departementet."))
    if appropriation.booked_at is not None:
        raise FundingError(_("Bevilgningen er allerede bokført."))
    if appropriation.key_id:
        key_shares = [(s.rhf, s.share) for s in appropriation.key.shares.select_related("rhf") if s.rhf_id]
        if not key_shares:
            raise FundingError(_("Fordelingsnøkkelen har ingen andeler for regionale helseforetak."))
        parts = split_by_shares(appropriation.amount, key_shares)
    else:
        parts = [(appropriation.rhf, appropriation.amount)]
    shares = []
    for rhf, amount in parts:
        share = AppropriationShare.objects.create(appropriation=appropriation, rhf=rhf, amount=amount)
        shares.append(share)
        target = root_pot(rhf)
        if appropriation.earmarked_for:
            target = _earmarked_pot(rhf, appropriation.earmarked_for, target)
        _lock(target)
        _add_frame(actor, target, appropriation.year, amount, FrameEntry.Kind.APPROPRIATION, appropriation.name, appropriation_share=share)
    appropriation.booked_at = timezone.now()
    appropriation.save(update_fields=["booked_at"])
    record(
        actor,
        "appropriation.booked",
        appropriation,
        _("Bevilgning %(name)s %(year)s bokført: %(amount)s") % {"name": appropriation.name, "year": appropriation.year, "amount": kroner(appropriation.amount)},
        shares={s.rhf.code: s.amount for s in shares},
    )
    return shares


def _earmarked_pot(rhf, purpose: str, root: Pot) -> Pot:
    """Earmarked money never mixes with the free frame: it lands in its own pot under the root."""
    pot, _created = Pot.objects.get_or_create(
        rhf=rhf, kind=Pot.Kind.EARMARKED, name=purpose, defaults={"parent": root, "description": _("Øremerkede midler fra departementet.")}
    )
    return pot


@transaction.atomic
def create_pot(actor, *, parent: Pot, name: str, kind: str, helsefellesskap=None, description: str = "") -> Pot:
    """Create a pot funded from `parent` (same RHF)."""
    _require_manager(actor, parent)
    if kind == Pot.Kind.ROOT:
        raise FundingError(_("Et RHF har bare én samlet pott."))
    if helsefellesskap is not None and helsefellesskap.rhf_id != parent.rhf_id:
        raise FundingError(_("Helsefellesskapet hører ikke til samme RHF som potten det skal finansieres fra."))
    pot = Pot.objects.create(
        parent=parent, rhf=parent.rhf, name=name, kind=kind, helsefellesskap=helsefellesskap, description=description
    )
    record(actor, "pot.created", pot, _("Pott opprettet: %(name)s") % {"name": name}, parent=parent.pk, kind=kind)
    return pot


@transaction.atomic
def transfer(actor, *, source: Pot, target: Pot, year: int, amount: int, note: str = "") -> Commitment:
    """Move frame from a pot to one of its child pots for a year."""
    _require_positive(amount)
    _require_manager(actor, source)
    if target.parent_id != source.pk:
        raise FundingError(_("Det kan bare overføres til en pott som finansieres fra denne potten."))
    _lock(source, target)
    source_year = _pot_year(source, year)
    _require_headroom(source_year, amount)
    commitment = Commitment.objects.create(
        pot_year=source_year, kind=Commitment.Kind.TRANSFER, amount=amount, recipient_pot=target, description=note or target.name
    )
    _add_frame(actor, target, year, amount, FrameEntry.Kind.TRANSFER_IN, note or source.name, transfer=commitment)
    record(
        actor,
        "pot.transfer",
        commitment,
        _("%(amount)s overført fra %(source)s til %(target)s for %(year)s")
        % {"amount": kroner(amount), "source": source.name, "target": target.name, "year": year},
    )
    return commitment


@transaction.atomic
def set_reserve(
    actor, *, pot: Pot, year: int, kind: str, amount: int, note: str = "", expected_version: int | None = None
) -> Reserve | None:
    """Set (or with amount 0 remove) the reserve of one kind for a pot-year."""
    _require_manager(actor, pot)
    if amount < 0:
        raise FundingError(_("Avsetningen kan ikke være negativ."))
    _lock(pot, expected_version=expected_version)
    pot_year = _pot_year(pot, year)
    existing = pot_year.reserves.filter(kind=kind).first()
    previous = existing.amount if existing else 0
    if amount > previous:
        available = pot_year.frame - _used(pot_year)
        if amount - previous > available:
            raise OverCommitted(
                _("Det er bare %(more)s ledig i %(year)s, så avsetningen kan være høyst %(max)s. Du skrev %(amount)s.")
                % {"more": kroner(available), "year": year, "max": kroner(previous + available), "amount": kroner(amount)}
            )
    if amount == 0:
        if existing:
            existing.delete()
        reserve = None
    elif existing:
        existing.amount, existing.note = amount, note
        existing.save(update_fields=["amount", "note"])
        reserve = existing
    else:
        reserve = Reserve.objects.create(pot_year=pot_year, kind=kind, amount=amount, note=note)
    record(
        actor,
        "pot.reserve",
        pot_year,
        _("Avsetning (%(kind)s) i %(pot)s %(year)s endret fra %(old)s til %(new)s")
        % {"kind": Reserve.Kind(kind).label, "pot": pot.name, "year": year, "old": kroner(previous), "new": kroner(amount)},
    )
    return reserve


@transaction.atomic
def commit_grant(
    actor,
    *,
    grant: Grant,
    amounts: Mapping[int, int],
    conditional_from: int | None = None,
    notify_to: Sequence[str] = (),
    decided: bool = False,
    conditional_years: Collection[int] = (),
) -> list[Commitment]:
    """Book a grant's money, one commitment per year, all years or none.

    Years from `conditional_from` on, and the `conditional_years`, are booked as conditional
    on progress: they still count against the frame (the money is promised), but may be released.
    `decided=True` is passed by the decision procedure, which has already checked
    that the actor speaks for the body that decided; the frame is checked all the same.
    """
    if not decided:
        _require_manager(actor, grant.pot)
    if not amounts:
        raise FundingError(_("Tilsagnet må ha beløp for minst ett år."))
    _lock(grant.pot)
    commitments = []
    for year in sorted(amounts):
        amount = amounts[year]
        _require_positive(amount)
        pot_year = _pot_year(grant.pot, year)
        _require_headroom(pot_year, amount)
        conditional = (conditional_from and year >= conditional_from) or year in conditional_years
        status = Commitment.Status.CONDITIONAL if conditional else Commitment.Status.FIRM
        commitments.append(
            Commitment.objects.create(pot_year=pot_year, kind=Commitment.Kind.GRANT, amount=amount, status=status, grant=grant)
        )
    summary = ", ".join(f"{year}: {kroner(amounts[year])}" for year in sorted(amounts))
    record(actor, "grant.committed", grant, _("Tilsagn bokført for %(title)s (%(summary)s)") % {"title": grant.title, "summary": summary})
    if notify_to:
        notify(
            notify_to,
            _("Tilsagn om RS-tilskudd: %(title)s") % {"title": grant.title},
            _("Det er bokført tilsagn for %(title)s: %(summary)s.") % {"title": grant.title, "summary": summary},
        )
    return commitments


@transaction.atomic
def commit_allocation(actor, *, pot: Pot, year: int, amount: int, description: str) -> Commitment:
    """Bind money that has been allocated without a per-project split being known yet."""
    _require_positive(amount)
    _require_manager(actor, pot)
    if not description.strip():
        raise FundingError(_("Beskriv hva midlene er tildelt til."))
    _lock(pot)
    pot_year = _pot_year(pot, year)
    _require_headroom(pot_year, amount)
    commitment = Commitment.objects.create(pot_year=pot_year, kind=Commitment.Kind.ALLOCATION, amount=amount, description=description)
    record(actor, "pot.allocation", commitment, _("%(amount)s tildelt fra %(pot)s %(year)s: %(text)s") % {"amount": kroner(amount), "pot": pot.name, "year": year, "text": description})
    return commitment


def releasable(commitment: Commitment) -> int:
    """How much releasing the commitment may free: the part of it that is not paid out.

    Payments are booked per grant and year (followup.Payment), not per commitment, so they
    are set against all the grant's active commitments for that year. Paid money stays
    committed: freeing it would let the pot promise it a second time.
    """
    if commitment.status == Commitment.Status.RELEASED:
        return 0
    if commitment.kind != Commitment.Kind.GRANT:
        return commitment.amount
    # Imported here: follow-up builds on funding, not the other way round.
    from rsportal.followup.models import Payment

    year = commitment.pot_year.year
    committed = Commitment.objects.filter(grant_id=commitment.grant_id, pot_year__year=year, status__in=Commitment.ACTIVE).aggregate(s=Sum("amount"))["s"] or 0
    paid = Payment.objects.filter(grant_id=commitment.grant_id, year=year).aggregate(s=Sum("amount"))["s"] or 0
    return max(0, min(commitment.amount, committed - paid))


@transaction.atomic
def release_commitment(actor, commitment: Commitment, reason: str) -> Commitment:
    """Release a commitment (a project did not start, a later year was not granted),
    so the money can be re-allocated. Transfers to other pots are not released here.

    Only the unpaid part is freed. If some of it has been paid, the commitment keeps the
    paid amount (still active) and the rest is split off as a released commitment, so the
    ledger shows both and the pot's headroom grows by exactly what was not paid.
    Returns the released commitment.
    """
    _require_manager(actor, commitment.pot_year.pot)
    _lock(commitment.pot_year.pot)
    if commitment.grant_id:
        # record_payment registers payments under the grant's row lock: holding it too means no
        # payment can land between reading what is paid and freeing the rest.
        Grant.objects.select_for_update(of=("self",)).filter(pk=commitment.grant_id).first()
    commitment = Commitment.objects.select_related("pot_year__pot").get(pk=commitment.pk)
    if commitment.kind == Commitment.Kind.TRANSFER:
        raise FundingError(_("En overføring til en annen pott kan ikke frigjøres som et tilsagn."))
    if commitment.status == Commitment.Status.RELEASED:
        raise FundingError(_("Tilsagnet er allerede frigjort."))
    if not reason.strip():
        raise FundingError(_("Oppgi hvorfor tilsagnet frigjøres."))
    pot_year = commitment.pot_year
    free = releasable(commitment)
    if free == 0:
        raise FundingError(
            _("Tilsagnet for %(year)s er utbetalt i sin helhet (%(amount)s). Utbetalte midler kan ikke frigjøres.")
            % {"year": pot_year.year, "amount": kroner(commitment.amount)}
        )
    kept = commitment.amount - free
    if kept:
        commitment.amount = kept
        commitment.save(update_fields=["amount"])
        released = Commitment.objects.create(
            pot_year=pot_year,
            kind=commitment.kind,
            grant=commitment.grant,
            description=commitment.description,
            amount=free,
            status=Commitment.Status.RELEASED,
            release_reason=reason,
        )
        summary = _("%(amount)s frigjort i %(pot)s %(year)s: %(reason)s. %(kept)s er utbetalt og forblir bundet.")
    else:
        commitment.status = Commitment.Status.RELEASED
        commitment.release_reason = reason
        commitment.save(update_fields=["status", "release_reason"])
        released = commitment
        summary = _("%(amount)s frigjort i %(pot)s %(year)s: %(reason)s")
    record(
        actor,
        "commitment.released",
        released,
        summary % {"amount": kroner(free), "pot": pot_year.pot.name, "year": pot_year.year, "reason": reason, "kept": kroner(kept)},
        commitment=commitment.pk,
        kept=kept,
    )
    return released


@transaction.atomic
def carry_over_commitment(actor, commitment: Commitment, amount: int, reason: str, expected_version: int | None = None) -> Commitment:
    """A delayed project keeps unpaid money of year Y for year Y+1.

    The moved part of Y's commitment is split off as released (as release_commitment does with
    the unpaid part), the pot's frame moves from Y to Y+1 by the same amount (as carry_over),
    and the grant gets a firm commitment for Y+1. The pot's free money in both years is thus
    unchanged: the money follows the project, it is not freed for others. Paid money never
    moves, for the same reason it is never released. Returns the new commitment for Y+1.
    """
    pot = commitment.pot_year.pot
    _require_manager(actor, pot)
    _lock(pot, expected_version=expected_version)
    if commitment.grant_id:
        # The grant's row lock keeps payments (record_payment) out while we read what is unpaid.
        Grant.objects.select_for_update(of=("self",)).filter(pk=commitment.grant_id).first()
    commitment = Commitment.objects.select_related("pot_year__pot", "grant").get(pk=commitment.pk)
    if commitment.kind == Commitment.Kind.TRANSFER:
        raise FundingError(_("En overføring til en annen pott kan ikke flyttes som et tilsagn."))
    if commitment.kind != Commitment.Kind.GRANT:
        raise FundingError(_("Bare tilsagn til et prosjekt kan flyttes til neste år."))
    if commitment.status == Commitment.Status.RELEASED:
        raise FundingError(_("Tilsagnet er frigjort og kan ikke flyttes."))
    if not reason.strip():
        raise FundingError(_("Oppgi hvorfor tilsagnet flyttes til neste år."))
    _require_positive(amount)
    year = commitment.pot_year.year
    free = releasable(commitment)
    if amount > free:
        raise FundingError(
            _("Bare det som ikke er utbetalt, kan flyttes: %(free)s av tilsagnet for %(year)s, men %(amount)s ble forsøkt flyttet.")
            % {"free": kroner(free), "year": year, "amount": kroner(amount)}
        )
    note = (_("Flyttet til %(next)s: %(reason)s") % {"next": year + 1, "reason": reason.strip()})[:300]
    if amount < commitment.amount:
        commitment.amount -= amount
        commitment.save(update_fields=["amount"])
        moved = Commitment.objects.create(
            pot_year=commitment.pot_year, kind=commitment.kind, grant=commitment.grant, description=commitment.description,
            amount=amount, status=Commitment.Status.RELEASED, release_reason=note,
        )
    else:
        commitment.status = Commitment.Status.RELEASED
        commitment.release_reason = note
        commitment.save(update_fields=["status", "release_reason"])
        moved = commitment
    frame_note = _("Tilsagn til %(title)s flyttet fra %(year)s") % {"title": commitment.grant.title, "year": year}
    _add_frame(actor, pot, year, -amount, FrameEntry.Kind.CARRY_OVER_OUT, frame_note)
    target = _add_frame(actor, pot, year + 1, amount, FrameEntry.Kind.CARRY_OVER_IN, frame_note)
    carried = Commitment.objects.create(
        pot_year=target, kind=Commitment.Kind.GRANT, grant=commitment.grant, description=commitment.description,
        amount=amount, status=Commitment.Status.FIRM,
    )
    record(
        actor,
        "commitment.carried_over",
        carried,
        _("%(amount)s av tilsagnet til %(title)s flyttet fra %(year)s til %(next)s i %(pot)s: %(reason)s")
        % {"amount": kroner(amount), "title": commitment.grant.title, "year": year, "next": year + 1, "pot": pot.name, "reason": reason.strip()},
        source=commitment.pk,
        released=moved.pk,
        amount=amount,
    )
    return carried


@transaction.atomic
def carry_over(
    actor, *, pot: Pot, from_year: int, amount: int, note: str = "", expected_version: int | None = None
) -> tuple[PotYear, PotYear]:
    """Move unused frame of a pot from one year to the next."""
    _require_positive(amount)
    _require_manager(actor, pot)
    _lock(pot, expected_version=expected_version)
    source = _pot_year(pot, from_year)
    target = _pot_year(pot, from_year + 1)
    _require_headroom(source, amount)
    text = note or _("Ubrukte midler overført fra %(year)s") % {"year": from_year}
    FrameEntry.objects.create(pot_year=source, kind=FrameEntry.Kind.CARRY_OVER_OUT, amount=-amount, note=text, created_by=actor)
    FrameEntry.objects.create(pot_year=target, kind=FrameEntry.Kind.CARRY_OVER_IN, amount=amount, note=text, created_by=actor)
    source.frame -= amount
    target.frame += amount
    source.save(update_fields=["frame"])
    target.save(update_fields=["frame"])
    record(
        actor,
        "pot.carry_over",
        source,
        _("%(amount)s overført fra %(year)s til %(next)s i %(pot)s")
        % {"amount": kroner(amount), "year": from_year, "next": from_year + 1, "pot": pot.name},
    )
    return source, target



# --- the RHF administrator's money office -------------------------------------------------
#
# Used by funding.office_views. Each builds on the functions above, so the headroom rule and
# the pot locks are the same as everywhere else.

TRANSFERS_PER_YEAR = 2  # an RHF transfers to a helsefellesskap at most twice a year


@transaction.atomic
def book_rhf_appropriation(
    actor, *, rhf, year: int, name: str, amount: int, expected: bool = False, reference: str = "", earmarked_for: str = ""
) -> Appropriation:
    """Book an appropriation to one RHF. An expected later year (a permanent grant not yet in a
    passed budget) is booked all the same, so the RHF can promise money conditionally; its frame
    entries point to an appropriation marked `expected` until pass_appropriation."""
    _require_positive(amount)
    if not permissions.is_rhf_admin(actor, rhf):
        raise PermissionDenied(_("Bare administrator for %(rhf)s kan bokføre bevilgninger til RHF-et.") % {"rhf": rhf.name})
    appropriation = Appropriation.objects.create(
        rhf=rhf, year=year, name=name, amount=amount, expected=expected, reference=reference, earmarked_for=earmarked_for
    )
    book_appropriation(actor, appropriation)
    appropriation.refresh_from_db()
    return appropriation


@transaction.atomic
def pass_appropriation(actor, appropriation: Appropriation, *, expected: str | None = None, reference: str = "") -> Appropriation:
    """The budget is passed: an expected appropriation becomes granted money. The conditional
    commitments of its year are then confirmed or released one by one (confirm_commitment,
    release_commitment)."""
    from rsportal.core.backoffice import lock

    if not (permissions.is_system_admin(actor) or (appropriation.rhf_id and permissions.is_rhf_admin(actor, appropriation.rhf))):
        raise PermissionDenied(_("Du har ikke tilgang til denne bevilgningen."))
    appropriation = lock(appropriation, expected)
    if not appropriation.expected:
        raise FundingError(_("Bevilgningen er allerede vedtatt."))
    appropriation.expected = False
    if reference:
        appropriation.reference = reference[:300]
    appropriation.save(update_fields=["expected", "reference"])
    record(
        actor,
        "appropriation.passed",
        appropriation,
        _("Bevilgning %(name)s %(year)s vedtatt i statsbudsjettet") % {"name": appropriation.name, "year": appropriation.year},
        reference=reference,
    )
    return appropriation


def transfers_this_year(helsefellesskap, year: int) -> int:
    """How many times the RHF has transferred money to the helsefellesskap's pots in `year`."""
    return Commitment.objects.filter(
        kind=Commitment.Kind.TRANSFER,
        status__in=Commitment.ACTIVE,
        pot_year__year=year,
        pot_year__pot__helsefellesskap__isnull=True,
        recipient_pot__helsefellesskap=helsefellesskap,
    ).count()


def helsefellesskap_pot(source: Pot, helsefellesskap) -> Pot | None:
    """The pot a transfer from `source` to a helsefellesskap lands in: its oldest direct-transfer
    pot under `source`, else its oldest application pot."""
    pots = list(source.children.filter(helsefellesskap=helsefellesskap, kind__in=[Pot.Kind.DIRECT_TRANSFER, Pot.Kind.APPLICATION]).order_by("pk"))
    pots.sort(key=lambda p: p.kind != Pot.Kind.DIRECT_TRANSFER)
    return pots[0] if pots else None


@transaction.atomic
def transfer_to_helsefellesskap(
    actor, *, source: Pot, year: int, parts: Sequence[tuple[Pot, int]], note: str = "", expected_version: int | None = None
) -> list[Commitment]:
    """One transfer round from an RHF pot to helsefellesskap pots: all parts or none.

    Refused when it would be a third transfer to one helsefellesskap in the year."""
    _require_manager(actor, source)
    if source.helsefellesskap_id is not None:
        raise FundingError(_("Overføringer til helsefellesskap gjøres fra RHF-ets potter."))
    parts = [(pot, amount) for pot, amount in parts if amount]
    if not parts:
        raise FundingError(_("Overføringen har ingen beløp."))
    _lock(source, expected_version=expected_version)
    # The targets too, so two rounds from different RHF pots cannot both count "one so far".
    _lock(*[pot for pot, _amount in parts])
    for pot, _amount in parts:
        if pot.helsefellesskap_id is None:
            raise FundingError(_("%(pot)s hører ikke til et helsefellesskap.") % {"pot": pot.name})
        if transfers_this_year(pot.helsefellesskap, year) >= TRANSFERS_PER_YEAR:
            raise FundingError(
                _("%(hf)s har allerede fått overført midler to ganger i %(year)s. Det kan overføres til et helsefellesskap høyst to ganger i året.")
                % {"hf": pot.helsefellesskap.name, "year": year}
            )
    return [transfer(actor, source=source, target=pot, year=year, amount=amount, note=note) for pot, amount in parts]


@transaction.atomic
def allocate_by_decision(
    actor, *, pot: Pot, amounts: Mapping[int, int], body, decided_on, reason: str, expected_version: int | None = None
) -> list[Commitment]:
    """A direct allocation a body has decided outside any call: one commitment per year, all or
    none, with the decision (body, date, reason) in the commitment and in the audit trail."""
    _require_manager(actor, pot)
    if body.owner_rhf != pot.rhf:
        raise FundingError(_("%(body)s hører ikke til samme RHF som potten.") % {"body": body.name})
    if not reason.strip():
        raise FundingError(_("Skriv hva som ble vedtatt."))
    if not amounts:
        raise FundingError(_("Tildelingen må ha beløp for minst ett år."))
    _lock(pot, expected_version=expected_version)
    text = _("Vedtatt av %(body)s %(date)s: %(reason)s") % {"body": body.name, "date": dateformat.format(decided_on, "j. F Y"), "reason": reason}
    commitments = [commit_allocation(actor, pot=pot, year=year, amount=amounts[year], description=text[:300]) for year in sorted(amounts)]
    record(
        actor,
        "pot.allocation.decided",
        pot,
        _("Direkte tildeling fra %(pot)s (%(summary)s). %(text)s")
        % {"pot": pot.name, "summary": ", ".join(f"{y}: {kroner(amounts[y])}" for y in sorted(amounts)), "text": text},
        body=body.pk,
        decided_on=decided_on.isoformat(),
        reason=reason,
        commitments=[c.pk for c in commitments],
    )
    return commitments


@transaction.atomic
def confirm_commitment(actor, commitment: Commitment, *, expected_version: int | None = None) -> Commitment:
    """A conditional later-year commitment becomes firm (the year's appropriation is passed)."""
    pot = commitment.pot_year.pot
    _require_manager(actor, pot)
    _lock(pot, expected_version=expected_version)
    commitment = Commitment.objects.select_related("pot_year__pot").get(pk=commitment.pk)
    if commitment.status != Commitment.Status.CONDITIONAL:
        raise FundingError(_("Tilsagnet er ikke betinget, og kan ikke bekreftes."))
    commitment.status = Commitment.Status.FIRM
    commitment.save(update_fields=["status"])
    record(
        actor,
        "commitment.confirmed",
        commitment,
        _("%(amount)s i %(pot)s %(year)s bekreftet") % {"amount": kroner(commitment.amount), "pot": pot.name, "year": commitment.pot_year.year},
    )
    return commitment


@transaction.atomic
def release_conditional(actor, commitment: Commitment, reason: str, *, expected_version: int | None = None) -> Commitment:
    """release_commitment, refused if the pot changed since the person saw it."""
    _require_manager(actor, commitment.pot_year.pot)
    _lock(commitment.pot_year.pot, expected_version=expected_version)
    return release_commitment(actor, commitment, reason)


@transaction.atomic
def create_distribution_key(actor, *, rhf, name: str, shares: Mapping[object, Decimal], description: str = "") -> "DistributionKey":
    """A key that splits the RHF's transfers between its helsefellesskap. Keys are not edited
    afterwards: a transfer made by a key must still read as it was, so a new split is a new key."""
    from .models import DistributionKey

    if not permissions.is_rhf_admin(actor, rhf):
        raise PermissionDenied(_("Bare administrator for %(rhf)s kan lage fordelingsnøkler for RHF-et.") % {"rhf": rhf.name})
    shares = {hf: share for hf, share in shares.items() if share}
    if not shares:
        raise FundingError(_("Gi minst ett helsefellesskap en andel."))
    if any(hf.rhf_id != rhf.pk for hf in shares):
        raise FundingError(_("Et helsefellesskap i nøkkelen hører ikke til %(rhf)s.") % {"rhf": rhf.name})
    if any(share < 0 for share in shares.values()):
        raise FundingError(_("En andel kan ikke være negativ."))
    if DistributionKey.objects.filter(name=name).exists():
        raise FundingError(_("Det finnes allerede en fordelingsnøkkel med dette navnet."))
    key = DistributionKey.objects.create(name=name, description=description)
    for hf, share in shares.items():
        key.shares.create(helsefellesskap=hf, share=share)
    record(actor, "distribution_key.created", key, _("Fordelingsnøkkel opprettet: %(name)s") % {"name": name}, shares={hf.code: str(s) for hf, s in shares.items()})
    return key
