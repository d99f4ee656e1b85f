"""Grants decided elsewhere (issue 11): registering one, importing a sheet, and the pages."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from rsportal.catalogue import statistics
from rsportal.core.models import AuditEvent
from rsportal.followup.domain import planned_deadlines
from rsportal.followup.models import ReportDue
from rsportal.funding import domain, registration
from rsportal.funding.models import Appropriation, Commitment, Grant, Pot, PotYear
from rsportal.registry.models import Body

from . import factories as f

M = 1_000_000
DECIDED = datetime.date(2026, 1, 15)


@pytest.fixture
def pot(world, personas):
    """The Troms og Ofoten community's local pot: 2 MNOK in 2026 and in 2027."""
    for year in (2026, 2027):
        domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=130 * M, rhf=world.rhf))
    root = domain.root_pot(world.rhf)
    local = domain.create_pot(personas.rhf_admin, parent=root, name="Lokal pott Troms og Ofoten", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    for year in (2026, 2027):
        domain.transfer(personas.rhf_admin, source=root, target=local, year=year, amount=2 * M)
    return local


@pytest.fixture
def ssu(world):
    return Body.objects.create(kind=Body.Kind.SSU, name="SSU Troms og Ofoten", helsefellesskap=world.hf)


def register(actor, pot, world, ssu, **overrides):
    values = dict(
        pot=pot,
        title="Trygg utskrivning",
        description="Felles utskrivningsteam for Tromsø og UNN",
        helsefellesskap=world.hf,
        owners=[world.tromso, world.trust],
        partners=[world.harstad],
        amounts_by_year={2026: 1_250_000, 2027: 500_000},
        decided_by=ssu,
        decided_on=DECIDED,
        reason="Tildelt fra den lokale potten etter SSU-sak 3/26",
        pre_project=False,
        conditional_years={2027},
        publish=True,
    )
    values.update(overrides)
    return registration.register_grant(actor, **values)


def saved_state():
    return (Grant.objects.count(), Commitment.objects.count(), ReportDue.objects.count(), AuditEvent.objects.filter(action="grant.registered").count())


# --- register one -------------------------------------------------------------------------


def test_register_commits_each_year_plans_reports_and_is_audited(world, personas, pot, ssu):
    grant = register(personas.secretariat, pot, world, ssu)

    commitments = {c.pot_year.year: c for c in grant.commitments.select_related("pot_year")}
    assert {y: c.amount for y, c in commitments.items()} == {2026: 1_250_000, 2027: 500_000}
    assert commitments[2026].status == Commitment.Status.FIRM
    assert commitments[2027].status == Commitment.Status.CONDITIONAL
    assert PotYear.objects.get(pot=pot, year=2026).available() == 750_000
    # Owners are the owners; the participants are owners and partners.
    assert grant.owners() == [world.tromso, world.trust]
    assert grant.partners() == [world.harstad]
    assert set(grant.participants()) == {world.tromso, world.trust, world.harstad}
    assert list(grant.municipalities.all()) == [world.tromso]
    grant.refresh_from_db()
    assert grant.registered_elsewhere and grant.decided_by == "SSU Troms og Ofoten" and grant.decided_on == DECIDED
    assert grant.decision_reason == "Tildelt fra den lokale potten etter SSU-sak 3/26"
    event = AuditEvent.objects.get(action="grant.registered")
    assert event.actor == personas.secretariat and event.object_id == str(grant.pk)
    assert "15. januar 2026" in event.summary and event.data["partners"] == ["Harstad"]
    assert AuditEvent.objects.filter(action="grant.committed", object_id=str(grant.pk)).exists()
    # Reports planned as for any grant: a yearly report per year and a final report.
    due = list(ReportDue.objects.filter(grant=grant).order_by("due_date").values_list("kind", "due_date"))
    assert due == [(kind, day) for kind, day, _start, _end in sorted(planned_deadlines(grant), key=lambda d: d[1])]
    assert [kind for kind, _day in due].count("final") == 1 and len(due) == 3


def test_registered_grant_is_in_the_catalogue_and_the_statistics(client, world, personas, pot, ssu):
    grant = register(personas.secretariat, pot, world, ssu)

    assert "Trygg utskrivning" in client.get("/prosjekter/").content.decode()
    page = client.get(f"/prosjekter/{grant.pk}/").content.decode()
    assert "SSU Troms og Ofoten vedtok 15. januar 2026" in page
    assert "SSU-sak 3/26" in page and "Harstad" in page  # the reason and the partner
    grants = statistics.portfolio(world.rhf)  # this grant alone
    assert [(r.year, r.projects, r.amount) for r in statistics.development(grants) if r.projects] == [(2026, 1, 1_250_000), (2027, 1, 500_000)]
    # The statistics of ownership count owners only: Tromsø (and the trust), not the partner Harstad.
    assert {r.code: r.projects for r in statistics.cooperation(grants).rows}["one"] == 1
    assert {r.code: r.projects for r in statistics.ownership(grants).rows}["both"] == 1
    assert statistics.committed_years(world.rhf) == [2026, 2027]


def test_unpublished_grant_stays_out_of_the_catalogue(client, world, personas, pot, ssu):
    grant = register(personas.secretariat, pot, world, ssu, publish=False)
    assert client.get(f"/prosjekter/{grant.pk}/").status_code == 404


def test_over_the_frame_is_refused_and_nothing_is_saved(world, personas, pot, ssu):
    before = saved_state()
    with pytest.raises(domain.OverCommitted):
        register(personas.secretariat, pot, world, ssu, amounts_by_year={2026: 1 * M, 2027: 2 * M + 1})
    assert saved_state() == before


def test_a_year_without_frame_is_an_error(world, personas, pot, ssu):
    before = saved_state()
    with pytest.raises(registration.RegistrationError) as refused:
        register(personas.secretariat, pot, world, ssu, amounts_by_year={2026: M, 2030: M}, conditional_years=())
    assert "ingen ramme for 2030" in str(refused.value)
    assert saved_state() == before
    assert not PotYear.objects.filter(pot=pot, year=2030).exists()


def test_every_missing_fact_is_named(world, personas, pot):
    with pytest.raises(registration.RegistrationError) as refused:
        registration.register_grant(
            personas.secretariat, pot=pot, title=" ", owners=[], amounts_by_year={}, decided_by="", decided_on=None, reason=""
        )
    assert refused.value.messages == [
        "Oppgi prosjektnavnet.",
        "Oppgi minst én eier (kommune eller helseforetak).",
        "Oppgi hvem som vedtok tilskuddet.",
        "Oppgi vedtaksdatoen.",
        "Oppgi begrunnelsen for vedtaket.",
        "Oppgi beløp for minst ett år.",
    ]


def test_another_helsefellesskaps_secretariat_is_refused(world, personas, pot, ssu):
    finnmark = f.UserFactory(username="finnmark_secretariat")
    f.seat(Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat Finnmark", helsefellesskap=world.other_hf), finnmark)
    before = saved_state()
    for outsider in (finnmark, personas.other_secretariat, personas.member):
        with pytest.raises(PermissionDenied):
            register(outsider, pot, world, ssu)
        with pytest.raises(PermissionDenied):
            registration.import_grants(outsider, pot, csv_file(CLEAN_CSV), dry_run=False)
    assert saved_state() == before
    # The RHF's administrator manages every pot of the region.
    assert register(personas.rhf_admin, pot, world, ssu).pot == pot


# --- import ------------------------------------------------------------------------------

HEADER = ["Prosjektnavn", "Helsefellesskap", "Eiere", "Deltakere", "År", "Beløp", "Vedtatt av", "Vedtaksdato", "Begrunnelse", "Forprosjekt", "Betinget"]
CLEAN_ROWS = [
    ["Trygg utskrivning", "Troms og Ofoten", "Tromsø; UNN", "Harstad", 2026, "1 250 000", "SSU Troms og Ofoten", "15.01.2026", "SSU-sak 3/26", "nei", "nei"],
    ["Trygg utskrivning", "", "", "", 2027, "500 000 kr", "", "", "", "", "ja"],
    ["Felles legevakt", "troms-ofoten", "5503 ; Tromsø kommune", "", 2026, "250000", "Helse Nord RHF (styresak 12/2025)", "1. januar 2026", "Direkte tildeling", "ja", ""],
]


def csv_text(rows, delimiter=";"):
    return "\n".join(delimiter.join(f'"{c}"' if delimiter in str(c) else str(c) for c in row) for row in [HEADER, *rows]) + "\n"


CLEAN_CSV = csv_text(CLEAN_ROWS)


def csv_file(text, name="tilskudd.csv", bom=True):
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def xlsx_file(rows, name="tilskudd.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def imported():
    return Grant.objects.filter(registered_elsewhere=True)


@pytest.mark.parametrize("make", [lambda: xlsx_file(CLEAN_ROWS), lambda: csv_file(CLEAN_CSV), lambda: csv_file(csv_text(CLEAN_ROWS, ","), bom=False)], ids=["xlsx", "csv-semicolon-bom", "csv-comma"])
def test_clean_sheet_dry_run_saves_nothing_then_saves_all(world, personas, pot, ssu, make):
    before = saved_state()
    preview = registration.import_grants(personas.secretariat, pot, make(), dry_run=True)

    assert preview.clean, preview.errors
    assert saved_state() == before
    assert [(g.row, g.title, g.amounts_by_year, g.conditional_years) for g in preview.planned] == [
        (2, "Trygg utskrivning", {2026: 1_250_000, 2027: 500_000}, {2027}),
        (4, "Felles legevakt", {2026: 250_000}, set()),
    ]
    first, second = preview.planned
    assert first.decided_by == ssu and first.owners == [world.tromso, world.trust] and first.partners == [world.harstad]
    assert second.decided_by == "Helse Nord RHF (styresak 12/2025)" and second.decided_on == datetime.date(2026, 1, 1)
    assert second.owners == [world.harstad, world.tromso] and second.pre_project == Grant.PreProject.YES
    assert [(t.year, t.amount, t.available, t.fits) for t in preview.totals] == [(2026, 1_500_000, 2 * M, True), (2027, 500_000, 2 * M, True)]

    result = registration.import_grants(personas.secretariat, pot, make(), dry_run=False)

    assert result.clean and len(result.saved) == 2
    grants = {g.title: g for g in imported()}
    assert {g.pot_year.year: g.amount for g in grants["Trygg utskrivning"].commitments.select_related("pot_year")} == {2026: 1_250_000, 2027: 500_000}
    assert grants["Trygg utskrivning"].commitments.get(pot_year__year=2027).status == Commitment.Status.CONDITIONAL
    assert grants["Felles legevakt"].decided_by_body is None and grants["Felles legevakt"].decided_by_text.startswith("Helse Nord RHF")
    assert ReportDue.objects.filter(grant__in=grants.values()).exists()
    assert AuditEvent.objects.filter(action="grant.registered").count() == 2
    assert AuditEvent.objects.get(action="grants.imported").actor == personas.secretariat
    # The same sheet again is refused: its projects are already registered.
    again = registration.import_grants(personas.secretariat, pot, make(), dry_run=False)
    assert not again.clean and "Er regnearket importert før?" in again.errors[0] and imported().count() == 2


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_one_bad_row_saves_nothing_and_names_the_row(world, personas, pot, ssu, kind):
    rows = [list(r) for r in CLEAN_ROWS]
    rows[2][2] = "Tromsø2; UNN"  # sheet row 4
    rows[1][5] = "femhundre"  # sheet row 3
    sheet = xlsx_file(rows) if kind == "xlsx" else csv_file(csv_text(rows))
    before = saved_state()

    result = registration.import_grants(personas.secretariat, pot, sheet, dry_run=False)

    assert saved_state() == before and result.saved == []
    assert result.errors == [
        "Rad 3: «Beløp» må være et helt antall kroner større enn null, for eksempel 1 250 000, ikke «femhundre».",
        "Rad 4: Ukjent kommune eller helseforetak «Tromsø2»",
    ]


def test_row_errors_of_every_kind(world, personas, pot, ssu):
    rows = [
        ["Uten år", "Troms og Ofoten", "Tromsø", "", "", "100 000", "SSU Troms og Ofoten", "15.01.2026", "Grunn", "nei", ""],
        ["Feil dato", "Troms og Ofoten", "Tromsø", "", 2026, "100 000", "SSU Troms og Ofoten", "31.02.2026", "Grunn", "kanskje", ""],
        ["Annet HF", "Bergensområdet", "Bergen", "", 2026, "100 000", "SSU", "15.01.2026", "Grunn", "nei", ""],
        ["Uten ramme", "", "9999", "", 2031, "100 000", "SSU", "15.01.2026", "", "nei", ""],
        ["To ganger", "", "Tromsø", "", 2026, "100", "SSU", "15.01.2026", "Grunn", "", ""],
        ["To ganger", "", "Harstad", "", 2026, "100", "", "", "", "", ""],
    ]
    result = registration.import_grants(personas.secretariat, pot, xlsx_file(rows), dry_run=True)
    assert result.errors == [
        "Rad 2: «År» mangler.",
        "Rad 3: Vedtaksdatoen «31.02.2026» er ikke en dato. Skriv for eksempel 15.01.2026 eller 15. januar 2026.",
        "Rad 3: Skriv ja, nei eller kombinert i «Forprosjekt», ikke «kanskje».",
        "Rad 4: Bergensområdet hører ikke til Helse Nord RHF, som eier potten.",
        "Rad 5: «Begrunnelse» mangler.",
        "Rad 5: Ukjent kommunenummer «9999»",
        "Rad 7: «Eiere» er ikke den samme som på rad 6 for samme prosjekt.",
        "Rad 7: 2026 står allerede på rad 6 for samme prosjekt.",
        # The totals per year are checked whatever the rows: the pot has no money in 2031.
        "2031: regnearket binder 100\u00a0000\u00a0kr, men Lokal pott Troms og Ofoten har bare 0\u00a0kr ledig.",
    ]


def test_sheet_over_the_pots_headroom_saves_nothing(world, personas, pot, ssu):
    rows = [
        ["Stort prosjekt", "", "Tromsø", "", 2026, "1 500 000", "SSU", "15.01.2026", "Grunn", "", ""],
        ["Enda et prosjekt", "", "Harstad", "", 2026, "600 000", "SSU", "15.01.2026", "Grunn", "", ""],
    ]
    result = registration.import_grants(personas.secretariat, pot, csv_file(csv_text(rows)), dry_run=False)
    assert result.errors == ["2026: regnearket binder 2\u00a0100\u00a0000\u00a0kr, men Lokal pott Troms og Ofoten har bare 2\u00a0000\u00a0000\u00a0kr ledig."]
    assert not imported().exists() and not Commitment.objects.filter(kind=Commitment.Kind.GRANT).exists()


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("tilskudd.csv", HEADER[0].encode("latin-1") + "\nBodø;Bodø\n".encode("latin-1")), "ikke lagret som UTF-8"),
        (SimpleUploadedFile("tilskudd.csv", b"Prosjektnavn;Eiere\x00\n"), "tegn som ikke hører hjemme"),
        (SimpleUploadedFile("tilskudd.xlsx", b"Prosjektnavn;Eiere\n"), "ikke et gyldig .xlsx-dokument"),
        (SimpleUploadedFile("tilskudd.pdf", b"%PDF-1.4"), "Excel (.xlsx) eller CSV (.csv)"),
        (SimpleUploadedFile("tilskudd.csv", b""), "Filen er tom"),
        (SimpleUploadedFile("tilskudd.csv", "Prosjekt;Eier\n".encode()), "Disse kolonnene mangler"),
    ],
    ids=["latin-1", "nul", "fake-xlsx", "pdf", "empty", "headers"],
)
def test_uploads_are_checked(world, personas, pot, upload, message):
    result = registration.import_grants(personas.secretariat, pot, upload, dry_run=True)
    assert not result.clean and message in " ".join(result.errors)


