"""Who may see and do what. Every view and domain function asks here."""

import datetime

from django.utils import timezone

from rsportal.registry.models import Body, BodyMember, Helsefellesskap
from rsportal.core.request_memo import memoized

from .models import OrganisationRole


def _today() -> datetime.date:
    return timezone.localdate()


def is_system_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def active_seats(user):
    if not user.is_authenticated:
        return BodyMember.objects.none()
    return BodyMember.objects.active_on(_today()).filter(user=user)


def active_roles(user):
    if not user.is_authenticated:
        return OrganisationRole.objects.none()
    return OrganisationRole.objects.active_on(_today()).filter(user=user)


@memoized
def has_any_role(user) -> bool:
    """An outsider is a logged-in user with no role: they see nothing inside the portal."""
    return is_system_admin(user) or active_roles(user).exists() or active_seats(user).exists()


def is_rhf_admin(user, rhf) -> bool:
    return is_system_admin(user) or active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN, rhf=rhf).exists()


def is_secretariat(user, helsefellesskap: Helsefellesskap | None = None, rhf=None) -> bool:
    """Member of the secretariat of this helsefellesskap (or of this RHF's own secretariat)."""
    seats = active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT)
    if helsefellesskap is not None:
        return seats.filter(body__helsefellesskap=helsefellesskap).exists()
    return seats.filter(body__rhf=rhf).exists()


def can_manage_money(user, *, rhf, helsefellesskap: Helsefellesskap | None = None) -> bool:
    """Pots of an RHF are managed by its administrators and secretariat; a helsefellesskap's
    pots also by that community's secretariat."""
    if is_rhf_admin(user, rhf) or is_secretariat(user, rhf=rhf):
        return True
    return helsefellesskap is not None and is_secretariat(user, helsefellesskap)


def can_view_helsefellesskap(user, helsefellesskap: Helsefellesskap) -> bool:
    return has_any_role(user)


# --- the back office: what a person manages -------------------------------------------
#
# A helsefellesskap's secretariat runs that community (its bodies, its applicants); an RHF's
# administrators and secretariat run the RHF's own bodies (STU); an RHF administrator gives and
# ends roles in the RHF's organisations. System administrators manage everything.


def managed_helsefellesskap(user):
    if is_system_admin(user):
        return Helsefellesskap.objects.all()
    hf_ids = active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT, body__helsefellesskap__isnull=False).values("body__helsefellesskap")
    return Helsefellesskap.objects.filter(pk__in=hf_ids)


def managed_rhfs(user, *, secretariat: bool = True):
    """RHFs the person administers (and, with `secretariat`, those whose secretariat they sit in)."""
    from rsportal.registry.models import RegionalHealthAuthority

    if is_system_admin(user):
        return RegionalHealthAuthority.objects.all()
    ids = set(active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN).values_list("rhf", flat=True))
    if secretariat:
        ids |= set(active_seats(user).filter(body__kind=Body.Kind.SECRETARIAT, body__rhf__isnull=False).values_list("body__rhf", flat=True))
    return RegionalHealthAuthority.objects.filter(pk__in=ids)


def manageable_bodies(user):
    """Bodies whose seats the person keeps: their helsefellesskap's, and their RHF's own."""
    from django.db.models import Q

    if is_system_admin(user):
        return Body.objects.all()
    return Body.objects.filter(Q(helsefellesskap__in=managed_helsefellesskap(user)) | Q(rhf__in=managed_rhfs(user)))


def may_manage_body(user, body: Body) -> bool:
    return manageable_bodies(user).filter(pk=body.pk).exists()


def manages_bodies(user) -> bool:
    return is_system_admin(user) or managed_helsefellesskap(user).exists() or managed_rhfs(user).exists()


