"""The RHF administrator's money pages in a real browser: book an expected later year, transfer
to the helsefellesskap by key (preview, then confirm), allocate directly on a body's decision and
confirm a conditional commitment. Every page is checked with axe and photographed at 1280 and
320 pixels wide."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Commitment, DistributionKey, Grant, Pot, PotYear

from .conftest import assert_accessible, screenshot, submit

pytestmark = pytest.mark.browser

M = 1_000_000


def check(page, name):
    assert_accessible(page, name)
    screenshot(page, f"money-{name}-1280")
    page.set_viewport_size({"width": 320, "height": 900})
    screenshot(page, f"money-{name}-320")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320 + 1, f"{name} is wider than 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_rhf_administrator_books_transfers_allocates_and_confirms(page, log_in, live_server, world, personas):
    domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2027, name="RS 2027", amount=100 * M, rhf=world.rhf))
    root = domain.root_pot(world.rhf)
    hf_pot = domain.create_pot(personas.rhf_admin, parent=root, name="Troms og Ofoten direkte", kind=Pot.Kind.DIRECT_TRANSFER, helsefellesskap=world.hf)
    domain.create_pot(personas.rhf_admin, parent=root, name="Finnmark direkte", kind=Pot.Kind.DIRECT_TRANSFER, helsefellesskap=world.other_hf)
    key = DistributionKey.objects.create(name="Folketall Nord")
    key.shares.create(helsefellesskap=world.hf, share=Decimal("2"))
    key.shares.create(helsefellesskap=world.other_hf, share=Decimal("1"))
    log_in(personas.rhf_admin)

    page.goto("/administrasjon/")
    submit(page, page.get_by_role("link", name=re.compile("^Midler")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevilgninger")
    check(page, "appropriations")

    # An expected later year
    submit(page, page.get_by_role("link", name="Bokfør bevilgning"))
    page.get_by_label(re.compile("^År")).fill("2028")
    page.get_by_label(re.compile("^Navn")).fill("RS 2028")
    page.get_by_label(re.compile("^Beløp")).fill("1 250 000")
    page.get_by_label(re.compile("^Forventet")).check()
    check(page, "appropriation-form")
    submit(page, page.get_by_role("button", name="Bokfør"))
    expect(page.locator("main")).to_contain_text("1\u00a0250\u00a0000\u00a0kr")
    expect(page.locator("main")).to_contain_text("Forventet")
    check(page, "appropriation")

    # A distribution key over the RHF's helsefellesskap
    page.goto("/administrasjon/midler/nokler/")
    check(page, "keys")
    submit(page, page.get_by_role("link", name="Ny fordelingsnøkkel"))
    page.get_by_label(re.compile("^Navn")).fill("Innbyggere 2026")
    page.get_by_label("Andel for Troms og Ofoten").fill("2,5")
    page.get_by_label("Andel for Finnmark").fill("1")
    check(page, "key-form")
    submit(page, page.get_by_role("button", name="Lagre"))
    expect(page.locator("main")).to_contain_text("Troms og Ofoten: 2,5")
    check(page, "key")

    # Transfer by key: the split is shown before anything moves
    page.goto(f"/administrasjon/midler/potter/{root.pk}/")
    check(page, "pot")
    submit(page, page.get_by_role("link", name="Overfør til helsefellesskap"))
    page.get_by_label(re.compile("^År")).fill("2027")
    page.get_by_label(re.compile("^Fordelingsnøkkel")).select_option(label="Folketall Nord")
    page.get_by_label(re.compile("^Beløp")).fill("10 000 000")
    submit(page, page.get_by_role("button", name="Vis fordelingen"))
    expect(page.locator("main")).to_contain_text("6\u00a0666\u00a0667\u00a0kr")
    check(page, "transfer-preview")
    submit(page, page.get_by_role("button", name="Bekreft overføringen"))
    expect(page.locator("main")).to_contain_text("10\u00a0000\u00a0000\u00a0kr er overført for 2027")
    assert PotYear.objects.get(pot=hf_pot, year=2027).frame == 6_666_667

    # A direct allocation decided by a body
    submit(page, page.get_by_role("link", name="Direkte tildeling"))
    page.get_by_label(re.compile("^År 1")).fill("2027")
    page.get_by_label(re.compile("^Beløp år 1")).fill("2 000 000")
    page.get_by_label(re.compile("^Vedtatt av")).select_option(label=str(world.stu))
    page.get_by_label(re.compile("^Vedtaksdato")).fill("2027-01-05")
    page.get_by_label(re.compile("^Vedtaket")).fill("Felles kompetansesenter")
    check(page, "allocation-form")
    submit(page, page.get_by_role("button", name="Bokfør tildelingen"))
    assert Commitment.objects.get(kind=Commitment.Kind.ALLOCATION).amount == 2 * M

    # The conditional year is confirmed once the budget is passed
    grant = Grant.objects.create(pot=root, title="Legevakt")
    domain.commit_grant(personas.rhf_admin, grant=grant, amounts={2028: 500_000}, conditional_from=2028)
    page.goto("/administrasjon/midler/betingede-tilsagn/?ar=2028")
    check(page, "conditional")
    submit(page, page.get_by_role("button", name=re.compile("^Bekreft")))
    expect(page.locator("main")).to_contain_text("er bekreftet")
    assert grant.commitments.get().status == Commitment.Status.FIRM
