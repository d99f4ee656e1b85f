"""Bodies and seats, kept by the secretariat that owns them.

One function per change: each checks that the actor manages the body (their helsefellesskap's,
or their RHF's own), validates the seat rules, locks the row against a save made meanwhile
(`expected` is the version the form showed; None skips the check), saves and writes the audit
record. Seats are ended, never deleted: who sat where, and when, is evidence for every decision
the body made."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import dateformat
from django.utils.translation import gettext as _

from rsportal.accounts import permissions
from rsportal.core.audit import notify, record
from rsportal.core.backoffice import lock

from .models import Body, BodyMember, Membership

BODY_FIELDS = ("kind", "name", "decision_rule", "quorum", "requires_both_sides")
SEAT_FIELDS = ("name", "side", "role", "voting", "basis", "municipality", "trust", "start", "end")
NON_VOTING_ROLES = (BodyMember.Role.OBSERVER, BodyMember.Role.MINUTE_TAKER)


def _date(day: datetime.date | None) -> str:
    return dateformat.format(day, "j. F Y") if day else ""


def _require_body(actor, body: Body) -> None:
    if not permissions.may_manage_body(actor, body):
        raise PermissionDenied(_("Du administrerer ikke dette organet."))


def _changes(obj, values: dict) -> dict:
    """The fields that change, as {name: [old, new]} in text, for the audit record."""
    return {name: [str(getattr(obj, name)), str(value)] for name, value in values.items() if getattr(obj, name) != value}


# --- bodies ------------------------------------------------------------------------


@transaction.atomic
def create_body(actor, *, helsefellesskap=None, rhf=None, **values) -> Body:
    """A new body of a helsefellesskap or of an RHF the actor manages."""
    if (helsefellesskap is None) == (rhf is None):
        raise ValidationError(_("Velg hvem organet hører til."))
    owners = permissions.managed_helsefellesskap(actor) if helsefellesskap else permissions.managed_rhfs(actor)
    if not owners.filter(pk=(helsefellesskap or rhf).pk).exists():
        raise PermissionDenied(_("Du administrerer ikke organer for %(owner)s.") % {"owner": helsefellesskap or rhf})
    body = Body.objects.create(helsefellesskap=helsefellesskap, rhf=rhf, **{k: values[k] for k in BODY_FIELDS if k in values})
    record(actor, "body_created", body, _("Organet %(name)s er opprettet for %(owner)s.") % {"name": body.name, "owner": helsefellesskap or rhf})
    return body


@transaction.atomic
def update_body(actor, body: Body, *, expected: str | None = None, **values) -> Body:
    _require_body(actor, body)
    body = lock(body, expected)
    values = {k: values[k] for k in BODY_FIELDS if k in values}
    changes = _changes(body, values)
    for name, value in values.items():
        setattr(body, name, value)
    body.save()
    if changes:
        record(actor, "body_changed", body, _("Organet %(name)s er endret: %(fields)s.") % {"name": body.name, "fields": _field_names(Body, changes)}, changes=changes)
    return body


def _field_names(model, changes: dict) -> str:
    return ", ".join(str(model._meta.get_field(name).verbose_name) for name in changes)


# --- seats -------------------------------------------------------------------------


def check_seat(body: Body, values: dict) -> None:
    """The rules every seat keeps, as field errors:

    - an observer or a minute taker never votes;
    - the period ends on or after it starts;
    - the municipality represented is a member of the body's helsefellesskap (of one of the RHF's
      helsefellesskap for an RHF body) during the seat's period;
    - the trust represented belongs to the body's region."""
    errors = {}
    if values.get("role") in NON_VOTING_ROLES and values.get("voting"):
        errors["voting"] = _("En observatør eller referent har ikke stemmerett.")
    start, end = values.get("start"), values.get("end")
    if start and end and end < start:
        errors["end"] = _("Perioden kan ikke slutte før den begynner.")
    municipality = values.get("municipality")
    if municipality is not None and start:
        memberships = Membership.objects.filter(municipality=municipality, valid_from__lte=end or datetime.date.max).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=start)
        )
        memberships = memberships.filter(helsefellesskap=body.helsefellesskap) if body.helsefellesskap_id else memberships.filter(helsefellesskap__rhf=body.rhf)
        if not memberships.exists():
            errors["municipality"] = _("%(m)s er ikke medlem av %(owner)s i denne perioden.") % {"m": municipality.name, "owner": body.helsefellesskap or body.rhf}
    trust = values.get("trust")
    if trust is not None and trust.rhf_id != body.owner_rhf.pk:
        errors["trust"] = _("%(t)s hører ikke til %(rhf)s.") % {"t": trust.name, "rhf": body.owner_rhf}
    if errors:
        raise ValidationError(errors)


