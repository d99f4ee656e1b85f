"""Proportionate forms: a call's light application form and light report for small grants and
chosen application types, the full form for the rest, and the field counts that keep the light
variants light."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rsportal.applications import domain, variants
from rsportal.applications.models import Application, ApplicationVersion, BudgetLine, Call
from rsportal.assessment.models import Decision
from rsportal.followup import domain as followup
from rsportal.followup.models import Report, ReportingRule
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant

from . import factories as f
from .test_applications import call, draft, trust_applicant  # noqa: F401 (fixtures)
from .test_calls_office import BASE, _post_data, money, ready  # noqa: F401 (fixtures)

LIMIT = 300_000


@pytest.fixture
def light_call(call):  # noqa: F811
    Call.objects.filter(pk=call.pk).update(light_form_max_amount=LIMIT)
    call.refresh_from_db()
    return call


def section_post(client, application, section, data, *, variant=None):
    version = application.section_versions.filter(section=section).values_list("version", flat=True).first() or 0
    payload = {"version": str(version), **{f"{section}-{k}": v for k, v in data.items()}}
    if variant:
        payload["variant"] = variant
    return client.post(f"/soknader/{application.pk}/del/{section}/", payload, HTTP_HX_REQUEST="true")


def fill_light(client, application):
    """Only what the light form asks for, through the pages."""
    section_post(client, application, "prosjektet", {"title": application.title, "type": "project", "start_date": "2028-01-01", "end_date": "2028-12-31"})
    section_post(client, application, "beskrivelse", {"goal": "Færre innleggelser", "activities": "Felles team"})
    section_post(client, application, "nytte", {"expected_benefit": "Færre reinnleggelser"})
    section_post(client, application, "finansiering", {"grant_use": "Prosjektleder"})
    assert client.post(f"/soknader/{application.pk}/budsjett/", {"year": "2028", "amount": "250 000"}).status_code == 302
    upload = SimpleUploadedFile("avtale.pdf", f.PDF)
    assert client.post(f"/soknader/{application.pk}/vedlegg/", {"kind": "agreement", "file": upload}).status_code == 302


def submit(client, application):
    fingerprint = client.get(f"/soknader/{application.pk}/send-inn/").context["fingerprint"]
    return client.post(f"/soknader/{application.pk}/send-inn/", {"checked_similar": "1", "fingerprint": fingerprint})


class TestLightApplication:
    def test_a_small_application_gets_the_light_form(self, login, light_call, draft, personas):  # noqa: F811
        page = login(personas.applicant).get(f"/soknader/{draft.pk}/")
        html = page.content.decode()
        assert [s["key"] for s in page.context["sections"]] == ["prosjektet", "beskrivelse", "nytte", "finansiering"]
        assert 'id="lett-skjema"' in html and 'id="nyttetabell"' not in html and 'id="plan"' not in html
        assert 'name="beskrivelse-goal"' in html and 'name="beskrivelse-target_group"' not in html
        assert 'id="budget_kind"' not in html and 'id="budget_amount"' in html  # the light budget asks only year and amount
        messages = " ".join(p.message for p in domain.submission_problems(draft))
        assert "prosjektplan" not in messages and "nyttetabellen" not in messages and "bidrar med" not in messages

    def test_the_light_form_is_submitted_with_only_its_fields(self, login, light_call, draft, personas, settings, tmp_path):  # noqa: F811
        settings.MEDIA_ROOT = tmp_path
        client = login(personas.applicant)
        fill_light(client, draft)
        draft.refresh_from_db()
        assert (draft.target_group, draft.project_plan, draft.benefits.count()) == ("", "", 0)
        line = draft.budget_lines.get()
        assert (line.kind, line.amount, line.year) == (BudgetLine.Kind.GRANT, 250_000, 2028)
        assert domain.submission_problems(draft) == []
        assert submit(client, draft).status_code == 302
        assert Application.objects.get(pk=draft.pk).status == "submitted"
        data = ApplicationVersion.objects.get(application=draft).data
        assert data["form_variant"] == "light" and data["goal"] == "Færre innleggelser"
        assert "target_group" not in data and "project_plan" not in data and data["benefits"] == []
        # The committee reads only what was asked: no empty full-form sections.
        html = login(personas.secretariat).get(f"/soknader/{draft.pk}/vis/").content.decode()
        assert "Færre innleggelser" in html and "Prosjektplan og medvirkning" not in html and "Nyttetabell" not in html

    def test_the_archived_pdf_shows_only_the_light_sections(self, light_call, draft, personas):  # noqa: F811
        from rsportal.archive import pdfa

        version = ApplicationVersion.objects.create(
            application=draft, number=1, submitted_at=draft.created_at, submitted_by=personas.applicant, data={**domain.snapshot(draft)}
        )
        titles = [title for title, _rows in pdfa.application_context(version, None)["sections"]]
        assert titles == ["Prosjektet", "Kort beskrivelse", "Nytte og formål", "Finansiering og drift"]

    def test_over_the_amount_the_full_form(self, login, light_call, draft, personas):  # noqa: F811
        BudgetLine.objects.create(application=draft, year=2028, kind="grant", amount=LIMIT + 1, description="Prosjektleder")
        page = login(personas.applicant).get(f"/soknader/{draft.pk}/")
        html = page.content.decode()
        assert len(page.context["sections"]) == 6 and 'id="nyttetabell"' in html and 'id="fullt-skjema"' in html
        assert any("prosjektplan" in p.message for p in domain.submission_problems(draft))

    def test_going_over_the_amount_moves_to_the_full_form_and_keeps_what_was_typed(self, login, light_call, draft, personas):  # noqa: F811
        client = login(personas.applicant)
        section_post(client, draft, "beskrivelse", {"goal": "Lett mål", "activities": "Lette aktiviteter"}, variant="light")
        assert variants.for_application(draft) == variants.LIGHT
        client.post(f"/soknader/{draft.pk}/budsjett/", {"year": "2028", "amount": "400 000"})
        assert variants.for_application(draft) == variants.FULL
        page = client.get(f"/soknader/{draft.pk}/")
        html = page.content.decode()
        assert 'name="beskrivelse-target_group"' in html and "Lett mål" in html and "Lette aktiviteter" in html
        # A co-author's page still in the light form saves its fields without emptying the others.
        section_post(client, draft, "beskrivelse", {"goal": "Fullt mål", "target_group": "Eldre", "activities": "Aktiviteter", "organisations_and_staff": "Hjemmetjenesten"}, variant="full")
        section_post(client, draft, "beskrivelse", {"goal": "Rettet mål", "activities": "Aktiviteter"}, variant="light")
        draft.refresh_from_db()
        assert (draft.goal, draft.target_group, draft.organisations_and_staff) == ("Rettet mål", "Eldre", "Hjemmetjenesten")

    def test_a_light_type_gets_the_light_form_at_any_amount(self, call, draft):  # noqa: F811
        Call.objects.filter(pk=call.pk).update(light_form_types=["pre_project"])
        BudgetLine.objects.create(application=draft, year=2028, kind="grant", amount=1_000_000, description="Prosjektleder")
        draft = Application.objects.get(pk=draft.pk)
        assert variants.for_application(draft) == variants.FULL
        Application.objects.filter(pk=draft.pk).update(type="pre_project")
        assert variants.for_application(Application.objects.get(pk=draft.pk)) == variants.LIGHT

    def test_a_call_without_a_light_form_keeps_the_full_one(self, call, draft):  # noqa: F811
        assert variants.for_application(draft) == variants.FULL


def test_the_call_office_sets_the_light_form(client, login, personas, ready):  # noqa: F811
    login(personas.secretariat)
    response = client.post(f"{BASE}{ready.pk}/endre/", _post_data(ready, light_form_max_amount="300 000", light_form_types=["pre_project"]))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert (ready.light_form_max_amount, ready.light_form_types) == (300_000, ["pre_project"])


@pytest.fixture
def light_grant(login, light_call, draft, personas, world, settings, tmp_path):  # noqa: F811
    """A grant decided on an application submitted in the light form."""
    settings.MEDIA_ROOT = tmp_path
    client = login(personas.applicant)
    fill_light(client, draft)
    assert submit(client, draft).status_code == 302
    client.logout()
    for year in (2025, 2026):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10_000_000, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    ReportingRule.objects.create(pot=root, frequency="yearly", due_month=2, due_day=1)
    grant = Grant.objects.create(pot=root, title=draft.title, helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    grant.trusts.add(world.trust)
    funding.commit_grant(personas.sysadmin, grant=grant, amounts={2025: 250_000})
    followup.plan_reports(grant)
    Decision.objects.create(
        application=draft, body=world.stu, outcome="full", reason="Godt prosjekt", status="adopted", proposed_by=personas.secretariat,
        concluded_at=datetime.datetime(2025, 1, 10, tzinfo=datetime.UTC), grant=grant,
    )
    return grant


class TestLightReport:
    def test_a_small_grant_reports_on_the_light_form(self, login, personas, light_grant):
        client = login(personas.applicant)
        html = client.get(f"/oppfolging/tilskudd/{light_grant.pk}/rapport/").content.decode()
        assert 'id="lett-rapport"' in html and "contribution-TOTAL_FORMS" not in html and 'name="lessons"' not in html
        data = {
            "progress": "delayed",  # the light report does not ask why
            "progress_text": "Prosjektleder ansatt",
            "effects": "Færre innleggelser",
            "public_update": "I gang.",
            "spending-TOTAL_FORMS": "1",
            "spending-INITIAL_FORMS": "1",
            "spending-0-year": "2025",
            "spending-0-amount": "200 000",
        }
        response = client.post(f"/oppfolging/tilskudd/{light_grant.pk}/rapport/", data)
        assert response.status_code == 302
        report = Report.objects.get()
        assert (report.progress_text, report.effects, report.owner, report.lessons) == ("Prosjektleder ansatt", "Færre innleggelser", "", "")
        assert list(report.spending.values_list("year", "amount")) == [(2025, 200_000)] and not report.contributions.exists()
        page = client.get(f"/oppfolging/rapport/{report.pk}/")
        assert page.status_code == 200 and "Læringspunkter" not in page.content.decode()

    def test_an_unfinished_light_report_keeps_what_was_typed(self, login, personas, light_grant):
        data = {"progress": "", "progress_text": "Halvveis skrevet", "spending-TOTAL_FORMS": "0", "spending-INITIAL_FORMS": "0"}
        response = login(personas.applicant).post(f"/oppfolging/tilskudd/{light_grant.pk}/rapport/", data)
        assert response.status_code == 400 and "Halvveis skrevet" in response.content.decode()
        assert not Report.objects.exists()


class TestFieldCounts:
    def test_the_light_variants_ask_at_most_a_third_of_the_full_ones(self):
        counts = variants.field_counts()
        assert counts[variants.LIGHT]["application"] * 3 <= counts[variants.FULL]["application"]
        assert counts[variants.LIGHT]["report"] * 3 <= counts[variants.FULL]["report"]

    def test_the_counts_are_what_the_pages_ask(self, login, light_call, draft, personas):  # noqa: F811
        counts = variants.field_counts()
        client = login(personas.applicant)
        light = client.get(f"/soknader/{draft.pk}/").context
        assert sum(len(s["form"].fields) for s in light["sections"]) == counts[variants.LIGHT]["sections"]
        assert len(light["participant_form"].fields) + len(light["budget_form"].fields) + len(light["attachment_form"].fields) == counts[variants.LIGHT]["tables"]
        BudgetLine.objects.create(application=draft, year=2028, kind="grant", amount=LIMIT + 1, description="Prosjektleder")
        full = client.get(f"/soknader/{draft.pk}/").context
        assert sum(len(s["form"].fields) for s in full["sections"]) == counts[variants.FULL]["sections"]


def test_the_call_page_tells_applicants_about_the_light_form(client, light_call):
    Call.objects.filter(pk=light_call.pk).update(light_form_types=["pre_project"])
    html = client.get(f"/soknader/utlysninger/{light_call.pk}/").content.decode()
    assert "Søknader på inntil 300\u00a0000\u00a0kr og søknadstypene forprosjekt får et kortere skjema" in html


def test_a_full_form_budget_line_stays_what_it_was_when_the_application_turns_light(login, light_call, draft, personas):  # noqa: F811
    # The page showed the full form; meanwhile the application came under the amount.
    own = draft.participants.get(municipality__isnull=False)
    data = {"variant": "full", "year": "2028", "kind": "own_time", "participant": str(own.pk), "amount": "100 000", "hours": "200", "description": "Sykepleiere"}
    assert login(personas.applicant).post(f"/soknader/{draft.pk}/budsjett/", data).status_code == 302
    line = draft.budget_lines.get()
    assert (line.kind, line.participant_id, line.hours) == ("own_time", own.pk, 200)
