"""Who must prove a second factor, and the small helpers the views and middleware share."""

from django.conf import settings
from django_otp import user_has_device
from django_otp.util import random_hex

from rsportal.accounts import permissions
from rsportal.accounts.models import OrganisationRole

PENDING_SESSION_KEY = "rsportal_pending_totp"


def requires_two_factor(user) -> bool:
    """Everyone who can see or change more than their own applications: any seat in a body (the
    secretariat, committee members, leaders, deputies, secretaries and observers alike, since an
    observer still reads every application), RHF administrators and system administrators."""
    if not user.is_authenticated:
        return False
    return (
        permissions.is_system_admin(user)
        or permissions.active_seats(user).exists()
        or permissions.active_roles(user).filter(kind=OrganisationRole.Kind.RHF_ADMIN).exists()
    )


def must_use_two_factor(user) -> bool:
    """Those who require it by role, and anyone who may open Django's admin (staff without a
    role included: the admin is where accounts and the audit trail are)."""
    return requires_two_factor(user) or (user.is_authenticated and user.is_staff)


def must_verify(user) -> bool:
    """A signed-in user who has not yet given a code in this session but has to.

    Applicants are not forced, but one who has chosen to set up a device is asked for its code:
    otherwise a stolen password alone would still open their account."""
    if not settings.RSPORTAL_REQUIRE_2FA or not user.is_authenticated:
        return False
    # Right after the password, request.user is the freshly loaded user without django-otp's
    # accessors, and such a session has not given a code yet.
    if getattr(user, "is_verified", None) and user.is_verified():
        return False
    return user_has_device(user) or must_use_two_factor(user)


def pending_key(request) -> str:
    """The secret (hex) of the app being set up, kept in the session until it is confirmed.

    Nothing is written to the database before the person proves the app works, so opening the
    set-up page has no lasting effect, and reloading it shows the same QR code."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending or pending.get("user") != request.user.pk:
        pending = {"user": request.user.pk, "key": random_hex(20)}
        request.session[PENDING_SESSION_KEY] = pending
    return pending["key"]


def forget_pending_key(request) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
