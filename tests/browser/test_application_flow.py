"""Issue 3 in a real browser: a municipality user and a trust user fill in, co-edit and submit
one joint application. Autosave, the conflict when both save the same section, text kept
through a lost connection, uploads, the similar-projects check and submission, with axe."""

import datetime
import io
import re
import zipfile

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from rsportal.accounts.models import OrganisationRole
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, ApplicationVersion, Attachment, BudgetLine, Call, SectionVersion
from rsportal.funding.models import Grant, Pot
from tests import factories as f

from .conftest import assert_accessible, normalise, screenshot, sign_in, submit

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TITLE = "Digital hjemmeoppfølging av skrøpelige eldre"
SAVE_WAIT = 8_000  # autosave waits 2 s after the last keystroke; give the server time on top


def docx_bytes() -> bytes:
    """The smallest file the upload check accepts as a Word document (as in tests/test_applications.py)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture
def call(world, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploads go to a throw-away folder
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    regional = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Regional pott", parent=root)
    call = Call.objects.create(
        pot=regional, title="Regional utlysning 2028", status=Call.Status.PUBLISHED, purpose="Bedre samhandling mellom kommuner og sykehus.",
        max_project_years=5, frame_amount=10_000_000, frame_year=2028,
    )
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    call.pre_project_caps.create(min_municipalities=1, max_amount=1_500_000)
    add_default_criteria(call)
    call.steps.create(step="decision", body=world.stu)
    # Something similar that Finnmark already got money for: the submit page must show it.
    Grant.objects.create(pot=root, title="Digital hjemmeoppfølging av skrøpelige eldre i Finnmark", helsefellesskap=world.other_hf)
    return call


@pytest.fixture
def trust_applicant(world):
    user = f.UserFactory(username="trust_applicant", first_name="Trine", last_name="Sykehus")
    f.role(user, OrganisationRole.Kind.APPLICANT, trust=world.trust)
    return user


def label(text: str) -> re.Pattern:
    """A field's label, with or without the "(må fylles ut)" that required fields carry."""
    return re.compile(rf"^{re.escape(text)}( \(må fylles ut\))?$")


def _section(page: Page, key: str):
    # By heading: the same selector works for form sections and the tables.
    return page.locator(f"section[aria-labelledby='heading-{key}']")


def _saved(page: Page, key: str):
    """Wait until the section's own status says the server saved it."""
    expect(page.locator(f"#status-{key}")).to_contain_text("Lagret", timeout=SAVE_WAIT)


def _fill(page: Page, key: str, values: dict[str, str]):
    section = _section(page, key)
    for name, value in values.items():
        section.get_by_label(label(name)).fill(value)


def _db(pk: int) -> Application:
    return Application.objects.get(pk=pk)


def _wait_db(pk: int, field: str, expected: str, page: Page, timeout: float = 5.0):
    """The status fragment is swapped in after the commit, but poll briefly anyway."""
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
    while getattr(_db(pk), field) != expected and datetime.datetime.now() < deadline:
        page.wait_for_timeout(100)
    assert getattr(_db(pk), field) == expected


def _details_form(page: Page, summary: str):
    details = page.locator("details").filter(has=page.locator("summary", has_text=summary))
    details.locator("summary").click()
    return details.locator("form")


def _add_budget_line(page: Page, year: str, kind: str, amount: str, description: str, party: str | None = None, hours: str | None = None):
    form = _details_form(page, "Legg til budsjettlinje")
    form.get_by_label(label("År")).fill(year)
    form.get_by_label(label("Type")).select_option(label=kind)
    if party:
        form.get_by_label(label("Part")).select_option(label=party)
    form.get_by_label(label("Beløp")).fill(amount)
    if hours:
        form.get_by_label(label("Timer")).fill(hours)
    form.get_by_label(label("Hva")).fill(description)
    submit(page, form.get_by_role("button", name="Legg til"))
    expect(page.locator("main .ds-alert").filter(has_text="Budsjettlinjen er lagt til.")).to_be_visible()


