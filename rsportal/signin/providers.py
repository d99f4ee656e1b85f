"""The providers on the login page: those in settings (RSPORTAL_OIDC_PROVIDERS, and the older
single-provider RSPORTAL_OIDC_ISSUER/_CLIENT_ID/_CLIENT_SECRET) and those the system
administrator keeps in the Django admin. Each has its own discovery document and keys."""

import dataclasses
import threading
import time

import jwt
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import Provider

KINDS = {choice.value for choice in Provider.Kind}
# Asymmetric algorithms only: "none" and the HMAC family (keyed with the client secret) are never
# accepted for an ID token.
ALLOWED_ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
DISCOVERY_SECONDS = 3600


@dataclasses.dataclass(frozen=True)
class ProviderConfig:
    slug: str
    name: str
    kind: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid profile"
    acr_values: str = ""

    @property
    def is_idporten(self) -> bool:
        return self.kind == Provider.Kind.IDPORTEN

    @property
    def is_entra(self) -> bool:
        return self.kind == Provider.Kind.ENTRA


def _from_settings() -> list[ProviderConfig]:
    found = []
    for entry in getattr(settings, "RSPORTAL_OIDC_PROVIDERS", []):
        kind = entry.get("kind", Provider.Kind.GENERIC)
        if kind not in KINDS:
            raise ImproperlyConfigured(f"RSPORTAL_OIDC_PROVIDERS: unknown kind {kind!r}")
        found.append(
            ProviderConfig(
                slug=entry["slug"],
                name=entry["name"],
                kind=kind,
                issuer=entry["issuer"].rstrip("/"),
                client_id=entry["client_id"],
                client_secret=entry["client_secret"],
                scopes=entry.get("scopes") or ("openid profile" if kind == Provider.Kind.IDPORTEN else "openid profile email"),
                acr_values=entry.get("acr_values") or ("idporten-loa-substantial" if kind == Provider.Kind.IDPORTEN else ""),
            )
        )
    return found


def all_providers() -> list[ProviderConfig]:
    """Settings first, then the admin's, in their order; a slug in settings wins."""
    found = _from_settings()
    taken = {p.slug for p in found}
    for row in Provider.objects.filter(enabled=True):
        if row.slug in taken:
            continue
        found.append(
            ProviderConfig(
                slug=row.slug,
                name=row.name,
                kind=row.kind,
                issuer=row.issuer.rstrip("/"),
                client_id=row.client_id,
                client_secret=row.client_secret,
                scopes=row.scopes,
                acr_values=row.acr_values or ("idporten-loa-substantial" if row.kind == Provider.Kind.IDPORTEN else ""),
            )
        )
    return found


def get(slug: str) -> ProviderConfig | None:
    return next((p for p in all_providers() if p.slug == slug), None)


_cache: dict = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def discovery(provider: ProviderConfig) -> dict:
    """The provider's discovery document, fetched on first use (the portal starts even when a
    provider is down) and kept for an hour."""
    key = ("discovery", provider.issuer)
    with _lock:
        cached = _cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=settings.RSPORTAL_OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != provider.issuer:
        raise ImproperlyConfigured(f"The discovery document of {provider.issuer} names another issuer: {document.get('issuer')!r}")
    with _lock:
        _cache[key] = (time.monotonic() + DISCOVERY_SECONDS, document)
    return document


def jwks_client(provider: ProviderConfig) -> jwt.PyJWKClient:
    """PyJWT's key set client for the provider: it caches the keys and fetches them again when a
    token names a key id it has not seen (the provider has rotated its keys)."""
    uri = discovery(provider)["jwks_uri"]
    key = ("jwks", uri)
    with _lock:
        client = _cache.get(key)
        if client is None:
            client = _cache[key] = jwt.PyJWKClient(uri, cache_keys=True, lifespan=DISCOVERY_SECONDS, timeout=settings.RSPORTAL_OIDC_TIMEOUT)
    return client
