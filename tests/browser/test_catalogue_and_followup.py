"""Issue 5 in a real browser: the open project catalogue and statistics without login, and
a project reporting on its grant, with the report showing up in the secretariat's follow-up,
the RHF's roll-up to the ministry and (its status update) on the public project page."""

import csv
import datetime
import io
import re

import pytest
from django.utils import formats, timezone, translation
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from rsportal.applications.models import Application, Call, Participant
from rsportal.assessment.models import Decision
from rsportal.followup import domain as followup
from rsportal.followup.models import Report, ReportDue, ReportingRule
from rsportal.funding.models import Commitment, Grant, Pot, PotYear

from .conftest import assert_accessible, normalise, screenshot, sign_in, submit

pytestmark = pytest.mark.browser

M = 1_000_000
THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def label(text: str) -> re.Pattern:
    """A field's label, with or without the "(må fylles ut)" that required fields carry."""
    return re.compile(rf"^{re.escape(text)}( \(må fylles ut\))?$")


def nb_date(day: datetime.date) -> str:
    """A date as the pages write it ("1. februar 2026")."""
    with translation.override("nb"):
        return formats.date_format(day, "j. F Y")


def make_grant(pot, title, *, hf=None, amounts, municipalities=(), trusts=(), conditional=(), **fields) -> Grant:
    """A funded grant: firm (or conditional) commitments per year in `pot`."""
    grant = Grant.objects.create(pot=pot, title=title, helsefellesskap=hf, **fields)
    grant.municipalities.set(municipalities)
    grant.trusts.set(trusts)
    for year, amount in amounts.items():
        pot_year, _ = PotYear.objects.get_or_create(pot=pot, year=year)
        status = Commitment.Status.CONDITIONAL if year in conditional else Commitment.Status.FIRM
        Commitment.objects.create(pot_year=pot_year, kind=Commitment.Kind.GRANT, amount=amount, status=status, grant=grant)
    return grant


def root(rhf) -> Pot:
    pot, _ = Pot.objects.get_or_create(rhf=rhf, kind=Pot.Kind.ROOT, defaults={"name": f"Samlet {rhf.code}"})
    return pot


def decide(grant, world, chair, *, participants, reason, **application_fields) -> Decision:
    """The grant as decided in the portal: an application with its participants and an adopted decision."""
    call = Call.objects.create(pot=grant.pot, title=f"Utlysning {LAST_YEAR}", purpose="-")
    application = Application.objects.create(call=call, helsefellesskap=grant.helsefellesskap, title=grant.title, created_by=chair, **application_fields)
    for fields in participants:
        Participant.objects.create(application=application, **fields)
    return Decision.objects.create(
        application=application,
        body=world.stu,
        outcome=Decision.Outcome.FULL,
        amounts={str(c.pot_year.year): c.amount for c in grant.commitments.select_related("pot_year")},
        reason=reason,
        status=Decision.Status.ADOPTED,
        proposed_by=chair,
        concluded_at=timezone.now(),
        grant=grant,
    )


# --- 1. The open catalogue, without login ---------------------------------------------------

DIGITAL = "Digital hjemmeoppfølging i Troms"
YOUTH = "Ungdomsteam i Alta"
WEST = "Rekruttering av sykepleiere i Bergen"
REASON = "Prosjektet treffer pasienter med flere kroniske sykdommer og har en plan for drift."


@pytest.fixture
def catalogue(world, personas):
    """Three funded projects in two regions; the digital one decided in the portal, with one
    contact person who agreed to be shown and one who did not."""
    digital = make_grant(
        root(world.rhf), DIGITAL, hf=world.hf,
        amounts={LAST_YEAR: 1_200_000, THIS_YEAR: 800_000}, conditional={THIS_YEAR},
        municipalities=[world.tromso, world.harstad], trusts=[world.trust],
        description="Digitalisering av oppfølgingen av kronisk syke hjemme.",
        themes=["digital", "pathways"], patient_groups=["chronic", "frail_elderly"], initiated_by="trust",
    )
    make_grant(
        root(world.rhf), YOUTH, hf=world.other_hf, amounts={THIS_YEAR: 300_000}, municipalities=[world.alta],
        description="Felles team for barn og unge med psykiske plager.", themes=["teams"], patient_groups=["children_youth"],
        initiated_by="municipality",
    )
    make_grant(
        root(world.other_rhf), WEST, hf=world.far_hf, amounts={LAST_YEAR: 2 * M}, municipalities=[world.bergen],
        description="Hospitering og kombinerte stillinger.", themes=["recruitment"], patient_groups=["rehabilitation"], initiated_by="joint",
    )
    decide(
        digital, world, personas.chair, reason=REASON,
        participants=[
            dict(municipality=world.tromso, is_owner=True, contact_name="Kari Samtykke", contact_email="kari@example.invalid",
                 contact_phone="99 88 77 66", publish_contact=True),
            dict(trust=world.trust, contact_name="Per Hemmelig", contact_email="per.hemmelig@example.invalid",
                 contact_phone="11 22 33 44", publish_contact=False),
        ],
    )
    return digital


