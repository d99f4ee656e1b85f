"""The main pages in a real browser: sign-in, navigation, the money form, 403, keyboard, axe."""

import re

import pytest
from playwright.sync_api import expect

from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Pot, Reserve

from .conftest import assert_accessible, normalise, screenshot, submit

pytestmark = pytest.mark.browser


def test_secretariat_signs_in_and_browses_the_registry(page, log_in, live_server, world, personas):
    log_in(personas.secretariat, audit=True)

    # Home page
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("RS-portalen")
    expect(page.get_by_role("button", name=re.compile("^Logg ut"))).to_be_visible()
    screenshot(page, "01-home-secretariat")
    assert_accessible(page, "home page")

    # Header link to the list
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Helsefellesskap", exact=True).click()
    expect(page).to_have_url(live_server.url + "/helsefellesskap/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Helsefellesskap")
    list_table = page.get_by_role("table", name="Helsefellesskapene med helseforetak, antall kommuner og innbyggere")
    expect(list_table.get_by_role("row").filter(has_text="Troms og Ofoten")).to_have_count(1)
    screenshot(page, "02-helsefellesskap-list")
    assert_accessible(page, "helsefellesskap list")

    # Detail page
    page.get_by_role("link", name="Troms og Ofoten").click()
    expect(page).to_have_url(live_server.url + "/helsefellesskap/troms-ofoten/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Helsefellesskap Troms og Ofoten")
    municipalities = page.get_by_role("table", name="Kommunene i helsefellesskapet med innbyggertall")
    row = municipalities.get_by_role("row").filter(has=page.get_by_role("cell", name="Tromsø", exact=True))
    expect(row).to_have_count(1)
    cells = [normalise(text) for text in row.get_by_role("cell").all_inner_texts()]
    assert cells[:4] == ["5501", "Tromsø", "Troms", "78 745"], cells
    assert "\u00a0" in row.get_by_role("cell").nth(3).inner_text(), "population should keep its non-breaking space"
    screenshot(page, "03-helsefellesskap-detail")
    assert_accessible(page, "helsefellesskap detail")


@pytest.fixture
def child_pot(world, personas):
    """130 MNOK for 2026 booked to the world's RHF, 1 MNOK of it passed on to a pot of Troms og Ofoten."""
    appropriation = Appropriation.objects.create(year=2026, name="Statsbudsjettet 2026", amount=130_000_000, rhf=world.rhf)
    domain.book_appropriation(personas.sysadmin, appropriation)
    root = domain.root_pot(world.rhf)
    child = domain.create_pot(
        personas.sysadmin, parent=root, name="Troms og Ofoten – søknadsbasert", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf
    )
    domain.transfer(personas.sysadmin, source=root, target=child, year=2026, amount=1_000_000)
    return child


def _reserve_form(page):
    return page.locator("form").filter(has=page.get_by_role("button", name="Lagre avsetning"))


def _submit_reserve(page, amount: str):
    form = _reserve_form(page)
    form.get_by_label(re.compile("^År")).fill("2026")
    form.get_by_label(re.compile("^Type avsetning")).select_option(label="Administrasjon / felles drift")
    form.get_by_label(re.compile("^Beløp")).fill(amount)
    return submit(page, form.get_by_role("button", name="Lagre avsetning"))


def test_secretariat_sets_a_reserve_and_sees_the_headroom_error(page, log_in, live_server, personas, child_pot):
    log_in(personas.secretariat)
    response = page.goto(f"/midler/potter/{child_pot.pk}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Troms og Ofoten – søknadsbasert")
    screenshot(page, "04-pot-before")
    assert_accessible(page, "pot page")

    # 250 000 of the 1 000 000 set aside for administration.
    _submit_reserve(page, "250 000")
    expect(page).to_have_url(live_server.url + f"/midler/potter/{child_pot.pk}/")  # redirected after POST
    expect(page.locator("main .ds-alert").filter(has_text="Avsetningen er lagret.")).to_be_visible()
    reserve_row = page.get_by_role("row").filter(has_text="Avsetning: Administrasjon / felles drift")
    expect(reserve_row).to_have_count(1)
    assert normalise(reserve_row.get_by_role("cell").last.inner_text()) == "−250 000 kr"
    summary = page.get_by_role("table", name="Ramme og disponering per år").get_by_role("row").nth(1)
    # Ramme, Bundet, Avsatt, Ledig (the year column is checked in its own test below).
    assert [normalise(t) for t in summary.get_by_role("cell").all_inner_texts()][1:] == [
        "1 000 000 kr", "0 kr", "250 000 kr", "750 000 kr",
    ]
    reserve = Reserve.objects.get(pot_year__pot=child_pot, pot_year__year=2026, kind=Reserve.Kind.ADMINISTRATION)
    assert reserve.amount == 250_000
    screenshot(page, "05-pot-reserve-saved")
    assert_accessible(page, "pot page after saving")

    # More than the pot has free: refused in Norwegian, the typed amount kept, nothing saved.
    response = _submit_reserve(page, "2 000 000")
    assert response.status == 400
    error = _reserve_form(page).locator(".ds-alert[data-color='danger']")
    expect(error).to_contain_text("ledig")
    assert "750 000 kr ledig i 2026" in normalise(error.inner_text()), error.inner_text()
    expect(_reserve_form(page).get_by_label(re.compile("^Beløp"))).to_have_value("2 000 000")
    expect(page.locator("main .ds-alert").filter(has_text="Avsetningen er lagret.")).to_have_count(0)
    assert Reserve.objects.get(pk=reserve.pk).amount == 250_000
    screenshot(page, "06-pot-reserve-error")
    assert_accessible(page, "pot page with error")


