"""Two-factor devices: enrolling, removing and resetting a person's authenticator app.

Each change is one function that runs in a transaction, checks permission, writes an audit
record and mails the person, so a device can never appear or disappear without a trace and
without its owner hearing of it. A person has at most one device: enrolling a new one replaces
the old (one app to lose, one to reset).

The rule that closes the "password alone" hole: once a person has a confirmed device, only a
session that has given a code from it may change anything about their devices. Otherwise
whoever knows the password could enrol an app of their own and be let in with its codes.

`user` and `actor` are `request.user`: django-otp's middleware gives it `is_verified()`, true
when this session has given a code from a device that still exists.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.accounts import permissions
from rsportal.core.audit import notify, record

from .twofactor import must_use_two_factor

DEVICE_NAME = "Autentiseringsapp"


class TwoFactorError(Exception):
    """A change the rules do not allow; the message is for the person."""


class WrongCode(TwoFactorError):
    pass


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_verified(user) -> bool:
    """This session gave a code from one of the user's (still existing) devices."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def may_change_devices(user) -> bool:
    """A person without a device may set one up; one with a device only from a verified session."""
    return session_verified(user) or not has_device(user)


def may_remove(user) -> bool:
    """People who must use two-factor login may replace their app but never turn it off."""
    return not must_use_two_factor(user)


def enrol_device(user, *, key: str, token: str) -> TOTPDevice:
    """Set up the app holding the secret `key` (hex), proven by a current code from it.

    Replaces any device the person had, so the old app (and every other session verified with
    it: django-otp finds its device gone) stops working. Raises WrongCode without saving
    anything when the code does not match."""
    if not may_change_devices(user):
        raise PermissionDenied(_("Bekreft innloggingen med appen du har fra før, før du setter opp en ny."))
    with transaction.atomic():
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=False)
        # django-otp's own check: the time window, clock drift and no reuse of the code later.
        # A wrong code raises, which rolls the new row back.
        if not device.verify_token(token):
            raise WrongCode(_("Koden er feil eller utløpt. Prøv igjen med koden som vises nå."))
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0]
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        action = "two_factor.replaced" if replaced else "two_factor.enrolled"
        summary = _("Ny autentiseringsapp satt opp (erstatter den gamle)") if replaced else _("Autentiseringsapp satt opp")
        record(user, action, user, summary, device=device.pk, replaced=replaced)
        _mail(
            user,
            _("Tofaktorinnlogging: ny autentiseringsapp"),
            _("En ny autentiseringsapp ble satt opp for kontoen din i RS-portalen %(when)s.")
            % {"when": _now()}
            + (" " + _("Den gamle appen virker ikke lenger.") if replaced else ""),
        )
    return device


def remove_device(user) -> int:
    """The person turns two-factor login off for their own account; returns devices removed."""
    if not may_remove(user):
        raise PermissionDenied(_("Rollen din krever tofaktorinnlogging. Du kan bytte app, men ikke slå den av."))
    with transaction.atomic():
        owned = TOTPDevice.objects.filter(user=user)
        if not owned.filter(confirmed=True).exists():
            raise TwoFactorError(_("Du har ingen autentiseringsapp å fjerne."))
        if not session_verified(user):
            raise PermissionDenied(_("Bekreft innloggingen med en engangskode før du slår av tofaktorinnlogging."))
        removed = owned.delete()[0]
        record(user, "two_factor.removed", user, _("Tofaktorinnlogging slått av"), devices=removed)
        _mail(
            user,
            _("Tofaktorinnlogging er slått av"),
            _("Tofaktorinnlogging ble slått av for kontoen din i RS-portalen %(when)s. Nå holder passordet alene for å logge inn.")
            % {"when": _now()},
        )
    return removed


def reset_device(actor, user, reason: str) -> int:
    """A system administrator removes someone's app (a lost or replaced phone); returns devices removed.

    The person is signed out everywhere, so the next login starts with the password and, for
    those who need it, setting up a new app. The administrator must have given their own code."""
    if not permissions.is_system_admin(actor):
        raise PermissionDenied(_("Bare systemadministratorer kan nullstille tofaktorinnlogging."))
    if settings.RSPORTAL_REQUIRE_2FA and not session_verified(actor):
        raise PermissionDenied(_("Bekreft din egen innlogging med en engangskode først."))
    if actor.pk == user.pk:
        # Signing oneself out mid-request aside, a lost phone is for a second administrator to
        # confirm; one who still has theirs replaces it on the "Tofaktorinnlogging" page.
        raise TwoFactorError(_("Du kan ikke nullstille din egen tofaktorinnlogging; be en annen systemadministrator."))
    reason = reason.strip()
    if not reason:
        raise TwoFactorError(_("Skriv hvorfor tofaktorinnloggingen nullstilles."))
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        if not removed:
            raise TwoFactorError(_("%(user)s har ingen autentiseringsapp.") % {"user": user.get_username()})
        sessions = end_sessions(user)
        record(
            actor,
            "two_factor.reset",
            user,
            _("Tofaktorinnlogging nullstilt for %(user)s: %(reason)s") % {"user": user.get_username(), "reason": reason},
            devices=removed,
            sessions_ended=sessions,
            reason=reason,
        )
        _mail(
            user,
            _("Tofaktorinnloggingen din er nullstilt"),
            _(
                "En systemadministrator (%(admin)s) fjernet autentiseringsappen din i RS-portalen %(when)s. "
                "Begrunnelse: %(reason)s. Neste gang du logger inn, setter du opp appen på nytt."
            )
            % {"admin": actor.get_full_name() or actor.get_username(), "when": _now(), "reason": reason},
        )
    return removed


def end_sessions(user) -> int:
    """Sign the user out of every browser (database sessions, the portal's default)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        # Other stores cannot be searched by user; their sessions still lose the verified
        # second factor, since django-otp no longer finds the device they were verified with.
        return 0
    ended = [
        s.pk for s in Session.objects.filter(expire_date__gt=timezone.now()) if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def _now() -> str:
    return timezone.localtime().strftime("%d.%m.%Y kl. %H:%M")


def _mail(user, subject: str, body: str) -> None:
    warning = _("Var det ikke deg eller noen du har bedt om det? Kontakt systemansvarlig straks.")
    notify([user.email], subject, f"{body}\n\n{warning}")
