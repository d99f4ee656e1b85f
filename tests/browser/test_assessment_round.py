"""Issue 4 in a real browser: one assessment round, from applications forwarded to the
committee to the decision letters. The secretariat checks conflicts of interest and the
chair decides them; two members score on the six criteria; the ranking page shows both
tables and the optimiser's proposal beside the plain ranking; the meeting proposes, votes
and concludes (full grant, partial grant, rejection); the letter, the minutes and the
ranking workbook download. Saved state is checked in the database, pages with axe."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, BudgetLine, Call, Participant
from rsportal.assessment import domain, ranking
from rsportal.assessment.models import AgendaItem, Conflict, Decision, Meeting, Score, Vote
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Commitment, PotYear
from rsportal.registry.models import Body

from .conftest import assert_accessible, normalise, screenshot, sign_in, submit

pytestmark = pytest.mark.browser

M = 1_000_000
YEAR = 2027
CALL_TITLE = "Regional tildeling 2027"
PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Titles, and the scores (K1..K6: patient groups x3, waiting time, small hospitals,
# sustainability x2, benefit x2, integration 1-6) given through the score form.
A, B, C, D = "Felles akutteam Tromsø", "Ambulant team i Harstad", "Velferdsteknologi i Harstad", "Samvalg i Alta"
CHAIR_SCORES = {A: [5, 2, 2, 4, 4, 3], B: [2, 5, 5, 3, 3, 6], C: [3, 3, 3, 3, 3, 3], D: [4, 4, 2, 4, 4, 4]}
MEMBER_SCORES = {B: [2, 4, 4, 3, 3, 5], C: [3, 4, 3, 3, 4, 4], D: [4, 3, 2, 4, 3, 4]}
# What those scores give (see rsportal/assessment/ranking.py): the weights reorder the top.
EQUAL_ORDER = [B, D, A, C]  # 65.0, 60.0, 56.7, 54.2
WEIGHTED_ORDER = [A, D, B, C]  # 69.0, 64.8, 54.0, 53.8
RANKING_CAPTION = "Rangering med utvalgets vekter og med alle kriterier vektet likt"


@pytest.fixture
def committee_round(world, personas):
    """A regional call (10 MNOK frame for 2027, the six default criteria, decided by the
    allocation committee) with four submitted applications forwarded by the communities."""
    for year in (YEAR, YEAR + 1):
        appropriation = Appropriation.objects.create(year=year, name=f"RS {year}", amount=10 * M, rhf=world.rhf)
        funding.book_appropriation(personas.sysadmin, appropriation)
    call = Call.objects.create(
        pot=funding.root_pot(world.rhf), title=CALL_TITLE, status=Call.Status.CLOSED, purpose="Bedre samhandling.",
        frame_amount=10 * M, frame_year=YEAR,
    )
    add_default_criteria(call)
    call.steps.create(step="local_prioritisation", by_each_helsefellesskap=True)
    call.steps.create(step="decision", body=world.stu)
    # Two voting seats, one of them conflicted on A: "at least half" (kommuneloven § 11-9) lets the chair decide A.
    Body.objects.filter(pk=world.stu.pk).update(quorum=Body.Quorum.AT_LEAST_HALF)
    applications = {}
    for i, (title, hf, municipality, amounts) in enumerate([
        (A, world.hf, world.tromso, {YEAR: 4 * M, YEAR + 1: 2 * M}),
        (B, world.hf, world.harstad, {YEAR: 3 * M}),
        (C, world.hf, world.harstad, {YEAR: M}),
        (D, world.other_hf, world.alta, {YEAR: 5 * M}),
    ]):
        application = Application.objects.create(
            call=call, helsefellesskap=hf, title=title, status=Application.Status.SUBMITTED, created_by=personas.applicant,
            submitted_at=timezone.now(), goal="Færre innleggelser", patient_groups=["frail_elderly"],
        )
        Participant.objects.create(application=application, municipality=municipality, is_owner=True, contact_name=f"Kontakt {i}", contact_email=f"kontakt{i}@example.invalid")
        Participant.objects.create(application=application, trust=world.trust, contact_name="Trond Sykehus", contact_email="trond@example.invalid")
        for year, amount in amounts.items():
            BudgetLine.objects.create(application=application, year=year, kind="grant", amount=amount, description="Prosjektleder")
        applications[title] = application
    domain.forward(personas.secretariat, call, world.hf, ranked=[applications[A], applications[B], applications[C]], joint=[])
    domain.forward(personas.rhf_admin, call, world.other_hf, ranked=[applications[D]], joint=[])
    assert set(domain.candidates(call)) == set(applications.values())
    return call, applications


def label(text: str) -> re.Pattern:
    """A field's label, with or without the "(må fylles ut)" that required fields carry."""
    return re.compile(rf"^{re.escape(text)}( \(må fylles ut\))?$")


