"""After the money ends: continuations linked to the earlier grant, the chain of repeated
funding, and the owners' three answers one year after the project."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rsportal.applications.models import Application, ApplicationType, Call, Participant
from rsportal.assessment.models import Decision
from rsportal.catalogue import equality
from rsportal.core import todo
from rsportal.core.models import AuditEvent, Notification
from rsportal.followup import continuation, domain
from rsportal.followup.models import AfterProject
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant

M = 1_000_000


@pytest.fixture
def money(world, personas):
    for year in (2025, 2026, 2027, 2028):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10 * M, rhf=world.rhf))
    return funding.root_pot(world.rhf)


def make_grant(world, personas, pot, title, amounts, *, continues=None):
    grant = Grant.objects.create(pot=pot, title=title, helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    funding.commit_grant(personas.sysadmin, grant=grant, amounts=amounts)
    domain.plan_reports(grant)
    call, _ = Call.objects.get_or_create(pot=pot, title="Runde", defaults={"purpose": "-"})
    application = Application.objects.create(
        call=call, helsefellesskap=world.hf, title=title, created_by=personas.applicant, continues=continues,
        type=ApplicationType.CONTINUATION if continues else ApplicationType.PROJECT, status=Application.Status.SUBMITTED, submitted_at=timezone.now(),
    )
    Participant.objects.create(application=application, municipality=world.tromso, is_owner=True)
    Decision.objects.create(
        application=application, body=world.stu, outcome=Decision.Outcome.FULL, reason="-", status=Decision.Status.ADOPTED,
        proposed_by=personas.chair, concluded_at=timezone.now(), grant=grant,
    )
    return grant


@pytest.fixture
def chain(world, personas, money):
    first = make_grant(world, personas, money, "Trygg hjemkomst", {2025: 2 * M})
    second = make_grant(world, personas, money, "Trygg hjemkomst videre", {2026: M, 2027: M}, continues=first)
    third = make_grant(world, personas, money, "Trygg hjemkomst i hele regionen", {2028: 500_000}, continues=second)
    return first, second, third


def answers(version=0, **overrides):
    return {"in_operation": "yes", "payer": "municipality", "payer_note": "Kommunens budsjett fra 2027", "spread": "Tatt i bruk i Harstad", "version": version, **overrides}


class TestChain:
    def test_chain_from_any_link_has_every_grant_with_total_money_and_years(self, chain):
        first, second, third = chain
        for grant in chain:
            result = continuation.chain(grant)
            assert [link.grant.pk for link in result.links] == [first.pk, second.pk, third.pk]
            assert (result.amount, result.first_year, result.last_year, result.span) == (4_500_000, 2025, 2028, 4)
        middle = continuation.chain(second)
        assert middle.earlier().grant == first and [link.grant for link in middle.later()] == [third]

    def test_catalogue_shows_the_links_both_ways(self, client, chain):
        first, second, third = chain
        page = client.get(f"/prosjekter/{second.pk}/").content.decode().replace("\xa0", " ")
        assert "Gjentatt finansiering av det samme arbeidet" in page
        assert f'href="/prosjekter/{first.pk}/"' in page and f'href="/prosjekter/{third.pk}/"' in page
        assert "4 500 000 kr i tilsagn, med penger fra 2025 til 2028 (4 år)" in page
        # An unpublished grant is left out of the public chain.
        Grant.objects.filter(pk=third.pk).update(published=False)
        page = client.get(f"/prosjekter/{second.pk}/").content.decode()
        assert f'href="/prosjekter/{third.pk}/"' not in page and "Trygg hjemkomst i hele regionen" not in page

    def test_single_grant_shows_no_chain(self, client, world, personas, money):
        grant = make_grant(world, personas, money, "Alene", {2025: M})
        assert "Gjentatt finansiering" not in client.get(f"/prosjekter/{grant.pk}/").content.decode()

    def test_application_form_offers_the_owners_grants(self, world, personas, chain):
        from rsportal.applications.forms import BasicsForm

        first = chain[0]
        call = Call.objects.get(title="Runde")
        application = Application.objects.create(call=call, helsefellesskap=world.hf, title="Ny runde", created_by=personas.applicant)
        Participant.objects.create(application=application, municipality=world.tromso, is_owner=True)
        other = Grant.objects.create(pot=first.pot, title="Bergens prosjekt")
        other.municipalities.add(world.bergen)
        form = BasicsForm(instance=application)
        offered = set(form.fields["continues"].queryset)
        assert set(chain) <= offered and other not in offered
        form = BasicsForm({"title": "Ny runde", "type": ApplicationType.CONTINUATION}, instance=application)
        assert not form.is_valid() and "Velg tilskuddet som videreføres." in form.errors["continues"]
        form = BasicsForm({"title": "Ny runde", "type": ApplicationType.CONTINUATION, "continues": other.pk}, instance=application)
        assert not form.is_valid() and "continues" in form.errors


class TestAfterProject:
    def test_due_one_year_after_the_last_year_with_money(self, chain):
        first, second, third = chain
        assert AfterProject.objects.get(grant=first).due_date == datetime.date(2026, 12, 31)
        assert AfterProject.objects.get(grant=second).due_date == datetime.date(2028, 12, 31)
        assert AfterProject.objects.get(grant=third).due_date == datetime.date(2029, 12, 31)

    def test_the_questions_are_in_the_owners_calendar_until_answered(self, login, personas, chain):
        from rsportal.calendar import events

        first = chain[0]
        titles = [e.title for e in events.personal(personas.applicant, since=datetime.date(2026, 1, 1))]
        assert "Etter prosjektet, tre spørsmål: Trygg hjemkomst" in titles
        login(personas.applicant).post(f"/oppfolging/tilskudd/{first.pk}/etter-prosjektet/", answers())
        titles = [e.title for e in events.personal(personas.applicant, since=datetime.date(2026, 1, 1))]
        assert "Etter prosjektet, tre spørsmål: Trygg hjemkomst" not in titles

    def test_owner_answers_and_it_shows_in_catalogue_and_statistics(self, client, login, personas, chain):
        first = chain[0]
        response = login(personas.applicant).post(f"/oppfolging/tilskudd/{first.pk}/etter-prosjektet/", answers())
        assert response.status_code == 302
        row = AfterProject.objects.get(grant=first)
        assert (row.in_operation, row.payer, row.spread, row.answered_by, row.version) == ("yes", "municipality", "Tatt i bruk i Harstad", personas.applicant, 1)
        assert AuditEvent.objects.filter(action="followup.after_project_answered", object_id=str(row.pk)).exists()
        client.logout()
        page = client.get(f"/prosjekter/{first.pk}/").content.decode()
        assert "Etter prosjektet" in page and "Tatt i bruk i Harstad" in page and "Kommunen(e)" in page
        figures = equality.after_project()
        assert (figures.total.answered, figures.total.yes, figures.total.share_yes) == (1, 1, Decimal("100.0"))
        assert {r.code: r.answered for r in figures.rows}["municipality"] == 1
        assert "Andel i drift" in client.get("/statistikk/").content.decode()

    def test_stale_version_is_refused_and_nothing_typed_is_lost(self, login, personas, chain):
        first = chain[0]
        browser = login(personas.applicant)
        browser.post(f"/oppfolging/tilskudd/{first.pk}/etter-prosjektet/", answers())
        response = browser.post(f"/oppfolging/tilskudd/{first.pk}/etter-prosjektet/", answers(version=0, in_operation="no", spread="Ny tekst om spredning"))
        assert response.status_code == 400
        html = response.content.decode()
        assert "Noen andre har lagret svarene" in html and "Ny tekst om spredning" in html
        assert AfterProject.objects.get(grant=first).in_operation == "yes"

    def test_missing_answer_is_a_clear_error(self, login, personas, chain):
        response = login(personas.applicant).post(f"/oppfolging/tilskudd/{chain[0].pk}/etter-prosjektet/", answers(in_operation=""))
        assert response.status_code == 400 and "Svar på om tiltaket er i ordinær drift." in response.content.decode()
        assert not AfterProject.objects.get(grant=chain[0]).answered

    def test_only_owners_answer(self, login, personas, chain):
        url = f"/oppfolging/tilskudd/{chain[0].pk}/etter-prosjektet/"
        assert login(personas.other_applicant).post(url, answers()).status_code == 403
        assert login(personas.rhf_admin).get(url).status_code == 200  # the secretariat side reads
        assert login(personas.rhf_admin).post(url, answers()).status_code == 403
        assert not AfterProject.objects.get(grant=chain[0]).answered

    def test_reminder_once_and_todo_entry(self, personas, chain):
        first = chain[0]
        now = timezone.make_aware(datetime.datetime(2026, 12, 10, 8))
        assert domain.send_reminders(now)["after_project"] == 1
        assert domain.send_reminders(now)["after_project"] == 0
        assert Notification.objects.filter(recipient=personas.applicant.email, subject__contains="etter prosjektet").exists()
        items = [item for section in todo.applicant(personas.applicant) if section.key == "reports" for item in section.items]
        assert any(item.url == f"/oppfolging/tilskudd/{first.pk}/etter-prosjektet/" for item in items)
