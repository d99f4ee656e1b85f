"""The back office in a real browser: the secretariat adds a seat, invites the person, who sets a
password and goes on to two-factor set-up, and the secretariat ends the seat. Every page is
checked with axe and photographed at 1280 and 320 pixels wide."""

import re

import pytest
from playwright.sync_api import expect

from rsportal.core.models import Notification
from rsportal.registry.models import BodyMember

from .conftest import assert_accessible, screenshot, submit

pytestmark = pytest.mark.browser


def check(page, name, width_checked=True):
    assert_accessible(page, name)
    screenshot(page, f"backoffice-{name}-1280")
    page.set_viewport_size({"width": 320, "height": 900})
    screenshot(page, f"backoffice-{name}-320")
    # Nothing may force a sideways scroll of the whole page on a phone (wide tables scroll in their own box).
    if width_checked:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320 + 1, f"{name} is wider than 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_secretariat_adds_a_seat_invites_the_person_and_ends_the_seat(page, new_page, log_in, live_server, world, personas):
    log_in(personas.secretariat)

    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Administrasjon", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administrasjon")
    check(page, "index")
    submit(page, page.get_by_role("link", name=re.compile("^Organer og seter")))
    check(page, "bodies")
    submit(page, page.get_by_role("link", name="Sekretariat", exact=True))
    check(page, "body")

    # Add a seat
    submit(page, page.get_by_role("link", name="Legg til sete"))
    page.get_by_label(re.compile("^Navn")).fill("Siri Sørensen")
    page.get_by_label(re.compile("^Side")).select_option(label="Kommune")
    page.get_by_label(re.compile("^Rolle")).select_option(label="Sekretær")
    page.get_by_label(re.compile("^Representerer kommune")).select_option(label="Harstad (5503)")
    page.get_by_label(re.compile("^Fra og med")).fill("2026-01-01")
    check(page, "seat-form")
    submit(page, page.get_by_role("button", name="Lagre"))
    seat = BodyMember.objects.get(name="Siri Sørensen")
    assert (seat.role, seat.municipality, seat.user) == ("secretary", world.harstad, None)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Siri Sørensen")
    expect(page.locator("main")).to_contain_text("1. januar 2026")
    check(page, "seat")

    # Invite the person to it
    submit(page, page.get_by_role("link", name="Inviter personen"))
    page.get_by_label(re.compile("^E-post")).fill("siri@example.invalid")
    check(page, "invite")
    submit(page, page.get_by_role("button", name="Send invitasjon"))
    expect(page.locator("main")).to_contain_text("Invitasjonen er sendt til siri@example.invalid")

    # The person opens the link at their own computer
    token = re.search(r"/invitasjon/([^/\s]+)/", Notification.objects.get(recipient="siri@example.invalid").body).group(1)
    invited = new_page()
    invited.goto(f"/invitasjon/{token}/")
    expect(invited.get_by_role("heading", level=1)).to_have_text("Invitasjon til RS-portalen")
    check(invited, "accept")
    invited.get_by_label("Velg passord").fill("Fjelltopp-og-fjord-42")
    invited.get_by_label("Skriv passordet en gang til").fill("Fjelltopp-og-fjord-42")
    submit(invited, invited.get_by_role("button", name="Opprett konto og ta imot"))
    assert "/logg-inn/tofaktor/oppsett/" in invited.url
    seat.refresh_from_db()
    assert seat.user.email == "siri@example.invalid"
    # Not a back-office page: its long otpauth address still widens the page on a phone.
    check(invited, "two-factor-setup", width_checked=False)
    again = new_page()  # the link a second time, from another browser
    again.goto(f"/invitasjon/{token}/")
    expect(again.locator("main")).to_contain_text("allerede brukt")
    check(again, "used")

    # The secretariat ends the seat
    page.reload()
    submit(page, page.get_by_role("link", name="Avslutt setet"))
    page.get_by_label(re.compile("^Siste dag")).fill("2026-06-30")
    check(page, "seat-end")
    submit(page, page.get_by_role("button", name="Avslutt setet"))
    seat.refresh_from_db()
    assert str(seat.end) == "2026-06-30"
    expect(page.locator("main")).to_contain_text("30. juni 2026")
    submit(page, page.get_by_role("link", name="Historikk"))
    expect(page.locator("main")).to_contain_text("Setet til Siri Sørensen i Sekretariat er avsluttet fra og med 30. juni 2026.")
    check(page, "seat-history")

    # People: invite an applicant for Harstad, then withdraw it (a wrong address)
    page.goto("/administrasjon/personer/")
    check(page, "people")
    submit(page, page.get_by_role("link", name="Inviter en person"))
    page.get_by_label(re.compile("^Navn")).fill("Hanne Harstad")
    page.get_by_label(re.compile("^E-post")).fill("hanne@example.invalid")
    page.get_by_label(re.compile("^Rolle")).select_option(label="Søker for Harstad")
    check(page, "invite-role")
    submit(page, page.get_by_role("button", name="Send invitasjon"))
    check(page, "invitations")
    submit(page, page.get_by_role("link", name="Hanne Harstad"))
    check(page, "withdraw")
    submit(page, page.get_by_role("button", name="Trekk tilbake"))
    expect(page.locator("main")).to_contain_text("Utløpt")
