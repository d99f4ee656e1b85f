"""Payment requests against a grant, the pot's payment plan, separation of duties, the export to
the accounting system, money between partners and the figures seen from above."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from rsportal.core import workbooks as wb
from rsportal.core.formatting import kroner
from rsportal.core.models import AuditEvent, Notification
from rsportal.followup import domain as followup
from rsportal.followup.forms import ReportForm
from rsportal.followup.models import Payment
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant
from rsportal.funding.queries import money_scope
from rsportal.payments import domain, queries
from rsportal.payments.models import CostLine, PartnerRecord, PaymentPlan, PaymentRequest

from . import factories as f
from .factories import PDF

M = 1_000_000
YEAR = 2026


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def grant(world, personas):
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=YEAR, name="RS 2026", amount=5 * M, rhf=world.rhf))
    world.tromso.org_number = "940101808"
    world.tromso.save()
    grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title="Trygg hjemkomst", helsefellesskap=world.hf, reference="26/00042")
    grant.municipalities.add(world.tromso)
    grant.partner_municipalities.add(world.harstad)
    funding.commit_grant(personas.rhf_admin, grant=grant, amounts={YEAR: M})
    return grant


@pytest.fixture
def harstad_applicant(world):
    user = f.UserFactory(username="harstad")
    f.role(user, "applicant", municipality=world.harstad)
    return user


def request(actor, grant, world, amount=300_000, report=None, documentation=None, year=YEAR):
    costs = [domain.Cost(world.tromso, amount - 100_000, documentation), domain.Cost(world.harstad, 100_000)]
    return domain.submit_request(
        actor, grant, year=year, period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 6, 30), costs=costs, own_contribution=50_000, report=report
    )


def report_for(actor, grant):
    form = ReportForm({"progress": "on_track", "progress_text": "I gang", "owner": "Tromsø kommune", "agreements": "formal", "user_involvement": "Brukerråd"})
    assert form.is_valid(), form.errors
    return followup.submit_report(actor, grant, form=form, spending={}, contributions=[])


def test_owner_requests_payment_with_documentation(world, personas, grant):
    secretariat_emails = {personas.secretariat.email}
    made = request(personas.applicant, grant, world, documentation=SimpleUploadedFile("bilag.pdf", PDF))

    made.refresh_from_db()
    assert (made.amount, made.own_contribution, made.status, made.year) == (300_000, 50_000, "submitted", YEAR)
    assert made.requested_by == personas.applicant == made.registered_by and made.recipient == world.tromso
    lines = {c.organisation.name: (c.amount, c.documentation_name, c.documentation_content_type) for c in made.costs.all()}
    assert lines == {"Tromsø": (200_000, "bilag.pdf", "application/pdf"), "Harstad": (100_000, "", "")}
    assert AuditEvent.objects.filter(action="payments.request_submitted", object_id=str(made.pk)).exists()
    assert secretariat_emails <= set(Notification.objects.filter(subject__contains="Ny utbetalingsanmodning").values_list("recipient", flat=True))


def test_documentation_goes_through_the_upload_checks(world, personas, grant):
    with pytest.raises(domain.PaymentError, match="Dokumentasjonen for Tromsø: Filen er ikke en gyldig PDF"):
        request(personas.applicant, grant, world, documentation=SimpleUploadedFile("bilag.pdf", b"not a pdf"))
    assert not PaymentRequest.objects.exists() and not CostLine.objects.exists()


def test_only_the_owners_applicants_request(world, personas, grant, harstad_applicant):
    for who in (harstad_applicant, personas.secretariat, personas.other_applicant):
        with pytest.raises(PermissionDenied):
            request(who, grant, world)
    assert not PaymentRequest.objects.exists()


def test_nothing_is_requested_beyond_the_commitment(world, personas, grant):
    request(personas.applicant, grant, world, amount=600_000)
    with pytest.raises(domain.PaymentError, match=kroner(M)):
        request(personas.applicant, grant, world, amount=500_000)
    with pytest.raises(domain.PaymentError, match="ikke noe gjeldende tilsagn for 2027"):
        request(personas.applicant, grant, world, year=2027)
    assert list(PaymentRequest.objects.values_list("amount", flat=True)) == [600_000]


def test_the_pots_plan_ties_the_rest_to_a_report(world, personas, grant):
    domain.set_payment_plan(personas.rhf_admin, grant.pot, advance_percent=40)
    request(personas.applicant, grant, world, amount=400_000)
    with pytest.raises(domain.PaymentError, match="40 % av tilsagnet ved oppstart"):
        request(personas.applicant, grant, world, amount=200_000)
    report = report_for(personas.applicant, grant)
    later = request(personas.applicant, grant, world, amount=600_000, report=report)
    assert later.report == report and PaymentRequest.objects.count() == 2
    assert PaymentPlan.objects.get(pot=grant.pot).advance_percent == 40


def test_approval_is_never_by_the_requester_or_registrar(world, personas, grant):
    """Someone both applicant for the owner and in the secretariat may request, but not approve."""
    both = f.UserFactory(username="both")
    f.role(both, "applicant", municipality=world.tromso)
    f.seat(world.secretariat_body, both)
    made = request(both, grant, world)

    with pytest.raises(PermissionDenied, match="kan ikke selv godkjenne"):
        domain.approve_request(both, made, version=made.version)
    with pytest.raises(PermissionDenied, match="kan ikke selv godkjenne"):
        domain.return_request(both, made, reason="Mangler bilag", version=made.version)
    made.refresh_from_db()
    assert made.status == "submitted" and made.decided_by is None

    approved = domain.approve_request(personas.secretariat, made, version=made.version)
    approved.refresh_from_db()
    assert (approved.status, approved.decided_by, approved.requested_by) == ("approved", personas.secretariat, both)
    assert AuditEvent.objects.get(action="payments.request_approved").actor == personas.secretariat
    assert Notification.objects.filter(recipient=both.email, subject__contains="godkjent").exists()


def test_the_applicant_cannot_approve_and_a_stale_form_is_refused(world, personas, grant):
    made = request(personas.applicant, grant, world)
    with pytest.raises(PermissionDenied):
        domain.approve_request(personas.applicant, made, version=made.version)
    domain.return_request(personas.secretariat, made, reason="Mangler bilag for Harstad", version=made.version)
    with pytest.raises(domain.StaleRequest):
        domain.approve_request(personas.rhf_admin, made, version=0)
    made.refresh_from_db()
    assert (made.status, made.return_reason, made.decided_by) == ("returned", "Mangler bilag for Harstad", personas.secretariat)
    assert Notification.objects.filter(recipient=personas.applicant.email, body__contains="Mangler bilag for Harstad").exists()
    # Returned money no longer counts as requested.
    assert domain.requested(grant, YEAR) == 0


def test_approved_requests_are_exported_and_marked_paid_through_the_payment_records(world, personas, grant):
    made = request(personas.applicant, grant, world)
    domain.approve_request(personas.secretariat, made, version=made.version)
    rows = queries.export_rows(money_scope(personas.rhf_admin))
    assert [(r.org_number, r.reference, r.year, r.amount) for r in rows] == [("940101808", "26/00042", YEAR, 300_000)]
    assert queries.export_rows(money_scope(personas.other_secretariat)) == []

    domain.mark_paid(personas.rhf_admin, [made], paid_on=datetime.date(YEAR, 9, 1))

    made.refresh_from_db()
    payment = Payment.objects.get()
    assert made.status == "paid" and made.payment == payment and (payment.amount, payment.year, payment.grant) == (300_000, YEAR, grant)
    assert queries.export_rows(money_scope(personas.rhf_admin)) == []
    # The paid money stays bound: releasing the commitment frees only the rest.
    commitment = grant.commitments.get()
    released = funding.release_commitment(personas.rhf_admin, commitment, "Prosjektet stanset")
    assert released.amount == M - 300_000
    assert sorted(grant.commitments.values_list("status", "amount")) == [("firm", 300_000), ("released", M - 300_000)]
    with pytest.raises(domain.PaymentError):
        domain.mark_paid(personas.rhf_admin, [made], paid_on=datetime.date(YEAR, 9, 1))


def test_approval_after_a_release_is_refused(world, personas, grant):
    made = request(personas.applicant, grant, world)
    funding.release_commitment(personas.rhf_admin, grant.commitments.get(), "Prosjektet stanset")
    with pytest.raises(domain.PaymentError, match="ikke noe gjeldende tilsagn"):
        domain.approve_request(personas.secretariat, made, version=made.version)
    assert PaymentRequest.objects.get().status == "submitted"


def test_partner_money_owed_invoiced_received_and_overdue(world, personas, grant, harstad_applicant):
    made = request(personas.applicant, grant, world)
    domain.approve_request(personas.secretariat, made, version=made.version)
    domain.mark_paid(personas.rhf_admin, [made], paid_on=datetime.date(YEAR, 3, 1))
    domain.record_invoice(harstad_applicant, grant, partner=world.harstad, year=YEAR, amount=100_000, on=datetime.date(YEAR, 3, 10), reference="F-1")
    with pytest.raises(PermissionDenied):
        domain.record_invoice(personas.applicant, grant, partner=world.harstad, year=YEAR, amount=1, on=datetime.date(YEAR, 3, 10))
    with pytest.raises(PermissionDenied):
        domain.record_transfer(harstad_applicant, grant, partner=world.harstad, year=YEAR, amount=1, on=datetime.date(YEAR, 3, 10))

    late = datetime.date(YEAR, 5, 1)
    [balance] = queries.partner_balances(grant, today=late)
    assert (balance.organisation, balance.invoiced, balance.received, balance.overdue) == (world.harstad, 100_000, 0, True)
    assert [(g, o, y, a) for g, o, y, a in queries.overdue_transfers(Q_grant(grant), today=late)] == [(grant, world.harstad, YEAR, 100_000)]

    domain.record_transfer(personas.applicant, grant, partner=world.harstad, year=YEAR, amount=100_000, on=datetime.date(YEAR, 4, 20))
    [balance] = queries.partner_balances(grant, today=late)
    assert (balance.received, balance.outstanding, balance.overdue) == (100_000, 0, False)
    assert queries.overdue_transfers(Q_grant(grant), today=late) == []
    # The owner cannot pass on more than it has been paid for the year.
    with pytest.raises(domain.PaymentError, match=kroner(300_000)):
        domain.record_transfer(personas.applicant, grant, partner=world.harstad, year=YEAR, amount=200_001, on=late)
    assert PartnerRecord.objects.filter(kind="transfer").count() == 1
    assert AuditEvent.objects.filter(action__in=["payments.invoice", "payments.transfer"]).count() == 2


def Q_grant(grant):
    from django.db.models import Q

    return Q(grant=grant)


def test_figures_per_pot_and_year(world, personas, grant):
    first = request(personas.applicant, grant, world, amount=300_000)
    second = request(personas.applicant, grant, world, amount=200_000)
    returned = request(personas.applicant, grant, world, amount=150_000)
    domain.return_request(personas.secretariat, returned, reason="Feil periode", version=0)
    domain.approve_request(personas.secretariat, first, version=0)
    domain.approve_request(personas.secretariat, second, version=0)
    PaymentRequest.objects.filter(pk=first.pk).update(submitted_at=datetime.datetime(YEAR, 3, 1, 12, tzinfo=datetime.UTC))
    domain.mark_paid(personas.rhf_admin, [first], paid_on=datetime.date(YEAR, 3, 11))

    [row] = queries.figures([world.rhf.pk], YEAR)
    assert (row.pot, row.committed, row.requested, row.approved, row.paid, row.passed_on) == (grant.pot, M, 500_000, 500_000, 300_000, 0)
    assert (row.median_days, row.average_days) == (10, 10)
    assert queries.figures([world.other_rhf.pk], YEAR) == []


# --- the pages ---


def test_request_through_the_form_then_approve_export_and_mark_paid(client, login, world, personas, grant):
    login(personas.applicant)
    page = client.get(f"/utbetaling/tilskudd/{grant.pk}/ny/")
    assert page.status_code == 200 and "Påløpte kostnader, Harstad" in page.content.decode()
    data = {
        "year": str(YEAR), "period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-06-30", "recipient": f"m:{world.tromso.pk}",
        "own_contribution": "50 000", f"cost_m_{world.tromso.pk}": "2 000 000", f"doc_m_{world.tromso.pk}": SimpleUploadedFile("bilag.pdf", PDF),
    }
    refused = client.post(f"/utbetaling/tilskudd/{grant.pk}/ny/", data)
    html = refused.content.decode()
    assert refused.status_code == 400 and "mer enn tilsagnet" in html and 'value="50 000"' in html
    data[f"cost_m_{world.tromso.pk}"] = "250 000"
    data[f"doc_m_{world.tromso.pk}"] = SimpleUploadedFile("bilag.pdf", PDF)
    response = client.post(f"/utbetaling/tilskudd/{grant.pk}/ny/", data)
    made = PaymentRequest.objects.get()
    assert response.status_code == 302 and made.amount == 250_000
    line = made.costs.get()
    assert client.get(f"/utbetaling/bilag/{line.pk}/").status_code == 200
    assert client.post(f"/utbetaling/anmodning/{made.pk}/godkjenn/", {"version": 0}).status_code == 403

    login(personas.secretariat)
    html = client.get("/utbetaling/").content.decode()
    assert "Trygg hjemkomst" in html and kroner(250_000) in html
    stale = client.post(f"/utbetaling/anmodning/{made.pk}/send-tilbake/", {"version": 7, "reason": "Feil periode"})
    assert stale.status_code == 409 and "Feil periode" in stale.content.decode()
    assert client.post(f"/utbetaling/anmodning/{made.pk}/godkjenn/", {"version": 0}).status_code == 302
    made.refresh_from_db()
    assert made.status == "approved" and made.decided_by == personas.secretariat

    sheet = wb.read_rows(client.get("/utbetaling/eksport.xlsx").content, max_rows=20)
    assert ["940101808", "Tromsø", "26/00042", YEAR, 250_000, "Trygg hjemkomst", str(made.pk)] in [list(r) for r in sheet]
    csv = client.get("/utbetaling/eksport.csv").content.decode()
    assert f"940101808,Tromsø,26/00042,{YEAR},250000" in csv

    response = client.post("/utbetaling/marker-utbetalt/", {"requests": [made.pk], "paid_on": f"{YEAR}-09-01"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == "paid" and made.payment.amount == 250_000


def test_partner_pages(client, login, world, personas, grant, harstad_applicant):
    login(harstad_applicant)
    assert client.get(f"/utbetaling/tilskudd/{grant.pk}/").status_code == 200
    assert client.get(f"/utbetaling/tilskudd/{grant.pk}/ny/").status_code == 403
    response = client.post(f"/utbetaling/tilskudd/{grant.pk}/faktura/", {"partner": f"m:{world.harstad.pk}", "year": YEAR, "amount": "80 000", "on": f"{YEAR}-02-01", "reference": "F-7"})
    assert response.status_code == 302
    assert PartnerRecord.objects.get().amount == 80_000

    login(personas.applicant)
    refused = client.post(f"/utbetaling/tilskudd/{grant.pk}/overforing/", {"partner": f"m:{world.harstad.pk}", "year": YEAR, "amount": "80 000", "on": f"{YEAR}-03-01"})
    assert refused.status_code == 400 and "mer enn de 0" in refused.content.decode().replace("\u00a0", " ")
    assert PartnerRecord.objects.count() == 1


def test_figures_page_and_plan(client, login, world, personas, grant):
    login(personas.rhf_admin)
    assert client.post(f"/utbetaling/pott/{grant.pot.pk}/plan/", {"advance_percent": "30"}).status_code == 302
    assert PaymentPlan.objects.get(pot=grant.pot).advance_percent == 30
    html = client.get(f"/utbetaling/oversikt/?ar={YEAR}").content.decode()
    assert grant.pot.name in html and kroner(M) in html and "30 % ved oppstart" in html
    login(personas.applicant)
    assert client.get("/utbetaling/oversikt/").status_code == 403


def test_figures_page_shows_one_year_at_a_time(client, login, world, personas, grant, monkeypatch):
    """The overview's cost follows the year shown: another year's commitments are neither shown
    nor read; this year is shown when no year is asked for."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=YEAR + 1, name="RS 2027", amount=5 * M, rhf=world.rhf))
    funding.commit_grant(personas.rhf_admin, grant=grant, amounts={YEAR + 1: 2 * M})
    login(personas.rhf_admin)
    monkeypatch.setattr("rsportal.payments.views.timezone.localdate", lambda: datetime.date(YEAR, 6, 1))
    response = client.get("/utbetaling/oversikt/")
    assert response.context["year"] == YEAR
    assert [(r.year, r.committed) for r in response.context["rows"]] == [(YEAR, M)]
    later = client.get(f"/utbetaling/oversikt/?ar={YEAR + 1}")
    assert [(r.year, r.committed) for r in later.context["rows"]] == [(YEAR + 1, 2 * M)]
    assert f'<option value="{YEAR + 1}" selected>' in later.content.decode()