def _listed(page: Page) -> list[str]:
    table = page.get_by_role("table", name="Prosjekter med tilskudd")
    return sorted(table.locator("tbody tr td:first-child a").all_inner_texts())


def _search(page: Page):
    submit(page, page.get_by_role("search", name="Søk og filtrer prosjekter").get_by_role("button", name="Søk", exact=True))


def test_anonymous_visitor_uses_catalogue_project_page_and_statistics(page, live_server, world, catalogue):
    # --- the list: every funded project, no login ----------------------------------------
    page.goto("/prosjekter/")
    expect(page).to_have_url(f"{live_server.url}/prosjekter/")  # not sent to the login page
    expect(page.get_by_role("heading", level=1)).to_have_text("Prosjektkatalog")
    expect(page.get_by_role("button", name=re.compile("^Logg ut"))).to_have_count(0)
    expect(page.get_by_text("3 prosjekter", exact=True)).to_be_visible()
    assert _listed(page) == sorted([DIGITAL, YOUTH, WEST])
    row = page.get_by_role("table", name="Prosjekter med tilskudd").get_by_role("row").filter(has_text=DIGITAL)
    assert f"{LAST_YEAR} 1 200 000 kr" in normalise(row.inner_text()) and "2 000 000 kr" in normalise(row.inner_text())
    expect(row.get_by_text("Digitale verktøy og simulering")).to_be_visible()
    screenshot(page, "cat-01-list")
    assert_accessible(page, "catalogue list")

    # --- search by another form of the word: "digitale" finds "Digital"/"Digitalisering" -----
    search = page.get_by_label("Søk i navn og beskrivelse")
    search.fill("digitale")
    _search(page)
    assert _listed(page) == [DIGITAL]
    expect(page.get_by_text("1 prosjekt passer søket", exact=True)).to_be_visible()
    search.fill("sykepleier")  # stem of "sykepleiere" in the title
    _search(page)
    assert _listed(page) == [WEST]
    search.fill("finnes ikke noe sted")
    _search(page)
    expect(page.get_by_text("Ingen prosjekter passer søket.")).to_be_visible()

    # --- a filter (the search box emptied): theme, then region --------------------------
    search.fill("")
    page.get_by_label("Tema").select_option(label="Felles team for kartlegging, utredning og tiltak")
    _search(page)
    assert _listed(page) == [YOUTH]
    assert "tema=teams" in page.url
    page.get_by_label("Tema").select_option(label="Alle")
    page.get_by_label("Regionalt helseforetak").select_option(label="Helse Nord RHF")
    _search(page)
    assert _listed(page) == sorted([DIGITAL, YOUTH])
    expect(page.get_by_text("2 prosjekter passer søket", exact=True)).to_be_visible()

    # --- the project page ------------------------------------------------------------------
    page.get_by_role("link", name=DIGITAL).click()
    expect(page).to_have_url(f"{live_server.url}/prosjekter/{catalogue.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(DIGITAL)
    expect(page.get_by_text("Digitalisering av oppfølgingen av kronisk syke hjemme.")).to_be_visible()

    participants = page.get_by_role("table", name="Deltakere og kontaktpersoner")
    tromso = participants.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Tromsø"))
    assert normalise(tromso.inner_text()) == "Tromsø Kommune, prosjekteier Kari Samtykke kari@example.invalid 99 88 77 66"
    expect(tromso.get_by_role("link", name="kari@example.invalid")).to_have_attribute("href", "mailto:kari@example.invalid")
    unn = participants.get_by_role("row").filter(has=page.get_by_role("rowheader", name=world.trust.name))
    assert normalise(unn.inner_text()) == f"{world.trust.name} Helseforetak Ikke publisert"
    body = page.content()
    assert "Per Hemmelig" not in body and "per.hemmelig" not in body and "11 22 33 44" not in body

    years = page.get_by_role("table", name="Tilsagn per år med status")
    assert [normalise(t) for t in years.get_by_role("row").all_inner_texts()] == [
        "År Beløp Status",
        f"{LAST_YEAR} 1 200 000 kr Bindende",
        f"{THIS_YEAR} 800 000 kr Betinget av framdrift",
        "Sum 2 000 000 kr",
    ]
    expect(page.get_by_text(f"Tildelingsutvalget vedtok {nb_date(timezone.localdate())}: ", exact=False)).to_be_visible()
    expect(page.get_by_text(REASON)).to_be_visible()
    screenshot(page, "cat-03-project")
    assert_accessible(page, "catalogue project page")

    # --- statistics: a chart with its table, and the numbers as CSV -----------------------
    page.get_by_role("navigation", name="Prosjekter og statistikk").get_by_role("link", name="Statistikk").click()
    expect(page).to_have_url(f"{live_server.url}/statistikk/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistikk")
    title = "Prosjekter etter tema (Fafo tabell 10)"
    block = page.locator("section.stat-block").filter(has=page.get_by_role("heading", name=title, exact=True))
    chart = block.get_by_role("img", name=re.compile(rf"^{re.escape(title)}"))
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("Digitale verktøy og simulering: 1")
    # The chart is shown; its table opens behind "Vis tabell".
    block.locator("summary", has_text="Vis tabell").click()
    table = block.get_by_role("table", name=title)
    digital_row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Digitale verktøy og simulering"))
    assert normalise(digital_row.inner_text()).startswith("Digitale verktøy og simulering 1 ")
    assert_accessible(page, "statistics page")

    # The CSV offered first opens in Norwegian Excel (BOM, semicolons, decimal comma); the
    # machine-readable one beside it has the same numbers with a decimal point.
    with page.expect_download() as download_info:
        block.get_by_role("link", name=f"CSV for Excel – {title}").click()
    download = download_info.value
    assert download.suggested_filename == f"rs-statistikk-tema-{THIS_YEAR}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["Tema", "Prosjekter", "Andel av prosjektene", "Tilsagn (kr)", "Andel av midlene"]
    by_theme = {r[0]: r[1:] for r in rows[1:]}
    # 3 projects with 4 300 000 kr in all: the digital one has 2 000 000 kr of it.
    assert by_theme["Digitale verktøy og simulering"] == ["1", "33,3", "2000000", "46,5"]
    with page.expect_download() as download_info:
        block.get_by_role("link", name=f"CSV (maskinlesbar) – {title}").click()
    download = download_info.value
    assert download.suggested_filename == f"rs-statistikk-tema-maskinlesbar-{THIS_YEAR}.csv"
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    by_theme = {r[0]: r[1:] for r in rows[1:]}
    assert by_theme["Digitale verktøy og simulering"] == ["1", "33.3", "2000000", "46.5"]
    assert by_theme["Rekruttere og beholde, hospitering, kombinerte stillinger"] == ["1", "33.3", "2000000", "46.5"]
    assert by_theme["Felles team for kartlegging, utredning og tiltak"] == ["1", "33.3", "300000", "7.0"]


# --- 2. Reporting on the grant and the roll-ups -----------------------------------------------

TITLE = "Trygg hjemkomst etter sykehusopphold"


@pytest.fixture
def reported_grant(world, personas):
    """A grant of Troms og Ofoten's pot for last year and this, decided in the portal, owned by
    Tromsø and UNN; the region asks for half-yearly reports, so the first one is late."""
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Troms og Ofoten – søknadsbasert", parent=root(world.rhf), helsefellesskap=world.hf)
    ReportingRule.objects.create(pot=root(world.rhf), frequency=ReportingRule.Frequency.HALF_YEARLY)
    grant = make_grant(
        pot, TITLE, hf=world.hf, amounts={LAST_YEAR: 1_200_000, THIS_YEAR: 800_000},
        municipalities=[world.tromso], trusts=[world.trust], description="Tryggere overganger for eldre som skrives ut.",
    )
    decide(
        grant, world, personas.chair, reason="God plan.",
        participants=[dict(municipality=world.tromso, is_owner=True), dict(trust=world.trust)],
        project_owners="Tromsø kommune og UNN i fellesskap",
        involvement_users="Eldrerådet sitter i styringsgruppen",
    )
    followup.plan_reports(grant)
    return grant


def _pot_page(page: Page, pot: Pot):
    page.goto("/oppfolging/")
    page.get_by_role("link", name=pot.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Oppfølging: {pot.name}")


def _late(page: Page) -> list[str]:
    heading = page.get_by_role("heading", name="Forsinkede rapporter")
    return [normalise(t) for t in heading.locator("xpath=following-sibling::ul[1]/li").all_inner_texts()]


def _money_rows(page: Page, caption: str) -> list[str]:
    return [normalise(t) for t in page.get_by_role("table", name=caption).locator("tbody tr, tfoot tr").all_inner_texts()]


def test_applicant_reports_and_the_report_reaches_the_roll_ups(page, new_page, live_server, world, personas, reported_grant):
    grant = reported_grant
    dues = list(ReportDue.objects.filter(grant=grant).order_by("due_date"))
    first_due = dues[0]
    today = timezone.localdate()
    assert first_due.due_date < today  # half-yearly: the first report fell due last year
    first_late = f"{TITLE} – frist {nb_date(first_due.due_date)}"
    late_before = [f"{TITLE} – frist {nb_date(d.due_date)}" for d in dues if d.due_date < today]

    # --- the secretariat of Troms og Ofoten sees the report as late -----------------------
    secretariat = sign_in(new_page(), personas.secretariat)
    _pot_page(secretariat, grant.pot)
    assert _late(secretariat) == late_before
    assert first_late in _late(secretariat)

    # --- the applicant (Tromsø) finds the due report and sees what is already known --------
    sign_in(page, personas.applicant)
    page.goto("/oppfolging/")
    own = page.get_by_role("table", name="Prosjekter med neste rapportfrist").get_by_role("row").filter(has_text=TITLE)
    assert normalise(own.inner_text()) == f"{TITLE} Troms og Ofoten Forsinket {nb_date(first_due.due_date)} · Skriv rapport"
    own.get_by_role("link", name="Skriv rapport").click()
    expect(page).to_have_url(f"{live_server.url}/oppfolging/tilskudd/{grant.pk}/rapport/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rapport: {TITLE}")

    expect(page.get_by_label(label("Hvem eier prosjektet"))).to_have_value("Tromsø kommune og UNN i fellesskap")
    expect(page.get_by_label(label("Brukermedvirkning"))).to_have_value("Eldrerådet sitter i styringsgruppen")
    money = page.locator("section").filter(has=page.get_by_role("heading", name="Penger brukt per år"))
    year_rows = money.locator(".form-row")
    expect(year_rows).to_have_count(2)
    assert normalise(year_rows.nth(0).locator("p").first.inner_text()) == f"{LAST_YEAR} (tilsagn 1 200 000 kr)"
    assert normalise(year_rows.nth(1).locator("p").first.inner_text()) == f"{THIS_YEAR} (tilsagn 800 000 kr)"
    own_rows = page.locator("section").filter(has=page.get_by_role("heading", name="Egeninnsats, tallfestet")).locator(".form-row")
    expect(own_rows).to_have_count(3)  # the two owners, pre-filled, and one empty row
    expect(own_rows.nth(0).get_by_label("Part")).to_have_value("Tromsø")
    expect(own_rows.nth(0).get_by_label("Side")).to_have_value("municipality")
    expect(own_rows.nth(1).get_by_label("Part")).to_have_value(world.trust.name)
    expect(own_rows.nth(1).get_by_label("Side")).to_have_value("trust")
    expect(own_rows.nth(2).get_by_label("Part")).to_have_value("")
    screenshot(page, "rep-01-form-prefilled")
    assert_accessible(page, "report form")

    # --- fill in the common template ----------------------------------------------------
    page.get_by_label(label("Framdrift")).select_option(label="Forsinket")
    page.get_by_label(label("Framdrift i perioden")).fill("Prosjektleder ansatt i mars, pasientforløpet er beskrevet.")
    page.get_by_label("Milepæler").fill("Prosjektleder ansatt | nådd | mars\nFørste pasienter | ikke nådd")
    page.get_by_label(label("Om forsinkelsene")).fill("Anskaffelsen av utstyr tok et halvt år.")
    year_rows.nth(0).get_by_label("Brukt av tilskuddet").fill("688 000")
    year_rows.nth(1).get_by_label("Brukt av tilskuddet").fill("150 000")
    own_rows.nth(0).get_by_label("Timer").fill("400")
    own_rows.nth(0).get_by_label("Verdi / penger").fill("250 000")
    own_rows.nth(1).get_by_label("Timer").fill("120")
    own_rows.nth(1).get_by_label("Verdi / penger").fill("90 000")
    page.get_by_label(label("Avtaler mellom partene")).select_option(label="Formell intensjonsavtale")
    page.get_by_label(label("Brukermedvirkning")).fill("Eldrerådet sitter i styringsgruppen og testet løsningen.")
    page.get_by_label("Følger brukermedvirkningen nasjonal veileder?").select_option(label="Ja")
    page.get_by_label(label("Effekter så langt")).fill("Færre reinnleggelser blant de første pasientene.")
    page.get_by_label(label("Læringspunkter")).fill("Forankring i ledelsen tar tid.")
    page.get_by_label(label("Spredning og deling")).fill("Presentert i strategisk samarbeidsutvalg.")
    page.get_by_label(label("Løypemelding")).fill("Prosjektet er i gang, og de første pasientene følges opp hjemme.")

    # Delayed without a reason: refused, and nothing typed is lost.
    submit(page, page.get_by_role("button", name="Lever rapporten"))
    expect(page.get_by_text("Kryss av for hvorfor prosjektet er forsinket.")).to_be_visible()
    assert not Report.objects.exists()
    expect(page.get_by_label(label("Læringspunkter"))).to_have_value("Forankring i ledelsen tar tid.")
    expect(page.get_by_label("Brukt av tilskuddet").first).to_have_value("688 000")

    page.get_by_label("Rekruttering", exact=True).check()
    page.get_by_label("Anskaffelser", exact=True).check()
    submit(page, page.get_by_role("button", name="Lever rapporten"))
    report = Report.objects.get()
    expect(page).to_have_url(f"{live_server.url}/oppfolging/rapport/{report.pk}/")
    expect(page.get_by_text("Rapporten er levert. Takk!")).to_be_visible()
    facts = normalise(page.locator("dl.facts").inner_text())
    assert f"{LAST_YEAR}: 688 000 kr {THIS_YEAR}: 150 000 kr" in facts
    assert "Rekruttering, Anskaffelser" in facts
    screenshot(page, "rep-02-report-submitted")

    # --- what was saved ------------------------------------------------------------------
    assert report.grant == grant and report.submitted_by == personas.applicant
    assert report.due == first_due
    assert (report.progress, report.agreements, report.involvement_per_guideline) == ("delayed", "formal", True)
    assert report.progress_text == "Prosjektleder ansatt i mars, pasientforløpet er beskrevet."
    assert report.milestones == [
        {"name": "Prosjektleder ansatt", "status": "nådd", "comment": "mars"},
        {"name": "Første pasienter", "status": "ikke nådd", "comment": ""},
    ]
    assert report.delay_reasons == ["recruitment", "procurement"]
    assert report.delay_text == "Anskaffelsen av utstyr tok et halvt år."
    assert report.owner == "Tromsø kommune og UNN i fellesskap"
    assert report.user_involvement == "Eldrerådet sitter i styringsgruppen og testet løsningen."
    assert (report.effects, report.lessons, report.spreading) == (
        "Færre reinnleggelser blant de første pasientene.", "Forankring i ledelsen tar tid.", "Presentert i strategisk samarbeidsutvalg."
    )
    assert report.public_update == "Prosjektet er i gang, og de første pasientene følges opp hjemme."
    assert list(report.spending.values_list("year", "amount")) == [(LAST_YEAR, 688_000), (THIS_YEAR, 150_000)]
    assert sorted(report.contributions.values_list("party", "side", "hours", "amount")) == [
        ("Tromsø", "municipality", 400, 250_000),
        (world.trust.name, "trust", 120, 90_000),
    ]

    # --- the secretariat: no longer late, and the money used is in the pot's table ----------
    _pot_page(secretariat, grant.pot)
    assert first_late not in _late(secretariat)
    assert _late(secretariat) == ([t for t in late_before if t != first_late] or ["Ingen."])
    assert _money_rows(secretariat, "Per år") == [
        f"{LAST_YEAR} 1 200 000 kr 0 kr 688 000 kr 57,3 %",
        f"{THIS_YEAR} 800 000 kr 0 kr 150 000 kr 18,8 %",
        "Sum 2 000 000 kr 0 kr 838 000 kr 41,9 %",
    ]
    # The projects one year at a time: this year by default, last year through the selector.
    assert _money_rows(secretariat, f"Per prosjekt {THIS_YEAR}") == [f"{TITLE} 800 000 kr 0 kr 150 000 kr 18,8 %"]
    secretariat.get_by_label("År", exact=True).select_option(str(LAST_YEAR))
    submit(secretariat, secretariat.get_by_role("button", name="Vis"))
    assert _money_rows(secretariat, f"Per prosjekt {LAST_YEAR}") == [f"{TITLE} 1 200 000 kr 0 kr 688 000 kr 57,3 %"]
    assert_accessible(secretariat, "secretariat pot follow-up")

    # --- the RHF administrator's roll-up to the ministry: the annual report in Excel --------
    admin = sign_in(new_page(), personas.rhf_admin)
    admin.goto("/oppfolging/")
    reports_to = admin.get_by_role("heading", name="Rapporter til departement og direktorat").locator("xpath=following-sibling::ul[1]")
    with admin.expect_download() as download_info:
        reports_to.get_by_role("link", name="Excel", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == f"arsmelding-rs-HN-{THIS_YEAR}.xlsx"
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == f"Årsmelding om rekrutterings- og samhandlingstilskuddet {THIS_YEAR} – Helse Nord RHF"
    project = next(r for r in rows if r and r[0] == TITLE)
    assert project[1:] == (
        "Troms og Ofoten", f"Tromsø, {world.trust.name}", 800_000, None, 150_000, 0.188, "Forsinket",
        "Færre reinnleggelser blant de første pasientene.", "Forankring i ledelsen tar tid.", "Presentert i strategisk samarbeidsutvalg.",
    )
    # Last year's annual report (same export, other year) has last year's figure.
    response = admin.request.get(f"/oppfolging/rhf/HN/arsmelding-{LAST_YEAR}.xlsx", timeout=60_000)
    assert response.ok
    last_year = next(r for r in load_workbook(io.BytesIO(response.body())).active.iter_rows(values_only=True) if r and r[0] == TITLE)
    assert last_year[3:8] == (1_200_000, None, 688_000, 0.573, "Forsinket")

    # --- the status update (løypemelding) on the public project page -----------------------
    visitor = new_page()
    visitor.goto(f"/prosjekter/{grant.pk}/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
    updates = visitor.locator("ol.updates li")
    expect(updates).to_have_count(1)
    # The text only: the date beside it is checked in the test below (shown in UTC, not Oslo time).
    expect(updates.first.locator(".ds-paragraph")).to_have_text("Prosjektet er i gang, og de første pasientene følges opp hjemme.")


def test_status_update_is_dated_in_oslo_time(page, world, personas, reported_grant):
    report = Report.objects.create(
        grant=reported_grant, progress="on_track", progress_text="-", owner="-", agreements="formal", user_involvement="-",
        public_update="Levert like etter midnatt.", submitted_by=personas.applicant,
    )
    oslo_half_past_midnight = timezone.make_aware(datetime.datetime(THIS_YEAR, 2, 2, 0, 30))  # 23:30 UTC on 1 February
    Report.objects.filter(pk=report.pk).update(submitted_at=oslo_half_past_midnight)
    page.goto(f"/prosjekter/{reported_grant.pk}/")
    update = page.locator("ol.updates li").filter(has_text="Levert like etter midnatt.")
    expect(update.locator("time")).to_have_attribute("datetime", f"{THIS_YEAR}-02-02", timeout=2_000)
