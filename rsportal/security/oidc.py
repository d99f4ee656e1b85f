"""Optional OpenID Connect login (ID-porten, Entra ID, ...) on top of mozilla-django-oidc.

Only active when RSPORTAL_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET are set (see settings).
The provider proves who the person is; what they may do still comes only from RS-portalen's
own roles and seats, so a login is mapped to an existing local user by e-mail address and
never creates users or grants roles."""

import functools
import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpResponseRedirect
from django.urls import reverse
from django_otp import user_has_device
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .twofactor import must_verify

logger = logging.getLogger(__name__)

# Setting name -> key in the provider's discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


@functools.cache
def discovery(issuer: str) -> dict:
    """Fetched on first use, not at start-up, so the portal starts even when the provider is down."""
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer:
        raise ImproperlyConfigured(f"The discovery document of {issuer} names another issuer: {document.get('issuer')!r}")
    return document


def oidc_setting(attr, *args):
    value = import_from_settings(attr, *args)
    if not value and attr in DISCOVERED:
        return discovery(settings.RSPORTAL_OIDC_ISSUER)[DISCOVERED[attr]]
    return value


class EmailOIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def authenticate(self, request, **kwargs):
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as exc:
            # A refused token is a failed login (back to the login page), not a 400 page.
            logger.warning("OIDC login refused: %s", exc)
            return None

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        # A provider that says the address is unverified has not proved the person owns it.
        if not email or claims.get("email_verified") is False:
            return self.UserModel.objects.none()
        users = get_user_model().objects.filter(email__iexact=email, is_active=True)
        if users.count() > 1:
            # Two accounts share the address: picking one could hand over the other's roles.
            logger.warning("OIDC login refused: %d users share one e-mail address", users.count())
            return self.UserModel.objects.none()
        return users

    def create_user(self, claims):
        raise SuspiciousOperation("RS-portalen does not create users from OpenID Connect logins")

    def _verify_jws(self, payload, key):
        # mozilla-django-oidc checks signature and nonce only; an ID token is also only for us
        # (audience), from our provider (issuer) and still valid (exp, which PyJWT checks).
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("ID token signed with an unexpected algorithm")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.RSPORTAL_OIDC_ISSUER,
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc


class AuthenticationRequestView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class AuthenticationCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def login_success(self):
        response = super().login_success()
        # The provider's login does not replace RS-portalen's second factor (not every provider
        # demands one), so people who need it give their code here too.
        if must_verify(self.request.user):
            target = "security:verify" if user_has_device(self.request.user) else "security:setup"
            return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': response.url})}")
        return response