# --- the to-do lists and the cost of the list page ---


def _todo(client, role):
    response = client.get("/")
    lists = {r.key: r for r in response.context["todo"]}
    return {s.key: s for s in lists[role].sections}


def test_to_do_lists_show_requests_to_handle_and_overdue_transfers(client, login, world, personas, grant, harstad_applicant):
    made = request(personas.applicant, grant, world)
    domain.approve_request(personas.secretariat, made, version=0)
    domain.mark_paid(personas.rhf_admin, [made], paid_on=datetime.date(YEAR, 3, 1))
    waiting = request(personas.applicant, grant, world, amount=200_000)
    long_ago = datetime.date.today() - datetime.timedelta(days=domain.PAYMENT_DAYS + 5)
    domain.record_invoice(harstad_applicant, grant, partner=world.harstad, year=YEAR, amount=70_000, on=long_ago)
    domain.record_invoice(harstad_applicant, grant, partner=world.harstad, year=YEAR, amount=10_000, on=datetime.date.today())

    login(personas.secretariat)
    sections = _todo(client, "secretariat")
    assert [i.url for i in sections["payment_requests"].items] == [f"/utbetaling/anmodning/{waiting.pk}/"]
    [overdue] = sections["transfers_overdue"].items
    assert overdue.title == "Trygg hjemkomst: Harstad" and kroner(70_000) in overdue.state and overdue.late

    login(personas.applicant)
    [overdue] = _todo(client, "applicant")["transfers_overdue"].items
    assert overdue.url == f"/utbetaling/tilskudd/{grant.pk}/"

    domain.record_transfer(personas.applicant, grant, partner=world.harstad, year=YEAR, amount=70_000, on=datetime.date.today())
    assert _todo(client, "applicant")["transfers_overdue"].items == []


