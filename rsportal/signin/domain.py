"""State changes of sign-in: binding an account to an ID-porten identity through an invitation."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import Invitation, OrganisationRole
from rsportal.core.audit import record
from rsportal.core.formatting import person_name

from . import rules
from .models import IdentityBinding


def invitation_is_privileged(invitation: Invitation) -> bool:
    """A seat in a body or the RHF administrator role: roles that need two-factor login."""
    return bool(invitation.seat_id) or invitation.kind == OrganisationRole.Kind.RHF_ADMIN


@transaction.atomic
def accept_with_idporten(invitation: Invitation, *, identity_hash: str, acr: str):
    """The invited person signed in with ID-porten from the invitation page: bind the account
    for the invited address to that identity (making the account when there is none, with no
    usable password) and give the seat or role. Returns the user.

    The link went to the invited address, so holding it is the same proof as for choosing a
    password there. An identity already bound to another account, or an account already bound
    to another identity, is refused: one person, one account."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if reason := accounts.problem(invitation):
        raise accounts.InvitationError(reason)
    if rules.level(acr) < rules.required_level(privileged=invitation_is_privileged(invitation)):
        raise PermissionDenied(_("Rollen du er invitert til krever innlogging med høyere sikkerhetsnivå i ID-porten."))
    User = get_user_model()
    email = invitation.email.strip().lower()
    bound = rules.user_by_identity(identity_hash)
    accounts_for_address = list(User.objects.filter(email__iexact=email)[:2])
    if len(accounts_for_address) > 1:
        raise accounts.InvitationError(_("Flere kontoer har denne e-postadressen. Ta kontakt med sekretariatet."))
    user = accounts_for_address[0] if accounts_for_address else None
    if bound is not None and (user is None or bound.pk != user.pk):
        raise accounts.InvitationError(_("ID-porten-identiteten din er allerede knyttet til en annen konto i RS-portalen. Ta kontakt med sekretariatet."))
    if user is not None and bound is None and IdentityBinding.objects.filter(user=user).exists():
        raise accounts.InvitationError(_("Kontoen for denne e-postadressen er allerede knyttet til en annen person i ID-porten. Ta kontakt med sekretariatet."))
    if user is None:
        if User.objects.filter(username__iexact=email).exists():
            raise accounts.InvitationError(_("Det finnes allerede en konto for denne e-postadressen. Logg inn, så kan du ta imot invitasjonen."))
        first, _sep, last = invitation.name.strip().rpartition(" ")
        user = User(username=email, email=email, first_name=first or last, last_name=last if first else "")
        user.set_unusable_password()
        user.save()
        record(user, "account_created", user, _("Konto opprettet fra invitasjon med ID-porten: %(email)s.") % {"email": email})
    if bound is None:
        IdentityBinding.objects.create(user=user, identity_hash=identity_hash, last_used_at=timezone.now())
        # The summary names the person, never the identity number.
        record(user, "idporten_bound", user, _("%(user)s knyttet kontoen til ID-porten gjennom invitasjonen.") % {"user": person_name(user)}, invitation=invitation.pk)
    accounts.accept(invitation, user)
    return user


def touch(user) -> None:
    IdentityBinding.objects.filter(user=user).update(last_used_at=timezone.now())
