"""Signing in with ID-porten and Entra ID in chromium, against pyop (tests/oidc_op.py).

The first test runs with the portal's content security policy in force (no bypass), so the
redirects to and from the provider and the logout page that forwards to its end_session
endpoint are shown to work under form-action 'self'."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import OrganisationRole
from rsportal.signin.models import IdentityBinding, OrganisationSignIn

from ..oidc_op import TROMSO_TENANT, entra_identities, oidc_ops_fixture
from .conftest import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def ops(settings, monkeypatch, live_server):
    idporten, entra, stop = oidc_ops_fixture(settings, monkeypatch, base_urls=(live_server.url,))
    yield idporten, entra
    stop()


def pick(page, op, who):
    """At the OP's login page: choose the test person."""
    expect(page.get_by_role("heading", name=f"{op.name}: velg testperson")).to_be_visible()
    page.get_by_role("button", name=who).click()


def test_invitation_binds_id_porten_then_id_porten_alone_then_logout(browser, live_server, ops, personas, world):
    idporten, _entra = ops
    _invitation, token = accounts.invite(
        personas.secretariat, email="kari@example.invalid", name="Kari Nordmann", base_url=live_server.url,
        kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso,
    )
    context = browser.new_context(base_url=live_server.url, locale="nb-NO")  # CSP in force
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"/invitasjon/{token}/")
        page.get_by_role("link", name="Ta imot med Logg inn med ID-porten").click()
        pick(page, idporten, "Kari Nordmann (MinID, betydelig nivå)")
        expect(page.get_by_text("Kontoen din er knyttet til ID-porten")).to_be_visible()
        kari = get_user_model().objects.get(email="kari@example.invalid")
        assert IdentityBinding.objects.filter(user=kari).exists()

        page.get_by_role("button", name="Logg ut").click()
        page.wait_for_url(f"{live_server.url}/**")
        expect(page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Logg inn")).to_be_visible()
        assert len(idporten.logouts) == 1 and idporten.logouts[0][1] == f"{live_server.url}/"

        page.goto("/logg-inn/?next=/soknader/")
        page.get_by_role("link", name="Logg inn med ID-porten").click()
        pick(page, idporten, "Kari Nordmann (BankID, høyt nivå)")
        page.wait_for_url(f"{live_server.url}/soknader/")
        expect(page.get_by_role("button", name="Logg ut Kari Nordmann")).to_be_visible()
    finally:
        context.close()


def test_too_low_level_and_wrong_tenant_are_refused_in_norwegian(page, live_server, ops, personas, world, settings):
    idporten, entra = ops
    settings.RSPORTAL_IDPORTEN_ACR_TWO_FACTOR = "idporten-loa-high"
    # Kari holds a seat (needs the high level) and is bound already.
    from rsportal.signin.identity import identity_hash
    from .. import factories as f
    from ..oidc_op import PID

    kari = f.UserFactory(username="kari", email="kari@example.invalid", first_name="Kari", last_name="Nordmann")
    f.seat(world.secretariat_body, kari)
    IdentityBinding.objects.create(user=kari, identity_hash=identity_hash(PID))

    page.goto("/logg-inn/")
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    pick(page, idporten, "Kari Nordmann (MinID, betydelig nivå)")
    expect(page.get_by_role("heading", name="Rollen din krever et høyere sikkerhetsnivå")).to_be_visible()
    assert_accessible(page, "refused: too low a level")

    OrganisationSignIn.objects.create(municipality=world.tromso, tenants=TROMSO_TENANT, contact="IT-avdelingen i Tromsø kommune")
    entra.identities.update(entra_identities(personas.applicant.email))
    page.goto("/logg-inn/")
    page.get_by_role("link", name="Logg inn med Entra ID").click()
    pick(page, entra, "Samme adresse, fremmed leietaker")
    expect(page.get_by_role("heading", name="Vi fant ingen konto for deg")).to_be_visible()
    expect(page.get_by_text("sekretariatet i helsefellesskapet ditt")).to_be_visible()
    expect(page.get_by_role("button", name="Logg ut")).to_have_count(0)