def test_the_requester_in_the_secretariat_is_not_asked_to_approve_their_own(client, login, world, personas, grant):
    both = f.UserFactory(username="both")
    f.role(both, "applicant", municipality=world.tromso)
    f.seat(world.secretariat_body, both)
    request(both, grant, world)
    login(both)
    assert _todo(client, "secretariat")["payment_requests"].items == []
    login(personas.secretariat)
    assert len(_todo(client, "secretariat")["payment_requests"].items) == 1


@pytest.mark.parametrize("who", ["secretariat", "applicant"])
def test_list_and_grant_pages_cost_the_same_with_twenty_requests(client, login, world, personas, grant, harstad_applicant, who):
    from .test_query_counts import count_queries

    funding.commit_grant(personas.rhf_admin, grant=grant, amounts={YEAR: 4 * M})
    request(personas.applicant, grant, world, amount=200_000)
    domain.record_invoice(harstad_applicant, grant, partner=world.harstad, year=YEAR, amount=1_000, on=datetime.date(YEAR, 1, 1))
    login(getattr(personas, who))
    urls = ["/", "/utbetaling/", f"/utbetaling/tilskudd/{grant.pk}/"]
    for url in urls:
        client.get(url)  # warm-up
    before = [count_queries(client, url) for url in urls]
    for i in range(20):
        made = request(personas.applicant, grant, world, amount=200_000)
        if i % 2:
            domain.approve_request(personas.secretariat, made, version=made.version)
        domain.record_invoice(harstad_applicant, grant, partner=world.harstad, year=YEAR, amount=1_000 + i, on=datetime.date(YEAR, 1, 1))
    assert [count_queries(client, url) for url in urls] == before