def _nb(number: Decimal) -> str:
    """A decimal as the Norwegian pages show it: 65,0."""
    return str(number).replace(".", ",")


def _alert(page: Page, text: str):
    return page.locator("main .ds-alert").filter(has_text=text)


def _legend(criterion) -> str:
    """The start of a criterion's group name (the description follows it in the name)."""
    return f"{criterion.name} ({criterion.scale_min}–{criterion.scale_max})"


def _score_through_the_form(page: Page, application: Application, values: list[int], who: str):
    page.goto(f"/vurdering/soknad/{application.pk}/poeng/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Poeng: {application.title}")
    criteria = list(domain.criteria_of(application.call))
    assert len(criteria) == len(values) == 6
    for criterion, value in zip(criteria, values):
        group = page.get_by_role("group", name=_legend(criterion))
        group.get_by_role("radio", name=str(value), exact=True).check()
        group.get_by_label("Kommentar").fill(f"{who}: {criterion.name.lower()} gir {value}")
    submit(page, page.get_by_role("button", name="Lagre poeng"))
    expect(_alert(page, "Poengene er lagret.")).to_be_visible()
    # The form shows what was saved.
    first = page.get_by_role("group", name=_legend(criteria[0]))
    expect(first.get_by_role("radio", name=str(values[0]), exact=True)).to_be_checked()


def _item(meeting: Meeting, application: Application) -> AgendaItem:
    return AgendaItem.objects.get(meeting=meeting, application=application)


