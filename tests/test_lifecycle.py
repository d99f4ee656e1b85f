"""The application's lifecycle (rsportal/applications/lifecycle.py): every change of every state,
and the three attacks of the security review (issue 9, item 7) through the real views.

The expected outcomes are written out here, not read from the module under test, so a change
of the state machine has to change this table too."""

import datetime
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from rsportal.accounts.models import OrganisationRole
from rsportal.applications import domain
from rsportal.applications.forms import SECTIONS, BenefitRowForm, BudgetLineForm
from rsportal.applications.models import Application, Call, Participant
from rsportal.assessment import domain as assessment
from rsportal.assessment.models import AgendaItem, Decision, FormalCheck, Meeting
from rsportal.core.models import AuditEvent
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Commitment, Grant

from . import factories as f

M = 1_000_000
YEAR = 2028  # the budget year of factories.fill_completely

STATES = ("draft", "submitted", "in_vote", "revision", "withdrawn", "granted", "not_granted")

# action -> the states it is allowed in. Everything else must be refused and change nothing.
ALLOWED = {
    "save_section": {"draft", "revision"},
    "add_budget_line": {"draft", "revision"},
    "remove_budget_line": {"draft", "revision"},
    "add_benefit": {"draft", "revision"},
    "remove_benefit": {"draft", "revision"},
    "upload_attachment": {"draft", "revision"},
    "remove_attachment": {"draft", "revision"},
    "add_participant": {"draft", "revision"},
    "remove_participant": {"draft", "revision"},
    "submit": {"draft", "revision"},
    "reopen": {"submitted"},
    "withdraw": {"draft", "submitted", "in_vote", "revision"},
    "formal_check": {"submitted", "in_vote"},
    "conclude": {"in_vote"},
}