def test_open_api_gives_the_figures_without_people(client, world, personas, grant):
    made = request(personas.applicant, grant, world)
    domain.approve_request(personas.secretariat, made, version=0)
    domain.mark_paid(personas.rhf_admin, [made], paid_on=datetime.date.today())

    response = client.get(f"/api/v1/payments?year={YEAR}&rhf=HN")
    assert response.status_code == 200
    [row] = response.json()
    assert row["rhf"]["code"] == "HN" and row["pot"] == grant.pot.name
    assert (row["committed"], row["requested"], row["approved"], row["paid"], row["paid_requests"], row["median_days"]) == (M, 300_000, 300_000, 300_000, 1, 0)
    text = response.content.decode()
    for personal in (personas.applicant.username, personas.applicant.email, personas.secretariat.username):
        assert personal not in text
    assert client.get("/api/v1/payments?rhf=XX").status_code == 404
    assert client.get("/api/v1/payments?rhf=HV").json() == []


def test_annual_report_carries_the_figures(world, personas, grant, monkeypatch):
    from rsportal.assessment import documents as printed
    from rsportal.followup import documents, exports
    from rsportal.followup.models import DocumentJob

    made = request(personas.applicant, grant, world)
    domain.approve_request(personas.secretariat, made, version=0)
    domain.mark_paid(personas.rhf_admin, [made], paid_on=datetime.date(YEAR, 9, 1))

    book = exports.annual_workbook(world.rhf, YEAR, exports.annual_rows(world.rhf, YEAR))
    sheet = [list(r) for r in wb.read_rows(book, max_rows=10)]
    assert sheet[0][0].startswith("Årsmelding")  # the first sheet is unchanged
    from openpyxl import load_workbook
    import io

    second = load_workbook(io.BytesIO(book))["Utbetalinger 2026"]
    values = [[c.value for c in row] for row in second.iter_rows()]
    assert [grant.pot.name, YEAR, M, 300_000, 300_000, 300_000, 0] in [v[:7] for v in values]

    seen = []
    monkeypatch.setattr(printed, "pdf", lambda template, context: seen.append(printed.render_to_string(template, context)) or b"%PDF-1.4\n")
    job = DocumentJob.objects.create(kind=DocumentJob.Kind.ANNUAL_REPORT_PDF, rhf=world.rhf, year=YEAR, requested_by=personas.rhf_admin)
    documents._render(job)
    assert "Utbetalinger" in seen[0] and grant.pot.name in seen[0] and kroner(300_000) in seen[0]


