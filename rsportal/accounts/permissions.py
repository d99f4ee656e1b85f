"""Who may see and do what. Every view and domain function asks here."""

import datetime

from django.utils import timezone

from rsportal.registry.models import Body, BodyMember, Helsefellesskap

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
