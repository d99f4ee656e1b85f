"""Privacy: export and anonymisation of a person's data, attachment retention, and the
log of who viewed whose personal data."""

import datetime
import json
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.accounts.models import OrganisationRole
from rsportal.applications import domain as applications
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, ApplicationVersion, Attachment, Call, Participant
from rsportal.assessment.models import Conflict, Decision, Score
from rsportal.core.models import AppendOnlyError, AuditEvent, Notification
from rsportal.funding.models import Commitment, Grant, Pot, PotYear
from rsportal.privacy import domain
from rsportal.privacy.models import AttachmentDisposal, PersonalDataView
from rsportal.registry.models import BodyMember

from . import factories as f
from .test_applications import fill_completely

YEAR = datetime.timedelta(days=366)


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def call(world, personas):
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Regional pott", parent=root)
    call = Call.objects.create(pot=pot, title="Regional utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=1_000_000, frame_year=2028)
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    add_default_criteria(call)
    call.steps.create(step="decision", body=world.stu)
    return call


@pytest.fixture
def draft(call, world, personas):
    application = applications.start_application(personas.applicant, call=call, title="Trygg hjemkomst", type="project", helsefellesskap=world.hf)
    applications.add_participant(personas.applicant, application, trust=world.trust, contact_name="Trond Kontakt", contact_email="Trond@Example.invalid", contact_phone="99887766")
    return application


@pytest.fixture
def submitted(draft, personas, world):
    fill_completely(draft, personas.applicant, world)
    applications.submit(personas.applicant, draft)
    draft.refresh_from_db()
    return draft


def rows_for(application):
    return PersonalDataView.objects.filter(object_type="applications.application", object_id=str(application.pk))


# --- who viewed whose data ------------------------------------------------------------


class TestRecordView:
    def test_reading_a_submitted_application_logs_each_contact_person(self, login, submitted, personas, world):
        response = login(personas.secretariat).get(f"/soknader/{submitted.pk}/vis/")
        assert response.status_code == 200
        rows = rows_for(submitted).order_by("person_email")
        assert [(r.person_name, r.person_email) for r in rows] == [
            (personas.applicant.get_full_name(), "applicant@example.invalid"),
            ("Trond Kontakt", "trond@example.invalid"),
        ]
        row = rows[0]
        assert (row.viewer, row.reason, row.detail, row.helsefellesskap, row.object_label) == (personas.secretariat, "application", "versjon 1", world.hf, "Trygg hjemkomst")

    def test_an_older_version_is_logged_as_a_version(self, login, submitted, personas):
        assert login(personas.member).get(f"/soknader/{submitted.pk}/versjon/1/").status_code == 200
        assert set(rows_for(submitted).values_list("reason", "viewer__username")) == {("application_version", "member")}

    def test_attachment_download_is_logged(self, login, submitted, personas):
        attachment = submitted.attachments.get(kind="agreement")
        response = login(personas.secretariat).get(f"/soknader/vedlegg/{attachment.token}/")
        assert response.status_code == 200
        b"".join(response.streaming_content)
        assert set(rows_for(submitted).values_list("reason", "detail")) == {("attachment", f"vedlegg #{attachment.pk} (Signert avtale om felles søknad)")}

    @pytest.mark.parametrize("url", ["/soknader/{pk}/vis/", "/soknader/{pk}/versjon/1/"])
    def test_refused_viewers_leave_no_record(self, login, submitted, personas, url):
        assert login(personas.other_applicant).get(url.format(pk=submitted.pk)).status_code == 403
        assert login(personas.outsider).get(url.format(pk=submitted.pk)).status_code == 403
        assert not PersonalDataView.objects.exists()

    def test_catalogue_logs_only_consenting_contacts_and_only_signed_in_viewers(self, client, login, submitted, personas, world):
        pot = submitted.call.pot
        grant = Grant.objects.create(pot=pot, title="Trygg hjemkomst", helsefellesskap=world.hf)
        Commitment.objects.create(pot_year=PotYear.objects.create(pot=pot, year=2028), kind=Commitment.Kind.GRANT, amount=500_000, status=Commitment.Status.FIRM, grant=grant)
        Decision.objects.create(application=submitted, body=world.stu, outcome="full", reason="God", status="adopted", proposed_by=personas.chair, grant=grant, amounts={"2028": 500_000})
        Participant.objects.filter(application=submitted, trust=world.trust).update(publish_contact=True)
        assert client.get(f"/prosjekter/{grant.pk}/").status_code == 200
        assert not PersonalDataView.objects.exists()
        assert login(personas.observer).get(f"/prosjekter/{grant.pk}/").status_code == 200
        assert list(PersonalDataView.objects.values_list("object_type", "person_email", "reason")) == [("funding.grant", "trond@example.invalid", "catalogue")]

    def test_the_log_is_append_only(self, submitted, personas):
        row = domain.record_view(personas.secretariat, submitted, "application")[0]
        with pytest.raises(AppendOnlyError):
            row.save()
        with pytest.raises(AppendOnlyError):
            row.delete()

    def test_nothing_is_logged_when_no_person_is_shown(self, submitted, personas):
        Participant.objects.filter(application=submitted).update(contact_name="", contact_email="")
        assert domain.record_view(personas.secretariat, Application.objects.get(pk=submitted.pk), "application") == []


class TestViewLogPage:
    URL = "/personvern/visningslogg/"

    def test_secretariat_sees_its_own_community_only(self, login, submitted, personas, world, call):
        domain.record_view(personas.secretariat, submitted, "application")
        other = Application.objects.create(call=call, helsefellesskap=world.far_hf, title="Bergensprosjekt", created_by=personas.other_applicant, status="submitted")
        domain.record_view(personas.sysadmin, other, "application", persons=[("Berit", "berit@example.invalid")])
        page = login(personas.secretariat).get(self.URL)
        assert page.status_code == 200
        assert {r.object_label for r in page.context["page"]} == {"Trygg hjemkomst"}
        far = login(personas.other_secretariat).get(self.URL)
        assert [r.person_name for r in far.context["page"]] == ["Berit"]
        assert len(login(personas.sysadmin).get(self.URL).context["page"]) == 3

    def test_filters_by_person_and_object(self, login, submitted, personas, world, call):
        domain.record_view(personas.secretariat, submitted, "application")
        other = Application.objects.create(call=call, helsefellesskap=world.hf, title="Annet", created_by=personas.applicant, status="submitted")
        domain.record_view(personas.secretariat, other, "application", persons=[("Trond Kontakt", "trond@example.invalid")])
        client = login(personas.sysadmin)
        by_person = client.get(self.URL, {"person": "TROND@example.invalid"}).context["page"]
        assert {r.object_label for r in by_person} == {"Trygg hjemkomst", "Annet"}
        by_object = client.get(self.URL, {"objekt": f"applications.application:{other.pk}"}).context["page"]
        assert [r.object_label for r in by_object] == ["Annet"]
        html = client.get(self.URL).content.decode()
        assert f"?objekt=applications.application:{other.pk}" in html and "Trond Kontakt" in html

    @pytest.mark.parametrize("who", ["applicant", "member", "observer", "chair", "rhf_admin", "outsider"])
    def test_others_are_refused(self, login, personas, who):
        assert login(getattr(personas, who)).get(self.URL).status_code == 403

    def test_constant_number_of_queries(self, login, submitted, personas, call, world):
        client = login(personas.secretariat)
        domain.record_view(personas.member, submitted, "application")

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(self.URL).status_code == 200
            return len(queries)

        one = count()
        viewers = [f.UserFactory() for _ in range(5)]
        for i in range(30):
            application = Application.objects.create(call=call, helsefellesskap=world.hf, title=f"Søknad {i}", created_by=personas.applicant, status="submitted")
            domain.record_view(viewers[i % 5], application, "application", persons=[(f"Person {i}", f"p{i}@example.invalid")])
        assert len(client.get(self.URL).context["page"]) == 32
        assert count() == one


# --- export -------------------------------------------------------------------------


def download(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="personopplysninger-')
    return json.loads(response.content)


class TestExport:
    URL = "/personvern/innsyn/"

    def test_a_person_downloads_their_own_data(self, login, submitted, personas):
        client = login(personas.applicant)
        assert client.get(self.URL).status_code == 200
        data = download(client.post(self.URL, {"egne": "1"}))
        assert data["format"] == domain.EXPORT_FORMAT
        assert data["account"]["username"] == "applicant" and data["account"]["email"] == "applicant@example.invalid"
        assert [r["organisation"] for r in data["organisation_roles"]] == [str(personas.applicant.organisation_roles.get().organisation)]
        assert [c["application"] for c in data["contact_person_in_applications"]] == ["Trygg hjemkomst"]
        assert {"application.started", "application.submitted"} <= {e["action"] for e in data["audit_events_as_actor"]}
        assert any("Søknad mottatt" in n["subject"] for n in data["notifications"])
        event = AuditEvent.objects.get(action="privacy.exported")
        assert (event.actor, event.object_type, event.object_id) == (personas.applicant, "auth.user", str(personas.applicant.pk))
        assert not Notification.objects.filter(subject__contains="hentet ut").exists()

    def test_a_member_gets_their_scores_comments_and_conflicts(self, login, submitted, personas, world):
        seat = BodyMember.objects.get(user=personas.member)
        Score.objects.create(application=submitted, criterion=submitted.call.criteria.first(), member=seat, value=4, comment="Solid plan")
        Conflict.objects.create(application=submitted, member=seat, source="self", reason="Jobber i Tromsø kommune", raised_by=personas.member)
        data = download(login(personas.member).post(self.URL, {"egne": "1"}))
        assert [(s["value"], s["comment"]) for s in data["scores"]] == [(4, "Solid plan")]
        assert [(c["reason"], c["is_the_member"], c["raised_by_person"]) for c in data["conflicts"]] == [("Jobber i Tromsø kommune", True, True)]
        assert data["seats"][0]["body"] == "Tildelingsutvalget"

    def test_only_a_system_administrator_exports_someone_else(self, login, personas, submitted):
        client = login(personas.secretariat)
        response = client.post(self.URL, {"username": "applicant"})
        assert response.status_code == 400
        assert not AuditEvent.objects.filter(action="privacy.exported").exists()
        with pytest.raises(PermissionDenied):
            domain.export_person(personas.secretariat, domain.person_for_user(personas.applicant))
        with pytest.raises(PermissionDenied):  # claiming another address proves nothing
            domain.export_person(personas.applicant, domain.person_for_user(personas.applicant, "trond@example.invalid"))

    def test_administrator_exports_a_user_and_the_user_is_told(self, login, personas, submitted):
        data = download(login(personas.sysadmin).post(self.URL, {"username": "applicant"}))
        assert data["person"]["user_id"] == personas.applicant.pk
        event = AuditEvent.objects.get(action="privacy.exported")
        assert event.actor == personas.sysadmin and event.data["sections"]["contact_person_in_applications"] == 1
        assert Notification.objects.filter(recipient="applicant@example.invalid", subject="Personopplysningene dine er hentet ut").exists()

    def test_administrator_exports_a_contact_person_without_account_by_email(self, login, personas, submitted):
        data = download(login(personas.sysadmin).post(self.URL, {"email": "trond@example.invalid"}))
        assert data["account"] is None
        assert [(c["name"], c["phone"]) for c in data["contact_person_in_applications"]] == [("Trond Kontakt", "99887766")]
        event = AuditEvent.objects.get(action="privacy.exported")
        assert event.object_type == "privacy.person" and "trond" not in event.object_id + event.summary + json.dumps(event.data)

    def test_empty_or_unknown_person_is_refused(self, login, personas):
        client = login(personas.sysadmin)
        assert client.post(self.URL, {}).status_code == 400
        response = client.post(self.URL, {"username": "finnes-ikke"})
        assert response.status_code == 400 and "Fant ingen bruker" in response.content.decode()
        assert not AuditEvent.objects.exists()


# --- anonymisation --------------------------------------------------------------------


class TestAnonymise:
    URL = "/personvern/anonymisering/"

    @pytest.fixture
    def history(self, submitted, personas, world):
        """The applicant has submitted; a decision was adopted; Trond was notified."""
        Decision.objects.create(application=submitted, body=world.stu, outcome="rejected", reason="Ikke prioritert", status="adopted", proposed_by=personas.chair, concluded_at=timezone.now())
        domain.record_view(personas.secretariat, submitted, "application")
        return submitted

    def test_preview_then_confirm(self, login, history, personas, world):
        other_admin = f.UserFactory(username="admin2", is_superuser=True)
        client = login(personas.sysadmin)
        assert client.get(self.URL).status_code == 200
        preview = client.post(self.URL, {"username": "applicant"})
        assert preview.status_code == 200
        counts = preview.context["preview"]
        assert (counts.account, counts.roles_ended, counts.contact_entries, counts.submitted_versions) == (True, 1, 1, 1)
        assert counts.kept["audit_events"] >= 2
        assert Get.user(personas.applicant).is_active  # nothing changed yet

        wrong = client.post(self.URL, {"username": "applicant", "bekreftelse": "feil"})
        assert wrong.status_code == 400 and Get.user(personas.applicant).email == "applicant@example.invalid"

        done = client.post(self.URL, {"username": "applicant", "bekreftelse": "applicant"})
        assert done.status_code == 302 and done["Location"] == self.URL
        user = Get.user(personas.applicant)
        assert (user.username, user.first_name, user.last_name, user.email, user.is_active, user.has_usable_password()) == (
            f"anonymisert-{user.pk}", "", domain.ANONYMISED, "", False, False
        )
        assert not TOTPDevice.objects.filter(user=user).exists()
        assert OrganisationRole.objects.get(user=user).valid_to == timezone.localdate() - datetime.timedelta(days=1)
        owner = Participant.objects.get(application=history, municipality=world.tromso)
        assert (owner.contact_name, owner.contact_email, owner.contact_phone) == (domain.ANONYMISED, "", "")
        trond = Participant.objects.get(application=history, trust=world.trust)
        assert trond.contact_email.lower() == "trond@example.invalid"  # someone else's data is untouched
        frozen = ApplicationVersion.objects.get(application=history).data["participants"]
        assert {p["contact"] for p in frozen} == {domain.ANONYMISED, "Trond Kontakt"}
        assert "applicant@example.invalid" not in json.dumps(frozen)
        assert not Notification.objects.filter(recipient__iexact="applicant@example.invalid").exists()
        assert set(PersonalDataView.objects.values_list("person_name", flat=True)) == {domain.ANONYMISED, "Trond Kontakt"}
        # Kept: the application, its decision and the audit trail, still pointing at the account.
        assert Application.objects.get(pk=history.pk).created_by == user
        assert Decision.objects.get(application=history).reason == "Ikke prioritert"
        assert AuditEvent.objects.filter(actor=user, action="application.submitted").exists()
        event = AuditEvent.objects.get(action="privacy.anonymised")
        assert (event.actor, event.object_id) == (personas.sysadmin, str(user.pk))
        assert "applicant" not in event.summary and event.data["changed"]["contact_entries"] == 1
        assert Notification.objects.filter(recipient=other_admin.email, subject__contains="anonymisert").exists()
        # The anonymised person can no longer sign in.
        assert not user.check_password(f.PASSWORD)

    def test_a_contact_person_without_account(self, login, history, personas):
        client = login(personas.sysadmin)
        preview = client.post(self.URL, {"email": "trond@example.invalid"})
        assert preview.context["person"].confirmation_word == "trond@example.invalid"
        assert client.post(self.URL, {"email": "trond@example.invalid", "bekreftelse": "Trond@example.invalid"}).status_code == 302
        assert not Participant.objects.filter(contact_email__iexact="trond@example.invalid").exists()
        assert Participant.objects.filter(contact_name=domain.ANONYMISED).count() == 1
        assert get_user_model().objects.filter(is_active=False).count() == 0
        assert AuditEvent.objects.get(action="privacy.anonymised").object_type == "privacy.person"

    def test_not_your_own_account(self, personas, submitted):
        with pytest.raises(domain.PrivacyError):
            domain.anonymise_person(personas.sysadmin, domain.person_for_user(personas.sysadmin), confirmation="sysadmin")
        assert Get.user(personas.sysadmin).is_active

    @pytest.mark.parametrize("who", ["applicant", "secretariat", "member", "chair", "rhf_admin", "outsider"])
    def test_only_system_administrators(self, login, personas, submitted, who):
        client = login(getattr(personas, who))
        assert client.get(self.URL).status_code == 403
        assert client.post(self.URL, {"username": "applicant", "bekreftelse": "applicant"}).status_code == 403
        assert Get.user(personas.applicant).is_active
        with pytest.raises(PermissionDenied):
            domain.anonymise_person(getattr(personas, who), domain.person_for_user(personas.applicant), confirmation="applicant")


class Get:
    @staticmethod
    def user(user):
        return get_user_model().objects.get(pk=user.pk)


# --- retention ----------------------------------------------------------------------


def age(application, *, years_ago: float):
    moment = timezone.now() - datetime.timedelta(days=365.25 * years_ago)
    Application.objects.filter(pk=application.pk).update(updated_at=moment, submitted_at=moment if application.submitted_at else None)
    return moment


class TestRetention:
    def test_abandoned_draft_files_go_after_a_year(self, draft, personas, world, django_capture_on_commit_callbacks):
        fill_completely(draft, personas.applicant, world)
        paths = [a.file.path for a in draft.attachments.all()]
        age(draft, years_ago=1.1)
        assert [i.rule for i in domain.apply_retention(dry_run=True)] == ["draft", "draft"]
        assert all(a.file for a in Attachment.objects.all()) and not AttachmentDisposal.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            call_command("apply_retention")
        for attachment in Attachment.objects.filter(application=draft):
            assert not attachment.file and attachment.disposal.rule == "draft" and attachment.disposal.retention_years == 1
        assert paths and not any(os.path.exists(p) for p in paths)
        events = AuditEvent.objects.filter(action="attachment.retention_deleted", object_id=str(draft.pk))
        assert events.count() == 2 and events.first().actor is None
        assert domain.retention_due() == []  # nothing twice

    def test_recent_drafts_and_granted_applications_stay(self, submitted, draft, personas, world):
        Decision.objects.create(application=submitted, body=world.stu, outcome="full", reason="God", status="adopted", proposed_by=personas.chair, concluded_at=timezone.now() - 20 * YEAR)
        age(submitted, years_ago=20)
        Call.objects.filter(pk=submitted.call_id).update(status=Call.Status.CLOSED)
        assert domain.retention_due() == []

    def test_not_granted_applications_after_the_configured_period(self, submitted, personas, world, settings, capsys):
        decided = Decision.objects.create(application=submitted, body=world.stu, outcome="rejected", reason="Nei", status="adopted", proposed_by=personas.chair, concluded_at=timezone.now() - 4 * YEAR)
        age(submitted, years_ago=6)
        assert domain.retention_due() == []  # five years from the decision, not from submission
        Decision.objects.filter(pk=decided.pk).update(concluded_at=timezone.now() - 6 * YEAR)
        call_command("apply_retention", "--dry-run")
        assert "would delete: 2 file(s)" in capsys.readouterr().out
        settings.RSPORTAL_ATTACHMENT_RETENTION_YEARS = 10
        assert domain.retention_due() == []
        settings.RSPORTAL_ATTACHMENT_RETENTION_YEARS = 5
        call_command("apply_retention")
        assert {a.disposal.rule for a in Attachment.objects.filter(application=submitted)} == {"not_granted"}

    def test_a_deleted_file_is_not_found_and_not_logged(self, login, submitted, personas, world):
        Application.objects.filter(pk=submitted.pk).update(status=Application.Status.WITHDRAWN)
        age(submitted, years_ago=6)
        domain.apply_retention()
        attachment = submitted.attachments.first()
        assert login(personas.secretariat).get(f"/soknader/vedlegg/{attachment.token}/").status_code == 404
        assert not PersonalDataView.objects.exists()


# --- everyone without access ------------------------------------------------------------


@pytest.mark.parametrize("url", ["/personvern/innsyn/", "/personvern/anonymisering/", "/personvern/visningslogg/"])
def test_outsider_and_anonymous_are_refused_everywhere(client, login, personas, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/logg-inn/?")
    outsider = login(personas.outsider)
    assert outsider.get(url).status_code == 403
    assert outsider.post(url, {"egne": "1", "username": "applicant", "bekreftelse": "applicant"}).status_code in (403, 405)
    assert not AuditEvent.objects.exists()


class TestInvitations:
    """An invitation holds a name and an e-mail address: it is exported with the person's data,
    and anonymising the person empties both and stops a pending link."""

    @pytest.fixture
    def invited(self, personas, world):
        from rsportal.accounts import domain as accounts

        return accounts.invite(
            personas.secretariat, email="Ingrid@Example.invalid", name="Ingrid Invitert", base_url="http://testserver/",
            kind=OrganisationRole.Kind.APPLICANT, municipality=world.tromso,
        )

    def test_exported_with_the_persons_data(self, personas, invited):
        data = domain.export_person(personas.sysadmin, domain.resolve_person(email="ingrid@example.invalid"))
        assert [(i["name"], i["email"], i["organisation"], i["used_at"]) for i in data["invitations"]] == [
            ("Ingrid Invitert", "Ingrid@Example.invalid", "Tromsø (5501)", None)
        ]

    def test_anonymised_and_the_pending_link_stops_working(self, login, personas, invited):
        from rsportal.accounts import domain as accounts

        invitation, token = invited
        client = login(personas.sysadmin)
        preview = client.post(TestAnonymise.URL, {"email": "ingrid@example.invalid"})
        assert preview.context["preview"].invitations == 1
        assert client.post(TestAnonymise.URL, {"email": "ingrid@example.invalid", "bekreftelse": "ingrid@example.invalid"}).status_code == 302
        invitation.refresh_from_db()
        assert (invitation.name, invitation.email) == (domain.ANONYMISED, "")
        assert accounts.problem(accounts.find(token))  # the link no longer works
