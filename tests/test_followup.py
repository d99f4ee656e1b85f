"""Follow-up after the decision: deadlines, reports, money used, reminders and roll-ups."""

import datetime
import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from rsportal.core.models import Notification
from rsportal.followup import domain, money
from rsportal.followup.models import Payment, Report, ReportingRule
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant

M = 1_000_000


@pytest.fixture
def grant(world, personas):
    for year in (2025, 2026):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10 * M, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    ReportingRule.objects.create(pot=root, frequency="yearly", due_month=2, due_day=1)
    grant = Grant.objects.create(pot=root, title="Trygg hjemkomst", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    grant.trusts.add(world.trust)
    funding.commit_grant(personas.sysadmin, grant=grant, amounts={2025: 2 * M, 2026: M})
    domain.plan_reports(grant)
    return grant


def report_post(grant, **overrides):
    data = {
        "progress": "delayed",
        "progress_text": "Prosjektleder ansatt i mars",
        "milestones_text": "Prosjektleder ansatt | nådd | mars\nFørste pasienter | ikke nådd",
        "owner": "Tromsø kommune",
        "agreements": "formal",
        "user_involvement": "Brukerråd i styringsgruppen",
        "involvement_per_guideline": "yes",
        "delay_reasons": ["recruitment", "procurement"],
        "delay_text": "Lang anskaffelse",
        "effects": "For tidlig å si",
        "lessons": "Forankring tar tid",
        "spreading": "Presentert i SSU",
        "public_update": "Prosjektet er i gang.",
        "spending-TOTAL_FORMS": "1",
        "spending-INITIAL_FORMS": "1",
        "spending-0-year": "2025",
        "spending-0-amount": "688 000",
        "contribution-TOTAL_FORMS": "2",
        "contribution-INITIAL_FORMS": "0",
        "contribution-0-party": "Tromsø",
        "contribution-0-side": "municipality",
        "contribution-0-hours": "400",
        "contribution-0-amount": "250 000",
        "contribution-1-party": "",
        "contribution-1-side": "trust",
    }
    data.update(overrides)
    return data


class TestDeadlines:
    def test_yearly_reports_on_1_february_and_a_final_report(self, grant):
        dues = list(grant.reports_due.order_by("due_date").values_list("kind", "due_date"))
        assert dues == [("periodic", datetime.date(2026, 2, 1)), ("periodic", datetime.date(2027, 2, 1)), ("final", datetime.date(2027, 3, 31))]
        assert domain.plan_reports(grant) == []  # idempotent

    def test_half_yearly_and_quarterly(self, grant):
        grant.pot.reporting_rules.update(frequency="quarterly")
        kinds = [d for d in domain.planned_deadlines(grant) if d[0] == "periodic"]
        assert len(kinds) == 8 and kinds[0][1] == datetime.date(2025, 4, 30)


class TestReporting:
    def test_applicant_submits_the_common_template(self, login, personas, grant, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client = login(personas.applicant)
        page = client.get(f"/oppfolging/tilskudd/{grant.pk}/rapport/").content.decode()
        assert "Universitetssykehuset" in page or "Helseforetak" in page  # own-contribution rows pre-filled with the owners
        data = report_post(grant)
        data["spending-0-accounts"] = SimpleUploadedFile("regnskap.pdf", b"%PDF-1.4")
        response = client.post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", data)
        assert response.status_code == 302
        report = Report.objects.get()
        assert (report.progress, report.delay_reasons, report.milestones[0]["name"]) == ("delayed", ["recruitment", "procurement"], "Prosjektleder ansatt")
        assert report.due.due_date == datetime.date(2026, 2, 1)
        assert list(report.spending.values_list("year", "amount")) == [(2025, 688_000)]
        assert list(report.contributions.values_list("party", "hours", "amount")) == [("Tromsø", 400, 250_000)]
        assert Notification.objects.filter(recipient=personas.secretariat.email).exists()

    def test_next_report_is_prefilled_from_the_last(self, login, personas, grant):
        client = login(personas.applicant)
        client.post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant))
        page = client.get(f"/oppfolging/tilskudd/{grant.pk}/rapport/").content.decode()
        assert "Brukerråd i styringsgruppen" in page and "Prosjektleder ansatt | nådd | mars" in page and 'value="Tromsø"' in page

    def test_delay_needs_a_reason_and_nothing_typed_is_lost(self, login, personas, grant):
        response = login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant, delay_reasons=[]))
        html = response.content.decode()
        assert response.status_code == 400 and "hvorfor prosjektet er forsinket" in html and "Forankring tar tid" in html
        assert not Report.objects.exists()

    def test_cannot_report_more_used_than_committed(self, login, personas, grant):
        response = login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant, **{"spending-0-amount": "2 000 001"}))
        assert response.status_code == 400 and "større enn tilsagnet" in response.content.decode()

    @pytest.mark.parametrize("who", ["other_applicant", "member", "outsider"])
    def test_only_owners_report(self, login, personas, grant, who):
        assert login(getattr(personas, who)).get(f"/oppfolging/tilskudd/{grant.pk}/rapport/").status_code == 403


