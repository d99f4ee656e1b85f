"""Grants decided elsewhere in a real browser: the secretariat registers one grant, then imports
a sheet with a preview and "Lagre alle". Every page is checked with axe and photographed at 1280
and 320 pixels wide."""

import re

import pytest
from playwright.sync_api import expect

from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Grant, Pot
from rsportal.registry.models import Body

from ..test_grant_registration import CLEAN_ROWS, xlsx_file
from .conftest import assert_accessible, screenshot, submit

pytestmark = pytest.mark.browser
M = 1_000_000


def check(page, name):
    assert_accessible(page, name)
    screenshot(page, f"grants-{name}-1280")
    page.set_viewport_size({"width": 320, "height": 900})
    screenshot(page, f"grants-{name}-320")
    # Wide tables scroll in their own box; the page itself must not scroll sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320 + 1, f"{name} is wider than 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_secretariat_registers_a_grant_and_imports_a_sheet(page, log_in, world, personas, tmp_path):
    for year in (2026, 2027):
        domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=130 * M, rhf=world.rhf))
    root = domain.root_pot(world.rhf)
    pot = domain.create_pot(personas.rhf_admin, parent=root, name="Lokal pott Troms og Ofoten", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    for year in (2026, 2027):
        domain.transfer(personas.rhf_admin, source=root, target=pot, year=year, amount=5 * M)
    Body.objects.create(kind=Body.Kind.SSU, name="SSU Troms og Ofoten", helsefellesskap=world.hf)
    log_in(personas.secretariat)

    page.goto("/administrasjon/")
    submit(page, page.get_by_role("link", name=re.compile("^Tilskudd vedtatt utenfor portalen")))
    check(page, "pots")
    submit(page, page.get_by_role("link", name="Lokal pott Troms og Ofoten"))
    check(page, "pot")

    submit(page, page.get_by_role("link", name="Registrer tilskudd"))
    page.get_by_label(re.compile("^Prosjektnavn")).fill("Felles rehabiliteringsteam")
    page.get_by_label(re.compile("^Eiere")).select_option(label=["Tromsø (5501)", "Universitetssykehuset Nord-Norge HF"])
    page.get_by_label(re.compile("^Deltakere")).select_option(label=["Harstad (5503)"])
    page.get_by_label("År, rad 1").fill("2026")
    page.get_by_label("Beløp, rad 1").fill("1 250 000")
    page.get_by_label("År, rad 2").fill("2027")
    page.get_by_label("Beløp, rad 2").fill("9 000 000")  # more than the pot has
    page.get_by_label("Betinget, rad 2").check()
    page.get_by_label(re.compile(r"^Vedtatt av \(organ\)")).select_option(label="SSU Troms og Ofoten (Troms og Ofoten)")
    page.get_by_label(re.compile("^Vedtaksdato")).fill("15. januar 2026")
    page.get_by_label(re.compile("^Begrunnelse")).fill("SSU-sak 3/26")
    check(page, "register")
    submit(page, page.get_by_role("button", name="Registrer tilskudd"))
    expect(page.locator("main")).to_contain_text("ledig i 2027")
    expect(page.get_by_label(re.compile("^Prosjektnavn"))).to_have_value("Felles rehabiliteringsteam")
    check(page, "register-refused")
    assert not Grant.objects.exists()
    page.get_by_label("Beløp, rad 2").fill("500 000")
    submit(page, page.get_by_role("button", name="Registrer tilskudd"))
    expect(page.locator("main")).to_contain_text("Tilskuddet «Felles rehabiliteringsteam» er registrert.")
    expect(page.locator("main")).to_contain_text("1\u00a0750\u00a0000\u00a0kr")
    expect(page.locator("main")).to_contain_text("15. januar 2026")

    submit(page, page.get_by_role("link", name="Importer fra regneark"))
    check(page, "import")
    sheet = tmp_path / "tilskudd.xlsx"
    sheet.write_bytes(xlsx_file(CLEAN_ROWS).read())
    page.get_by_label(re.compile(r"^Regneark")).set_input_files(str(sheet))
    submit(page, page.get_by_role("button", name="Forhåndsvis"))
    expect(page.locator("main")).to_contain_text("Regnearket er uten feil")
    check(page, "import-preview")
    assert Grant.objects.count() == 1
    submit(page, page.get_by_role("button", name="Lagre alle"))
    expect(page.locator("main")).to_contain_text("2 tilskudd er registrert fra regnearket.")
    assert Grant.objects.filter(registered_elsewhere=True).count() == 3
