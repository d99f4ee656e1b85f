"""The organisations back office in a real browser: the secretariat registers a city district and
corrects a trust's postal address. Every page is checked with axe and at 320 pixels wide."""

import re

import pytest
from playwright.sync_api import expect

from rsportal.registry.models import CityDistrict

from .conftest import submit
from .test_backoffice import check

pytestmark = pytest.mark.browser


def test_secretariat_registers_a_district_and_corrects_an_address(page, log_in, live_server, world, personas):
    log_in(personas.secretariat)
    page.goto("/administrasjon/")
    submit(page, page.get_by_role("link", name=re.compile("^Organisasjoner og bydeler")))
    check(page, "organisations")
    submit(page, page.get_by_role("link", name="Registrer bydel"))
    page.get_by_label(re.compile("^Kommune")).select_option(label="Tromsø kommune")
    page.get_by_label(re.compile("^Navn")).fill("Bydel Sentrum")
    page.get_by_label(re.compile("^Organisasjonsnummer")).fill("12")
    submit(page, page.get_by_role("button", name="Lagre"))
    expect(page.locator("main")).to_contain_text("ni sifre")
    check(page, "district-refused")
    page.get_by_label(re.compile("^Organisasjonsnummer")).fill("940101808")
    submit(page, page.get_by_role("button", name="Lagre"))
    expect(page.locator("main")).to_contain_text("Tromsø kommune, Bydel Sentrum")
    assert CityDistrict.objects.get().org_number == "940101808"
    check(page, "district")
    submit(page, page.get_by_role("link", name="Historikk"))
    expect(page.locator("main")).to_contain_text("Bydel Sentrum er registrert som bydel i Tromsø kommune.")
    check(page, "district-history")

    page.goto("/administrasjon/organisasjoner/helseforetak/")
    check(page, "trusts")
    submit(page, page.get_by_role("link", name=world.trust.name))
    submit(page, page.get_by_role("link", name="Endre organisasjonsnummer og adresse"))
    page.get_by_label(re.compile("^Postadresse")).fill("Postboks 100\n9038 Tromsø")
    check(page, "trust-update")
    submit(page, page.get_by_role("button", name="Lagre"))
    expect(page.locator("main")).to_contain_text("9038 Tromsø")
    page.goto("/administrasjon/organisasjoner/kommuner/")
    check(page, "municipalities")


def test_the_demo_money_pages_read_the_sources_with_axe_clean(page, live_server):
    """The money overview (the state budget's RS grant beside what is booked) and the regional pot
    (its calls beside the free money, Prosjekt X and Vefsn paid from it), at 1280 and 320 px."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from rsportal.demo.loader import DEMO_PASSWORD
    from rsportal.funding.models import Pot

    from .conftest import sign_in

    call_command("load_demo", stdout=open("/dev/null", "w"))
    sign_in(page, get_user_model().objects.get(username="sekretariat.nord"), DEMO_PASSWORD)
    page.goto("/midler/?ar=2025")
    expect(page.get_by_role("table", name="RS-tilskuddet i statsbudsjettet og bokførte bevilgninger")).to_contain_text("286 000 000 kr")
    check(page, "money-overview-demo")
    regional = Pot.objects.get(name="Regional søknadsbasert ordning Helse Nord")
    page.goto(f"/midler/potter/{regional.pk}/")
    expect(page.locator("main")).to_contain_text("tas direkte av RS-potten")
    expect(page.get_by_role("table", name="Utlysninger med ramme og ledige midler i potten")).to_contain_text("46 300 000 kr")
    check(page, "regional-pot-demo")
