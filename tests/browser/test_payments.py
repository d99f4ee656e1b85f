"""A payment request in a real browser: the owner asks with documentation, a bad amount is refused
with nothing typed lost, another person in the secretariat approves; axe on each page."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant
from rsportal.payments.models import PaymentRequest

from ..factories import PDF
from .conftest import assert_accessible, normalise, sign_in, submit

pytestmark = pytest.mark.browser


def test_owner_requests_and_the_secretariat_approves(page, new_page, live_server, world, personas, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    year = datetime.date.today().year
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name="RS", amount=5_000_000, rhf=world.rhf))
    grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title="Trygg hjemkomst", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    grant.partner_municipalities.add(world.harstad)
    funding.commit_grant(personas.rhf_admin, grant=grant, amounts={year: 1_000_000})
    receipt = tmp_path / "bilag.pdf"
    receipt.write_bytes(PDF)

    sign_in(page, personas.applicant)
    page.goto(f"/utbetaling/tilskudd/{grant.pk}/")
    assert_accessible(page, "payments of a grant")
    page.get_by_role("link", name="Be om utbetaling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Be om utbetaling: Trygg hjemkomst")
    page.get_by_label(re.compile("^Perioden fra")).fill(f"{year}-01-01")
    page.get_by_label(re.compile("^Perioden til")).fill(f"{year}-06-30")
    page.get_by_label("Påløpte kostnader, Tromsø").fill("1 200 000")
    page.get_by_label("Dokumentasjon, Tromsø").set_input_files(str(receipt))
    page.get_by_label("Påløpte kostnader, Harstad").fill("100 000")
    submit(page, page.get_by_role("button", name="Send anmodningen"))
    expect(page.get_by_role("alert")).to_contain_text("mer enn tilsagnet")
    expect(page.get_by_label("Påløpte kostnader, Harstad")).to_have_value("100 000")
    assert_accessible(page, "payment request refused")
    assert not PaymentRequest.objects.exists()

    page.get_by_label("Påløpte kostnader, Tromsø").fill("200 000")
    page.get_by_label("Dokumentasjon, Tromsø").set_input_files(str(receipt))
    submit(page, page.get_by_role("button", name="Send anmodningen"))
    made = PaymentRequest.objects.get()
    expect(page).to_have_url(f"{live_server.url}/utbetaling/anmodning/{made.pk}/")
    assert "300 000 kr" in normalise(page.locator("dl.facts").inner_text())
    expect(page.get_by_role("link", name="bilag.pdf")).to_be_visible()
    expect(page.get_by_role("button", name="Godkjenn for utbetaling")).to_have_count(0)

    secretariat = sign_in(new_page(), personas.secretariat)
    secretariat.goto("/utbetaling/")
    assert_accessible(secretariat, "payments list")
    secretariat.get_by_role("link", name="Trygg hjemkomst").click()
    assert_accessible(secretariat, "payment request to decide")
    submit(secretariat, secretariat.get_by_role("button", name="Godkjenn for utbetaling"))
    expect(secretariat.get_by_text("Anmodningen er godkjent og klar for utbetaling.")).to_be_visible()
    made.refresh_from_db()
    assert (made.status, made.decided_by) == ("approved", personas.secretariat)
