"""The authorization code flow with PKCE, and the checks on the ID token.

Our own small client on PyJWT rather than a framework: the flow is a redirect and one POST, and
the part that matters (what an ID token must prove before we trust it) is spelled out here:
signature against the provider's published keys, issuer, audience (and azp), expiry, issued-at,
the nonce of this very login, and that nonce used only once."""

import base64
import datetime
import hashlib
import hmac
import logging
import secrets
import time
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from . import providers
from .models import UsedNonce

logger = logging.getLogger(__name__)

PENDING_KEY = "rsportal_signin_pending"
# How many logins may be under way in one session (tabs); the oldest is forgotten first.
MAX_PENDING = 5
# A login must come back within this time; an ID token older than this is not accepted.
MAX_AGE_SECONDS = 600
LEEWAY_SECONDS = 60


class SignInRefused(Exception):
    """The login cannot be trusted or completed. `reason` is for the log (never claims)."""

    def __init__(self, reason: str, *, kind: str = "failed"):
        super().__init__(reason)
        self.kind = kind


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def redirect_uri(request) -> str:
    return request.build_absolute_uri(reverse("signin:callback"))


def begin(request, provider: providers.ProviderConfig, *, next_url: str, invitation_hash: str = "") -> str:
    """Remember state, nonce and PKCE verifier in the session and return the provider's
    authorization URL."""
    document = providers.discovery(provider)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    pending = dict(request.session.get(PENDING_KEY, {}))
    for old in sorted(pending, key=lambda s: pending[s]["started"])[: max(0, len(pending) - MAX_PENDING + 1)]:
        del pending[old]
    pending[state] = {
        "provider": provider.slug,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "invitation": invitation_hash,
        "started": int(time.time()),
    }
    request.session[PENDING_KEY] = pending
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri(request),
        "scope": provider.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256",
        "ui_locales": "nb",
    }
    if provider.acr_values:
        params["acr_values"] = provider.acr_values
    return f"{document['authorization_endpoint']}?{urlencode(params)}"


def take_pending(request, state: str) -> dict:
    """The login this callback belongs to, removed from the session so it completes only once."""
    pending = dict(request.session.get(PENDING_KEY, {}))
    entry = pending.pop(state or "", None) if state else None
    request.session[PENDING_KEY] = pending
    if entry is None:
        raise SignInRefused("unknown or already used state")
    if int(time.time()) - entry["started"] > MAX_AGE_SECONDS:
        raise SignInRefused("the login took too long")
    return entry


def exchange(request, provider: providers.ProviderConfig, entry: dict, code: str) -> tuple[dict, str]:
    """Trade the code for tokens and return the verified ID token claims and the raw ID token."""
    document = providers.discovery(provider)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(request), "code_verifier": entry["verifier"]}
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth = None
    if "client_secret_basic" in methods:
        auth = (provider.client_id, provider.client_secret)
    else:
        data.update(client_id=provider.client_id, client_secret=provider.client_secret)
    try:
        response = requests.post(document["token_endpoint"], data=data, auth=auth, timeout=settings.RSPORTAL_OIDC_TIMEOUT)
    except requests.RequestException as exc:
        raise SignInRefused(f"token endpoint unreachable: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise SignInRefused(f"token endpoint answered {response.status_code}")
    raw = response.json().get("id_token")
    if not raw:
        raise SignInRefused("no ID token in the token response")
    return verify_id_token(provider, raw, nonce=entry["nonce"]), raw


def verify_id_token(provider: providers.ProviderConfig, token: str, *, nonce: str) -> dict:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SignInRefused("ID token is not a JWT") from exc
    algorithm = header.get("alg")
    supported = set(providers.discovery(provider).get("id_token_signing_alg_values_supported") or ["RS256"])
    if algorithm not in providers.ALLOWED_ALGORITHMS & supported:
        raise SignInRefused(f"ID token signed with {algorithm!r}")
    try:
        key = providers.jwks_client(provider).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=provider.client_id,
            issuer=provider.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"ID token rejected: {type(exc).__name__}", kind="expired" if isinstance(exc, jwt.ExpiredSignatureError) else "failed") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRefused("ID token for several audiences without us as azp")
    if claims["iat"] < time.time() - MAX_AGE_SECONDS:
        raise SignInRefused("ID token issued too long ago", kind="expired")
    if not hmac.compare_digest(str(claims["nonce"]), nonce):
        raise SignInRefused("nonce does not match this login")
    use_nonce(claims["nonce"], expires=claims["exp"])
    return claims



def use_nonce(nonce: str, *, expires: int) -> None:
    """Record the nonce; a second token with it is a replay."""
    now = timezone.now()
    UsedNonce.objects.filter(expires_at__lt=now - datetime.timedelta(seconds=MAX_AGE_SECONDS)).delete()
    until = max(now, datetime.datetime.fromtimestamp(expires, tz=datetime.UTC)) + datetime.timedelta(seconds=MAX_AGE_SECONDS)
    try:
        with transaction.atomic():
            UsedNonce.objects.create(digest=hashlib.sha256(nonce.encode()).hexdigest(), expires_at=until)
    except IntegrityError as exc:
        raise SignInRefused("nonce already used (replayed ID token)", kind="replay") from exc


def end_session_url(request, provider: providers.ProviderConfig, id_token: str) -> str:
    """Where to send the browser so the provider ends its session too ("" when it has no
    end_session_endpoint)."""
    try:
        endpoint = providers.discovery(provider).get("end_session_endpoint")
    except (requests.RequestException, ValueError) as exc:
        logger.warning("Could not read the discovery document of %s at logout: %s", provider.slug, type(exc).__name__)
        return ""
    if not endpoint:
        return ""
    params = {"post_logout_redirect_uri": request.build_absolute_uri("/"), "state": secrets.token_urlsafe(16)}
    if id_token:
        params["id_token_hint"] = id_token
    params["client_id"] = provider.client_id
    return f"{endpoint}?{urlencode(params)}"