def test_secretariat_registers_a_request_by_letter_and_another_approves(client, login, world, personas, grant):
    login(personas.secretariat)
    data = {
        "year": str(YEAR), "period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-06-30", "recipient": f"m:{world.tromso.pk}",
        f"cost_m_{world.tromso.pk}": "120 000",
    }
    refused = client.post(f"/utbetaling/tilskudd/{grant.pk}/ny/", data)
    assert refused.status_code == 400 and "Anmodet av" in refused.content.decode()
    data["requested_by_name"] = "Tone Tromsø"
    assert client.post(f"/utbetaling/tilskudd/{grant.pk}/ny/", data).status_code == 302
    made = PaymentRequest.objects.get()
    assert (made.requested_by, made.requested_by_name, made.registered_by, made.amount) == (None, "Tone Tromsø", personas.secretariat, 120_000)

    with pytest.raises(PermissionDenied):
        domain.approve_request(personas.secretariat, made, version=made.version)
    assert client.post(f"/utbetaling/anmodning/{made.pk}/godkjenn/", {"version": made.version}).status_code == 403
    domain.approve_request(personas.rhf_admin, made, version=made.version)
    made.refresh_from_db()
    assert (made.status, made.decided_by, made.registered_by) == ("approved", personas.rhf_admin, personas.secretariat)
    with pytest.raises(PermissionDenied):
        domain.register_request(personas.applicant, grant, requested_by_name="X", year=YEAR, period_start=datetime.date(YEAR, 1, 1), period_end=datetime.date(YEAR, 2, 1), costs=[domain.Cost(world.tromso, 1)], recipient=world.tromso)


