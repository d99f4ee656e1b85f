"""Issue 14 in a real browser: the applicants ask the secretariat for help on their draft, the
secretariat finds it in its notifications and answers; the new pages pass axe."""

import re

import pytest
from playwright.sync_api import expect

from tests.test_workload import call, draft  # noqa: F401 - fixtures

from .conftest import assert_accessible, sign_in, submit

pytestmark = pytest.mark.browser


def test_applicants_invite_the_secretariat_to_their_draft_and_get_an_answer(page, new_page, live_server, world, personas, draft):  # noqa: F811
    sign_in(page, personas.applicant)
    page.goto(f"/soknader/{draft.pk}/")
    page.get_by_role("link", name="Spørsmål og svar, og hjelp fra sekretariatet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spørsmål og svar")
    page.get_by_label(re.compile("^Hva ønsker dere hjelp med")).fill("Er budsjettet realistisk?")
    submit(page, page.get_by_role("button", name="Inviter sekretariatet til å lese utkastet"))
    expect(page.get_by_text("Sekretariatet er invitert til å lese utkastet og er varslet.")).to_be_visible()
    page.get_by_label(re.compile("^Melding")).fill("Vi lurer også på egenandelen.")
    submit(page, page.get_by_role("button", name="Send", exact=True))
    expect(page.get_by_text("Vi lurer også på egenandelen.")).to_be_visible()
    assert_accessible(page, "thread (applicant)")

    secretariat = new_page()
    sign_in(secretariat, personas.secretariat)
    menu = secretariat.get_by_role("navigation", name="Hovedmeny")
    # Two about the draft, and the receipt for the two-factor set-up at this first sign-in.
    menu.get_by_role("link", name="Varsler (3 uleste)").click()
    expect(secretariat.get_by_role("heading", name=re.compile("^Invitasjon til å lese utkastet"))).to_be_visible()
    assert_accessible(secretariat, "notification list")
    submit(secretariat, secretariat.get_by_role("listitem").filter(has_text="Spørsmål fra søkerne").get_by_role("button", name="Åpne"))
    expect(secretariat).to_have_url(live_server.url + f"/soknader/{draft.pk}/samtale/")
    secretariat.get_by_label(re.compile("^Melding")).fill("Egenandelen kan være arbeidstid.")
    submit(secretariat, secretariat.get_by_role("button", name="Send", exact=True))
    expect(secretariat.get_by_text("Egenandelen kan være arbeidstid.")).to_be_visible()
    assert_accessible(secretariat, "thread (secretariat)")
    secretariat.goto(f"/soknader/{draft.pk}/vis/")
    expect(secretariat.get_by_role("heading", level=1)).to_have_text(draft.title)  # reads the draft while invited

    page.goto("/varsler/innstillinger/")
    assert_accessible(page, "notification settings")
    page.goto("/kalender/")
    expect(page.get_by_label("Hemmelig adresse til kalenderen din")).to_have_value(re.compile(r"\.ics$"))
    assert_accessible(page, "my calendar")
    page.goto(f"/kalender/arshjul/helsefellesskap/{world.hf.code}/")
    assert_accessible(page, "year wheel")
