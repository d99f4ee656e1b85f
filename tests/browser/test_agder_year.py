"""Acceptance for the back office (issue 11): Helsefellesskapet Agder runs its own year beside
Helse Nord, in the browser only, with no Django admin and no code.

On the demo's Agder configuration (rsportal/demo/agder.py): Helse Sør-Øst's administrator
transfers Agder's 2027 money on the money pages; Agder's secretariat sees it, reserves the
common budget, invites the SSU leader who takes over in 2027 (who sets a password through the
link), copies last year's call, changes its deadline, frame and a criterion, previews and
publishes it, and invites an applicant from Kristiansand, who accepts and starts an application
in the new call. Every back-office page on the way is checked with axe."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from rsportal.accounts.models import OrganisationRole
from rsportal.applications.models import Application, Call
from rsportal.core.models import Notification
from rsportal.demo import agder
from rsportal.demo.loader import DEMO_PASSWORD, _make_user
from rsportal.funding.models import Commitment, Reserve
from rsportal.funding.queries import year_summaries
from rsportal.registry import importers
from rsportal.registry.models import BodyMember

from .conftest import assert_accessible, screenshot, sign_in, submit

pytestmark = pytest.mark.browser
CALL_2027 = "RS-midler 2027 – Helsefellesskapet Agder"


def check(page, name):
    assert_accessible(page, f"agder {name}")
    screenshot(page, f"agder-{name}")


@pytest.fixture
def demo_agder(db):
    importers.load_snapshot()
    admin = _make_user("admin", "Systemadministrator", "Demo", is_staff=True, is_superuser=True)
    return agder.load(admin)


def invitation_link(email: str) -> str:
    """The link in the e-mail the person gets (the notification queue holds the e-mail)."""
    body = Notification.objects.filter(recipient=email).latest("pk").body
    return re.search(r"https?://\S+?(/invitasjon/[^/\s]+/)", body).group(1)


def accept(page, link: str, password: str):
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitasjon til RS-portalen")
    check(page, "invitation")
    page.get_by_label("Velg passord").fill(password)
    page.get_by_label("Skriv passordet en gang til").fill(password)
    submit(page, page.get_by_role("button", name="Opprett konto og ta imot"))


def test_agder_secretariat_runs_its_own_year(page, new_page, live_server, demo_agder):
    people, pots = demo_agder["people"], demo_agder["pots"]
    year = 2027
    before = year_summaries([pots["agder"]])[pots["agder"].pk]
    assert year not in {s.year for s in before}  # nothing for 2027 until Helse Sør-Øst transfers it

    # --- Helse Sør-Øst's administrator transfers Agder's 2027 money ------------------------
    hso = new_page()
    sign_in(hso, people["rhf_admin"], DEMO_PASSWORD)
    hso.goto("/administrasjon/")
    check(hso, "hso-index")
    submit(hso, hso.get_by_role("link", name=re.compile("^Midler")))
    check(hso, "hso-appropriations")
    submit(hso, hso.get_by_role("link", name="Potter", exact=True))
    check(hso, "hso-pots")
    submit(hso, hso.get_by_role("link", name="Direkte overføring til helsefellesskapene i Helse Sør-Øst"))
    check(hso, "hso-pot")
    submit(hso, hso.get_by_role("link", name="Overfør til helsefellesskap"))
    hso.get_by_label(re.compile("^År")).fill(str(year))
    hso.get_by_label(re.compile("^Fordeling(?!snøkkel)")).select_option(label="Beløp til ett helsefellesskap")
    hso.get_by_label(re.compile("^Beløp")).fill("9 000 000")
    hso.get_by_label(re.compile("^Til pott")).select_option(label="RS-midler – Helsefellesskapet Agder (Agder)")
    hso.get_by_label(re.compile("^Merknad")).fill("RS-midler 2027")
    check(hso, "hso-transfer")
    submit(hso, hso.get_by_role("button", name="Vis fordelingen"))
    check(hso, "hso-transfer-preview")
    submit(hso, hso.get_by_role("button", name="Bekreft overføringen"))
    expect(hso.locator("main")).to_contain_text("9 000 000 kr er overført for 2027")
    assert Commitment.objects.get(pot_year__year=year, recipient_pot=pots["agder"]).amount == 9_000_000

    # --- Agder's secretariat sees the money and reserves the common budget ---------------------
    sign_in(page, people["secretariat"], DEMO_PASSWORD)
    page.goto("/midler/")
    submit(page, page.get_by_role("link", name="RS-midler – Helsefellesskapet Agder").first)
    expect(page.get_by_role("row").filter(has=page.get_by_role("cell", name=str(year), exact=True)).first).to_contain_text("9 000 000 kr")
    check(page, "pot")
    form = page.locator(f"form[action='/midler/potter/{pots['agder'].pk}/avsetning/']")
    form.get_by_label(re.compile("^År")).fill(str(year))
    form.get_by_label(re.compile("^Type avsetning")).select_option(label="Administrasjon / felles drift")
    form.get_by_label(re.compile("^Beløp")).fill("500 000")
    form.get_by_label(re.compile("^Merknad")).fill("Felles budsjett 2027")
    submit(page, form.get_by_role("button", name="Lagre avsetning"))
    assert Reserve.objects.get(pot_year__pot=pots["agder"], pot_year__year=year).amount == 500_000

    # --- invites the SSU leader from 2027, who sets a password through the link --------------
    page.goto("/administrasjon/")
    check(page, "index")
    submit(page, page.get_by_role("link", name=re.compile("^Organer og seter")))
    check(page, "bodies")
    submit(page, page.get_by_role("link", name="Strategisk samarbeidsutvalg (SSU)", exact=True))
    expect(page.locator("main")).to_contain_text("Siv Solbakken")
    check(page, "ssu")
    submit(page, page.get_by_role("link", name="Siv Solbakken"))
    check(page, "seat")
    submit(page, page.get_by_role("link", name="Inviter personen"))
    page.get_by_label(re.compile("^E-post")).fill("siv.solbakken@sshf.example.invalid")
    check(page, "invite-seat")
    submit(page, page.get_by_role("button", name="Send invitasjon"))
    expect(page.locator("main")).to_contain_text("Invitasjonen er sendt til siv.solbakken@sshf.example.invalid")
    leader = new_page()
    accept(leader, invitation_link("siv.solbakken@sshf.example.invalid"), "Sørlandet-og-skjærgård-27")
    # Signed in with the new account; the seat begins on 1 January 2027, and with it two-factor login.
    expect(leader.locator("main")).to_be_visible()
    assert "/invitasjon/" not in leader.url
    seat = BodyMember.objects.get(name="Siv Solbakken")
    assert (seat.user.email, seat.role, seat.start) == ("siv.solbakken@sshf.example.invalid", BodyMember.Role.LEADER, datetime.date(2027, 1, 1))

    # --- copies last year's call, edits, previews and publishes it ------------------------------
    page.goto("/administrasjon/")
    submit(page, page.get_by_role("link", name=re.compile("^Utlysninger Lag")))
    check(page, "calls")
    submit(page, page.get_by_role("link", name=agder.CALL_2026))
    check(page, "call-2026")
    submit(page, page.get_by_role("link", name="Kopier til neste år"))
    check(page, "copy")
    submit(page, page.get_by_role("button", name="Lag kopi"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CALL_2027)
    check(page, "call-2027-draft")
    submit(page, page.get_by_role("link", name="Endre utlysningen"))
    deadline = timezone.localdate() + datetime.timedelta(days=90)
    page.locator("input[name='deadlines-0-date']").fill(deadline.isoformat())
    page.get_by_label(re.compile("^Ramme \\(kr\\)")).fill("8000000")
    page.locator("input[name='criteria-0-weight']").fill("2")
    page.locator("input[name='criteria-4-name']").fill("Tjenesteinnovasjon og ny teknologi")
    check(page, "edit")
    submit(page, page.get_by_role("button", name="Lagre"))
    call = Call.objects.get(title=CALL_2027)
    assert (call.status, call.frame_amount, call.frame_year, call.pot) == (Call.Status.DRAFT, 8_000_000, year, pots["agder"])
    assert timezone.localdate(call.deadlines.get().at) == deadline
    assert [(c.name, c.weight) for c in call.criteria.order_by("order")][0] == ("Fremtidens tjenestebehov", 2)
    assert call.criteria.filter(name="Tjenesteinnovasjon og ny teknologi").exists()
    assert [s.body.name for s in call.steps.order_by("id")] == ["Sekretariat", "Porteføljesekretariat", "Administrativt arbeidsutvalg", "Strategisk samarbeidsutvalg (SSU)"]

    submit(page, page.get_by_role("link", name="Forhåndsvis som søker"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CALL_2027)
    expect(page.locator("main")).to_contain_text("Tjenesteinnovasjon og ny teknologi")
    check(page, "preview")
    submit(page, page.get_by_role("link", name="Tilbake til utlysningen"))
    submit(page, page.get_by_role("link", name="Publiser"))
    check(page, "publish")
    submit(page, page.get_by_role("button", name="Publiser utlysningen"))
    call.refresh_from_db()
    assert call.status == Call.Status.PUBLISHED
    check(page, "published")

    # --- invites an applicant from Kristiansand ------------------------------------------------
    page.goto("/administrasjon/personer/")
    check(page, "people")
    submit(page, page.get_by_role("link", name="Inviter en person"))
    page.get_by_label(re.compile("^Navn")).fill("Kari Kristiansen")
    page.get_by_label(re.compile("^E-post")).fill("kari.kristiansen@kristiansand.example.invalid")
    page.get_by_label(re.compile("^Rolle")).select_option(label="Søker for Kristiansand")
    check(page, "invite-applicant")
    submit(page, page.get_by_role("button", name="Send invitasjon"))
    check(page, "invitations")

    # --- who accepts and starts an application in the new call -----------------------------------
    applicant = new_page()
    accept(applicant, invitation_link("kari.kristiansen@kristiansand.example.invalid"), "Kvadraturen-og-Odderøya-27")
    kari = get_user_model().objects.get(email="kari.kristiansen@kristiansand.example.invalid")
    assert OrganisationRole.objects.filter(user=kari, kind=OrganisationRole.Kind.APPLICANT, municipality__name="Kristiansand").exists()
    applicant.goto("/soknader/utlysninger/")
    submit(applicant, applicant.get_by_role("link", name=CALL_2027))
    assert_accessible(applicant, "agder call page")
    applicant.get_by_label(re.compile("^Navn på prosjekt/pilot")).fill("Fall og hoftebrudd: felles forløp i Kristiansand")
    submit(applicant, applicant.get_by_role("button", name="Start søknad"))
    application = Application.objects.get(created_by=kari)
    assert (application.call, application.helsefellesskap.code, application.status) == (call, "agder", Application.Status.DRAFT)
    assert application.participants.get(is_owner=True).municipality.name == "Kristiansand"
