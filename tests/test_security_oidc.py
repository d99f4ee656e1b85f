"""OpenID Connect sign-in end to end against pyop, an OpenID Provider nobody here wrote
(tests/oidc_op.py): the code flow with PKCE through Django's test client, an ID-porten-shaped
provider (pid, acr, amr, pairwise sub) and an Entra-shaped one (email, upn, tid).

Nobody is created by a plain sign-in and no roles are granted; ID-porten binds an account only
through an invitation, keeps the identity number only as a keyed hash, and a session at a
substantial level or higher counts as two-factor."""

import datetime
import html
import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import OrganisationRole
from rsportal.core.models import AuditEvent
from rsportal.registry.models import BodyMember
from rsportal.signin import identity
from rsportal.signin.models import IdentityBinding, OrganisationSignIn, UsedNonce
from rsportal.signin.views import SESSION_KEY

from . import factories as f
from .oidc_op import PID, TROMSO_TENANT, authorize_url_login, entra_identities, oidc_ops_fixture


@pytest.fixture
def ops(settings, monkeypatch):
    idporten, entra, stop = oidc_ops_fixture(settings, monkeypatch)
    yield idporten, entra
    stop()


@pytest.fixture
def idporten(ops):
    return ops[0]


@pytest.fixture
def entra(ops, personas):
    ops[1].identities.update(entra_identities(personas.applicant.email))
    return ops[1]


def sign_in(client, op, identity_name, *, slug, next_url="/helsefellesskap/", invitation_token=""):
    """Start at the portal, pick the identity on the OP's login page, come back with the code."""
    query = {"next": next_url}
    if invitation_token:
        query = {"invitasjon": invitation_token}
    start = client.get(f"/oidc/{slug}/?{urlencode(query)}")
    assert start.status_code == 302 and start["Location"].startswith(f"{op.issuer}/authorize?"), start
    back = urlparse(authorize_url_login(op, start["Location"], identity_name))
    return client.get(f"{back.path}?{back.query}")


def invite(actor, email, **grant):
    return accounts.invite(actor, email=email, name="Kari Nordmann", base_url="http://testserver", **grant)


def empty_seat(world):
    return BodyMember.objects.create(body=world.secretariat_body, name="Kari Nordmann", side=BodyMember.Side.MUNICIPALITY, start=datetime.date(2020, 1, 1))


def signed_in_user(client):
    return client.session.get("_auth_user_id")


# --- the login page --------------------------------------------------------------------------


def test_login_page_has_a_button_per_provider(client, db, ops, settings):
    page = client.get("/logg-inn/?next=/midler/").content.decode()
    assert 'href="/oidc/idporten/?next=/midler/"' in page and "Logg inn med ID-porten" in page
    assert 'href="/oidc/entra/?next=/midler/"' in page and "Logg inn med Entra ID" in page
    settings.RSPORTAL_OIDC_PROVIDERS = []
    assert "/oidc/" not in client.get("/logg-inn/").content.decode()