def _open_item(page: Page, meeting: Meeting, application: Application) -> AgendaItem:
    item = _item(meeting, application)
    page.goto(f"/vurdering/mote/{meeting.pk}/leder/?sak={item.order}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(rf"^Sak {item.order} av 4$"))
    return item


def _propose(page: Page, outcome: str, reason: str, amounts: dict[int, str], part: str = ""):
    page.get_by_label(label("Vedtak")).select_option(label=outcome)
    for year, amount in amounts.items():
        page.get_by_label(label(f"Beløp {year}")).fill(amount)
    if part:
        page.get_by_label(label("Hvilken del av prosjektet (ved delvis innvilgelse)")).fill(part)
    page.get_by_label(label("Begrunnelse")).fill(reason)
    submit(page, page.get_by_role("button", name="Legg fram forslaget"))


def _vote(page: Page, choice: str):
    submit(page, page.get_by_role("button", name=choice, exact=True))


def _conclude(page: Page, explanation: str):
    submit(page, page.get_by_role("button", name="Avslutt avstemningen"))
    expect(_alert(page, explanation)).to_be_visible()


def _fetch(page: Page, link, content_type: str) -> bytes:
    """Follow a download link with the page's own session; check status and type."""
    href = link.get_attribute("href")
    # Documents are printed by WeasyPrint inside the request; on a busy two-core machine the first
    # print of a process (font cache) can pass the 10 s default. Speed is measured in bench/.
    response = page.request.get(href, timeout=60_000)
    assert response.status == 200, f"{href}: {response.status}"
    assert response.headers["content-type"] == content_type, response.headers
    return response.body()


def _post(page: Page, url: str, form: dict):
    """A form post with the page's session and its CSRF token, so a 403 means the permission check."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(url, form={"csrfmiddlewaretoken": token, **form}, headers={"X-CSRFToken": token}, max_redirects=0)


def _assert_pdf(content: bytes, where: str):
    assert content.startswith(b"%PDF-"), f"{where} is not a PDF: {content[:40]!r}"
    assert b"%%EOF" in content[-1024:], f"{where} is not a complete PDF"
    assert len(content) > 2_000, f"{where} is suspiciously small ({len(content)} bytes)"


def test_assessment_round_from_forwarded_applications_to_decision_letters(page, new_page, live_server, world, personas, committee_round):
    call, apps = committee_round
    member_seat = personas.member.seats.get(body=world.stu)
    chair_seat = personas.chair.seats.get(body=world.stu)
    secretariat = page
    sign_in(secretariat, personas.rhf_admin)
    chair = new_page()
    sign_in(chair, personas.chair)
    member = new_page()
    sign_in(member, personas.member)

    # --- the secretariat finds the forwarded applications -----------------------------------------
    secretariat.goto(f"/vurdering/utlysning/{call.pk}/")
    expect(secretariat.get_by_role("heading", level=1)).to_have_text(f"Behandling: {CALL_TITLE}")
    overview = secretariat.get_by_role("table", name="Søknader med formell kontroll, poeng, habilitet og vedtak")
    expect(overview.locator("tbody tr")).to_have_count(4)
    expect(overview.get_by_role("row").filter(has_text=A).get_by_role("cell").nth(2)).to_have_text("1")

    # --- conflicts: automatic detection, a self-declaration, the chair decides ---------------------
    secretariat.get_by_role("navigation", name="Behandling av utlysningen").get_by_role("link", name="Habilitet").click()
    expect(secretariat).to_have_url(f"{live_server.url}/vurdering/utlysning/{call.pk}/habilitet/")
    submit(secretariat, secretariat.get_by_role("button", name="Sjekk søknadene for navn og organisasjoner"))
    expect(_alert(secretariat, "Sjekket: 1 nye mulige inhabiliteter.")).to_be_visible()
    conflicts = secretariat.get_by_role("table", name="Habilitetsspørsmål")
    flagged = conflicts.get_by_role("row").filter(has_text=A)
    expect(flagged).to_contain_text(member_seat.name)
    expect(flagged).to_contain_text(f"Representerer {world.tromso}, som er med i søknaden.")
    expect(flagged).to_contain_text("Til vurdering hos leder")
    expect(flagged.get_by_role("button")).to_have_count(0)  # the secretariat does not decide
    detected = Conflict.objects.get()
    assert (detected.application, detected.member, detected.source, detected.status) == (apps[A], member_seat, "organisation", "pending")

    member.goto(f"/vurdering/utlysning/{call.pk}/habilitet/")
    member.get_by_label(label("Søknad")).select_option(label=B)
    member.get_by_label(label("Medlem")).select_option(label=f"{member_seat.name} (Medlem)")
    member.get_by_label(label("Hvorfor")).fill("Søsteren min er ansatt i hjemmetjenesten i Harstad.")
    submit(member, member.get_by_role("button", name="Meld til leder"))
    expect(_alert(member, "Habilitetsspørsmålet er meldt til leder.")).to_be_visible()
    declared = Conflict.objects.get(application=apps[B])
    assert (declared.member, declared.source, declared.status, declared.raised_by) == (member_seat, "self", "pending", personas.member)
    # Pending blocks: the member may not score B until the chair has decided.
    response = member.goto(f"/vurdering/soknad/{apps[B].pk}/poeng/")
    assert response.status == 403

    chair.goto(f"/vurdering/utlysning/{call.pk}/habilitet/")
    conflicts = chair.get_by_role("table", name="Habilitetsspørsmål")
    submit(chair, conflicts.get_by_role("row").filter(has_text=A).get_by_role("button", name="Inhabil", exact=True))
    expect(_alert(chair, "Habiliteten er avgjort.")).to_be_visible()
    submit(chair, conflicts.get_by_role("row").filter(has_text=B).get_by_role("button", name="Habil", exact=True))
    expect(conflicts.get_by_role("row").filter(has_text=A).locator(".ds-tag")).to_have_text("Inhabil")
    expect(conflicts.get_by_role("row").filter(has_text=B).locator(".ds-tag")).to_have_text("Habil")
    screenshot(chair, "assess-01-conflicts-decided")
    assert_accessible(chair, "conflicts page")
    statuses = {c.application.title: (c.status, c.decided_by) for c in Conflict.objects.select_related("application")}
    assert statuses == {A: ("confirmed", personas.chair), B: ("dismissed", personas.chair)}

    # --- the conflicted member is refused A everywhere -------------------------------------------
    member.goto(f"/vurdering/utlysning/{call.pk}/")
    own_overview = member.get_by_role("table", name="Søknader med formell kontroll, poeng, habilitet og vedtak")
    row_a = own_overview.get_by_role("row").filter(has_text=A)
    expect(row_a.get_by_text("Du er inhabil")).to_be_visible()
    expect(row_a.get_by_role("link")).to_have_count(0)
    expect(own_overview.get_by_role("row").filter(has_text=B).get_by_role("link", name="Poeng")).to_be_visible()
    response = member.goto(f"/vurdering/soknad/{apps[A].pk}/poeng/")
    assert response.status == 403
    expect(member.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    expect(member.get_by_text("Du er inhabil i denne saken og kan ikke se poeng eller drøfting.")).to_be_visible()
    first_criterion = domain.criteria_of(call).first()
    assert _post(member, f"/vurdering/soknad/{apps[A].pk}/poeng/", {f"score_{first_criterion.pk}": "5"}).status == 403
    assert not Score.objects.filter(member=member_seat).exists()

    # --- scoring through the form: the chair first, then the member -----------------------------
    # C (rejected later) is scored through the domain, to keep the browser work down; the rest through the form.
    criteria = list(domain.criteria_of(call))
    for who, name, given in ((personas.chair, "Leder", CHAIR_SCORES), (personas.member, "Medlem", MEMBER_SCORES)):
        domain.save_scores(who, apps[C], {c.pk: (v, f"{name}: {c.name.lower()} gir {v}") for c, v in zip(criteria, given[C])})
    for title in (A, B, D):
        _score_through_the_form(chair, apps[title], CHAIR_SCORES[title], "Leder")
    screenshot(chair, "assess-02-score-chair")

    member.goto(f"/vurdering/soknad/{apps[B].pk}/poeng/")
    expect(member.get_by_text("De andre medlemmenes poeng vises når du selv har gitt poeng på alle kriteriene.")).to_be_visible()
    expect(member.get_by_role("table", name="Poeng per medlem og kriterium")).to_have_count(0)
    screenshot(member, "assess-03-score-empty")
    assert_accessible(member, "score page (empty form)")
    for title in (B, D):
        _score_through_the_form(member, apps[title], MEMBER_SCORES[title], "Medlem")
    # Now that the member has scored D, the others' scores show.
    everyone = member.get_by_role("table", name="Poeng per medlem og kriterium")
    expect(everyone.locator("tbody tr")).to_have_count(12)
    expect(everyone.get_by_role("row").filter(has_text=chair_seat.name).first).to_contain_text("Leder: prioriterte pasientgrupper gir 4")

    for who, seat, given in (("Leder", chair_seat, CHAIR_SCORES), ("Medlem", member_seat, MEMBER_SCORES)):
        saved = {
            title: [(s.value, s.comment) for s in Score.objects.filter(member=seat, application=apps[title]).order_by("criterion__order")]
            for title in given
        }
        assert saved == {
            title: [(v, f"{who}: {c.name.lower()} gir {v}") for c, v in zip(criteria, values)] for title, values in given.items()
        }
    assert Score.objects.count() == 6 * 7 and not Score.objects.filter(member=member_seat, application=apps[A]).exists()

    # --- the ranking: two tables and the optimiser beside the plain ranking -----------------------
    secretariat.goto(f"/vurdering/utlysning/{call.pk}/")
    secretariat.get_by_role("navigation", name="Behandling av utlysningen").get_by_role("link", name="Rangering og forslag").click()
    expect(secretariat).to_have_url(f"{live_server.url}/vurdering/utlysning/{call.pk}/rangering/")
    rows = {r.application.title: r for r in ranking.build(list(apps.values()), criteria, Score.objects.all())}
    assert sorted(rows, key=lambda t: rows[t].equal_rank) == EQUAL_ORDER
    assert sorted(rows, key=lambda t: rows[t].weighted_rank) == WEIGHTED_ORDER
    assert (rows[A].weighted, rows[B].equal) == (Decimal("69.0"), Decimal("65.0"))
    # One table with both rankings, sorted by the committee's weights; a link sorts it by the equal weights.
    for order in (WEIGHTED_ORDER, EQUAL_ORDER):
        if order is EQUAL_ORDER:
            secretariat.get_by_role("link", name="Sorter etter rangen med alle kriterier vektet likt").click()
        table = secretariat.get_by_role("table", name=RANKING_CAPTION)
        body_rows = table.locator("tbody tr")
        expect(body_rows).to_have_count(4)
        for position, title in enumerate(order):
            cells = [normalise(t) for t in body_rows.nth(position).get_by_role("cell").all_inner_texts()]
            assert cells[1].startswith(title), cells
            assert cells[2:8] == [_nb(v) for v in rows[title].values], cells  # mean per criterion
            assert cells[0] == str(rows[title].weighted_rank) and cells[8] == _nb(rows[title].weighted), cells
            assert cells[9] == str(rows[title].equal_rank) and cells[10] == _nb(rows[title].equal), cells
        expect(body_rows.filter(has_text=B)).to_contain_text("2 har gitt poeng")
        expect(body_rows.filter(has_text=A)).to_contain_text("1 har gitt poeng")
    secretariat.get_by_role("link", name="Sorter etter utvalgets vekter").click()
    expect(secretariat.get_by_role("heading", name="Beslutningsstøtte: forslag til fordeling")).to_be_visible()
    facts = secretariat.locator("dl.facts")
    expect(facts.locator("dt", has_text=re.compile("^Forslag$"))).to_be_visible()
    expect(facts.locator("dt:text-is('Ren rangering') + dd")).to_contain_text("samlet skår")
    proposal = secretariat.get_by_role("table", name="Forslag og ren rangering per søknad")
    expect(proposal.locator("thead")).to_contain_text("Ren rangering")
    expect(proposal.locator("tbody tr")).to_have_count(4)
    columns = [[normalise(t) for t in proposal.locator("tbody tr").nth(i).get_by_role("cell").all_inner_texts()] for i in range(4)]
    assert all(c[0].startswith(title) for c, title in zip(columns, WEIGHTED_ORDER)), columns
    assert all(c[3] in ("Med", "Ute") and c[4] in ("Med", "Ute") for c in columns), columns
    chosen = [Decimal(c[2].replace(" kr", "").replace(" ", "")) for c in columns if c[4] == "Med"]
    assert chosen and sum(chosen) <= call.frame_amount, columns
    screenshot(secretariat, "assess-04-ranking")
    assert_accessible(secretariat, "ranking page")

    # The workbook the committee takes to the meeting.
    with secretariat.expect_download() as download_info, secretariat.expect_response(re.compile(r"rangering\.xlsx$")) as response_info:
        secretariat.get_by_role("link", name="Last ned tabellene (Excel)").click()
    download = download_info.value
    assert response_info.value.status == 200 and response_info.value.headers["content-type"] == XLSX_TYPE
    assert download.suggested_filename == f"rangering-{call.pk}.xlsx"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert book.sheetnames == ["Utvalgets vekter", "Alle kriterier vektet likt", "Poeng per medlem"]
    sheet = book["Utvalgets vekter"]
    # Title, source line, note, blank row, then the header (row 5) with rank and application first.
    assert sheet["A1"].value == f"{CALL_TITLE} – utvalgets vekter" and sheet["B5"].value == "Søknad" and sheet.max_row == 9
    assert [sheet.cell(row=r, column=2).value for r in range(6, 10)] == WEIGHTED_ORDER
    detail = book["Poeng per medlem"]
    assert detail["A4"].value == "Søknad" and detail.max_row == 4 + 6 * 7
    assert {(r[0], r[1]) for r in detail.iter_rows(min_row=5, values_only=True)} >= {(A, chair_seat.name), (B, member_seat.name)}
    assert "Medlem: bærekraft gir 3" in {r[4] for r in detail.iter_rows(min_row=5, values_only=True)}

    # The conflicted member's ranking leaves A out.
    member.goto(f"/vurdering/utlysning/{call.pk}/rangering/")
    expect(member.get_by_text("1 søknad vises ikke: du er inhabil, eller du har ikke gitt poeng selv ennå.")).to_be_visible()
    table = member.get_by_role("table", name=RANKING_CAPTION)
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).not_to_contain_text(A)
    expect(member.locator("main")).not_to_contain_text(A)
    with member.expect_download() as download_info:
        member.get_by_role("link", name="Last ned tabellene (Excel)").click()
    member_book = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert A not in {r[1] for r in member_book["Utvalgets vekter"].iter_rows(min_row=6, values_only=True)}
    assert A not in {r[0] for r in member_book["Poeng per medlem"].iter_rows(min_row=5, values_only=True)}

    # --- the meeting: the secretariat sets it up -----------------------------------------------
    secretariat.goto(f"/vurdering/utlysning/{call.pk}/")
    secretariat.locator("summary", has_text="Sett opp møte med tidsplan").click()
    secretariat.get_by_label(label("Møtestart")).fill(f"06.05.{YEAR} 09:00")
    secretariat.get_by_label(label("Sted")).fill("Bodø")
    submit(secretariat, secretariat.get_by_role("button", name="Sett opp møtet"))
    expect(_alert(secretariat, "Møtet er satt opp med tidsplan.")).to_be_visible()
    meeting = Meeting.objects.get()
    assert (meeting.body, meeting.location, meeting.items.count()) == (world.stu, "Bodø", 4)
    schedule = secretariat.get_by_role("table", name="Dagsorden med tidsplan og hvem som forlater rommet")
    expect(schedule.get_by_role("row").filter(has_text=A)).to_contain_text(member_seat.name)
    expect(secretariat.get_by_role("link", name="Åpne møtevisningen")).to_have_count(0)  # the chair runs it

    # A: the chair starts the item (the member leaves), proposes a full grant and concludes alone.
    item_a = _open_item(chair, meeting, apps[A])
    expect(chair.get_by_text(re.compile(rf"Forlater rommet:\s*{re.escape(member_seat.name)}"))).to_be_visible()
    # Who is present, before anything is put to the vote.
    chair.get_by_label(re.compile(rf"^{re.escape(chair_seat.name)} \(")).check()
    chair.get_by_label(re.compile(rf"^{re.escape(member_seat.name)} \(")).check()
    submit(chair, chair.get_by_role("button", name="Lagre oppmøtet"))
    expect(_alert(chair, "Oppmøtet er registrert.")).to_be_visible()
    # The meeting is set for May: starting it now must be confirmed.
    chair.get_by_label(re.compile("Jeg bekrefter at møtet holdes nå")).check()
    submit(chair, chair.get_by_role("button", name="Start saken og tiden"))
    chair.get_by_label("Drøfting til protokollen").fill("Godt forankret i begge nivåer.")
    submit(chair, chair.get_by_role("button", name="Avslutt saken"))
    expect(chair.get_by_label(label("Beløp 2027"))).to_have_value("4000000")  # what they applied for
    expect(chair.get_by_label(label("Beløp 2028"))).to_have_value("2000000")
    _propose(chair, "Innvilget", "Høy skår på prioriterte pasientgrupper og bærekraft.", {})
    expect(_alert(chair, "Forslaget er lagt fram til avstemning.")).to_be_visible()
    expect(chair.locator("dl.facts")).to_contain_text("(1 stemmeberettigede)")
    _vote(chair, "For")
    _conclude(chair, "Vedtatt med 1 mot 0 stemmer.")
    expect(chair.get_by_role("link", name="Vedtaksbrev (PDF)")).to_be_visible()
    item_a.refresh_from_db()
    assert item_a.started_at and item_a.ended_at and item_a.deliberation == "Godt forankret i begge nivåer."
    assert list(item_a.left_room.all()) == [member_seat]
    member.goto(f"/vurdering/mote/{meeting.pk}/leder/?sak={item_a.order}")
    expect(member.get_by_text("Du er inhabil i denne saken og skal forlate rommet under behandlingen.")).to_be_visible()
    expect(member.locator("main")).not_to_contain_text("Høy skår på prioriterte pasientgrupper")
    expect(member.get_by_role("button", name="For", exact=True)).to_have_count(0)

    # B: a partial grant, both vote for.
    item_b = _open_item(chair, meeting, apps[B])
    submit(chair, chair.get_by_role("button", name="Start saken og tiden"))
    _propose(chair, "Delvis innvilget", "Teamet er godt begrunnet; opplæringen er ordinær drift.", {YEAR: "1 500 000"}, part="Det ambulante teamet, ikke opplæringen.")
    expect(_alert(chair, "Forslaget er lagt fram til avstemning.")).to_be_visible()
    _vote(chair, "For")
    member.goto(f"/vurdering/mote/{meeting.pk}/leder/?sak={item_b.order}")
    expect(member.locator("dl.facts")).to_contain_text("Delvis innvilget")
    _vote(member, "For")
    expect(member.locator("dl.facts")).to_contain_text(f"{member_seat.name}: For")
    chair.reload()
    _conclude(chair, "Vedtatt med 2 mot 0 stemmer.")

    # C: the secretariat proposes a rejection; a tie is settled by the chair's casting vote.
    _open_item(chair, meeting, apps[C])
    submit(chair, chair.get_by_role("button", name="Start saken og tiden"))
    item_c = _open_item(secretariat, meeting, apps[C])
    expect(secretariat.get_by_role("button", name="Start saken og tiden")).to_have_count(0)
    # The amounts applied for stay filled in; a rejection ignores them.
    expect(secretariat.get_by_label(label(f"Beløp {YEAR}"))).not_to_have_value("")
    _propose(secretariat, "Avslått", "Tiltaket er ordinær drift i kommunen.", {})
    expect(_alert(secretariat, "Forslaget er lagt fram til avstemning.")).to_be_visible()
    expect(secretariat.get_by_role("button", name="Avslutt avstemningen")).to_have_count(0)
    member.goto(f"/vurdering/mote/{meeting.pk}/leder/?sak={item_c.order}")
    _vote(member, "Mot")
    _open_item(chair, meeting, apps[C])
    _vote(chair, "For")
    _conclude(chair, "Vedtatt ved leders dobbeltstemme (1 mot 1).")
    screenshot(chair, "assess-05-chair-decided")
    assert_accessible(chair, "meeting view with a concluded decision")

    # --- the saved decisions and the money booked against the pot --------------------------------
    decisions = {d.application.title: d for d in Decision.objects.select_related("application", "grant")}
    assert set(decisions) == {A, B, C}
    a, b, c = decisions[A], decisions[B], decisions[C]
    assert (a.status, a.outcome, a.amounts, a.item_id, a.proposed_by) == ("adopted", "full", {"2027": 4 * M, "2028": 2 * M}, item_a.pk, personas.chair)
    assert (b.status, b.outcome, b.amounts, b.part_description) == ("adopted", "partial", {"2027": 1_500_000}, "Det ambulante teamet, ikke opplæringen.")
    assert (c.status, c.outcome, c.amounts, c.grant, c.casting_vote_used, c.proposed_by) == ("adopted", "rejected", {}, None, True, personas.rhf_admin)
    assert c.reason == "Tiltaket er ordinær drift i kommunen."
    assert sorted(Vote.objects.filter(decision=c).values_list("member__name", "choice")) == sorted([(chair_seat.name, "for"), (member_seat.name, "against")])
    assert not Vote.objects.filter(decision=a, member=member_seat).exists()
    commitments = sorted(
        (cm.grant.title, cm.pot_year.year, cm.amount, cm.status) for cm in Commitment.objects.filter(kind="grant").select_related("grant", "pot_year")
    )
    assert commitments == [
        (B, 2027, 1_500_000, "firm"),
        (A, 2027, 4 * M, "firm"),
        (A, 2028, 2 * M, "conditional"),
    ]
    assert a.grant.pot == call.pot and b.grant.pot == call.pot and a.grant.helsefellesskap == world.hf
    assert set(a.grant.municipalities.all()) == {world.tromso}
    pot_2027 = PotYear.objects.get(pot=call.pot, year=YEAR)
    used = sum(pot_2027.commitments.filter(status__in=Commitment.ACTIVE).values_list("amount", flat=True))
    assert used == 5_500_000 and pot_2027.frame - used == 4_500_000
    assert not Decision.objects.filter(application=apps[D]).exists()

    # --- the documents -------------------------------------------------------------------------------
    secretariat.goto(f"/vurdering/utlysning/{call.pk}/")
    overview = secretariat.get_by_role("table", name="Søknader med formell kontroll, poeng, habilitet og vedtak")
    expect(overview.get_by_role("row").filter(has_text=A)).to_contain_text("Innvilget")
    expect(overview.get_by_role("row").filter(has_text=C)).to_contain_text("Avslått")
    expect(overview.get_by_role("row").filter(has_text=D).get_by_role("link", name="Vedtaksbrev (PDF)")).to_have_count(0)
    for title in (A, B, C):
        link = overview.get_by_role("row").filter(has_text=title).get_by_role("link", name="Vedtaksbrev (PDF)")
        assert link.get_attribute("href") == f"/vurdering/vedtak/{decisions[title].pk}/brev.pdf"
        _assert_pdf(_fetch(secretariat, link, PDF_TYPE), f"decision letter for {title}")
    secretariat.goto(f"/vurdering/mote/{meeting.pk}/")
    # A click opens the minutes in the browser's PDF viewer, which hands the page a wrapper
    # rather than the file: the click checks what the browser was sent, the session fetches the bytes.
    with secretariat.expect_response(re.compile(r"/protokoll\.pdf$")) as response_info:
        secretariat.get_by_role("link", name="Protokoll (PDF)").click()
    assert response_info.value.status == 200 and response_info.value.headers["content-type"] == PDF_TYPE
    assert response_info.value.headers["content-disposition"] == f'inline; filename="protokoll-{meeting.pk}.pdf"'
    secretariat.go_back()
    _assert_pdf(_fetch(secretariat, secretariat.get_by_role("link", name="Protokoll (PDF)"), PDF_TYPE), "minutes")


def test_outsiders_are_refused_the_committee_pages(page, new_page, world, personas, committee_round):
    call, apps = committee_round
    meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.make_aware(datetime.datetime(YEAR, 5, 6, 9, 0)))
    domain.record_attendance(personas.chair, meeting, list(world.stu.members.all()))
    domain.start_item(personas.chair, meeting.items.get(application=apps[D]), confirm_early=True)
    decision = domain.propose_decision(personas.chair, apps[D], outcome="rejected", amounts={}, reason="Utenfor formålet.")
    domain.cast_vote(personas.chair, decision, "for")
    domain.conclude(personas.chair, decision)
    item = meeting.items.first()
    urls = [
        f"/vurdering/utlysning/{call.pk}/",
        f"/vurdering/utlysning/{call.pk}/habilitet/",
        f"/vurdering/utlysning/{call.pk}/rangering/",
        f"/vurdering/utlysning/{call.pk}/rangering.xlsx",
        f"/vurdering/soknad/{apps[A].pk}/poeng/",
        f"/vurdering/mote/{meeting.pk}/",
        f"/vurdering/mote/{meeting.pk}/leder/?sak={item.order}",
        f"/vurdering/mote/{meeting.pk}/protokoll.pdf",
        f"/vurdering/vedtak/{decision.pk}/brev.pdf",
    ]
    # An outsider has no role at all; another community's secretariat has a role, but none in this call.
    for who, browser_page, message in (
        (personas.outsider, page, "Du har ingen rolle i RS-portalen"),
        (personas.other_secretariat, new_page(), re.compile("Du har ingen rolle i (behandlingen|dette møtet)")),
    ):
        sign_in(browser_page, who)
        for url in urls:
            response = browser_page.goto(url)
            assert response.status == 403, f"{who.username} got {response.status} for {url}"
            expect(browser_page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
            if "brev.pdf" not in url:
                expect(browser_page.locator("main")).to_contain_text(message)
            assert "%PDF" not in browser_page.content()
        screenshot(browser_page, f"assess-06-refused-{who.username}")
        # Nor can they change anything.
        for url in (f"/vurdering/utlysning/{call.pk}/habilitet/sjekk/", f"/vurdering/sak/{item.pk}/forslag/"):
            assert _post(browser_page, url, {}).status == 403, (who.username, url)
    assert not Conflict.objects.exists() and Decision.objects.count() == 1


def test_ranking_page_is_accessible(page, world, personas, committee_round):
    call, apps = committee_round
    criteria = list(domain.criteria_of(call))
    for who, given in ((personas.chair, CHAIR_SCORES), (personas.member, {A: CHAIR_SCORES[A], **MEMBER_SCORES})):
        for title, values in given.items():
            domain.save_scores(who, apps[title], {c.pk: (v, "") for c, v in zip(criteria, values)})
    sign_in(page, personas.rhf_admin)
    page.goto(f"/vurdering/utlysning/{call.pk}/rangering/")
    expect(page.get_by_role("table", name=RANKING_CAPTION).locator("tbody tr")).to_have_count(4)
    assert_accessible(page, "ranking page")