# --- the pages -----------------------------------------------------------------------------


def test_register_page_saves_and_keeps_what_was_typed_on_errors(client, login, world, personas, pot, ssu):
    login(personas.secretariat)
    url = f"/administrasjon/tilskudd/potter/{pot.pk}/registrer/"
    assert client.get(url).status_code == 200
    data = {
        "title": "Trygg utskrivning",
        "helsefellesskap": world.hf.pk,
        "owners": [f"m{world.tromso.pk}", f"t{world.trust.pk}"],
        "partners": [f"m{world.harstad.pk}"],
        "decided_by_body": ssu.pk,
        "decided_on": "15. januar 2026",
        "reason": "SSU-sak 3/26",
        "pre_project": "no",
        "publish": "on",
        "years-TOTAL_FORMS": "5",
        "years-INITIAL_FORMS": "0",
        "years-0-year": "2026",
        "years-0-amount": "1 250 000 kr",
        "years-1-year": "2027",
        "years-1-amount": "3 000 000",
        "years-1-conditional": "on",
    }
    refused = client.post(url, data)
    page = refused.content.decode()
    assert refused.status_code == 400 and not Grant.objects.exists()
    assert "bare 2\u00a0000\u00a0000\u00a0kr ledig i 2027" in page
    assert 'value="Trygg utskrivning"' in page and 'value="1 250 000 kr"' in page and 'value="15. januar 2026"' in page
    assert f'<option value="m{world.harstad.pk}" selected>' in page

    saved = client.post(url, {**data, "years-1-amount": "500 000"})
    assert saved.status_code == 302
    grant = Grant.objects.get()
    assert grant.partners() == [world.harstad] and grant.commitments.get(pot_year__year=2027).status == Commitment.Status.CONDITIONAL
    listing = client.get(f"/administrasjon/tilskudd/potter/{pot.pk}/").content.decode()
    assert "Trygg utskrivning" in listing and "1\u00a0750\u00a0000\u00a0kr" in listing and "15. januar 2026" in listing