def _upload(page: Page, kind: str, name: str, mime: str, content: bytes):
    form = _section(page, "vedlegg").locator("form").filter(has=page.get_by_role("button", name="Last opp"))
    form.locator("select[name=kind]").select_option(label=kind)  # its label points at the budget form's id_kind
    form.get_by_label(label("Fil")).set_input_files({"name": name, "mimeType": mime, "buffer": content})
    submit(page, form.get_by_role("button", name="Last opp"))
    expect(page.locator("main .ds-alert").filter(has_text="Vedlegget er lastet opp.")).to_be_visible()
    expect(_section(page, "vedlegg").get_by_role("link", name=name)).to_be_visible()


def test_municipality_and_trust_write_co_edit_and_submit(page, new_page, live_server, world, personas, call, trust_applicant):
    # --- the municipality user finds the call and starts the application -----------------
    sign_in(page, personas.applicant)
    page.goto("/soknader/utlysninger/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Utlysninger")
    row = page.get_by_role("row").filter(has_text="Regional utlysning 2028")
    expect(row.get_by_text("Åpen", exact=True)).to_be_visible()
    screenshot(page, "app-01-call-list")
    assert_accessible(page, "call list")

    row.get_by_role("link", name="Regional utlysning 2028").click()
    expect(page).to_have_url(f"{live_server.url}/soknader/utlysninger/{call.pk}/")
    expect(page.get_by_text("Åpen for søknader. Frist:")).to_be_visible()
    expect(page.get_by_role("table", name="Kriterier med skala og vekt").get_by_role("row")).to_have_count(7)
    screenshot(page, "app-02-call-page")
    assert_accessible(page, "call page")

    page.get_by_label(re.compile("^Navn på prosjekt/pilot")).fill(TITLE)
    expect(page.get_by_label("Sendes til helsefellesskap")).to_have_value(str(world.hf.pk))
    submit(page, page.get_by_role("button", name="Start søknad"))
    application = Application.objects.get()
    pk = application.pk
    edit_url = f"{live_server.url}/soknader/{pk}/"
    expect(page).to_have_url(edit_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Søknaden er opprettet.")).to_be_visible()
    screenshot(page, "app-03-edit-empty")
    assert_accessible(page, "edit form (empty)")

    # --- participants, budget, benefit table, attachments: ordinary form posts -------------
    form = _details_form(page, "Legg til kommune, bydel eller helseforetak")
    form.get_by_label(label("Helseforetak eller privat ideelt sykehus")).select_option(label=world.trust.name)
    form.get_by_label(label("Kontaktperson")).fill("Trine Sykehus")
    form.get_by_label(label("E-post")).fill("trine@example.invalid")
    submit(page, form.get_by_role("button", name="Legg til"))
    expect(page.get_by_text("Deltakeren er lagt til.")).to_be_visible()
    participants = page.get_by_role("table", name="Kommuner og helseforetak i søknaden")
    expect(participants.get_by_role("row").filter(has_text=world.trust.name)).to_have_count(1)

    tromso, unn = str(world.tromso), world.trust.name
    _add_budget_line(page, "2028", "Søkt tilskudd", "800 000", "Prosjektleder 2028")
    _add_budget_line(page, "2029", "Søkt tilskudd", "600 000", "Prosjektleder 2029")
    _add_budget_line(page, "2028", "Egen innsats: arbeidstid", "200 000", "Sykepleiere i hjemmetjenesten", party=tromso, hours="400")
    _add_budget_line(page, "2028", "Egen innsats: kompetanse", "150 000", "Geriater", party=unn)
    budget = page.get_by_role("table", name="Budsjettlinjer")
    expect(budget.locator("tbody tr")).to_have_count(4)
    totals = [normalise(t) for t in budget.locator("tfoot tr").all_inner_texts()]
    assert totals == ["Søkt tilskudd 2028 800 000 kr", "Søkt tilskudd 2029 600 000 kr"], totals

    form = _details_form(page, "Legg til rad i nyttetabellen")
    form.get_by_label(label("Forventet nytte")).select_option(label="Helsegevinst")
    # By name, not label: the budget form's "Hva" has the same id (id_description), so this
    # label points at that input instead (see test_every_field_on_the_edit_page_has_its_own_label).
    form.locator("textarea[name=description]").fill("Færre reinnleggelser av skrøpelige eldre")
    form.get_by_label(label("Pasient/pårørende")).check()
    form.get_by_label(label("Kommunehelsetjenesten")).check()
    form.get_by_label(label("Ansvarlig for gjennomføring")).fill("Prosjektleder")
    form.get_by_label(label("Måling av nytte")).fill("Reinnleggelser innen 30 dager")
    form.get_by_label(label("Hvor ofte måles det, og hvordan samles data inn")).fill("Kvartalsvis fra pasientjournalen")
    form.get_by_label(label("Forutsetninger og risikoreduserende tiltak")).fill("Stabil bemanning")
    form.get_by_label(label("Tidshorisont")).fill("2029")
    submit(page, form.get_by_role("button", name="Legg til"))
    expect(page.get_by_text("Nytteraden er lagt til.")).to_be_visible()
    expect(_section(page, "nyttetabell").get_by_role("heading", name="Helsegevinst")).to_be_visible()

    _upload(page, "Signert avtale om felles søknad", "Avtale signert.pdf", "application/pdf", PDF)
    _upload(page, "Budsjett", "budsjett.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_bytes())
    assert sorted(Attachment.objects.filter(application_id=pk).values_list("kind", "original_name")) == [
        ("agreement", "Avtale signert.pdf"), ("budget", "budsjett.docx"),
    ]

    # --- the sections, typed and autosaved -------------------------------------------------
    today = timezone.localdate().isoformat()
    _fill(page, "prosjektet", {"Prosjekteiere": "Tromsø kommune og UNN, intensjonsavtale"})
    for name, value in (("Planlagt oppstart", "2028-01-01"), ("Planlagt avslutning", "2029-12-31"), ("Dato for signert avtale om felles søknad", today)):
        _section(page, "prosjektet").get_by_label(label(name)).fill(value)
    _saved(page, "prosjektet")
    _fill(page, "beskrivelse", {
        "Mål": "Færre innleggelser av skrøpelige eldre",
        "Målgruppe": "Skrøpelige eldre som bor hjemme",
        "Hva skal gjennomføres, og i hvilken periode": "Felles team for digital hjemmeoppfølging, 2028-2029",
        "Hvilke virksomheter og personellgrupper inngår": "Hjemmetjenesten og geriatrisk avdeling",
    })
    patient_groups = _section(page, "beskrivelse").get_by_role("group", name="Prioriterte pasientgrupper tiltaket retter seg mot")
    patient_groups.get_by_label(label("Skrøpelige eldre")).check()
    patient_groups.get_by_label(label("Utskrivningsklare pasienter")).check()
    _fill(page, "nytte", {"Hvilken nytte forventes": "Færre reinnleggelser", "Hvordan tiltaket støtter formålet, inkludert erfaringsdeling og spredning": "Deler erfaringer i regionen"})
    _fill(page, "finansiering", {"Hva skal tilskuddet brukes til": "Prosjektleder", "Finansieringsplan ved oppstart": "Tilskudd og egeninnsats"})
    for key in ("beskrivelse", "nytte", "finansiering"):
        _saved(page, key)
    _wait_db(pk, "supports_purpose", "Deler erfaringer i regionen", page)
    _wait_db(pk, "financing_at_start", "Tilskudd og egeninnsats", page)
    application = _db(pk)
    assert (application.start_date, application.end_date, application.agreement_date.isoformat()) == (datetime.date(2028, 1, 1), datetime.date(2029, 12, 31), today)
    assert application.goal == "Færre innleggelser av skrøpelige eldre"
    assert sorted(application.patient_groups) == ["discharge_ready", "frail_elderly"]
    screenshot(page, "app-04-edit-municipality-filled")

    # --- the connection drops while typing: nothing is lost --------------------------------
    plan_text = "Inn i kommunens og UNNs budsjetter fra 2030"
    page.context.set_offline(True)
    field = _section(page, "finansiering").get_by_label(label("Plan for overgang til ordinær drift"))
    field.fill(plan_text)
    expect(page.locator("#connection-status")).to_contain_text("Ikke lagret", timeout=SAVE_WAIT)
    assert _db(pk).ordinary_operation_plan == ""
    stored = page.evaluate(f"() => window.localStorage.getItem('rsportal:draft:{pk}:finansiering')")
    assert plan_text in stored, stored
    screenshot(page, "app-05-offline-not-saved")
    page.context.set_offline(False)
    field.press("End")
    field.press_sequentially(".")
    _saved(page, "finansiering")
    expect(page.locator("#connection-status")).to_have_text("")
    _wait_db(pk, "ordinary_operation_plan", plan_text + ".", page)

    # --- the trust user opens the same application and writes another section -------------
    trust_page = new_page()
    sign_in(trust_page, trust_applicant)
    trust_page.goto("/soknader/")
    mine = trust_page.get_by_role("table", name="Søknader med status").get_by_role("row").filter(has_text=TITLE)
    expect(mine.get_by_text("Utkast")).to_be_visible()
    submit(trust_page, mine.get_by_role("link", name=TITLE))
    expect(trust_page).to_have_url(edit_url)
    expect(_section(trust_page, "beskrivelse").get_by_label(label("Mål"))).to_have_value("Færre innleggelser av skrøpelige eldre")
    _fill(trust_page, "plan", {
        "Prosjektplan med evalueringspunkter": "Plan med evaluering hvert halvår",
        "Involvering av brukere": "Brukerråd i kommunen og brukerutvalg i UNN",
        "Involvering av tillitsvalgte": "Tillitsvalgte på begge nivåer",
        "Involvering av vernetjenesten": "Verneombud på begge nivåer",
    })
    _saved(trust_page, "plan")
    _wait_db(pk, "involvement_safety", "Verneombud på begge nivåer", trust_page)
    assert SectionVersion.objects.get(application_id=pk, section="plan").saved_by == trust_applicant

    # --- both edit the same section from pages loaded before either saved ------------------
    page.goto(edit_url)
    trust_page.goto(edit_url)
    first, second = "Kommunen: færre reinnleggelser og kortere liggetid", "Sykehuset: færre korridorpasienter"
    _section(page, "nytte").get_by_label(label("Hvilken nytte forventes")).fill(first)
    _saved(page, "nytte")
    _wait_db(pk, "expected_benefit", first, page)
    _section(trust_page, "nytte").get_by_label(label("Hvilken nytte forventes")).fill(second)
    status = trust_page.locator("#status-nytte")
    expect(status).to_contain_text("mens du skrev", timeout=SAVE_WAIT)
    expect(status).to_contain_text(first)  # the other's text is shown
    expect(status.get_by_role("alert")).to_contain_text(personas.applicant.get_full_name())
    expect(_section(trust_page, "nytte").get_by_label(label("Hvilken nytte forventes"))).to_have_value(second)  # own text kept
    screenshot(trust_page, "app-06-conflict")
    assert_accessible(trust_page, "edit form with a save conflict")
    assert _db(pk).expected_benefit == first  # no silent overwrite
    trust_page.wait_for_timeout(500)
    assert _db(pk).expected_benefit == first
    # After comparing, the trust user saves again, on top of the current version.
    _section(trust_page, "nytte").get_by_role("button", name="Lagre").click()
    _saved(trust_page, "nytte")
    _wait_db(pk, "expected_benefit", second, trust_page)

    # --- submission ----------------------------------------------------------------------------
    page.goto(edit_url)
    expect(_section(page, "nytte").get_by_label(label("Hvilken nytte forventes"))).to_have_value(second)
    expect(_section(page, "plan").get_by_label(label("Involvering av brukere"))).to_have_value("Brukerråd i kommunen og brukerutvalg i UNN")
    expect(_section(page, "innsending")).to_contain_text("Alt som kreves er fylt ut.")
    screenshot(page, "app-07-edit-filled")
    assert_accessible(page, "edit form (filled)")

    submit(page, page.get_by_role("link", name="Gå til innsending"))
    expect(page).to_have_url(f"{edit_url}send-inn/")
    expect(page.get_by_role("heading", name="Lignende prosjekter i alle helsefellesskap")).to_be_visible()
    similar = page.get_by_role("table", name="Lignende prosjekter").get_by_role("row").filter(has_text="i Finnmark")
    expect(similar).to_have_count(1)
    expect(similar).to_contain_text("Har fått tilskudd")
    problems = page.locator("ds-error-summary")
    assert problems.count() == 0, problems.inner_text()
    expect(page.get_by_text("Alt som kreves er på plass.")).to_be_visible()
    screenshot(page, "app-08-submit")
    assert_accessible(page, "submit page")

    # Without the confirmation nothing is submitted.
    submit(page, page.get_by_role("button", name="Send inn søknaden"))
    expect(page.get_by_text("Bekreft at dere har sett på lignende prosjekter")).to_be_visible()
    assert _db(pk).status == Application.Status.DRAFT
    page.get_by_label(re.compile("^Vi har sett på lignende prosjekter")).check()
    submit(page, page.get_by_role("button", name="Send inn søknaden"))
    expect(page).to_have_url(f"{edit_url}vis/")
    expect(page.get_by_text("Søknaden er sendt inn (versjon 1).")).to_be_visible()
    expect(page.locator("dl.facts").first.locator("dt:text-is('Status') + dd")).to_have_text("Sendt inn")
    screenshot(page, "app-09-submitted")
    assert_accessible(page, "submitted application")

    application = _db(pk)
    assert application.status == Application.Status.SUBMITTED and application.submitted_at
    version = ApplicationVersion.objects.get(application=application)
    assert version.number == 1 and version.submitted_by == personas.applicant
    assert version.data["expected_benefit"] == second and version.data["ordinary_operation_plan"] == plan_text + "."
    assert version.data["involvement_users"] == "Brukerråd i kommunen og brukerutvalg i UNN"
    assert len(version.data["budget"]) == 4 and len(version.data["attachments"]) == 2 and len(version.data["benefits"]) == 1
    assert sorted((b.kind, b.amount) for b in BudgetLine.objects.filter(application=application)) == [
        ("grant", 600_000), ("grant", 800_000), ("own_competence", 150_000), ("own_time", 200_000),
    ]
    assert {p["organisation"] for p in version.data["participants"]} == {tromso, unn}

    # The trust user sees it as submitted and can no longer edit it.
    trust_page.goto("/soknader/")
    row = trust_page.get_by_role("table", name="Søknader med status").get_by_role("row").filter(has_text=TITLE)
    expect(row.get_by_text("Sendt inn")).to_be_visible()
    trust_page.goto(edit_url)
    expect(trust_page).to_have_url(f"{edit_url}vis/")
    expect(trust_page.get_by_role("link", name="Rediger søknaden")).to_have_count(0)


def test_every_field_on_the_edit_page_has_its_own_label(page, world, personas, call):
    """All the forms of the edit page open at once: every id unique, every input named by its own label."""
    from rsportal.applications import domain

    application = domain.start_application(personas.applicant, call=call, title=TITLE, type="project", helsefellesskap=world.hf)
    domain.add_participant(personas.applicant, application, trust=world.trust, contact_name="Trine", contact_email="trine@example.invalid")
    sign_in(page, personas.applicant)
    page.goto(f"/soknader/{application.pk}/")
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => d.open = true)")
    screenshot(page, "app-10-edit-all-forms-open")
    duplicates = page.evaluate(
        """() => { const seen = {}; document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1);
                   return Object.keys(seen).filter(id => seen[id] > 1).sort(); }"""
    )
    assert duplicates == [], f"duplicate ids on the application edit page: {duplicates}"
    for summary, labels in (
        ("Legg til kommune, bydel eller helseforetak", ["Kommune", "Helseforetak eller privat ideelt sykehus", "Bydel", "Prosjekteier", "Kontaktperson", "E-post", "Telefon"]),
        ("Legg til budsjettlinje", ["År", "Type", "Part", "Beløp", "Timer", "Hva"]),
        ("Legg til rad i nyttetabellen", ["Forventet nytte", "Beskrivelse av nytten", "Ansvarlig for gjennomføring", "Måling av nytte", "Tidshorisont"]),
    ):
        form = page.locator("details").filter(has=page.locator("summary", has_text=summary)).locator("form")
        for text in labels:
            expect(form.get_by_label(label(text))).to_have_count(1)
    uploads = _section(page, "vedlegg").locator("form")
    for text in ("Type vedlegg", "Fil"):
        expect(uploads.get_by_label(label(text))).to_have_count(1)
    assert_accessible(page, "edit page with every form open")
