"""Who may see and edit calls and applications."""

import datetime

from django.db.models import Q
from django.utils import timezone

from rsportal.accounts import permissions
from rsportal.accounts.models import OrganisationRole
from rsportal.core.request_memo import memoized
from rsportal.registry.models import Helsefellesskap, Membership

from .models import Application


@memoized
def applicant_scopes(user) -> tuple[frozenset[int], frozenset[int]]:
    """Municipality ids and trust ids the user may apply for.

    Kept for the rest of a read-only request: the application page asks once per participant
    (may this one be removed?), and the answer is the same each time. Frozen because the
    memo hands every caller the same sets."""
    roles = permissions.active_roles(user).filter(kind=OrganisationRole.Kind.APPLICANT)
    municipalities = frozenset(r.municipality_id for r in roles if r.municipality_id)
    trusts = frozenset(r.trust_id for r in roles if r.trust_id)
    return municipalities, trusts


def communities_for(user, day: datetime.date | None = None):
    """The helsefellesskap the user's organisations belong to on `day` (today by default): those
    with a membership of one of the user's municipalities valid that day, and those whose trust
    is one of the user's trusts. A municipality that has left a community no longer takes its
    applicants there; a user with no organisation gets none."""
    municipalities, trusts = applicant_scopes(user)
    if not municipalities and not trusts:
        return Helsefellesskap.objects.none()
    members = Membership.objects.valid_on(day or timezone.localdate()).filter(municipality_id__in=municipalities).values("helsefellesskap_id")
    return Helsefellesskap.objects.filter(Q(pk__in=members) | Q(trust_id__in=trusts))


def is_applicant(user) -> bool:
    municipalities, trusts = applicant_scopes(user)
    return bool(municipalities or trusts)


def own_applications(user):
    """Applications in which one of the user's organisations takes part."""
    municipalities, trusts = applicant_scopes(user)
    if not municipalities and not trusts:
        return Application.objects.none()
    return Application.objects.filter(
        Q(participants__municipality_id__in=municipalities) | Q(participants__trust_id__in=trusts)
    ).distinct()


def is_participant(user, application: Application) -> bool:
    municipalities, trusts = applicant_scopes(user)
    return any(
        (p.municipality_id in municipalities) or (p.trust_id in trusts) for p in application.participants.all()
    )


def can_edit(user, application: Application) -> bool:
    """Every participating organisation's applicants co-author the draft."""
    return application.editable and is_participant(user, application)


def handles(user, application: Application) -> bool:
    """The secretariat of the receiving helsefellesskap, the RHF's administrators and secretariat,
    and the bodies that have a step in the call's process handle submitted applications."""
    pot = application.call.pot
    if permissions.is_rhf_admin(user, pot.rhf) or permissions.is_secretariat(user, application.helsefellesskap):
        return True
    if permissions.is_secretariat(user, rhf=pot.rhf):
        return True
    bodies = application.call.steps.exclude(body=None).values_list("body_id", flat=True)
    return permissions.active_seats(user).filter(body_id__in=bodies).exists()


def can_view(user, application: Application) -> bool:
    """The application's content: its authors, and once submitted those who handle it. A draft
    belongs to its authors, also when withdrawn unsent. The rule is in assessment.visibility."""
    from rsportal.assessment.visibility import what_may_see

    return what_may_see(user, application).application


def can_reopen(user, application: Application) -> bool:
    pot = application.call.pot
    return (
        permissions.is_rhf_admin(user, pot.rhf)
        or permissions.is_secretariat(user, application.helsefellesskap)
        or permissions.is_secretariat(user, rhf=pot.rhf)
    )