class TestMoney:
    def test_committed_paid_used_and_share(self, personas, grant, login):
        domain.record_payment(personas.secretariat, grant, year=2025, amount=2 * M, paid_on=datetime.date(2025, 3, 1))
        with pytest.raises(domain.FollowupError):
            domain.record_payment(personas.secretariat, grant, year=2025, amount=1, paid_on=datetime.date(2025, 3, 2))
        login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant))
        rows = {r.year: r for r in money.grant_years(grant)}
        assert (rows[2025].committed, rows[2025].paid, rows[2025].used, str(rows[2025].share_used)) == (2 * M, 2 * M, 688_000, "34.4")

    def test_secretariat_sees_late_reports_and_money(self, login, personas, grant):
        html = login(personas.rhf_admin).get(f"/oppfolging/pott/{grant.pot.pk}/").content.decode()
        assert "Trygg hjemkomst" in html and "frist 1. februar 2026" in html
        assert login(personas.applicant).get(f"/oppfolging/pott/{grant.pot.pk}/").status_code == 403

    def test_release_for_reallocation(self, login, personas, grant):
        commitment = grant.commitments.get(pot_year__year=2026)
        response = login(personas.rhf_admin).post(f"/oppfolging/tilskudd/{grant.pk}/frigjor/", {"commitment": commitment.pk, "reason": "Prosjektet stanset"})
        assert response.status_code == 302
        commitment.refresh_from_db()
        assert commitment.status == "released"

    def test_payment_refused_for_others(self, login, personas, grant):
        response = login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/utbetaling/", {"year": "2025", "amount": "100", "paid_on": "2025-03-01"})
        assert response.status_code == 403 and not Payment.objects.exists()

    def test_payment_above_the_commitment_keeps_what_was_typed(self, login, personas, grant):
        typed = {"year": "2025", "amount": "2 500 000", "paid_on": "2025-03-01", "note": "Første rate etter avtale"}
        response = login(personas.rhf_admin).post(f"/oppfolging/tilskudd/{grant.pk}/utbetaling/", typed)
        html = response.content.decode()
        assert response.status_code == 400 and "mer enn tilsagnet" in html
        assert 'value="2 500 000"' in html and 'value="Første rate etter avtale"' in html and 'value="2025-03-01"' in html
        assert not Payment.objects.exists()

    def test_release_refused_keeps_the_reason(self, login, personas, grant):
        commitment = grant.commitments.get(pot_year__year=2026)
        reason = "Prosjektet stanset fordi " + "x" * 300  # longer than the 300 characters allowed
        response = login(personas.rhf_admin).post(f"/oppfolging/tilskudd/{grant.pk}/frigjor/", {"commitment": commitment.pk, "reason": reason})
        html = response.content.decode()
        assert response.status_code == 400 and "Oppgi hvorfor tilsagnet frigjøres." in html and f'value="{reason}"' in html
        commitment.refresh_from_db()
        assert commitment.status != "released" and not commitment.release_reason


class TestReminders:
    def test_reminder_before_and_notice_after_the_deadline(self, personas, grant):
        before = timezone.make_aware(datetime.datetime(2026, 1, 25, 8))
        assert domain.send_reminders(before) == {"reminders": 1, "overdue": 0, "after_project": 0}
        assert domain.send_reminders(before) == {"reminders": 0, "overdue": 0, "after_project": 0}
        after = timezone.make_aware(datetime.datetime(2026, 2, 10, 8))
        assert domain.send_reminders(after) == {"reminders": 0, "overdue": 1, "after_project": 0}
        assert Notification.objects.filter(recipient=personas.applicant.email).count() == 2

    def test_notifications_are_sent_by_the_command(self, personas, grant):
        domain.send_reminders(timezone.make_aware(datetime.datetime(2026, 1, 25, 8)))
        call_command("send_notifications", stdout=io.StringIO())
        assert len(mail.outbox) == 1 and "Påminnelse" in mail.outbox[0].subject
        assert not Notification.objects.filter(sent_at__isnull=True).exists()


class TestRollUp:
    def test_annual_report_and_project_list(self, login, personas, grant):
        login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant))
        client = login(personas.rhf_admin)
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(client.get("/oppfolging/rhf/HN/arsmelding-2025.xlsx").content))
        rows = [r for r in book.active.iter_rows(values_only=True)]
        project = next(r for r in rows if r and r[0] == "Trygg hjemkomst")
        # Nothing paid is an empty cell; the share used is a fraction shown as per cent.
        assert project[3:7] == (2 * M, None, 688_000, 0.344) and project[7] == "Forsinket" and project[9] == "Forankring tar tid"
        # The PDF is ordered and built in the background: tests/test_documents.py.
        listing = load_workbook(io.BytesIO(client.get("/oppfolging/rhf/HN/prosjektliste.xlsx").content))
        assert any(r[0] == "Trygg hjemkomst" for r in listing.active.iter_rows(values_only=True))
        assert login(personas.secretariat).get("/oppfolging/rhf/HN/prosjektliste.xlsx").status_code == 403
        assert client.get("/oppfolging/rhf/HN/arsmelding-2025.doc").status_code == 404
