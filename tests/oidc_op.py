"""An OpenID Provider for the tests, built on pyop (an OP implementation nobody here wrote).

pyop does the protocol: it parses and validates the authentication request (client, redirect
URI, scopes), issues codes, checks the client secret and the PKCE verifier at the token
endpoint, signs the ID token, creates pairwise subject identifiers and ends the session at the
end_session endpoint. This file only puts HTTP around it, plus the one thing a real OP does with
its own people: a login page, here a form where the tester picks who signs in (the test
identities below, configured per OP).

Two shapes are configured by the tests: ID-porten (pid, acr, amr and a pairwise sub, no e-mail)
and Entra ID (email, upn, tid)."""

import json
import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from Cryptodome.PublicKey import RSA
from jwkest.jwk import RSAKey
from oic.oic.message import EndSessionRequest
from pyop.authz_state import AuthorizationState
from pyop.exceptions import InvalidAuthenticationRequest, OAuthError
from pyop.provider import Provider
from pyop.subject_identifier import HashBasedSubjectIdentifierFactory
from pyop.userinfo import Userinfo

_KEY = None


def _rsa_key():
    # One RSA key per test run: making a 2048-bit key takes a noticeable fraction of a second.
    global _KEY
    if _KEY is None:
        _KEY = RSA.generate(2048)
    return _KEY