def test_pot_page_shows_years_without_thousands_separator(page, log_in, personas, child_pot):
    """Regression: with USE_THOUSAND_SEPARATOR on, {{ y.year }} rendered as '2 026'."""
    log_in(personas.secretariat)
    page.goto(f"/midler/potter/{child_pot.pk}/")
    year_cell = page.get_by_role("table", name=re.compile("^Ramme og disponering")).get_by_role("row").nth(1).get_by_role("cell").first
    expect(year_cell).to_have_text("2026")
    expect(page.get_by_role("heading", name="Posteringer 2026")).to_be_visible()


def test_every_field_on_the_pot_page_has_its_own_label(page, log_in, personas, child_pot):
    """Both forms on the pot page: each input reachable by its label, each id unique."""
    log_in(personas.secretariat)
    page.goto(f"/midler/potter/{child_pot.pk}/")
    duplicates = page.evaluate(
        """() => { const seen = {}; document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1);
                   return Object.keys(seen).filter(id => seen[id] > 1); }"""
    )
    if duplicates:
        pytest.xfail(
            f"duplicate ids {duplicates}: ReserveForm and CarryOverForm both render id_amount/id_note, so the carry-over "
            "form's 'Beløp' and 'Merknad' inputs have no accessible name; fix in rsportal/funding/views.py (form prefixes)"
        )
    for button, labels in (("Lagre avsetning", ["År", "Type avsetning", "Beløp", "Merknad"]), ("Overfør", ["Fra år", "Beløp", "Merknad"])):
        form = page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))
        for label in labels:
            expect(form.get_by_label(re.compile(rf"^{label}( \(må fylles ut\))?$"))).to_have_count(1)


def test_outsider_gets_the_403_page(page, log_in, live_server, world, personas):
    log_in(personas.outsider)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_text("Du er logget inn, men har ingen rolle ennå.")).to_be_visible()

    response = page.goto("/helsefellesskap/")
    assert response.status == 403
    expect(page).to_have_title(re.compile("^Ingen tilgang"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    expect(page.get_by_text("Du har ingen rolle i RS-portalen.")).to_be_visible()
    expect(page.get_by_role("link", name="Troms og Ofoten")).to_have_count(0)
    screenshot(page, "07-403-outsider")
    assert_accessible(page, "403 page")


def test_first_tab_focuses_the_skip_link(page, live_server):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hopp til hovedinnhold")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    screenshot(page, "08-home-skip-link-focused")

    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/#main")
    expect(page.locator("main#main")).to_be_focused()


@pytest.mark.parametrize("width", [1280, 320])
def test_site_pages_pass_axe_and_fit_a_narrow_screen(page, live_server, width):
    """The front page, the 404 page, the contact page and the statements, reached as a visitor
    would: from the footer. At 320 px nothing may be wider than the screen (WCAG 1.4.10)."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    assert_accessible(page, f"front page at {width} px")
    screenshot(page, f"09-front-page-{width}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"the front page is wider than {width} px"
    footer = page.get_by_role("navigation", name="Om nettstedet")
    for link, heading in (
        ("Kontakt", "Kontakt"),
        ("Personvernerklæring", "Personvernerklæring for RS-portalen"),
        ("Tilgjengelighetserklæring", "Tilgjengelighetserklæring for RS-portalen"),
    ):
        submit(page, footer.get_by_role("link", name=link, exact=True))
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page, f"{link} at {width} px")
        screenshot(page, f"10-{link}-{width}")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"{link} is wider than {width} px"
    response = page.goto("/finnes-ikke/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Fant ikke siden")
    assert_accessible(page, f"404 page at {width} px")
    screenshot(page, f"11-404-{width}")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, f"the 404 page is wider than {width} px"
