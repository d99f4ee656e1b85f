"""Keyed hashes of national identity numbers, and the ID token kept for logout, encrypted.

The key is RSPORTAL_IDENTITY_KEY (falls back to one derived from SECRET_KEY, so the demo works;
production sets its own so that changing SECRET_KEY does not unbind every account). It is not in
the database, so a copy of the database or a backup gives neither the numbers nor a way to test
guesses of them."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _key(purpose: str) -> bytes:
    secret = settings.RSPORTAL_IDENTITY_KEY or f"derived-from-secret-key:{settings.SECRET_KEY}"
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def identity_hash(pid: str) -> str:
    """HMAC-SHA256 of the eleven-digit number: the same person gives the same value, nothing
    leads back from it without the key."""
    return hmac.new(_key("idporten-pid"), pid.strip().encode(), hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key("session-id-token")))


def seal(text: str) -> str:
    """ID-porten's ID token carries the pid in clear; the session (a database row) keeps it only
    encrypted, for the logout request's id_token_hint."""
    return _fernet().encrypt(text.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return ""
