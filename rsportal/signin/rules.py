"""Who a verified ID token is, and whether they may come in that way.

The provider proves who the person is; what they may do comes only from RS-portalen's own roles
and seats. Nobody is created here, and no role is granted."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from rsportal.accounts import permissions
from rsportal.security.twofactor import must_use_two_factor

from .models import IdentityBinding, OrganisationSignIn

# ID-porten's levels of assurance (eIDAS), lowest first. A level not listed is never accepted.
LEVELS = {"idporten-loa-low": 1, "idporten-loa-substantial": 2, "idporten-loa-high": 3}
# From this level a sign-in counts as two-factor (MinID with a code, BankID, Buypass, Commfides).
TWO_FACTOR_LEVEL = LEVELS["idporten-loa-substantial"]


def level(acr) -> int:
    return LEVELS.get(acr if isinstance(acr, str) else "", 0)


def required_level(user=None, *, privileged: bool | None = None) -> int:
    """The level a role needs: RSPORTAL_IDPORTEN_ACR for everyone, RSPORTAL_IDPORTEN_ACR_TWO_FACTOR
    for those whose role requires two-factor login (seats in bodies, RHF and system administrators)."""
    if privileged is None:
        privileged = must_use_two_factor(user)
    name = settings.RSPORTAL_IDPORTEN_ACR_TWO_FACTOR if privileged else settings.RSPORTAL_IDPORTEN_ACR
    return max(LEVELS[name], LEVELS[settings.RSPORTAL_IDPORTEN_ACR])


def user_by_identity(identity_hash: str):
    binding = IdentityBinding.objects.select_related("user").filter(kind=IdentityBinding.Kind.IDPORTEN, identity_hash=identity_hash).first()
    if binding is None or not binding.user.is_active:
        return None
    return binding.user


def organisation_filters(user) -> Q:
    """The organisations the person acts for today: the organisation of each role, and for each
    seat the municipality or trust it represents, or the RHF whose body it is."""
    q = Q(pk__in=[])
    for municipality, trust, rhf in permissions.active_roles(user).values_list("municipality", "trust", "rhf"):
        q |= _one(municipality, trust, rhf)
    for municipality, trust, body_rhf, community_rhf in permissions.active_seats(user).values_list(
        "municipality", "trust", "body__rhf", "body__helsefellesskap__rhf"
    ):
        q |= _one(municipality, trust, None if municipality or trust else body_rhf or community_rhf)
    return q


def _one(municipality, trust, rhf) -> Q:
    if municipality:
        return Q(municipality=municipality)
    if trust:
        return Q(trust=trust)
    if rhf:
        return Q(rhf=rhf)
    return Q(pk__in=[])


def passwords_allowed(user) -> bool:
    """False when every organisation the person acts for has turned local passwords off. People
    without roles (and system administrators) keep their password."""
    if user.is_superuser:
        return True
    organisations = _distinct_organisations(user)
    if not organisations:
        return True
    closed = OrganisationSignIn.objects.filter(organisation_filters(user), passwords_allowed=False).count()
    return closed < len(organisations)


def _distinct_organisations(user) -> set:
    found = set()
    for municipality, trust, rhf in permissions.active_roles(user).values_list("municipality", "trust", "rhf"):
        found.add(("m", municipality) if municipality else ("t", trust) if trust else ("r", rhf))
    for municipality, trust, body_rhf, community_rhf in permissions.active_seats(user).values_list(
        "municipality", "trust", "body__rhf", "body__helsefellesskap__rhf"
    ):
        found.add(("m", municipality) if municipality else ("t", trust) if trust else ("r", body_rhf or community_rhf))
    return found


def verified_address(claims: dict, *, entra: bool) -> str:
    """The address the provider vouches for: Entra's UPN (the tenant's own sign-in name) or an
    e-mail the provider says it has verified."""
    if entra and isinstance(claims.get("upn"), str) and "@" in claims["upn"]:
        return claims["upn"].strip()
    email = claims.get("email")
    if isinstance(email, str) and "@" in email and (claims.get("email_verified") is True or (entra and claims.get("xms_edov") is True)):
        return email.strip()
    return ""


def user_by_address(address: str):
    """The one active account with this e-mail address; none when two share it (picking one
    could hand over the other's roles)."""
    if not address:
        return None
    users = list(get_user_model().objects.filter(email__iexact=address, is_active=True)[:2])
    return users[0] if len(users) == 1 else None


def tenant_allowed(user, tid) -> bool:
    """Entra ID: the tenant must be one that an organisation the person acts for has listed.
    A person from another tenant with the same address is someone else."""
    if not isinstance(tid, str) or not tid.strip():
        return False
    tid = tid.strip().lower()
    return any(tid in rule.tenant_ids for rule in OrganisationSignIn.objects.filter(organisation_filters(user)))


def contacts_for_tenant(tid) -> list[str]:
    """Whom to ask, for a person whose tenant an organisation has listed."""
    if not isinstance(tid, str) or not tid.strip():
        return []
    tid = tid.strip().lower()
    return [f"{rule.organisation}: {rule.contact}" for rule in OrganisationSignIn.objects.exclude(contact="") if tid in rule.tenant_ids]
