"""Calls and joint applications: the applicant's side."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rsportal.accounts.models import OrganisationRole
from rsportal.applications import domain
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, ApplicationVersion, Attachment, BudgetLine, Call, DesignedProject, JoinRequest, SectionVersion
from rsportal.applications.similar import find_similar, stems
from rsportal.core.models import AuditEvent, Notification
from rsportal.funding.models import Grant, Pot
from rsportal.registry.models import Body

from . import factories as f

PDF = f.PDF
docx_bytes = f.docx_bytes


@pytest.fixture
def call(world, personas):
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    regional = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Regional pott", parent=pot)
    call = Call.objects.create(pot=regional, title="Regional utlysning 2028", status=Call.Status.PUBLISHED, purpose="Formål", max_project_years=5, frame_amount=1_000_000, frame_year=2028)
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    call.pre_project_caps.create(min_municipalities=1, max_amount=1_500_000)
    call.pre_project_caps.create(min_municipalities=2, max_amount=2_000_000)
    add_default_criteria(call)
    call.steps.create(step="decision", body=world.stu)
    return call


@pytest.fixture
def trust_applicant(world):
    user = f.UserFactory(username="trust_applicant")
    f.role(user, OrganisationRole.Kind.APPLICANT, trust=world.trust)
    return user


@pytest.fixture
def draft(call, world, personas, trust_applicant):
    application = domain.start_application(personas.applicant, call=call, title="Digital hjemmeoppfølging av skrøpelige eldre", type="project", helsefellesskap=world.hf)
    domain.add_participant(personas.applicant, application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
    return application


def fill_completely(application, author, world):
    """Everything the submission checks ask for."""
    f.fill_completely(application, author, municipality=world.tromso, trust=world.trust)


class TestCalls:
    def test_call_list_and_detail_are_public(self, client, call):
        assert "Regional utlysning 2028" in client.get("/soknader/utlysninger/").content.decode()
        html = client.get(f"/soknader/utlysninger/{call.pk}/").content.decode()
        assert "Prioriterte pasientgrupper" in html and "×3" in html and "1–6" in html
        assert "Logg inn for å søke" in html

    def test_draft_calls_are_hidden(self, client, call):
        Call.objects.filter(pk=call.pk).update(status=Call.Status.DRAFT)
        assert client.get(f"/soknader/utlysninger/{call.pk}/").status_code == 404
        assert "Regional utlysning 2028" not in client.get("/soknader/utlysninger/").content.decode()

    def test_default_criteria_are_the_six_helse_nord_criteria(self, call):
        assert [(c.name, c.scale_max, int(c.weight)) for c in call.criteria.all()] == [
            ("Prioriterte pasientgrupper", 5, 3),
            ("Redusert ventetid", 5, 1),
            ("Aktivitet ved de minste sykehusene", 5, 1),
            ("Bærekraft", 5, 2),
            ("Gevinst/nytte", 5, 2),
            ("Grad av integrering", 6, 1),
        ]

    def test_pre_project_cap_depends_on_municipality_count(self, call):
        assert (call.pre_project_cap(0), call.pre_project_cap(1), call.pre_project_cap(3)) == (None, 1_500_000, 2_000_000)


class TestStarting:
    def test_applicant_starts_from_the_call_page(self, login, call, world, personas):
        client = login(personas.applicant)
        response = client.post(f"/soknader/utlysninger/{call.pk}/ny-soknad/", {"title": "Trygg hjemkomst", "type": "project", "helsefellesskap": world.hf.pk})
        application = Application.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/soknader/{application.pk}/"
        assert (application.title, application.status, application.created_by) == ("Trygg hjemkomst", "draft", personas.applicant)
        participant = application.participants.get()
        assert participant.municipality == world.tromso and participant.is_owner
        assert AuditEvent.objects.filter(action="application.started").exists()

    @pytest.mark.parametrize("who", ["secretariat", "member", "rhf_admin", "outsider"])
    def test_only_applicants_start(self, login, call, world, personas, who):
        response = login(getattr(personas, who)).post(f"/soknader/utlysninger/{call.pk}/ny-soknad/", {"title": "X", "type": "project", "helsefellesskap": world.hf.pk})
        assert response.status_code == 403
        assert not Application.objects.exists()

    def test_closed_call_refuses_and_keeps_the_title(self, login, call, world, personas):
        call.deadlines.update(at=timezone.now() - datetime.timedelta(days=1))
        response = login(personas.applicant).post(f"/soknader/utlysninger/{call.pk}/ny-soknad/", {"title": "Min tittel", "type": "project", "helsefellesskap": world.hf.pk})
        assert response.status_code == 400
        assert "ikke åpen" in response.content.decode() and 'value="Min tittel"' in response.content.decode()

    def test_community_of_another_rhf_is_refused(self, call, world, personas):
        with pytest.raises(domain.ApplicationError):
            domain.start_application(personas.applicant, call=call, title="X", type="project", helsefellesskap=world.far_hf)


    def test_applicant_from_another_region_is_told_why_and_cannot_start(self, login, call, world, personas):
        client = login(personas.other_applicant)  # Bergen, Helse Vest
        html = client.get(f"/soknader/utlysninger/{call.pk}/").content.decode()
        assert "Ingen av organisasjonene du søker for" in html and "Start søknad" not in html
        response = client.post(f"/soknader/utlysninger/{call.pk}/ny-soknad/", {"title": "Vestlandsprosjekt", "type": "project", "helsefellesskap": world.hf.pk})
        assert response.status_code == 400 and 'value="Vestlandsprosjekt"' in response.content.decode()
        assert not Application.objects.exists()
        with pytest.raises(domain.ApplicationError, match="hører til dette helsefellesskapet"):
            domain.start_application(personas.other_applicant, call=call, title="X", type="project", helsefellesskap=world.hf)

    def test_only_the_applicants_own_community_is_offered(self, login, call, world, personas):
        alta = f.UserFactory(username="alta")
        f.role(alta, OrganisationRole.Kind.APPLICANT, municipality=world.alta)
        html = login(alta).get(f"/soknader/utlysninger/{call.pk}/").content.decode()
        assert f'<option value="{world.other_hf.pk}"' in html and f'<option value="{world.hf.pk}"' not in html
        with pytest.raises(domain.ApplicationError):
            domain.start_application(alta, call=call, title="X", type="project", helsefellesskap=world.hf)
        application = domain.start_application(alta, call=call, title="Finnmarksprosjekt", type="project", helsefellesskap=world.other_hf)
        assert application.participants.get().municipality == world.alta

    def test_the_communitys_trust_may_start_and_owns_the_application(self, call, world, trust_applicant):
        application = domain.start_application(trust_applicant, call=call, title="Sykehusets initiativ", type="project", helsefellesskap=world.hf)
        owner = application.participants.get()
        assert (owner.trust, owner.municipality, owner.is_owner) == (world.trust, None, True)

    def test_a_membership_that_has_ended_no_longer_counts(self, call, world, personas):
        world.tromso.memberships.update(valid_to=timezone.localdate() - datetime.timedelta(days=1))
        with pytest.raises(domain.ApplicationError):
            domain.start_application(personas.applicant, call=call, title="X", type="project", helsefellesskap=world.hf)


class TestCoAuthoring:
    def section_post(self, client, application, section, data, version):
        payload = {"version": str(version), **{f"{section}-{k}": v for k, v in data.items()}}
        return client.post(f"/soknader/{application.pk}/del/{section}/", payload, HTTP_HX_REQUEST="true")

    def test_municipality_and_trust_users_both_edit(self, login, draft, personas, trust_applicant, client):
        response = self.section_post(login(personas.applicant), draft, "beskrivelse", {"goal": "Kommunens mål"}, 0)
        assert response.status_code == 200 and "Lagret" in response.content.decode()
        client.logout()
        response = self.section_post(login(trust_applicant), draft, "plan", {"project_plan": "Sykehusets plan"}, 0)
        assert "Lagret" in response.content.decode()
        draft.refresh_from_db()
        assert (draft.goal, draft.project_plan) == ("Kommunens mål", "Sykehusets plan")

    def test_same_section_concurrent_save_is_refused_not_overwritten(self, login, draft, personas, trust_applicant, client):
        self.section_post(login(personas.applicant), draft, "beskrivelse", {"goal": "Kommunens tekst"}, 0)
        client.logout()
        # The trust user started from version 0 too, before the municipality saved.
        response = self.section_post(login(trust_applicant), draft, "beskrivelse", {"goal": "Sykehusets tekst"}, 0)
        html = response.content.decode()
        assert "mens du skrev" in html and "Kommunens tekst" in html
        draft.refresh_from_db()
        assert draft.goal == "Kommunens tekst"
        # After looking at both, the trust user saves on top of the current version.
        version = SectionVersion.objects.get(application=draft, section="beskrivelse").version
        assert "Lagret" in self.section_post(client, draft, "beskrivelse", {"goal": "Felles tekst"}, version).content.decode()
        draft.refresh_from_db()
        assert draft.goal == "Felles tekst"

    def test_emptied_research_share_saves_as_zero_instead_of_failing(self, login, draft, personas):
        client = login(personas.applicant)
        self.section_post(client, draft, "finansiering", {"grant_use": "Prosjektleder", "research_share": "50 000"}, 0)
        draft.refresh_from_db()
        assert draft.research_share == 50_000
        response = self.section_post(client, draft, "finansiering", {"grant_use": "Prosjektleder", "research_share": ""}, 1)
        assert response.status_code == 200 and "Lagret" in response.content.decode()
        draft.refresh_from_db()
        assert draft.research_share == 0

    def test_plain_post_conflict_keeps_what_was_typed(self, login, draft, personas, trust_applicant, client):
        self.section_post(login(personas.applicant), draft, "beskrivelse", {"goal": "Først"}, 0)
        client.logout()
        response = login(trust_applicant).post(f"/soknader/{draft.pk}/del/beskrivelse/", {"version": "0", "beskrivelse-goal": "Mitt utkast"})
        assert response.status_code == 409
        assert "Mitt utkast" in response.content.decode() and "Først" in response.content.decode()

    def test_invalid_date_is_explained_and_nothing_is_lost(self, login, draft, personas):
        client = login(personas.applicant)
        response = client.post(f"/soknader/{draft.pk}/del/prosjektet/", {"version": "0", "prosjektet-title": "Ny tittel", "prosjektet-type": "project", "prosjektet-start_date": "32.13.2027"})
        html = response.content.decode()
        assert response.status_code == 400 and 'value="32.13.2027"' in html and 'value="Ny tittel"' in html
        draft.refresh_from_db()
        assert draft.title != "Ny tittel"

    def test_outsiders_and_other_municipalities_cannot_edit(self, login, draft, personas):
        for who in ("other_applicant", "secretariat", "outsider"):
            client = login(getattr(personas, who))
            assert client.get(f"/soknader/{draft.pk}/").status_code == 403
            assert self.section_post(client, draft, "beskrivelse", {"goal": "Hack"}, 0).status_code == 403
        draft.refresh_from_db()
        assert draft.goal == ""

    def test_draft_is_invisible_to_the_secretariat_until_submitted(self, login, draft, personas):
        assert login(personas.secretariat).get(f"/soknader/{draft.pk}/vis/").status_code == 403

    def test_cannot_remove_own_organisation(self, draft, personas):
        own = draft.participants.get(municipality__isnull=False)
        with pytest.raises(domain.ApplicationError):
            domain.remove_participant(personas.applicant, own)

    def test_budget_line_from_the_form(self, login, draft, personas, world):
        client = login(personas.applicant)
        municipality = draft.participants.get(municipality=world.tromso)
        response = client.post(f"/soknader/{draft.pk}/budsjett/", {"year": "2028", "kind": "own_money", "participant": municipality.pk, "amount": "1 250 000", "description": "Lønn"})
        assert response.status_code == 302
        assert BudgetLine.objects.get().amount == 1_250_000
        response = client.post(f"/soknader/{draft.pk}/budsjett/", {"year": "2028", "kind": "own_money", "amount": "5", "description": "Uten part"})
        assert response.status_code == 400 and "Velg hvilken part" in response.content.decode()

    def test_my_applications_lists_applications_of_my_organisation(self, login, draft, trust_applicant, personas):
        html = login(trust_applicant).get("/soknader/").content.decode()
        assert "Digital hjemmeoppfølging" in html and "Utkast" in html
        assert "Digital hjemmeoppfølging" not in login(personas.other_applicant).get("/soknader/").content.decode()


class TestUploads:
    def upload(self, client, application, kind, name, content):
        return client.post(f"/soknader/{application.pk}/vedlegg/", {"kind": kind, "file": SimpleUploadedFile(name, content)})

    def test_pdf_agreement_is_stored_outside_the_web_root_and_served_to_participants_only(self, login, draft, personas, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client = login(personas.applicant)
        assert self.upload(client, draft, "agreement", "Avtale signert.pdf", PDF).status_code == 302
        attachment = Attachment.objects.get()
        assert attachment.file.path.startswith(str(tmp_path)) and "Avtale" not in attachment.file.name
        response = client.get(f"/soknader/vedlegg/{attachment.token}/")
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")
        assert login(personas.other_applicant).get(f"/soknader/vedlegg/{attachment.token}/").status_code == 403

    @pytest.mark.parametrize(
        "kind,name,content,message",
        [
            ("agreement", "avtale.docx", b"PK\x03\x04", "som PDF"),
            ("other", "script.html", b"<script>", "ikke tillatt"),
            ("other", "falsk.pdf", b"MZ\x90\x00", "ikke en gyldig PDF"),
            ("other", "falsk.docx", b"PK\x03\x04junk", "skadet"),
            ("other", "tom.pdf", b"", "tom"),
        ],
    )
    def test_bad_files_are_refused_with_a_reason(self, login, draft, personas, kind, name, content, message, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        response = self.upload(login(personas.applicant), draft, kind, name, content)
        assert response.status_code == 400 and message in response.content.decode()
        assert not Attachment.objects.exists()

    def test_size_limit(self, login, draft, personas, settings, tmp_path, monkeypatch):
        from rsportal.core import uploads

        settings.MEDIA_ROOT = tmp_path
        monkeypatch.setattr(uploads, "MAX_BYTES", 10)
        response = self.upload(login(personas.applicant), draft, "other", "stor.pdf", PDF)
        assert "for stor" in response.content.decode()


class TestSubmission:
    def test_incomplete_application_lists_what_is_missing(self, login, draft, personas):
        html = login(personas.applicant).get(f"/soknader/{draft.pk}/send-inn/").content.decode()
        assert "Last opp den signerte avtalen" in html and "Tallfest hva helseforetaket bidrar med" in html
        with pytest.raises(domain.ApplicationError):
            domain.submit(personas.applicant, draft)
        draft.refresh_from_db()
        assert draft.status == "draft"

    def test_application_without_a_trust_is_not_joint(self, call, world, personas):
        application = domain.start_application(personas.applicant, call=call, title="Alene", type="project", helsefellesskap=world.hf)
        messages = [p.message for p in domain.submission_problems(application)]
        assert any("felles" in m for m in messages)

    def test_complete_application_is_submitted_versioned_and_notified(self, login, draft, personas, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        fill_completely(draft, personas.applicant, world)
        client = login(personas.applicant)
        assert domain.submission_problems(draft) == []
        response = client.post(f"/soknader/{draft.pk}/send-inn/", {})
        assert response.status_code == 200 and "Bekreft at dere har sett på lignende prosjekter" in response.content.decode()
        assert Application.objects.get(pk=draft.pk).status == "draft"
        fingerprint = client.get(f"/soknader/{draft.pk}/send-inn/").context["fingerprint"]
        response = client.post(f"/soknader/{draft.pk}/send-inn/", {"checked_similar": "1", "fingerprint": fingerprint})
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.status == "submitted" and draft.submitted_at
        version = ApplicationVersion.objects.get()
        assert version.number == 1 and version.data["goal"] == "Færre innleggelser" and len(version.data["budget"]) == 3
        recipients = set(Notification.objects.values_list("recipient", flat=True))
        assert {"trond@example.invalid", personas.secretariat.email} <= recipients
        # Submitted: the secretariat may read it, nobody may edit it.
        assert login(personas.secretariat).get(f"/soknader/{draft.pk}/vis/").status_code == 200
        with pytest.raises(domain.ApplicationError):
            domain.add_budget_line(personas.applicant, draft, None)

    def test_a_change_by_a_co_author_after_the_page_was_read_stops_the_submission(self, login, draft, personas, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        fill_completely(draft, personas.applicant, world)
        client = login(personas.applicant)
        fingerprint = client.get(f"/soknader/{draft.pk}/send-inn/").context["fingerprint"]
        # Meanwhile the co-author adds a budget line.
        Application.objects.get(pk=draft.pk).budget_lines.create(year=2028, kind="own_money", amount=1000, description="Kaffe")
        response = client.post(f"/soknader/{draft.pk}/send-inn/", {"checked_similar": "1", "fingerprint": fingerprint})
        assert response.status_code == 200
        assert "Søknaden er endret siden du åpnet denne siden" in response.content.decode()
        assert Application.objects.get(pk=draft.pk).status == "draft" and not ApplicationVersion.objects.exists()
        # Having read it again, the same person submits what they now see, including the new line.
        fingerprint = client.get(f"/soknader/{draft.pk}/send-inn/").context["fingerprint"]
        assert client.post(f"/soknader/{draft.pk}/send-inn/", {"checked_similar": "1", "fingerprint": fingerprint}).status_code == 302
        assert any(line["description"] == "Kaffe" for line in ApplicationVersion.objects.get().data["budget"])

    def test_revision_keeps_the_earlier_version_readable(self, login, draft, personas, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        fill_completely(draft, personas.applicant, world)
        domain.submit(personas.applicant, draft)
        with pytest.raises(Exception):
            domain.reopen_for_revision(personas.applicant, draft, "Nei")
        domain.reopen_for_revision(personas.secretariat, draft, "Tydeliggjør plan for ordinær drift")
        Application.objects.filter(pk=draft.pk).update(ordinary_operation_plan="Ny og bedre plan")
        domain.submit(personas.applicant, Application.objects.get(pk=draft.pk))
        client = login(personas.secretariat)
        assert "Ny og bedre plan" in client.get(f"/soknader/{draft.pk}/vis/").content.decode()
        old = client.get(f"/soknader/{draft.pk}/versjon/1/").content.decode()
        assert "Inn i budsjettet fra 2030" in old and "Ny og bedre plan" not in old

    def test_refused_reopening_keeps_the_reason(self, login, draft, personas, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        fill_completely(draft, personas.applicant, world)
        domain.submit(personas.applicant, draft)
        domain.withdraw(personas.applicant, Application.objects.get(pk=draft.pk))
        response = login(personas.secretariat).post(f"/soknader/{draft.pk}/apne-for-revisjon/", {"reason": "Rett opp budsjettet for 2027"})
        html = response.content.decode()
        assert response.status_code == 400 and "Bare innsendte søknader kan åpnes for revisjon." in html and "Rett opp budsjettet for 2027" in html
        assert Application.objects.get(pk=draft.pk).status == "withdrawn"

    def test_pre_project_cap_is_enforced(self, draft, personas, world, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        fill_completely(draft, personas.applicant, world)
        Application.objects.filter(pk=draft.pk).update(type="pre_project", end_date=datetime.date(2028, 6, 30))
        BudgetLine.objects.create(application=draft, year=2028, kind="grant", amount=1_000_000, description="Mer")
        messages = [p.message for p in domain.submission_problems(Application.objects.get(pk=draft.pk))]
        assert any("høyst 1 500 000" in m.replace("\xa0", " ") for m in messages)

    def test_withdraw(self, login, draft, personas):
        assert login(personas.applicant).post(f"/soknader/{draft.pk}/trekk/").status_code == 302
        draft.refresh_from_db()
        assert draft.status == "withdrawn"


class TestSimilarProjects:
    def test_norwegian_stems_match_inflected_words(self):
        assert set(stems("Digital oppfølging av skrøpelige eldre")) & set(stems("digitale oppfølgingen for de skrøpeligste eldre"))

    def test_finds_funded_projects_across_communities(self, world):
        pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
        Grant.objects.create(pot=pot, title="Digital hjemmeoppfølging av skrøpelige eldre i Finnmark", helsefellesskap=world.other_hf)
        Grant.objects.create(pot=pot, title="Kombinerte stillinger i ambulansetjenesten", helsefellesskap=world.far_hf)
        matches = find_similar("Digital oppfølging av eldre hjemme", "skrøpelige eldre")
        assert [m.title for m in matches] == ["Digital hjemmeoppfølging av skrøpelige eldre i Finnmark"]
        assert matches[0].helsefellesskap == "Finnmark"


class TestDesignedProjects:
    @pytest.fixture
    def designed(self, call, world):
        call.kind = Call.Kind.DESIGNED
        call.save()
        fsu = Body.objects.create(kind=Body.Kind.FSU, name="Fagråd", helsefellesskap=world.hf)
        return DesignedProject.objects.create(call=call, title="Felles rehabilitering", description="...", designed_by=fsu)

    def test_municipality_asks_to_join(self, login, designed, personas, world):
        client = login(personas.applicant)
        response = client.post(f"/soknader/utlysninger/{designed.call.pk}/prosjekter/{designed.pk}/delta/", {"municipality": world.tromso.pk, "contact_name": "Siri", "contact_email": "siri@example.invalid", "contribution": "20 % stilling"})
        assert response.status_code == 302
        request = JoinRequest.objects.get()
        assert (request.municipality, request.status) == (world.tromso, "pending")
        again = client.post(f"/soknader/utlysninger/{designed.call.pk}/prosjekter/{designed.pk}/delta/", {"municipality": world.tromso.pk, "contact_name": "Siri", "contact_email": "siri@example.invalid", "contribution": "igjen"})
        assert again.status_code == 400 and "allerede" in again.content.decode()

    def test_cannot_start_own_application_in_a_designed_call(self, designed, personas, world):
        with pytest.raises(domain.ApplicationError):
            domain.start_application(personas.applicant, call=designed.call, title="X", type="project", helsefellesskap=world.hf)


class TestMyApplicationsByYear:
    """/soknader/ shows one year of sent applications (this year by default) and every draft."""

    def _sent(self, draft, year):
        Application.objects.filter(pk=draft.pk).update(status=Application.Status.SUBMITTED, submitted_at=timezone.make_aware(datetime.datetime(year, 3, 1)))

    def test_defaults_to_this_year_and_keeps_drafts_visible(self, login, draft, personas):
        client = login(personas.applicant)
        page = client.get("/soknader/").content.decode()
        assert "Digital hjemmeoppfølging" in page  # a draft is shown whatever the year
        this_year = timezone.localdate().year
        self._sent(draft, this_year - 2)
        assert "Digital hjemmeoppfølging" not in client.get(f"/soknader/?ar={this_year}").content.decode()
        # Nothing sent this year: the default is the latest year with applications.
        default = client.get("/soknader/")
        assert "Digital hjemmeoppfølging" in default.content.decode()
        assert default.context["year"] == this_year - 2 and default.context["years"] == [this_year - 2]

    def test_applied_sum_from_the_budget(self, login, draft, personas, world):
        participant = draft.participants.get(municipality=world.tromso)
        BudgetLine.objects.create(application=draft, participant=participant, year=2028, kind=BudgetLine.Kind.GRANT, amount=400_000, description="Lønn")
        BudgetLine.objects.create(application=draft, participant=participant, year=2029, kind=BudgetLine.Kind.GRANT, amount=250_000, description="Lønn")
        BudgetLine.objects.create(application=draft, participant=participant, year=2029, kind=BudgetLine.Kind.OWN_MONEY, amount=99_000, description="Egen")
        response = login(personas.applicant).get("/soknader/?ar=nonsense")
        assert [a.applied for a in response.context["applications"]] == [650_000]
