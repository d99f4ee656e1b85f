"""Test helpers: sign a user in as if they had also given their two-factor code, and read the
secret off the set-up page as an authenticator app would."""

import base64
import re

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def force_verified_login(client, user):
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def secret_on_page(html: str) -> str | None:
    """The base32 secret in the page's otpauth:// address, or None when the page shows none."""
    match = re.search(r"otpauth://totp/[^\s\"<]*[?&;]secret=([A-Z2-7]+)", html)
    return match.group(1) if match else None


def app_for(secret: str) -> TOTPDevice:
    """An unsaved device holding `secret`: what the person's app computes codes from."""
    return TOTPDevice(key=base64.b32decode(secret + "=" * (-len(secret) % 8)).hex())
