"""The secretariat classifies a grant in a real browser: the list, the suggestion, the form, axe."""

import re

import pytest
from playwright.sync_api import expect

from rsportal.funding.models import Grant

from ..test_catalogue import make_grant
from .conftest import assert_accessible, screenshot, submit

pytestmark = pytest.mark.browser


def test_secretariat_classifies_a_grant_from_the_suggestion(page, log_in, live_server, world, personas):
    grant = make_grant(world.rhf, "Digital hjemmeoppfølging og akutteam i Ofoten", hf=world.hf, amounts={2026: 500_000})
    make_grant(world.rhf, "Et annet tilskudd", hf=world.hf, amounts={2026: 300_000})
    log_in(personas.secretariat)
    page.goto(live_server.url + "/midler/")
    page.get_by_role("link", name="Klassifiser tilskuddene for statistikken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Klassifisering av tilskudd")
    expect(page.get_by_role("link", name="Ikke klassifisert")).to_have_attribute("aria-current", "page")
    screenshot(page, "classification-01-list")
    assert_accessible(page, "classification list")

    page.get_by_role("link", name=grant.title).click()
    expect(page.get_by_role("heading", name="Forslag fra prosjektnavnet og beskrivelsen")).to_be_visible()
    themes = page.get_by_role("group", name="Tema (Fafo tabell 10)")
    expect(themes.get_by_label("Digitale verktøy og simulering")).to_be_checked()
    expect(themes.get_by_label("Koordinering av akutthjelp")).to_be_checked()
    expect(page.get_by_label("Digital hjemmeoppfølging")).to_have_value("yes")
    screenshot(page, "classification-02-form")
    assert_accessible(page, "classification form")

    page.get_by_role("group", name="Prioriterte pasientgrupper").get_by_label("Skrøpelige eldre").check()
    submit(page, page.get_by_role("button", name="Lagre klassifiseringen"))
    expect(page.get_by_text(re.compile("Klassifiseringen av «.*» er lagret"))).to_be_visible()
    expect(page.get_by_role("link", name=grant.title)).to_have_count(0)  # no longer waiting
    grant = Grant.objects.get(pk=grant.pk)
    assert grant.classified and grant.themes == ["teams", "digital", "emergency"] and grant.patient_groups == ["frail_elderly"]