def test_the_request_carries_pkce_nonce_state_and_acr_values(client, db, idporten):
    start = client.get("/oidc/idporten/")
    query = parse_qs(urlparse(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["acr_values"] == ["idporten-loa-substantial"]
    assert query["nonce"] and query["state"] and query["redirect_uri"] == ["http://testserver/oidc/callback/"]


# --- ID-porten -------------------------------------------------------------------------------


def test_first_binding_through_the_invitation_then_id_porten_alone(client, personas, idporten, world):
    invitation, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    page = client.get(f"/invitasjon/{token}/").content.decode()
    assert f'href="/oidc/idporten/?invitasjon={token}"' in page

    response = sign_in(client, idporten, "Kari Nordmann (MinID, betydelig nivå)", slug="idporten", invitation_token=token)

    assert response.status_code == 302 and response["Location"] == "/"
    kari = get_user_model().objects.get(email="kari@example.invalid")
    assert signed_in_user(client) == str(kari.pk)
    assert not kari.has_usable_password()
    binding = IdentityBinding.objects.get(user=kari)
    assert binding.identity_hash == identity.identity_hash(PID) and PID not in binding.identity_hash
    assert OrganisationRole.objects.filter(user=kari, kind="applicant", municipality=world.tromso).exists()
    invitation.refresh_from_db()
    assert invitation.used_by == kari
    # PKCE: the verifier reached the OP, which checked it against the challenge.
    assert idporten.token_requests[-1]["code_verifier"]

    # Later: ID-porten alone, in another browser.
    client.logout()
    other = client.__class__()
    response = sign_in(other, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", next_url="/soknader/")
    assert response["Location"] == "/soknader/"
    assert signed_in_user(other) == str(kari.pk)
    assert get_user_model().objects.filter(email="kari@example.invalid").count() == 1


def test_the_identity_number_is_never_stored_in_clear(client, personas, idporten, world):
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    assert IdentityBinding.objects.count() == 1
    stored = json.dumps(list(AuditEvent.objects.values("summary", "data")), default=str)
    stored += json.dumps([s.get_decoded() for s in Session.objects.all()], default=str)
    stored += json.dumps(list(IdentityBinding.objects.values()), default=str)
    assert PID not in stored
    # The ID token for logout is in the session only encrypted.
    assert client.session[SESSION_KEY]["id_token"] and PID not in client.session[SESSION_KEY]["id_token"]


def test_an_id_porten_person_without_binding_is_told_to_use_the_invitation(client, personas, idporten):
    users = get_user_model().objects.count()
    response = sign_in(client, idporten, "Ola Nordmann (BankID)", slug="idporten")
    assert response.status_code == 403
    assert "invitasjonslenken" in response.content.decode() and "sekretariatet" in response.content.decode()
    assert signed_in_user(client) is None and get_user_model().objects.count() == users


def test_substantial_counts_as_two_factor_for_a_seat(client, personas, idporten, world, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    seat = empty_seat(world)
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", seat=seat)
    response = sign_in(client, idporten, "Kari Nordmann (MinID, betydelig nivå)", slug="idporten", invitation_token=token)
    assert response["Location"] == "/"  # not to the code page
    seat.refresh_from_db()
    assert seat.user.email == "kari@example.invalid"
    assert client.get("/administrasjon/").status_code == 200
    assert client.get("/logg-inn/tofaktor/").status_code == 200  # the middleware lets the session through


def test_a_password_login_in_the_same_browser_does_not_inherit_the_id_porten_standing(client, personas, idporten, world, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    seat = empty_seat(world)
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", seat=seat)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    kari = get_user_model().objects.get(email="kari@example.invalid")
    kari.set_password("et-langt-passord-1")
    kari.save()
    response = client.post("/logg-inn/", {"username": kari.username, "password": "et-langt-passord-1", "next": "/midler/"})
    assert response["Location"].startswith("/logg-inn/tofaktor/oppsett/")
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("acr_setting", ["idporten-loa-substantial", "idporten-loa-high"])
def test_too_low_acr_is_refused(client, personas, idporten, world, settings, acr_setting):
    settings.RSPORTAL_IDPORTEN_ACR_TWO_FACTOR = acr_setting
    seat = empty_seat(world)
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", seat=seat)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    client.logout()

    low = "Kari Nordmann (lavt nivå)" if acr_setting.endswith("substantial") else "Kari Nordmann (MinID, betydelig nivå)"
    response = sign_in(client, idporten, low, slug="idporten")
    assert response.status_code == 403 and "høyere sikkerhetsnivå" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_invitation_to_a_seat_needs_the_seats_level(client, personas, idporten, world, settings):
    settings.RSPORTAL_IDPORTEN_ACR_TWO_FACTOR = "idporten-loa-high"
    seat = empty_seat(world)
    invitation, token = invite(personas.secretariat, "kari@example.invalid", seat=seat)
    response = sign_in(client, idporten, "Kari Nordmann (MinID, betydelig nivå)", slug="idporten", invitation_token=token)
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.used_at is None and not IdentityBinding.objects.exists()


def test_an_identity_bound_to_one_account_cannot_take_another_invitation(client, personas, idporten, world):
    _first, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    client.logout()
    second, token = invite(personas.secretariat, "noen.andre@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.harstad)
    response = sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    assert response.status_code == 410 and "annen konto" in response.content.decode()
    second.refresh_from_db()
    assert second.used_at is None


def test_logout_ends_the_id_porten_session_too(client, personas, idporten, world):
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)

    response = client.post("/logg-ut/")

    # A page that forwards (the logout form may lead only to the portal itself, see the view).
    assert response.status_code == 200
    end_session = html.unescape(re.search(r'id="end-session" href="([^"]+)"', response.content.decode()).group(1))
    assert end_session.startswith(f"{idporten.issuer}/endsession?")
    assert f'content="0;url={html.escape(end_session)}"' in response.content.decode()
    query = parse_qs(urlparse(end_session).query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/"] and query["id_token_hint"]
    assert signed_in_user(client) is None
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    try:
        opener.open(end_session, timeout=5)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302 and redirect.headers["Location"].startswith("http://testserver/")
    assert len(idporten.logouts) == 1 and idporten.logouts[0][0]  # the OP knew whose session it ended


# --- tokens that must not be accepted ----------------------------------------------------------


def test_an_expired_id_token_is_refused(client, personas, idporten, world):
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    client.logout()
    idporten.set_id_token_lifetime(-600)
    response = sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten")
    assert response.status_code == 400 and "utløpt" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_replayed_id_token_is_refused(client, personas, idporten, world):
    """Someone who copied the callback and the session's login state replays it; the OP (told to
    answer with the same tokens again) hands back the same ID token, whose nonce is spent."""
    _invitation, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    client.logout()

    start = client.get("/oidc/idporten/")
    pending = client.session["rsportal_signin_pending"]
    back = urlparse(authorize_url_login(idporten, start["Location"], "Kari Nordmann (BankID, høyt nivå)"))
    assert client.get(f"{back.path}?{back.query}")["Location"] == "/"
    assert UsedNonce.objects.count() == 2

    attacker = client.__class__()
    attacker.get("/")
    session = attacker.session
    session["rsportal_signin_pending"] = pending
    session.save()
    idporten.replay_last_token = True
    response = attacker.get(f"{back.path}?{back.query}")
    assert response.status_code == 400 and "allerede" in response.content.decode()
    assert signed_in_user(attacker) is None


def test_an_unknown_state_is_refused(client, db, idporten):
    response = client.get("/oidc/callback/?code=abc&state=not-ours")
    assert response.status_code == 400 and signed_in_user(client) is None


# --- Entra ID --------------------------------------------------------------------------------


@pytest.fixture
def tromso_tenant(world):
    return OrganisationSignIn.objects.create(municipality=world.tromso, tenants=f"{TROMSO_TENANT}\n", contact="IT-avdelingen i Tromsø kommune, it@tromso.invalid")


def test_entra_signs_in_by_upn_within_the_allowed_tenant(client, personas, entra, tromso_tenant, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    users = get_user_model().objects.count()
    response = sign_in(client, entra, "Ansatt i Tromsø kommune", slug="entra")
    assert response["Location"] == "/helsefellesskap/"
    assert signed_in_user(client) == str(personas.applicant.pk)
    assert get_user_model().objects.count() == users


def test_entra_from_another_tenant_is_refused_with_whom_to_ask(client, personas, entra, tromso_tenant):
    response = sign_in(client, entra, "Samme adresse, fremmed leietaker", slug="entra")
    assert response.status_code == 403 and signed_in_user(client) is None
    page = response.content.decode()
    assert "Vi fant ingen konto for deg" in page and "sekretariatet i helsefellesskapet" in page


def test_an_unknown_entra_person_gets_the_organisations_contact_and_no_account(client, personas, entra, tromso_tenant):
    users = get_user_model().objects.count()
    response = sign_in(client, entra, "Ukjent ansatt", slug="entra")
    assert response.status_code == 403
    assert "IT-avdelingen i Tromsø kommune, it@tromso.invalid" in response.content.decode()
    assert get_user_model().objects.count() == users


def test_entra_without_any_listed_tenant_is_refused(client, personas, entra):
    assert sign_in(client, entra, "Ansatt i Tromsø kommune", slug="entra").status_code == 403


def test_entra_still_asks_the_secretariat_for_a_code(client, personas, entra, world, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    OrganisationSignIn.objects.create(rhf=world.rhf, tenants=TROMSO_TENANT)
    entra.identities["Sekretariatet"] = {"user": "sek", "upn": personas.secretariat.email, "tid": TROMSO_TENANT}
    f.seat(world.rhf_secretariat_body, personas.secretariat)
    response = sign_in(client, entra, "Sekretariatet", slug="entra", next_url="/midler/")
    assert response["Location"] == "/logg-inn/tofaktor/oppsett/?next=%2Fmidler%2F"


def test_an_unverified_email_is_not_enough(client, personas, entra, tromso_tenant):
    entra.identities["Uverifisert"] = {"user": "u", "email": personas.applicant.email, "email_verified": False, "tid": TROMSO_TENANT}
    assert sign_in(client, entra, "Uverifisert", slug="entra").status_code == 403


def test_two_users_sharing_an_address_are_both_refused(client, personas, entra, tromso_tenant):
    f.UserFactory(username="twin", email=personas.applicant.email)
    assert sign_in(client, entra, "Ansatt i Tromsø kommune", slug="entra").status_code == 403
    assert signed_in_user(client) is None


# --- local passwords per organisation -----------------------------------------------------------


def test_an_organisation_can_turn_local_passwords_off(client, personas, world):
    for person in (personas.applicant, personas.other_applicant):
        person.set_password("et-langt-passord-1")
        person.save()
    OrganisationSignIn.objects.create(municipality=world.tromso, passwords_allowed=False)

    refused = client.post("/logg-inn/", {"username": "applicant", "password": "et-langt-passord-1"})
    assert refused.status_code == 200 and "slått av innlogging med passord" in refused.content.decode()
    assert signed_in_user(client) is None

    # Bergen has said nothing: its applicant still uses the password.
    assert client.post("/logg-inn/", {"username": "other_applicant", "password": "et-langt-passord-1"}).status_code == 302


def test_a_person_with_one_organisation_still_allowing_passwords_keeps_theirs(client, personas, world):
    personas.applicant.set_password("et-langt-passord-1")
    personas.applicant.save()
    f.role(personas.applicant, OrganisationRole.Kind.APPLICANT, municipality=world.harstad)
    OrganisationSignIn.objects.create(municipality=world.tromso, passwords_allowed=False)
    assert client.post("/logg-inn/", {"username": "applicant", "password": "et-langt-passord-1"}).status_code == 302


def test_migrations_are_complete(db):
    call_command("makemigrations", "signin", "--check", "--dry-run", verbosity=0)


def test_the_binding_is_in_the_export_without_its_hash_and_goes_with_anonymisation(client, personas, idporten, world):
    from rsportal.privacy import domain as privacy

    _invitation, token = invite(personas.secretariat, "kari@example.invalid", kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten", invitation_token=token)
    kari = get_user_model().objects.get(email="kari@example.invalid")
    binding = IdentityBinding.objects.get(user=kari)

    exported = privacy.export_person(kari, privacy.person_for_user(kari))
    assert [b["kind"] for b in exported["sign_in_bindings"]] == ["idporten"]
    assert binding.identity_hash not in json.dumps(exported, default=str) and PID not in json.dumps(exported, default=str)

    privacy.anonymise_person(personas.sysadmin, privacy.person_for_user(kari), confirmation=kari.username)
    assert not IdentityBinding.objects.filter(user=kari).exists()
    client.logout()
    assert sign_in(client, idporten, "Kari Nordmann (BankID, høyt nivå)", slug="idporten").status_code == 403


# --- the ID token checks one by one -------------------------------------------------------------


@pytest.fixture
def forge(idporten):
    """Sign tokens with the OP's own key (as if the OP had issued them), or with another key."""
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from rsportal.signin import providers

    from .oidc_op import _rsa_key

    provider = providers.get("idporten")
    own_key = _rsa_key().export_key().decode()

    def _forge(nonce="n-1", *, key=None, alg="RS256", kid=None, **changes):
        now = int(time.time())
        claims = {"iss": idporten.issuer, "aud": idporten.client_id, "sub": "s", "iat": now, "exp": now + 120, "nonce": nonce, "pid": PID, "acr": "idporten-loa-high"}
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        if alg == "none":
            return jwt.encode(claims, None, algorithm="none")
        if alg == "HS256":
            return jwt.encode(claims, idporten.client_secret, algorithm="HS256", headers={"kid": f"{idporten.name}-1"})
        signing = key or own_key
        return jwt.encode(claims, signing, algorithm=alg, headers={"kid": kid or f"{idporten.name}-1"})

    _forge.provider = provider
    _forge.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _forge


def test_a_well_formed_token_passes_once(db, forge):
    from rsportal.signin import client

    assert client.verify_id_token(forge.provider, forge("n-ok"), nonce="n-ok")["pid"] == PID
    with pytest.raises(client.SignInRefused) as refused:
        client.verify_id_token(forge.provider, forge("n-ok"), nonce="n-ok")
    assert refused.value.kind == "replay"


@pytest.mark.parametrize(
    "change",
    [
        {"alg": "none"},
        {"alg": "HS256"},
        {"aud": "another-client"},
        {"iss": "http://127.0.0.1:1"},
        {"exp": 1},
        {"iat": 1},
        {"nonce": None},
        {"nonce": "someone-elses-nonce"},
        {"other_key": True},
        {"aud": ["rsportal-idporten", "another-client"]},
    ],
    ids=["alg-none", "alg-hs256-with-client-secret", "audience", "issuer", "expired", "issued-long-ago", "no-nonce", "wrong-nonce", "not-the-ops-key", "two-audiences-without-azp"],
)
def test_tokens_that_must_not_pass(db, forge, change):
    from rsportal.signin import client

    change = dict(change)
    nonce = change.pop("nonce", "n-1")
    token = forge(nonce, key=forge.other_key if change.pop("other_key", False) else None, **change)
    with pytest.raises(client.SignInRefused):
        client.verify_id_token(forge.provider, token, nonce="n-1")
    assert not UsedNonce.objects.exists()


def test_providers_from_the_admin_get_their_own_button(client, db, settings):
    from rsportal.signin.admin import ProviderForm
    from rsportal.signin.models import Provider

    settings.RSPORTAL_OIDC_PROVIDERS = []
    data = {"slug": "helse-nord", "name": "Logg inn med Helse Nord", "kind": "entra", "issuer": "https://login.example.invalid/t/v2.0",
            "client_id": "abc", "client_secret": "hemmelig", "scopes": "openid profile email", "acr_values": "", "enabled": "on", "order": "1"}
    form = ProviderForm(data)
    assert form.is_valid(), form.errors
    provider = form.save()
    Provider.objects.create(slug="av", name="Slått av", kind="generic", issuer="https://x.invalid", client_id="x", client_secret="y", enabled=False)
    page = client.get("/logg-inn/").content.decode()
    assert 'href="/oidc/helse-nord/"' in page and "Logg inn med Helse Nord" in page and "Slått av" not in page

    # Editing without typing the secret again keeps it; the form never shows it.
    edit = ProviderForm({**data, "client_secret": "", "name": "Helse Nord"}, instance=provider)
    assert edit.is_valid(), edit.errors
    edit.save()
    provider.refresh_from_db()
    assert provider.client_secret == "hemmelig" and "hemmelig" not in str(ProviderForm(instance=provider)["client_secret"])
    assert not ProviderForm({**data, "slug": "callback"}).is_valid()