@pytest.fixture
def call(world, personas):
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=YEAR, name=f"RS {YEAR}", amount=10 * M, rhf=world.rhf))
    call = Call.objects.create(pot=funding.root_pot(world.rhf), title="Utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=10 * M, frame_year=YEAR)
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    call.steps.create(step="decision", body=world.stu)
    return call


@pytest.fixture
def co_applicant(world):
    """An applicant for the health trust, which takes part in the application without owning it."""
    user = f.UserFactory(username="co_applicant")
    f.role(user, OrganisationRole.Kind.APPLICANT, trust=world.trust)
    return user


@pytest.fixture
def application(call, world, personas, co_applicant, settings, tmp_path):
    """Started by Tromsø (the project owner) with UNN and Harstad taking part, filled in completely."""
    settings.MEDIA_ROOT = tmp_path
    application = domain.start_application(personas.applicant, call=call, title="Trygg hjemkomst", type="project", helsefellesskap=world.hf)
    domain.add_participant(personas.applicant, application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
    domain.add_participant(personas.applicant, application, municipality=world.harstad, contact_name="Hanne", contact_email="hanne@example.invalid")
    f.fill_completely(application, personas.applicant, municipality=world.tromso, trust=world.trust)
    return Application.objects.get(pk=application.pk)


def open_item(application, personas) -> AgendaItem:
    """The application's item in a meeting under way with every seat present: votes need both."""
    existing = AgendaItem.objects.filter(application=application).first()
    if existing:
        return existing
    body = application.call.steps.get(step="decision").body
    now = timezone.now()
    meeting = Meeting.objects.create(call=application.call, body=body, starts_at=now, created_by=personas.rhf_admin, attendance_recorded_at=now)
    meeting.present.set(body.members.all())
    return AgendaItem.objects.create(meeting=meeting, application=application, order=1, planned_start=now, planned_end=now, started_at=now)


def put_in(application, state, personas):
    """Bring the application into `state` as the database would hold it."""
    submitted = {"submitted_at": timezone.now()}
    stored = {"draft": "draft", "revision": "revision", "withdrawn": "withdrawn"}.get(state, "submitted")
    Application.objects.filter(pk=application.pk).update(status=stored, **(submitted if state != "draft" else {}))
    decision = {"in_vote": ("proposed", "rejected", {}), "granted": ("adopted", "full", {str(YEAR): M}), "not_granted": ("adopted", "rejected", {})}.get(state)
    if decision:
        status, outcome, amounts = decision
        Decision.objects.create(
            application=application, item=open_item(application, personas), body=application.call.steps.get(step="decision").body,
            outcome=outcome, amounts=amounts, reason="Begrunnelse", status=status, proposed_by=personas.chair,
        )
    return Application.objects.get(pk=application.pk)


def db_state(application) -> dict:
    """Everything a change of the application could touch."""
    a = Application.objects.get(pk=application.pk)
    return {
        "application": model_to_dict(a) | {"updated_at": a.updated_at},
        "participants": sorted(Participant.objects.filter(application=a).values_list("pk", "municipality_id", "trust_id", "is_owner")),
        "budget": sorted(a.budget_lines.values_list("pk", "amount")),
        "benefits": sorted(a.benefits.values_list("pk", flat=True)),
        "attachments": sorted(a.attachments.values_list("pk", flat=True)),
        "versions": a.versions.count(),
        "decisions": sorted(a.decisions.values_list("pk", "status")),
        "formal_check": list(FormalCheck.objects.filter(application=a).values_list("outcome", "note")),
        "grants": Grant.objects.count(),
        "commitments": sorted(Commitment.objects.values_list("pk", "status")),
        "sections": sorted(a.section_versions.values_list("section", "version")),
    }


def attempt(action, application, personas, world):
    """Make the change `action` on `application` as the person whose role it is."""
    applicant = personas.applicant
    if action == "save_section":
        form = SECTIONS["nytte"]({"nytte-expected_benefit": "Endret nytte", "nytte-supports_purpose": "Endret"}, instance=application, prefix="nytte")
        assert form.is_valid()
        return domain.save_section(applicant, application, "nytte", form, 0)  # nobody has saved this section yet
    if action == "add_budget_line":
        form = BudgetLineForm(application, {"year": YEAR, "kind": "grant", "amount": "5 000 000", "description": "Mer"})
        assert form.is_valid(), form.errors
        return domain.add_budget_line(applicant, application, form)
    if action == "remove_budget_line":
        return domain.remove_budget_line(applicant, application.budget_lines.first())
    if action == "add_benefit":
        form = BenefitRowForm({"benefit": "time", "description": "Sparer tid", "beneficiaries": ["patients"], "responsible": "Leder", "measurement": "Tid", "frequency_and_data": "Årlig", "prerequisites": "Ingen", "time_horizon": "2029"})
        assert form.is_valid(), form.errors
        return domain.add_benefit(applicant, application, form)
    if action == "remove_benefit":
        return domain.remove_benefit(applicant, application.benefits.first())
    if action == "upload_attachment":
        return domain.upload_attachment(applicant, application, kind="other", uploaded=SimpleUploadedFile("plan.pdf", f.PDF))
    if action == "remove_attachment":
        return domain.remove_attachment(applicant, application.attachments.first())
    if action == "add_participant":
        return domain.add_participant(applicant, application, municipality=world.alta, contact_name="Anne", contact_email="anne@example.invalid")
    if action == "remove_participant":
        return domain.remove_participant(applicant, application.participants.get(municipality=world.harstad))
    if action == "submit":
        return domain.submit(applicant, application)
    if action == "reopen":
        return domain.reopen_for_revision(personas.secretariat, application, "Rett opp budsjettet")
    if action == "withdraw":
        return domain.withdraw(applicant, application)
    if action == "formal_check":
        return assessment.record_formal_check(personas.rhf_admin, application, outcome="eligible", efficient_use=True, not_ordinary_operation=True, digital_compliant=None, note="")
    if action == "conclude":
        return assessment.conclude(personas.chair, application.decisions.get(status="proposed"))
    raise AssertionError(action)


# "submitted" + conclude cannot happen: concluding needs a proposal, and a proposal up for the
# vote is what makes a submitted application "in_vote".
PAIRS = [(state, action) for action in ALLOWED for state in STATES if (state, action) != ("submitted", "conclude")]


@pytest.mark.parametrize("state,action", PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_change_in_every_state(state, action, application, personas, world):
    application = put_in(application, state, personas)
    if action == "conclude":
        # A proposal up for the vote, with the votes to adopt it, is the starting point of a
        # conclusion. Outside "in_vote" it is put there directly, as one made before the
        # application was withdrawn or reopened, or a second one after a decision, would be.
        if state != "in_vote":
            Decision.objects.create(application=application, item=open_item(application, personas), body=world.stu, outcome="rejected", amounts={}, reason="Begrunnelse", proposed_by=personas.chair)
        for voter in (personas.chair, personas.member):
            assessment.cast_vote(voter, application.decisions.get(status="proposed"), "for")
        application = Application.objects.get(pk=application.pk)
    before = db_state(application)
    if action in ALLOWED and state in ALLOWED[action]:
        attempt(action, application, personas, world)
        assert db_state(application) != before
    else:
        with pytest.raises((domain.ApplicationError, assessment.AssessmentError), match="^Søknaden kan ikke"):
            attempt(action, application, personas, world)
        assert db_state(application) == before


# --- the three attacks of the review, through the views --------------------------------------


@pytest.fixture
def granted(application, personas):
    """Submitted, put to the vote and granted 1 MNOK for 2028, which committed the money."""
    domain.submit(personas.applicant, application)
    open_item(application, personas)
    decision = assessment.propose_decision(personas.chair, application, outcome="full", amounts={YEAR: M}, reason="Godt forankret")
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, decision, "for")
    assert assessment.conclude(personas.chair, decision).adopted
    return Application.objects.get(pk=application.pk)


def test_a_decided_application_cannot_be_reopened_and_then_given_a_bigger_budget(granted, personas, login):
    before = db_state(granted)
    response = login(personas.secretariat).post(f"/soknader/{granted.pk}/apne-for-revisjon/", {"reason": "Legg til et år"})
    assert response.status_code == 400 and "Søknaden kan ikke åpnes for revisjon fordi den er innvilget." in response.content.decode()
    response = login(personas.applicant).post(f"/soknader/{granted.pk}/budsjett/", {"year": str(YEAR), "kind": "grant", "amount": "5 000 000", "description": "Mer"})
    assert response.status_code == 400 and "Søknaden kan ikke endres fordi den er innvilget." in response.content.decode()
    assert db_state(granted) == before
    assert not AuditEvent.objects.filter(action__in=["application.reopened", "application.budget_line_added"], object_id=str(granted.pk)).exists()


def test_an_application_in_the_vote_cannot_be_reopened(application, personas, login):
    domain.submit(personas.applicant, application)
    open_item(application, personas)
    assessment.propose_decision(personas.chair, application, outcome="rejected", amounts={}, reason="Utenfor formålet")
    before = db_state(application)
    response = login(personas.secretariat).post(f"/soknader/{application.pk}/apne-for-revisjon/", {"reason": "Rett opp"})
    assert response.status_code == 400 and "fordi den er til avstemning" in response.content.decode()
    assert db_state(application) == before


def test_a_granted_application_cannot_be_withdrawn_and_its_grant_stays(granted, personas, login):
    before = db_state(granted)
    client = login(personas.applicant)
    assert "Trekk søknaden" not in client.get(f"/soknader/{granted.pk}/vis/").content.decode()
    response = client.post(f"/soknader/{granted.pk}/trekk/", follow=True)
    assert "Søknaden kan ikke trekkes fordi den er innvilget." in response.content.decode()
    assert db_state(granted) == before
    assert Application.objects.get(pk=granted.pk).status == "submitted"
    assert Commitment.objects.filter(grant__decision__application=granted, status__in=Commitment.ACTIVE).exists()
    assert not AuditEvent.objects.filter(action="application.withdrawn", object_id=str(granted.pk)).exists()


def test_a_co_applicant_cannot_remove_the_project_owner(application, personas, co_applicant, world, login):
    owner = application.participants.get(municipality=world.tromso)
    client = login(co_applicant)
    assert f"/deltakere/{owner.pk}/fjern/" not in client.get(f"/soknader/{application.pk}/").content.decode()
    response = client.post(f"/soknader/{application.pk}/deltakere/{owner.pk}/fjern/", follow=True)
    assert "Tromsø (5501) er prosjekteier og kan ikke fjernes fra søknaden." in response.content.decode()
    assert Participant.objects.filter(pk=owner.pk, is_owner=True).exists()
    assert login(personas.applicant).get(f"/soknader/{application.pk}/").status_code == 200


# --- who removes and adds whom -------------------------------------------------------------------


def test_the_owner_removes_others_but_not_itself(application, personas, world):
    with pytest.raises(domain.ApplicationError, match="prosjekteier"):
        domain.remove_participant(personas.applicant, application.participants.get(municipality=world.tromso))
    domain.remove_participant(personas.applicant, application.participants.get(municipality=world.harstad))
    assert not application.participants.filter(municipality=world.harstad).exists()


def test_a_co_applicant_removes_only_itself_and_what_it_added(application, co_applicant, world, login):
    harstad = application.participants.get(municipality=world.harstad)  # added by the owner's applicant
    with pytest.raises(domain.ApplicationError, match="Bare prosjekteieren"):
        domain.remove_participant(co_applicant, harstad)
    alta = domain.add_participant(co_applicant, application, municipality=world.alta, contact_name="Anne", contact_email="anne@example.invalid")
    domain.remove_participant(co_applicant, alta)
    client = login(co_applicant)
    own = application.participants.get(trust=world.trust)
    response = client.post(f"/soknader/{application.pk}/deltakere/{own.pk}/fjern/")
    assert response.status_code == 302 and response.url == "/soknader/"
    assert set(application.participants.values_list("municipality", flat=True)) == {world.tromso.pk, world.harstad.pk}
    assert client.get(f"/soknader/{application.pk}/").status_code == 403


def test_only_an_owner_adds_another_owner(application, personas, co_applicant, world):
    with pytest.raises(domain.ApplicationError, match="ny prosjekteier"):
        domain.add_participant(co_applicant, application, municipality=world.alta, is_owner=True, contact_name="Anne", contact_email="anne@example.invalid")
    assert not application.participants.filter(municipality=world.alta).exists()
    domain.add_participant(personas.applicant, application, municipality=world.alta, is_owner=True, contact_name="Anne", contact_email="anne@example.invalid")
    assert application.participants.get(municipality=world.alta).is_owner


def test_a_proposal_on_a_withdrawn_application_is_never_concluded(application, personas):
    domain.submit(personas.applicant, application)
    open_item(application, personas)
    decision = assessment.propose_decision(personas.chair, application, outcome="full", amounts={YEAR: M}, reason="Godt")
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, decision, "for")
    domain.withdraw(personas.applicant, Application.objects.get(pk=application.pk))
    with pytest.raises(assessment.AssessmentError, match="kan ikke avgjøres fordi den er trukket"):
        assessment.conclude(personas.chair, decision)
    assert not Grant.objects.exists() and Decision.objects.get(pk=decision.pk).status == "proposed"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_racing_the_conclusion_never_leaves_a_grant_on_a_withdrawn_application(application, personas):
    """The conclusion locks the application row, as the withdrawal does: it waits for the
    withdrawal to commit and then refuses, instead of booking a grant next to it."""
    domain.submit(personas.applicant, application)
    open_item(application, personas)
    decision = assessment.propose_decision(personas.chair, application, outcome="full", amounts={YEAR: M}, reason="Godt")
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, decision, "for")
    withdrawn, release, outcome = threading.Event(), threading.Event(), {}

    def withdraw():
        try:
            with transaction.atomic():
                domain.withdraw(personas.applicant, Application.objects.get(pk=application.pk))
                withdrawn.set()
                release.wait(10)  # the withdrawal holds its locks until the conclusion has tried
        finally:
            connection.close()

    def conclude():
        try:
            outcome["result"] = assessment.conclude(personas.chair, decision)
        except assessment.AssessmentError as exc:
            outcome["refused"] = str(exc)
        finally:
            connection.close()

    withdrawal = threading.Thread(target=withdraw)
    withdrawal.start()
    assert withdrawn.wait(10)
    conclusion = threading.Thread(target=conclude)
    conclusion.start()
    conclusion.join(1)
    release.set()
    withdrawal.join(10)
    conclusion.join(10)
    assert "kan ikke avgjøres fordi den er trukket" in outcome.get("refused", "")
    assert not Grant.objects.exists() and Application.objects.get(pk=application.pk).status == "withdrawn"