def test_import_page_previews_then_saves_all(client, login, world, personas, pot, ssu):
    login(personas.secretariat)
    url = f"/administrasjon/tilskudd/potter/{pot.pk}/importer/"
    preview = client.post(url, {"sheet": xlsx_file(CLEAN_ROWS)})
    page = preview.content.decode()
    assert preview.status_code == 200 and not imported().exists()
    assert "Felles legevakt" in page and "1\u00a0500\u00a0000\u00a0kr" in page and "Lagre alle" in page
    payload = preview.context["payload"]

    # A preview for one pot cannot be saved into another.
    other = domain.create_pot(personas.rhf_admin, parent=pot.parent, name="Annen pott", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    assert client.post(f"/administrasjon/tilskudd/potter/{other.pk}/importer/", {"payload": payload}).status_code == 400
    assert client.post(url, {"payload": payload + "x"}).status_code == 400
    assert not imported().exists()

    saved = client.post(url, {"payload": payload})
    assert saved.status_code == 302 and imported().count() == 2

    bad = client.post(url, {"sheet": csv_file(csv_text([CLEAN_ROWS[0][:2] + ["Tromsø2"] + CLEAN_ROWS[0][3:]]))})
    assert bad.status_code == 400 and "Rad 2: Ukjent kommune eller helseforetak «Tromsø2»" in bad.content.decode()
    assert bad.context["payload"] == "" and 'name="payload"' not in bad.content.decode()


def test_pages_are_scoped_to_the_pots_one_manages(client, login, world, personas, pot):
    finnmark = f.UserFactory(username="finnmark_secretariat")
    f.seat(Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat Finnmark", helsefellesskap=world.other_hf), finnmark)
    login(finnmark)
    assert pot.name not in client.get("/administrasjon/tilskudd/").content.decode()
    for suffix in ("", "registrer/", "importer/"):
        assert client.get(f"/administrasjon/tilskudd/potter/{pot.pk}/{suffix}").status_code == 404
    assert client.post(f"/administrasjon/tilskudd/potter/{pot.pk}/importer/", {"sheet": xlsx_file(CLEAN_ROWS)}).status_code == 404
    login(personas.secretariat)
    assert pot.name in client.get("/administrasjon/tilskudd/").content.decode()


def test_template_sheet_has_the_columns_and_imports_as_documented(client, login, world, personas, pot, ssu):
    login(personas.secretariat)
    response = client.get("/administrasjon/tilskudd/mal.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][:11] == tuple(HEADER)
    # The template's own example reads without errors (only the region's names differ).
    result = registration.import_grants(personas.secretariat, pot, SimpleUploadedFile("mal.xlsx", response.content), dry_run=True)
    assert result.clean, result.errors
    assert [(g.title, g.amounts_by_year, g.conditional_years) for g in result.planned] == [("Trygg utskrivning", {2026: 1_250_000, 2027: 1_000_000}, {2027})]


def test_a_sheet_with_too_many_rows_is_refused_whole(world, personas, pot, monkeypatch):
    from rsportal.funding import sheets

    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    rows = [["P", "", "Tromsø", "", 2026, "1", "SSU", "15.01.2026", "Grunn", "", ""]] + [[None] * 11] * 3 + [["Q", "", "Tromsø", "", 2026, "1", "SSU", "15.01.2026", "Grunn", "", ""]]
    for sheet in (xlsx_file(rows), csv_file(csv_text([["" if c is None else c for c in r] for r in rows[:1] + rows[4:] * 4]))):
        result = registration.import_grants(personas.secretariat, pot, sheet, dry_run=True)
        assert result.errors == ["Regnearket har mer enn 3 rader. Del det opp."]