class TestOP:
    """One OpenID Provider on 127.0.0.1 with a free port.

    `identities` maps a key shown on the login page to the claims that person's ID token gets
    (besides iss, sub, aud, exp, iat and nonce, which pyop sets). A claim set may name its own
    `user` (the OP's local identifier, from which the pairwise sub is made)."""

    def __init__(self, *, client_id: str, client_secret: str, identities: dict, name: str = "Test-OP"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.identities = identities
        self.name = name
        self.logouts = []  # (sub, post_logout_redirect_uri) for each end_session call
        self.token_requests = []  # the parsed bodies the token endpoint received
        self.replay_last_token = False  # answer the next token request with the previous response
        self._last_token_response = None
        self._code_claims = {}
        self.redirect_uris = []
        self.post_logout_redirect_uris = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.provider = self._make_provider()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _make_provider(self):
        key = RSAKey(key=_rsa_key(), alg="RS256", use="sig", kid=f"{self.name}-1")
        configuration = {
            # pyop (through oic) insists on an https issuer when it checks the configuration;
            # the tests talk plain HTTP on 127.0.0.1, so the issuer is set to that right after.
            "issuer": self.issuer.replace("http://", "https://"),
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/endsession",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "profile", "email"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["idporten-loa-substantial", "idporten-loa-high"],
        }
        clients = {
            self.client_id: {
                "client_secret": self.client_secret,
                "redirect_uris": self.redirect_uris,  # the same list object: tests add to it
                "post_logout_redirect_uris": self.post_logout_redirect_uris,
                "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
                "subject_type": "pairwise",
            }
        }
        state = AuthorizationState(HashBasedSubjectIdentifierFactory(f"{self.name}-salt"))
        users = _Users(self)
        provider = Provider(key, configuration, state, clients, Userinfo(users), id_token_lifetime=300)
        provider.configuration_information["issuer"] = self.issuer
        return provider

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def set_id_token_lifetime(self, seconds: int):
        self.provider.id_token_lifetime = seconds

    # --- HTTP --------------------------------------------------------------------------

    def _handler(self):
        op = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body: bytes, content_type="application/json", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data, status=200):
                self._send(status, json.dumps(data).encode())

            def _redirect(self, location):
                self._send(302, b"", "text/plain", [("Location", location)])

            def do_GET(self):
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(op.provider.provider_configuration.to_dict())
                elif url.path == "/jwks":
                    self._json(op.provider.jwks)
                elif url.path == "/authorize":
                    self._login_page(url.query)
                elif url.path == "/userinfo":
                    try:
                        response = op.provider.handle_userinfo_request(url.query, dict(self.headers))
                    except OAuthError as error:
                        self._json({"error": error.oauth_error}, 401)
                        return
                    self._json(response.to_dict())
                elif url.path == "/endsession":
                    self._end_session(url.query)
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                url = urlparse(self.path)
                if url.path == "/authorize":
                    self._log_in(body)
                elif url.path == "/token":
                    self._token(body)
                else:
                    self._json({"error": "not_found"}, 404)

            def _login_page(self, query):
                try:
                    op.provider.parse_authentication_request(query)
                except InvalidAuthenticationRequest as error:
                    self._send(400, f"Ugyldig forespørsel: {escape(str(error))}".encode(), "text/plain; charset=utf-8")
                    return
                buttons = "".join(
                    f'<button type="submit" name="identity" value="{escape(key)}">{escape(key)}</button>' for key in op.identities
                )
                page = (
                    f"<!doctype html><html lang='nb'><head><title>{escape(op.name)}</title></head><body>"
                    f"<h1>{escape(op.name)}: velg testperson</h1>"
                    f"<form method='post' action='/authorize'><input type='hidden' name='request' value='{escape(query)}'>"
                    f"{buttons}</form></body></html>"
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")

            def _log_in(self, body):
                form = {k: v[0] for k, v in parse_qs(body).items()}
                request = op.provider.parse_authentication_request(form["request"])
                claims = dict(op.identities[form["identity"]])
                user = claims.pop("user", form["identity"])
                response = op.provider.authorize(request, user)
                op._code_claims[response["code"]] = claims
                self._redirect(response.request(request["redirect_uri"]))

            def _token(self, body):
                if op.replay_last_token and op._last_token_response is not None:
                    self._json(op._last_token_response)
                    return
                form = {k: v[0] for k, v in parse_qs(body).items()}
                op.token_requests.append(form)
                try:
                    response = op.provider.handle_token_request(
                        body, dict(self.headers), extra_id_token_claims=dict(op._code_claims.get(form.get("code"), {}))
                    )
                except OAuthError as error:
                    self._json({"error": error.oauth_error, "error_description": str(error)}, 400)
                    return
                op._last_token_response = response.to_dict()
                self._json(op._last_token_response)

            def _end_session(self, query):
                request = EndSessionRequest().deserialize(query, "urlencoded")
                hint = request.get("id_token_hint")
                sub = None
                if hint:
                    from oic.oic.message import IdToken

                    sub = IdToken().from_jwt(hint, key=[op.provider.signing_key])["sub"]
                op.provider.logout_user(end_session_request=request)
                op.logouts.append((sub, request.get("post_logout_redirect_uri")))
                target = op.provider.do_post_logout_redirect(request)
                if target:
                    self._redirect(target)
                else:
                    self._send(200, "<!doctype html><title>Logget ut</title><p>Du er logget ut.</p>".encode(), "text/html; charset=utf-8")

        return Handler


class _Users(dict):
    """pyop's user database: every identity on the login page is a user with no standard
    claims of its own (the claims the tests care about go into the ID token as extra claims)."""

    def __init__(self, op):
        super().__init__()
        self.op = op

    def __getitem__(self, user):
        return {}

    def __contains__(self, user):
        return True


def authorize_url_login(op: TestOP, authorize_url: str, identity: str) -> str:
    """Sign in at the OP without a browser: open its login page, pick `identity`, return the
    URL the OP sends the browser back to (the portal's callback with code and state)."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    query = urlparse(authorize_url).query
    page = opener.open(authorize_url, timeout=5).read().decode()
    assert "velg testperson" in page
    data = urlencode({"request": query, "identity": identity}).encode()
    try:
        opener.open(f"{op.issuer}/authorize", data=data, timeout=5)
    except urllib.error.HTTPError as redirect:
        return redirect.headers["Location"]
    raise AssertionError("the OP did not send the browser back")


# --- the pytest fixture ----------------------------------------------------------------------

PID = "24016512345"  # a made-up national identity number: the person of the ID-porten tests
OTHER_PID = "12125712345"
TROMSO_TENANT = "0b6a4c3e-1111-4d2a-9c1e-5a4f0e7d2b01"
FOREIGN_TENANT = "9f2e8d7c-2222-4b3a-8d2f-6b5e1f8c3c02"


def idporten_identities():
    return {
        "Kari Nordmann (BankID, høyt nivå)": {"user": "kari", "pid": PID, "acr": "idporten-loa-high", "amr": ["BankID"]},
        "Kari Nordmann (MinID, betydelig nivå)": {"user": "kari", "pid": PID, "acr": "idporten-loa-substantial", "amr": ["MinID-PIN"]},
        "Kari Nordmann (lavt nivå)": {"user": "kari", "pid": PID, "acr": "idporten-loa-low", "amr": ["MinID-passord"]},
        "Ola Nordmann (BankID)": {"user": "ola", "pid": OTHER_PID, "acr": "idporten-loa-high", "amr": ["BankID"]},
    }


def entra_identities(email: str):
    return {
        "Ansatt i Tromsø kommune": {"user": "anne", "email": email, "upn": email, "tid": TROMSO_TENANT},
        "Samme adresse, fremmed leietaker": {"user": "anne-x", "email": email, "upn": email, "tid": FOREIGN_TENANT},
        "Ukjent ansatt": {"user": "per", "email": "per.ukjent@example.invalid", "upn": "per.ukjent@example.invalid", "tid": TROMSO_TENANT},
    }


def oidc_ops_fixture(settings, monkeypatch, base_urls=("http://testserver",)):
    """Start an ID-porten-shaped and an Entra-shaped OP and configure the portal with both."""
    from rsportal.signin import providers

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    idporten = TestOP(client_id="rsportal-idporten", client_secret="idporten-secret-" + "x" * 16, identities=idporten_identities(), name="ID-porten (test)")
    entra = TestOP(client_id="rsportal-entra", client_secret="entra-secret-" + "y" * 16, identities={}, name="Entra ID (test)")
    for op in (idporten, entra):
        for base in base_urls:
            op.redirect_uris.append(f"{base}/oidc/callback/")
            op.post_logout_redirect_uris.append(f"{base}/")
        op.start()
    settings.RSPORTAL_OIDC_PROVIDERS = [
        {"slug": "idporten", "name": "Logg inn med ID-porten", "kind": "idporten", "issuer": idporten.issuer, "client_id": idporten.client_id,
         "client_secret": idporten.client_secret, "scopes": "openid profile", "acr_values": "idporten-loa-substantial"},
        {"slug": "entra", "name": "Logg inn med Entra ID", "kind": "entra", "issuer": entra.issuer, "client_id": entra.client_id,
         "client_secret": entra.client_secret, "scopes": "openid profile email"},
    ]
    settings.RSPORTAL_OIDC_TIMEOUT = 5
    settings.RSPORTAL_IDENTITY_KEY = "test-identity-key"
    providers.clear_cache()
    return idporten, entra, lambda: ([op.stop() for op in (idporten, entra)], providers.clear_cache())