def _seat_summary(seat: BodyMember) -> str:
    return _("%(name)s, %(role)s i %(body)s fra %(start)s") % {
        "name": seat.name,
        "role": seat.get_role_display().lower(),
        "body": seat.body.name,
        "start": _date(seat.start),
    }


@transaction.atomic
def add_seat(actor, body: Body, **values) -> BodyMember:
    """A new seat in the body, for a person named now and invited separately (accounts.domain.invite)."""
    _require_body(actor, body)
    values = {k: values[k] for k in SEAT_FIELDS if k in values}
    check_seat(body, values)
    seat = BodyMember.objects.create(body=body, **values)
    record(actor, "seat_added", seat, _("Sete lagt til: %(seat)s.") % {"seat": _seat_summary(seat)}, body=body.pk)
    return seat


@transaction.atomic
def change_seat(actor, seat: BodyMember, *, expected: str | None = None, **values) -> BodyMember:
    _require_body(actor, seat.body)
    seat = lock(seat, expected)
    values = {k: values[k] for k in SEAT_FIELDS if k in values}
    check_seat(seat.body, {**{k: getattr(seat, k) for k in SEAT_FIELDS}, **values})
    changes = _changes(seat, values)
    for name, value in values.items():
        setattr(seat, name, value)
    seat.save()
    if changes:
        record(
            actor, "seat_changed", seat, _("Setet til %(name)s i %(body)s er endret: %(fields)s.") % {"name": seat.name, "body": seat.body.name, "fields": _field_names(BodyMember, changes)},
            body=seat.body_id, changes=changes,
        )
    return seat


@transaction.atomic
def end_seat(actor, seat: BodyMember, *, end: datetime.date, expected: str | None = None) -> BodyMember:
    """Ends the seat on `end` (its last day). The row stays: minutes, votes and conflicts refer to it."""
    _require_body(actor, seat.body)
    seat = lock(seat, expected)
    if end < seat.start:
        raise ValidationError({"end": _("Setet kan ikke slutte før det begynte (%(start)s).") % {"start": _date(seat.start)}})
    if seat.end is not None and seat.end < end:
        raise ValidationError({"end": _("Setet sluttet allerede %(end)s.") % {"end": _date(seat.end)}})
    seat.end = end
    seat.save(update_fields=["end"])
    record(actor, "seat_ended", seat, _("Setet til %(name)s i %(body)s er avsluttet fra og med %(end)s.") % {"name": seat.name, "body": seat.body.name, "end": _date(end)}, body=seat.body_id)
    if seat.user_id and seat.user.email:
        notify(
            [seat.user.email],
            _("Setet ditt i %(body)s er avsluttet") % {"body": seat.body.name},
            _("Setet ditt som %(role)s i %(body)s varer til og med %(end)s. Ta kontakt med sekretariatet hvis dette er feil.")
            % {"role": seat.get_role_display().lower(), "body": seat.body.name, "end": _date(end)},
        )
    return seat


def rotation(body: Body):
    """Leaders and deputies over time, ended seats included, newest first: the rotation."""
    return body.members.filter(role__in=(BodyMember.Role.LEADER, BodyMember.Role.DEPUTY)).order_by("-start", "role")


# --- organisations: city districts, organisation numbers and addresses ------------------------
#
# A secretariat keeps the organisations of its own helsefellesskap: the member municipalities,
# their city districts, its trust and the private non-profit hospitals in that trust's area.
# An RHF's administrators and secretariat keep those of all the RHF's helsefellesskap.

DISTRICT_FIELDS = ("name", "number", "org_number", "postal_address")
ADDRESS_FIELDS = ("org_number", "postal_address")


def _managed_communities(actor):
    from .models import Helsefellesskap

    return Helsefellesskap.objects.filter(Q(pk__in=permissions.managed_helsefellesskap(actor)) | Q(rhf__in=permissions.managed_rhfs(actor)))


