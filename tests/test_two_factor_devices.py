"""Enrolling, replacing, removing and resetting authenticator apps (rsportal.security.devices).

The hole these tests close: a person who already had an app could sign in with the password
alone, open the set-up page, get a fresh secret and turn a code from it into a fully verified
session, the Django admin and the anonymisation page included. Each change of a device must
also be audited and mailed to its owner, and a system administrator can reset a lost app."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.core.models import AuditEvent, Notification
from rsportal.security import devices
from rsportal.security.testing import app_for, force_verified_login, secret_on_page

from . import factories as f
from .test_security import code_for, password_login, wrong_code

SETUP = "/logg-inn/tofaktor/oppsett/"
VERIFY = "/logg-inn/tofaktor/kode/"
MANAGE = "/logg-inn/tofaktor/"
REMOVE = "/logg-inn/tofaktor/fjern/"
ADMIN_USERS = "/admin/auth/user/"
# The most dangerous pages a stolen session could reach: Django's admin and anonymisation.
GUARDED = ("/admin/", "/personvern/anonymisering/", "/midler/")


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def app_of(user, name="Telefon"):
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def trail(action, user):
    return AuditEvent.objects.filter(action=action, object_type="auth.user", object_id=str(user.pk))


def mails_to(user):
    return Notification.objects.filter(recipient=user.email)


def assert_not_verified(client):
    assert DEVICE_ID_SESSION_KEY not in client.session
    for url in GUARDED:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), url


# --- the attack: the password alone ---------------------------------------------------------


def test_password_alone_gets_no_new_secret_when_an_app_exists(client, personas):
    own = app_of(personas.sysadmin)
    password_login(client, personas.sysadmin)

    page = client.get(SETUP)
    assert page.status_code == 302 and page["Location"].startswith(VERIFY)
    assert secret_on_page(page.content.decode()) is None
    # Posting a code to set-up gets the same answer, whatever code it is.
    posted = client.post(SETUP, {"token": code_for(own)})
    assert posted.status_code == 302 and posted["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=personas.sysadmin)) == [own]
    assert not AuditEvent.objects.filter(action__startswith="two_factor.").exists()
    assert_not_verified(client)


def test_a_secret_fetched_before_the_owner_set_up_the_app_opens_nothing(client, personas):
    """Someone with the password opens set-up first and keeps the secret; the owner then sets up
    their own app. A code from the stolen secret must not give a verified session."""
    password_login(client, personas.sysadmin)
    stolen = app_for(secret_on_page(client.get(SETUP).content.decode()))
    owner = Client()
    password_login(owner, personas.sysadmin)
    owner_app = app_for(secret_on_page(owner.get(SETUP).content.decode()))
    assert owner.post(SETUP, {"token": code_for(owner_app)}).status_code == 302
    # Each session has its own pending secret, so the owner's app does not hold the one seen.
    assert owner_app.key != stolen.key

    response = client.post(SETUP, {"token": code_for(stolen), "next": "/admin/"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=personas.sysadmin).values_list("key", flat=True)) == [owner_app.key]
    assert_not_verified(client)


def test_opening_set_up_writes_nothing(client, personas):
    client.force_login(personas.secretariat)
    first = secret_on_page(client.get(SETUP).content.decode())
    assert first and secret_on_page(client.get(SETUP).content.decode()) == first
    assert not TOTPDevice.objects.exists()
    assert not AuditEvent.objects.exists() and not Notification.objects.exists()


def test_managing_the_app_needs_the_code_first(client, personas):
    app_of(personas.applicant)
    password_login(client, personas.applicant)
    for response in (client.get(MANAGE), client.post(REMOVE, {"confirm": "on"})):
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=personas.applicant).count() == 1


def test_staff_without_a_role_must_use_two_factor_for_the_admin(client, db):
    staff = f.UserFactory(username="stab", is_staff=True)
    assert password_login(client, staff, next_url="/admin/")["Location"].startswith(SETUP)
    assert client.get("/admin/")["Location"].startswith(SETUP)


# --- enrolling and replacing ----------------------------------------------------------------


def test_setting_up_an_app_is_audited_and_mailed(client, personas):
    client.force_login(personas.applicant)
    app = app_for(secret_on_page(client.get(SETUP).content.decode()))
    assert client.post(SETUP, {"token": code_for(app)})["Location"] == "/"

    device = TOTPDevice.objects.get(user=personas.applicant)
    assert device.confirmed and device.key == app.key
    event = trail("two_factor.enrolled", personas.applicant).get()
    assert event.actor == personas.applicant and event.data["replaced"] == 0
    mail = mails_to(personas.applicant).get()
    assert "ny autentiseringsapp" in mail.subject and "Kontakt systemansvarlig" in mail.body
    # The code just used cannot be used again to verify another session.
    other = Client()
    other.force_login(personas.applicant)
    assert other.post(VERIFY, {"token": code_for(app)}).status_code == 400


def test_wrong_code_sets_up_nothing(personas):
    app = app_for("JBSWY3DPEHPK3PXP")
    with pytest.raises(devices.WrongCode):
        devices.enrol_device(personas.member, key=app.key, token=wrong_code(app))
    assert not TOTPDevice.objects.exists() and not AuditEvent.objects.exists() and not Notification.objects.exists()


def test_domain_refuses_a_new_app_without_a_code_from_the_old(personas):
    app_of(personas.member)
    fresh = app_for("JBSWY3DPEHPK3PXP")
    # A user loaded without django-otp's accessors is a session that gave no code.
    with pytest.raises(PermissionDenied):
        devices.enrol_device(personas.member, key=fresh.key, token=code_for(fresh))
    assert TOTPDevice.objects.filter(user=personas.member).count() == 1


def test_verified_user_replaces_the_app_and_other_sessions_lose_the_old_one(client, personas):
    user = personas.secretariat
    old = app_of(user)
    force_verified_login(client, user)
    elsewhere = force_verified_login(Client(), user)
    assert elsewhere.get("/midler/").status_code == 200

    page = client.get(SETUP)
    assert page.status_code == 200 and "Bytt autentiseringsapp" in page.content.decode()
    new = app_for(secret_on_page(page.content.decode()))
    assert client.post(SETUP, {"token": code_for(new), "next": MANAGE})["Location"] == MANAGE

    assert list(TOTPDevice.objects.filter(user=user).values_list("key", flat=True)) == [new.key]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert trail("two_factor.replaced", user).get().data["replaced"] == 1
    assert "gamle appen virker ikke lenger" in mails_to(user).get().body
    # This session is verified with the new app; the other one was verified with a device
    # that is gone, and django-otp no longer counts it as verified.
    assert client.get("/midler/").status_code == 200
    assert elsewhere.get("/midler/")["Location"].startswith(VERIFY)


# --- the person's own page: removing ---------------------------------------------------------


def test_applicant_turns_two_factor_off(client, personas):
    user = personas.applicant
    force_verified_login(client, user)
    page = client.get(MANAGE)
    assert page.status_code == 200 and "Slå av tofaktorinnlogging" in page.content.decode()

    unconfirmed = client.post(REMOVE, {})
    assert unconfirmed.status_code == 400 and TOTPDevice.objects.filter(user=user).exists()
    assert client.post(REMOVE, {"confirm": "on"})["Location"] == MANAGE

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert trail("two_factor.removed", user).get().actor == user
    assert "slått av" in mails_to(user).get().subject
    assert "ikke satt opp" in client.get(MANAGE).content.decode()
    client.logout()
    assert password_login(client, user, next_url="/soknader/")["Location"] == "/soknader/"


@pytest.mark.parametrize("name", ["secretariat", "sysadmin"])
def test_role_holders_may_replace_but_never_turn_it_off(client, personas, name):
    user = getattr(personas, name)
    force_verified_login(client, user)
    page = client.get(MANAGE).content.decode()
    assert "Bytt til en ny app" in page and REMOVE not in page
    assert client.post(REMOVE, {"confirm": "on"}).status_code == 403
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action__startswith="two_factor.").exists()


# --- a system administrator resets a lost app ------------------------------------------------


def reset_action(admin, user, reason=None):
    data = {"action": "reset_two_factor", "_selected_action": [user.pk]}
    if reason is not None:
        data["reason"] = reason
    return admin.post(ADMIN_USERS, data)


def test_system_administrator_resets_a_lost_app(client, personas):
    member = personas.member
    app_of(member)
    member_session = force_verified_login(Client(), member)
    assert member_session.get("/midler/").status_code == 200
    admin = force_verified_login(client, personas.sysadmin)

    # First the action asks for a reason, and nothing happens yet.
    asked = reset_action(admin, member)
    assert asked.status_code == 200 and "Begrunnelse" in asked.content.decode()
    assert TOTPDevice.objects.filter(user=member).exists()

    done = reset_action(admin, member, "Mistet telefonen, bekreftet på telefon")
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    event = trail("two_factor.reset", member).get()
    assert event.actor == personas.sysadmin
    assert event.data["reason"] == "Mistet telefonen, bekreftet på telefon" and event.data["sessions_ended"] == 1
    mail = mails_to(member).get()
    assert "nullstilt" in mail.subject and "Mistet telefonen" in mail.body

    # The member is signed out everywhere and sets up a new app at the next login.
    assert member_session.get("/midler/")["Location"].startswith("/logg-inn/?")
    assert password_login(Client(), member)["Location"].startswith(SETUP)
    # The administrator's own session is untouched.
    assert admin.get("/admin/").status_code == 200


def test_reset_without_a_reason_is_refused(personas):
    app_of(personas.member)
    admin = personas.sysadmin
    admin.is_verified = lambda: True  # as django-otp's middleware marks a verified session
    with pytest.raises(devices.TwoFactorError):
        devices.reset_device(admin, personas.member, "  ")
    assert TOTPDevice.objects.filter(user=personas.member).exists() and not AuditEvent.objects.exists()


def test_an_administrator_cannot_reset_their_own_app(personas):
    app_of(personas.sysadmin)
    admin = personas.sysadmin
    admin.is_verified = lambda: True
    with pytest.raises(devices.TwoFactorError):
        devices.reset_device(admin, admin, "Mistet telefonen")
    assert TOTPDevice.objects.filter(user=admin).exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", ["secretariat", "rhf_admin", "applicant"])
def test_only_system_administrators_may_reset(personas, name):
    actor = getattr(personas, name)
    actor.is_verified = lambda: True
    app_of(personas.member)
    with pytest.raises(PermissionDenied):
        devices.reset_device(actor, personas.member, "Mistet telefonen")
    assert TOTPDevice.objects.filter(user=personas.member).exists()
    assert not AuditEvent.objects.exists() and not Notification.objects.exists()


def test_reset_needs_the_administrators_own_code(personas):
    app_of(personas.member)
    # Loaded straight from the database: no session, so no code given.
    admin = get_user_model().objects.get(pk=personas.sysadmin.pk)
    with pytest.raises(PermissionDenied):
        devices.reset_device(admin, personas.member, "Mistet telefonen")
    assert TOTPDevice.objects.filter(user=personas.member).exists()


def test_reset_action_is_offered_to_system_administrators_only(client, personas):
    force_verified_login(client, personas.sysadmin)
    assert 'value="reset_two_factor"' in client.get(ADMIN_USERS).content.decode()

    staff = f.UserFactory(username="stab", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    app_of(personas.member)
    clerk = force_verified_login(Client(), staff)
    page = clerk.get(ADMIN_USERS)
    assert page.status_code == 200 and 'value="reset_two_factor"' not in page.content.decode()
    reset_action(clerk, personas.member, "Mistet telefonen")
    assert TOTPDevice.objects.filter(user=personas.member, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="two_factor.reset").exists()


def test_device_admin_cannot_add_change_or_delete_devices(client, personas):
    device = app_of(personas.member)
    force_verified_login(client, personas.sysadmin)
    base = "/admin/otp_totp/totpdevice/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{device.pk}/delete/", {"post": "yes"}).status_code == 403
    # django-otp's admin showed the secret as an otpauth:// address and a QR code.
    for url in (f"{base}{device.pk}/config/", f"{base}{device.pk}/change/"):
        page = client.get(url, follow=True).content.decode()
        assert "otpauth://" not in page and device.key not in page, url
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
