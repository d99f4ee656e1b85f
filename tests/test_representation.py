"""Requests to represent a municipality or a trust, and the municipalities' notice addresses."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from rsportal.accounts import domain
from rsportal.accounts.models import OrganisationRole, RepresentationRequest
from rsportal.applications import notices
from rsportal.applications.models import Application
from rsportal.core.backoffice import version
from rsportal.core.models import AuditEvent, Notification

from . import factories as f
from .test_applications import call  # noqa: F401 (fixture)

PAGE = "/min-side/representasjon/"
REQUESTS = "/administrasjon/personer/foresporsler/"
ADDRESSES = "/administrasjon/personer/varseladresser/"


def _sent_to(address):
    return list(Notification.objects.filter(recipient=address).order_by("pk"))


class TestAsking:
    def test_outsider_finds_the_page_from_the_front_page_and_asks(self, login, world, personas):
        client = login(personas.outsider)
        assert PAGE in client.get("/").content.decode()
        world.tromso.notice_email = "postmottak@tromso.example.invalid"
        world.tromso.save()
        response = client.post(PAGE, {"organisation": f"m:{world.tromso.pk}", "message": "Jeg er kommuneoverlege."})
        assert response.status_code == 302
        request = RepresentationRequest.objects.get()
        assert (request.user, request.municipality, request.trust, request.status) == (personas.outsider, world.tromso, None, "pending")
        assert request.message == "Jeg er kommuneoverlege."
        # The secretariat of Tromsø's helsefellesskap and the municipality's inbox are told; not Bergen's.
        assert _sent_to(personas.secretariat.email) and "Tromsø" in _sent_to(personas.secretariat.email)[0].subject
        assert "kommuneoverlege" in _sent_to("postmottak@tromso.example.invalid")[0].body
        assert not _sent_to(personas.other_secretariat.email)
        assert AuditEvent.objects.filter(action="representation_requested", object_id=str(request.pk)).exists()
        page = client.get(PAGE).content.decode()
        assert "Tromsø" in page and "Venter på svar" in page

    def test_a_trust_request_goes_to_the_trusts_helsefellesskap(self, world, personas):
        request = domain.request_to_represent(personas.outsider, trust=world.trust, message="")
        assert request.trust == world.trust
        assert _sent_to(personas.secretariat.email) and not _sent_to(personas.other_secretariat.email)

    def test_one_pending_request_per_organisation(self, login, world, personas):
        domain.request_to_represent(personas.outsider, municipality=world.tromso)
        response = login(personas.outsider).post(PAGE, {"organisation": f"m:{world.tromso.pk}", "message": ""})
        assert response.status_code == 400 and "venter på svar" in response.content.decode()
        assert RepresentationRequest.objects.count() == 1
        # Another organisation is a separate question.
        domain.request_to_represent(personas.outsider, municipality=world.harstad)
        assert RepresentationRequest.objects.count() == 2

    def test_someone_who_already_represents_it_cannot_ask(self, world, personas):
        with pytest.raises(ValidationError):
            domain.request_to_represent(personas.applicant, municipality=world.tromso)
        assert not RepresentationRequest.objects.exists()

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(PAGE)
        assert response.status_code == 302 and "/logg-inn/" in response["Location"]


class TestDeciding:
    def test_approval_gives_the_role_and_the_person_can_start_an_application(self, login, world, personas, call):  # noqa: F811
        request = domain.request_to_represent(personas.outsider, municipality=world.tromso, message="Kommuneoverlege")
        secretariat = login(personas.secretariat)
        listing = secretariat.get(REQUESTS).content.decode()
        assert f"{REQUESTS}{request.pk}/" in listing
        page = secretariat.get(f"{REQUESTS}{request.pk}/")
        assert page.status_code == 200 and "Kommuneoverlege" in page.content.decode()
        response = secretariat.post(f"{REQUESTS}{request.pk}/", {"decision": "approve", "reason": "", "_version": version(request)})
        assert response.status_code == 302
        request.refresh_from_db()
        assert (request.status, request.decided_by) == ("approved", personas.secretariat) and request.decided_at
        role = OrganisationRole.objects.get(user=personas.outsider)
        assert (role.kind, role.municipality, role.valid_to) == ("applicant", world.tromso, None)
        assert AuditEvent.objects.filter(action="representation_approved", object_id=str(request.pk)).exists()
        assert AuditEvent.objects.filter(action="role_granted", object_id=str(role.pk)).exists()
        mail = _sent_to(personas.outsider.email)[-1]
        assert "Du er nå søker for Tromsø" in mail.subject
        # The existing start rule now lets the person in.
        applicant = login(personas.outsider)
        started = applicant.post(f"/soknader/utlysninger/{call.pk}/ny-soknad/", {"title": "Trygg hjemkomst", "type": "project", "helsefellesskap": world.hf.pk})
        assert started.status_code == 302
        assert Application.objects.get().participants.get().municipality == world.tromso

    def test_refusal_needs_a_reason_and_tells_the_person_why(self, login, world, personas):
        request = domain.request_to_represent(personas.outsider, municipality=world.tromso)
        secretariat = login(personas.secretariat)
        response = secretariat.post(f"{REQUESTS}{request.pk}/", {"decision": "refuse", "reason": " ", "_version": version(request)})
        assert response.status_code == 400 and "begrunnelse" in response.content.decode()
        request.refresh_from_db()
        assert request.status == "pending"
        response = secretariat.post(f"{REQUESTS}{request.pk}/", {"decision": "refuse", "reason": "Vi kjenner ikke til deg i kommunen.", "_version": version(request)})
        assert response.status_code == 302
        request.refresh_from_db()
        assert (request.status, request.reason) == ("refused", "Vi kjenner ikke til deg i kommunen.")
        assert not OrganisationRole.objects.filter(user=personas.outsider).exists()
        assert "Vi kjenner ikke til deg" in _sent_to(personas.outsider.email)[-1].body
        assert AuditEvent.objects.filter(action="representation_refused", object_id=str(request.pk)).exists()
        assert "Avslått" in login(personas.outsider).get(PAGE).content.decode()
        # Answered is answered.
        with pytest.raises(ValidationError):
            domain.decide_request(personas.secretariat, request, approve=True)

    def test_another_helsefellesskaps_secretariat_gets_404_and_cannot_decide(self, login, world, personas):
        request = domain.request_to_represent(personas.outsider, municipality=world.tromso)
        other = login(personas.other_secretariat)
        assert f"{REQUESTS}{request.pk}/" not in other.get(REQUESTS).content.decode()
        assert other.get(f"{REQUESTS}{request.pk}/").status_code == 404
        assert other.post(f"{REQUESTS}{request.pk}/", {"decision": "approve", "reason": ""}).status_code == 404
        with pytest.raises(PermissionDenied):
            domain.decide_request(personas.other_secretariat, request, approve=True)
        request.refresh_from_db()
        assert request.status == "pending" and not OrganisationRole.objects.filter(user=personas.outsider).exists()

    def test_an_outsider_cannot_open_the_back_office_list(self, login, personas):
        assert login(personas.outsider).get(REQUESTS).status_code == 403


class TestNoticeAddress:
    def test_secretariat_sets_the_address_of_a_member_municipality(self, login, world, personas):
        client = login(personas.secretariat)
        listing = client.get(ADDRESSES).content.decode()
        assert "Tromsø" in listing and "Bergen" not in listing
        response = client.post(f"{ADDRESSES}{world.tromso.pk}/", {"notice_email": "postmottak@tromso.example.invalid", "_version": version(world.tromso)})
        assert response.status_code == 302
        world.tromso.refresh_from_db()
        assert world.tromso.notice_email == "postmottak@tromso.example.invalid"
        event = AuditEvent.objects.get(action="notice_email_changed", object_id=str(world.tromso.pk))
        assert event.actor == personas.secretariat and "postmottak@tromso.example.invalid" in event.summary

    def test_another_secretariats_municipality_is_404(self, login, world, personas):
        client = login(personas.other_secretariat)
        assert client.get(f"{ADDRESSES}{world.tromso.pk}/").status_code == 404
        assert client.post(f"{ADDRESSES}{world.tromso.pk}/", {"notice_email": "x@example.invalid"}).status_code == 404
        with pytest.raises(PermissionDenied):
            domain.set_notice_email(personas.other_secretariat, world.tromso, notice_email="x@example.invalid")
        world.tromso.refresh_from_db()
        assert world.tromso.notice_email == ""

    def test_a_stale_form_is_refused_with_409(self, login, world, personas):
        shown = version(world.tromso)
        domain.set_notice_email(personas.sysadmin, world.tromso, notice_email="first@example.invalid")
        response = login(personas.secretariat).post(f"{ADDRESSES}{world.tromso.pk}/", {"notice_email": "second@example.invalid", "_version": shown})
        assert response.status_code == 409
        world.tromso.refresh_from_db()
        assert world.tromso.notice_email == "first@example.invalid"

    def test_notices_about_applications_also_go_to_the_address(self, world, personas, call):  # noqa: F811
        from rsportal.applications import domain as applications

        application = applications.start_application(personas.applicant, call=call, title="Felles prosjekt", type="project", helsefellesskap=world.hf)
        assert "postmottak@tromso.example.invalid" not in notices.recipients(application)
        domain.set_notice_email(personas.secretariat, world.tromso, notice_email="postmottak@tromso.example.invalid")
        application.participants.update(contact_email="kontakt@example.invalid")
        assert notices.recipients(application) == ["kontakt@example.invalid", "postmottak@tromso.example.invalid"]
        notices._send(application, "Om %(title)s", ["Noe har skjedd."])
        assert _sent_to("postmottak@tromso.example.invalid")[0].subject == "Om Felles prosjekt"


class TestPrivacy:
    def test_the_export_has_the_requests_and_anonymisation_empties_and_closes_them(self, world, personas):
        from rsportal.privacy import domain as privacy

        domain.request_to_represent(personas.outsider, municipality=world.tromso, message="Jeg er kommuneoverlege i Tromsø.")
        person = privacy.person_for_user(personas.outsider)
        exported = privacy.collect(person)["representation_requests"]
        assert [(r["organisation"], r["message"], r["status"]) for r in exported] == [(str(world.tromso), "Jeg er kommuneoverlege i Tromsø.", "pending")]
        privacy.anonymise_person(personas.sysadmin, person, confirmation=personas.outsider.username)
        request = RepresentationRequest.objects.get()
        assert (request.message, request.status) == ("", "refused")
        with pytest.raises(ValidationError):
            domain.decide_request(personas.secretariat, request, approve=True)
        assert not OrganisationRole.objects.filter(user=personas.outsider).exists()


class TestPrivateHospitals:
    """A private non-profit hospital with an operating agreement is registered as a trust of kind
    "private", linked to the trust whose area it serves; that trust's helsefellesskap manages it."""

    @pytest.fixture
    def private(self, world):
        from rsportal.registry.models import HealthTrust

        return HealthTrust.objects.create(code="PRIV", name="Ideelt sykehus", rhf=world.rhf, kind=HealthTrust.Kind.PRIVATE, area_trust=world.trust)

    def test_a_private_hospital_needs_the_trust_of_its_area(self, world):
        from django.db import IntegrityError, transaction

        from rsportal.registry.models import HealthTrust

        with pytest.raises(IntegrityError), transaction.atomic():
            HealthTrust.objects.create(code="NOAREA", name="Uten område", rhf=world.rhf, kind=HealthTrust.Kind.PRIVATE)

    def test_its_applicants_are_asked_for_and_approved_by_the_areas_secretariat(self, login, world, personas, private):
        page = login(personas.outsider).get(PAGE).content.decode()
        assert f'value="t:{private.pk}"' in page
        request = domain.request_to_represent(personas.outsider, trust=private, message="Fagdirektør")
        assert _sent_to(personas.secretariat.email) and not _sent_to(personas.other_secretariat.email)
        assert login(personas.other_secretariat).get(f"{REQUESTS}{request.pk}/").status_code == 404
        domain.decide_request(personas.secretariat, request, approve=True)
        role = OrganisationRole.objects.get(user=personas.outsider, trust=private)
        from rsportal.accounts import permissions

        assert permissions.manageable_roles(personas.secretariat).filter(pk=role.pk).exists()
        assert not permissions.manageable_roles(personas.other_secretariat).filter(pk=role.pk).exists()
        assert permissions.may_grant_role(personas.secretariat, "applicant", trust=private)
        assert not permissions.may_grant_role(personas.other_secretariat, "applicant", trust=private)

    def test_it_can_take_part_in_an_application(self, world, personas, call, private):  # noqa: F811
        from rsportal.applications import domain as applications

        application = applications.start_application(personas.applicant, call=call, title="Felles prosjekt", type="project", helsefellesskap=world.hf)
        applications.add_participant(personas.applicant, application, trust=private, contact_name="Kari", contact_email="kari@example.invalid")
        assert application.participants.filter(trust=private).exists()
