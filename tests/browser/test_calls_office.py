"""Calls in the back office in a real browser: the secretariat copies last year's call, edits the
copy, previews it as an applicant, is refused publishing while a project year has no money,
shortens the projects and publishes. Every page is checked with axe and photographed at 1280
and 320 pixels wide."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Call
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot

from .conftest import assert_accessible, screenshot, submit

pytestmark = pytest.mark.browser
M = 1_000_000


def check(page, name, width_checked=True):
    assert_accessible(page, name)
    screenshot(page, f"calls-{name}-1280")
    page.set_viewport_size({"width": 320, "height": 900})
    screenshot(page, f"calls-{name}-320")
    # Wide tables scroll in their own box; the page itself never scrolls sideways on a phone.
    if width_checked:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320 + 1, f"{name} is wider than 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_secretariat_copies_last_years_call_and_publishes_it(page, log_in, live_server, world, personas):
    year = timezone.localdate().year
    root = funding.root_pot(world.rhf)
    pot = funding.create_pot(personas.rhf_admin, parent=root, name="Samhandlingsmidler", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    for y in (year, year + 1):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=y, name=f"RS {y}", amount=100 * M, rhf=world.rhf))
    funding.transfer(personas.rhf_admin, source=root, target=pot, year=year + 1, amount=M)
    last = Call.objects.create(
        pot=pot, title=f"Samhandlingsmidler {year}", status=Call.Status.CLOSED, purpose="Bedre samhandling.", frame_amount=M // 2, frame_year=year, max_project_years=2
    )
    last.deadlines.create(at=timezone.now() + datetime.timedelta(days=30), label="Hovedfrist")
    add_default_criteria(last)
    last.steps.create(step="decision", body=world.stu)

    log_in(personas.secretariat)
    page.goto("/administrasjon/")
    submit(page, page.get_by_role("link", name=re.compile("^Utlysninger Lag")))
    check(page, "list")
    submit(page, page.get_by_role("link", name=f"Samhandlingsmidler {year}"))
    submit(page, page.get_by_role("link", name="Kopier til neste år"))
    check(page, "copy")
    submit(page, page.get_by_role("button", name="Lag kopi"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Samhandlingsmidler {year + 1}")
    check(page, "detail")

    submit(page, page.get_by_role("link", name="Endre utlysningen"))
    page.get_by_label(re.compile("^Ramme \\(kr\\)")).fill("400000")
    page.get_by_role("group", name=re.compile("^Tillatte søknadstyper")).get_by_role("checkbox", name="Forprosjekt", exact=True).check()
    page.get_by_label(re.compile("^Vedtaksdatoer")).fill(f"Vedtak i Tildelingsutvalget 12. juni {year + 1}")
    check(page, "edit")
    submit(page, page.get_by_role("button", name="Lagre"))
    copy = Call.objects.get(title=f"Samhandlingsmidler {year + 1}")
    assert copy.frame_amount == 400_000 and "pre_project" in copy.allowed_types

    submit(page, page.get_by_role("link", name="Forhåndsvis som søker"))
    expect(page.get_by_role("heading", level=1)).to_have_text(copy.title)
    expect(page.locator("main")).to_contain_text(f"Vedtak i Tildelingsutvalget 12. juni {year + 1}")
    check(page, "preview", width_checked=False)
    submit(page, page.get_by_role("link", name="Tilbake til utlysningen"))

    # Projects may run two years, and the pot has no money for the second: refused, with the reason.
    submit(page, page.get_by_role("link", name="Publiser"))
    expect(page.locator("main")).to_contain_text(f"ingen ramme og ingen forventet bevilgning for {year + 2}")
    check(page, "publish-refused")
    submit(page, page.get_by_role("link", name="Avbryt"))
    submit(page, page.get_by_role("link", name="Endre utlysningen"))
    page.get_by_label(re.compile("^Maks prosjektlengde")).fill("1")
    submit(page, page.get_by_role("button", name="Lagre"))
    submit(page, page.get_by_role("link", name="Publiser"))
    submit(page, page.get_by_role("button", name="Publiser utlysningen"))
    copy.refresh_from_db()
    assert copy.status == Call.Status.PUBLISHED
    check(page, "published")