def test_a_new_request_is_told_to_this_grants_secretariats_only(world, personas, grant):
    elsewhere = f.UserFactory(username="vest", email="vest@example.invalid")
    f.seat(world.far_secretariat_body, elsewhere)
    rhf_secretariat = f.UserFactory(username="nord", email="nord@example.invalid")
    f.seat(world.rhf_secretariat_body, rhf_secretariat)
    from rsportal.registry.models import Body

    other_rhf_body = Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Vest-sekretariat", rhf=world.other_rhf)
    other_rhf_member = f.UserFactory(username="hv", email="hv@example.invalid")
    f.seat(other_rhf_body, other_rhf_member)
    Grant.objects.filter(pk=grant.pk).update(helsefellesskap=None)
    grant.refresh_from_db()

    request(personas.applicant, grant, world)
    told = set(Notification.objects.filter(subject__startswith="Ny utbetalingsanmodning").values_list("recipient", flat=True))
    assert told == {"nord@example.invalid"}


def test_partners_planned_share_comes_from_the_applications_budget(world, personas, grant, harstad_applicant):
    from rsportal.applications.models import Application, BudgetLine, Call
    from rsportal.assessment.models import Decision

    call = Call.objects.create(pot=grant.pot, title="Utlysning", purpose="-")
    application = Application.objects.create(call=call, helsefellesskap=world.hf, title=grant.title, created_by=personas.applicant, case_number="26/00077")
    tromso = application.participants.create(municipality=world.tromso, is_owner=True)
    harstad = application.participants.create(municipality=world.harstad)
    for participant, year, amount in ((tromso, YEAR, 600_000), (harstad, YEAR, 250_000), (harstad, YEAR, 150_000), (harstad, YEAR + 1, 90_000)):
        BudgetLine.objects.create(application=application, participant=participant, year=year, kind=BudgetLine.Kind.GRANT, amount=amount, description="Stilling")
    BudgetLine.objects.create(application=application, participant=harstad, year=YEAR, kind=BudgetLine.Kind.OWN_MONEY, amount=77_000, description="Egen")
    Decision.objects.create(application=application, body=world.stu, outcome="full", reason="-", status="adopted", proposed_by=personas.chair, grant=grant)
    grant = Grant.objects.get(pk=grant.pk)

    assert domain.reference(grant) == "26/00077"
    balances = {(b.organisation, b.year): b.planned for b in queries.partner_balances(grant)}
    # The owner keeps its own share; the partner is owed its grant lines, not its own money.
    assert balances == {(world.harstad, YEAR): 400_000, (world.harstad, YEAR + 1): 90_000}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_never_ask_for_more_than_the_commitment(monkeypatch, tmp_path, settings):
    """The second request waits for the first (the grant's row lock) and then sees it."""
    import threading

    from django.db import connection

    settings.MEDIA_ROOT = str(tmp_path)
    admin = f.UserFactory(username="admin", is_superuser=True)
    rhf = f.RHFFactory(code="HN")
    tromso = f.MunicipalityFactory(name="Tromsø")
    owner = f.UserFactory(username="owner")
    f.role(owner, "applicant", municipality=tromso)
    funding.book_appropriation(admin, Appropriation.objects.create(year=YEAR, name="RS", amount=5 * M, rhf=rhf))
    grant = Grant.objects.create(pot=funding.root_pot(rhf), title="Prosjekt")
    grant.municipalities.add(tromso)
    funding.commit_grant(admin, grant=grant, amounts={YEAR: M})

    first_inside, second_done = threading.Event(), threading.Event()
    real = domain.record

    def slow_record(*args, **kwargs):
        event = real(*args, **kwargs)
        if not first_inside.is_set():
            first_inside.set()
            second_done.wait(timeout=3)
        return event

    monkeypatch.setattr(domain, "record", slow_record)
    outcome = {}

    def ask(name, before=None, after=None):
        try:
            if before:
                before.wait(timeout=10)
            outcome[name] = domain.submit_request(
                owner, Grant.objects.get(pk=grant.pk), year=YEAR, period_start=datetime.date(YEAR, 1, 1), period_end=datetime.date(YEAR, 6, 30), costs=[domain.Cost(tromso, 600_000)]
            )
        except domain.PaymentError as exc:
            outcome[name] = exc
        finally:
            if after:
                after.set()
            connection.close()

    threads = [threading.Thread(target=ask, args=("first",)), threading.Thread(target=ask, args=("second", first_inside, second_done))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert isinstance(outcome["first"], PaymentRequest) and isinstance(outcome["second"], domain.PaymentError)
    assert list(PaymentRequest.objects.values_list("amount", flat=True)) == [600_000]
