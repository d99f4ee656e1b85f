"""OpenID Connect login end to end: a tiny provider on 127.0.0.1 (discovery, authorize, token,
userinfo, JWKS, RS256 keys made here) and the real code flow with PKCE through Django's test
client. Users are matched by e-mail; nobody is created and no roles are granted."""

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.urls import include, path

from rsportal import urls as project_urls
from rsportal.security import oidc

from . import factories as f

# The OIDC URLs are only mounted when configured at start-up; these tests mount them here.
urlpatterns = [*project_urls.urlpatterns, path("oidc/", include("rsportal.security.oidc_urls"))]
pytestmark = pytest.mark.urls(__name__)

CLIENT_ID = "rsportal-test"
CLIENT_SECRET = "test-secret-" + "x" * 20


@functools.cache
def signing_key():
    # One key for the module: generating a 2048-bit key costs a noticeable fraction of a second.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """Just enough of an OpenID provider for the authorization code flow."""

    def __init__(self):
        self.key = signing_key()
        self.pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        self.codes = {}
        self.claims = {}  # what the next login at /authorize returns (the "person" logging in)
        self.audience = CLIENT_ID
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data, status=200):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(
                        {
                            "issuer": provider.issuer,
                            "authorization_endpoint": f"{provider.issuer}/authorize",
                            "token_endpoint": f"{provider.issuer}/token",
                            "userinfo_endpoint": f"{provider.issuer}/userinfo",
                            "jwks_uri": f"{provider.issuer}/jwks",
                        }
                    )
                elif url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self._json({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                elif url.path == "/authorize":
                    # The person signs in at the provider; the provider sends them back with a code.
                    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {**query, "claims": dict(provider.claims)}
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")
                    self.end_headers()
                elif url.path == "/userinfo":
                    token = self.headers["Authorization"].removeprefix("Bearer ")
                    self._json(provider.codes[token]["claims"])
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self):
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                grant = provider.codes.get(form.get("code"))
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if (
                    self.path != "/token"
                    or grant is None
                    or form.get("client_secret") != CLIENT_SECRET
                    or form.get("redirect_uri") != grant["redirect_uri"]
                    or challenge != grant["code_challenge"]
                ):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                now = int(time.time())
                id_token = jwt.encode(
                    {
                        "iss": provider.issuer,
                        "sub": grant["claims"].get("sub", "sub-1"),
                        "aud": provider.audience,
                        "iat": now,
                        "exp": now + 300,
                        "nonce": grant["nonce"],
                        "email": grant["claims"].get("email"),
                    },
                    provider.pem,
                    algorithm="RS256",
                    headers={"kid": "k1"},
                )
                provider.codes[form["code"]] = grant  # the access token is the code, for /userinfo
                self._json({"access_token": form["code"], "id_token": id_token, "token_type": "Bearer", "expires_in": 300})

        return Handler


@pytest.fixture
def provider(settings, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    idp = Provider()
    idp.thread.start()
    oidc.discovery.cache_clear()
    settings.RSPORTAL_OIDC_ENABLED = True
    settings.RSPORTAL_OIDC_ISSUER = idp.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    # Left empty on purpose: the endpoints come from the provider's discovery document.
    for name in ("OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"):
        setattr(settings, name, "")
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.OIDC_USE_PKCE = True
    settings.OIDC_CREATE_USER = False
    settings.OIDC_TIMEOUT = 5
    settings.LOGIN_REDIRECT_URL_FAILURE = "/logg-inn/"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "rsportal.security.oidc.EmailOIDCBackend"]
    yield idp
    idp.server.shutdown()
    idp.server.server_close()
    oidc.discovery.cache_clear()


def sign_in_at_provider(client, idp, next_url="/helsefellesskap/"):
    """Start at RS-portalen, sign in at the provider, come back with the code."""
    start = client.get(f"/oidc/authenticate/?{urlencode({'next': next_url})}")
    assert start.status_code == 302 and start["Location"].startswith(f"{idp.issuer}/authorize?")
    assert "code_challenge=" in start["Location"] and "nonce=" in start["Location"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    try:
        opener.open(start["Location"], timeout=5)
    except urllib.error.HTTPError as redirect:
        back = redirect.headers["Location"]
    callback = urlparse(back)
    return client.get(f"{callback.path}?{callback.query}")


def test_login_page_offers_oidc_only_when_configured(client, db, provider, settings):
    assert "/oidc/authenticate/" in client.get("/logg-inn/").content.decode()
    settings.RSPORTAL_OIDC_ENABLED = False
    assert "/oidc/" not in client.get("/logg-inn/").content.decode()


def test_code_flow_signs_in_the_local_user_with_that_email(client, personas, provider, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    provider.claims = {"sub": "abc", "email": "APPLICANT@example.invalid", "email_verified": True}
    users_before = get_user_model().objects.count()

    response = sign_in_at_provider(client, provider)

    assert response.status_code == 302 and response["Location"] == "/helsefellesskap/"
    assert int(client.session["_auth_user_id"]) == personas.applicant.pk
    assert client.get("/helsefellesskap/").status_code == 200
    assert get_user_model().objects.count() == users_before


def test_oidc_login_still_needs_the_second_factor_for_the_secretariat(client, personas, provider, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    provider.claims = {"email": personas.secretariat.email, "email_verified": True}
    response = sign_in_at_provider(client, provider, next_url="/midler/")
    assert response["Location"] == "/logg-inn/tofaktor/oppsett/?next=%2Fmidler%2F"


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "ukjent@example.invalid", "email_verified": True},  # no such user: never created
        {"email": "applicant@example.invalid", "email_verified": False},  # provider has not checked it
        {"sub": "no-email"},
    ],
    ids=["unknown-email", "unverified-email", "no-email"],
)
def test_no_local_user_no_login(client, personas, provider, claims):
    provider.claims = claims
    users_before = get_user_model().objects.count()
    response = sign_in_at_provider(client, provider)
    assert response.status_code == 302 and response["Location"] == "/logg-inn/"
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.count() == users_before


def test_id_token_for_another_client_is_refused(client, personas, provider):
    provider.claims = {"email": "applicant@example.invalid", "email_verified": True}
    provider.audience = "some-other-client"
    response = sign_in_at_provider(client, provider)
    assert response["Location"] == "/logg-inn/"
    assert "_auth_user_id" not in client.session


def test_two_users_sharing_an_address_are_both_refused(client, personas, provider):
    f.UserFactory(username="twin", email="applicant@example.invalid")
    provider.claims = {"email": "applicant@example.invalid", "email_verified": True}
    assert sign_in_at_provider(client, provider)["Location"] == "/logg-inn/"
    assert "_auth_user_id" not in client.session