def manageable_municipalities(actor):
    """The municipalities that are members today of a helsefellesskap the person manages."""
    from django.utils import timezone

    from .models import Municipality

    members = Membership.objects.valid_on(timezone.localdate()).filter(helsefellesskap__in=_managed_communities(actor))
    return Municipality.objects.filter(pk__in=members.values("municipality"))


def manageable_trusts(actor):
    """The trusts of the helsefellesskap the person manages, and the private hospitals in their areas."""
    from .models import HealthTrust

    trusts = _managed_communities(actor).values("trust")
    return HealthTrust.objects.filter(Q(pk__in=trusts) | Q(area_trust__in=trusts))


def manageable_districts(actor):
    from .models import CityDistrict

    return CityDistrict.objects.filter(municipality__in=manageable_municipalities(actor))


def manages_organisations(actor) -> bool:
    return permissions.is_system_admin(actor) or _managed_communities(actor).exists()


def _org_number(value: str) -> str:
    value = "".join(value.split())
    if value and (len(value) != 9 or not value.isdigit()):
        raise ValidationError({"org_number": _("Et organisasjonsnummer har ni sifre, for eksempel 974 760 673.")})
    return value


@transaction.atomic
def register_district(actor, *, municipality, name: str, number: str = "", org_number: str = "", postal_address: str = ""):
    """Register a city district (bydel) of a member municipality, so applications can name it as a participant."""
    from .models import CityDistrict

    if not manageable_municipalities(actor).filter(pk=municipality.pk).exists():
        raise PermissionDenied(_("Du administrerer ikke %(m)s.") % {"m": municipality.name})
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Skriv navnet på bydelen.")})
    if CityDistrict.objects.filter(municipality=municipality, name__iexact=name).exists():
        raise ValidationError({"name": _("%(m)s har allerede en bydel som heter %(name)s.") % {"m": municipality.name, "name": name}})
    district = CityDistrict.objects.create(
        municipality=municipality, name=name, number=number.strip(), org_number=_org_number(org_number), postal_address=postal_address.strip()
    )
    record(actor, "district_registered", district, _("%(name)s er registrert som bydel i %(m)s.") % {"name": name, "m": municipality.official_name})
    return district


@transaction.atomic
def update_district(actor, district, *, expected: str | None = None, **values):
    if not manageable_districts(actor).filter(pk=district.pk).exists():
        raise PermissionDenied(_("Du administrerer ikke denne bydelen."))
    district = lock(district, expected)
    values = {k: values[k] for k in DISTRICT_FIELDS if k in values}
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
        if not values["name"]:
            raise ValidationError({"name": _("Skriv navnet på bydelen.")})
        if type(district).objects.filter(municipality=district.municipality, name__iexact=values["name"]).exclude(pk=district.pk).exists():
            raise ValidationError({"name": _("%(m)s har allerede en bydel som heter %(name)s.") % {"m": district.municipality.name, "name": values["name"]}})
    if "org_number" in values:
        values["org_number"] = _org_number(values["org_number"])
    changes = _changes(district, values)
    for name, value in values.items():
        setattr(district, name, value)
    district.save()
    if changes:
        record(actor, "district_changed", district, _("Bydelen %(name)s er endret: %(fields)s.") % {"name": district.name, "fields": _field_names(type(district), changes)}, changes=changes)
    return district


@transaction.atomic
def update_letter_details(actor, organisation, *, expected: str | None = None, org_number: str, postal_address: str):
    """The organisation number and postal address of a municipality or a trust, as letters print them."""
    from .models import HealthTrust, Municipality

    scope = manageable_municipalities(actor) if isinstance(organisation, Municipality) else manageable_trusts(actor) if isinstance(organisation, HealthTrust) else None
    if scope is None or not scope.filter(pk=organisation.pk).exists():
        raise PermissionDenied(_("Du administrerer ikke denne organisasjonen."))
    organisation = lock(organisation, expected)
    values = {"org_number": _org_number(org_number), "postal_address": postal_address.strip()}
    changes = _changes(organisation, values)
    for name, value in values.items():
        setattr(organisation, name, value)
    organisation.save(update_fields=list(values))
    if changes:
        record(
            actor,
            "organisation_changed",
            organisation,
            _("%(org)s: %(fields)s endret.") % {"org": getattr(organisation, "official_name", organisation.name), "fields": _field_names(type(organisation), changes)},
            changes=changes,
        )
    return organisation