def role_scope(user):
    """The organisation roles the person may give and end, as a filter on kind, municipality,
    trust and rhf (an Invitation has the same fields): an RHF administrator's in the RHF's
    organisations (its trusts, the municipalities of its helsefellesskap, the RHF itself), a
    secretariat's applicant roles for its member municipalities and its trust."""
    from django.db.models import Q

    from rsportal.registry.models import Membership

    if is_system_admin(user):
        return ~Q(pk=None)
    today = _today()
    rhfs = managed_rhfs(user, secretariat=False)
    hfs = managed_helsefellesskap(user)
    rhf_municipalities = Membership.objects.valid_on(today).filter(helsefellesskap__rhf__in=rhfs).values("municipality")
    hf_municipalities = Membership.objects.valid_on(today).filter(helsefellesskap__in=hfs).values("municipality")
    return (
        Q(rhf__in=rhfs)
        | Q(trust__rhf__in=rhfs)
        | Q(municipality__in=rhf_municipalities)
        | Q(kind=OrganisationRole.Kind.APPLICANT)
        & (Q(municipality__in=hf_municipalities) | Q(trust__helsefellesskap__in=hfs) | Q(trust__area_trust__helsefellesskap__in=hfs))
    )


def manageable_roles(user):
    return OrganisationRole.objects.filter(role_scope(user))


def manageable_invitations(user):
    """Invitations to the roles the person may give and to seats in the bodies they keep."""
    from django.db.models import Q

    from .models import Invitation

    return Invitation.objects.filter(role_scope(user) | Q(seat__body__in=manageable_bodies(user)))


def manages_roles(user) -> bool:
    return is_system_admin(user) or managed_helsefellesskap(user).exists() or managed_rhfs(user, secretariat=False).exists()


def may_grant_role(user, kind: str, *, municipality=None, trust=None, rhf=None) -> bool:
    """Whether the person may give this role: the same scope as manageable_roles, for a role not yet made."""
    from rsportal.registry.models import Membership

    if is_system_admin(user):
        return True
    today = _today()
    rhfs = managed_rhfs(user, secretariat=False)
    if kind == OrganisationRole.Kind.RHF_ADMIN:
        return rhf is not None and rhfs.filter(pk=rhf.pk).exists()
    if kind != OrganisationRole.Kind.APPLICANT:
        return False
    hfs = managed_helsefellesskap(user)
    if municipality is not None:
        members = Membership.objects.valid_on(today).filter(municipality=municipality)
        return members.filter(helsefellesskap__rhf__in=rhfs).exists() or members.filter(helsefellesskap__in=hfs).exists()
    if trust is not None:
        return rhfs.filter(pk=trust.rhf_id).exists() or hfs.filter(trust_id=trust.own_trust_id).exists()
    return False


def manages_anything(user) -> bool:
    """For the menu: may this person open the back office at all?"""
    return manages_bodies(user) or manages_roles(user)


# --- requests to represent and the municipalities' notice addresses ---------------------


def request_scope(user):
    """The requests to represent a person may decide: those for the organisations whose
    applicant roles they give (the same reach as `role_scope`)."""
    from django.db.models import Q

    from rsportal.registry.models import Membership

    if is_system_admin(user):
        return ~Q(pk=None)
    today = _today()
    rhfs = managed_rhfs(user, secretariat=False)
    hfs = managed_helsefellesskap(user)
    municipalities = Membership.objects.valid_on(today).filter(Q(helsefellesskap__rhf__in=rhfs) | Q(helsefellesskap__in=hfs)).values("municipality")
    return Q(municipality__in=municipalities) | Q(trust__rhf__in=rhfs) | Q(trust__helsefellesskap__in=hfs) | Q(trust__area_trust__helsefellesskap__in=hfs)


def manageable_requests(user):
    from .models import RepresentationRequest

    return RepresentationRequest.objects.filter(request_scope(user))


def notice_municipalities(user):
    """The municipalities whose notice address the person keeps: a secretariat's member
    municipalities today (a system administrator's: all)."""
    from rsportal.registry.models import Membership, Municipality

    if is_system_admin(user):
        return Municipality.objects.all()
    members = Membership.objects.valid_on(_today()).filter(helsefellesskap__in=managed_helsefellesskap(user)).values("municipality")
    return Municipality.objects.filter(pk__in=members)


def manages_notice_addresses(user) -> bool:
    return is_system_admin(user) or managed_helsefellesskap(user).exists()
