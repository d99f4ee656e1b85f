"""Who must prove a second factor, and the small helpers the views and middleware share."""

from django.conf import settings
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.accounts import permissions
from rsportal.accounts.models import OrganisationRole


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
    return user_has_device(user) or requires_two_factor(user)


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being set up; reused so reloading the page keeps the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Autentiseringsapp", confirmed=False)
    return device
