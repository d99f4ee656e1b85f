"""The side doors of issue 9 (items 2 and 10): what a conflicted member or the secretariat must
not read, checked in the outputs that showed it (minutes PDF, the call's audit trail, the
ranking workbook, the view log), and the rule itself (assessment.visibility)."""

import datetime
import logging
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rsportal.applications import domain as applications
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, Call
from rsportal.assessment import documents
from rsportal.assessment import domain as assessment
from rsportal.assessment import visibility
from rsportal.assessment.models import Decision
from rsportal.core.models import AuditEvent, Notification
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot
from rsportal.privacy.models import PersonalDataView
from rsportal.registry.models import Body, BodyMember

from . import factories as f
from .matrix_helpers import PDF, complete_and_submit, response_text

TITLE = "Trygg hjemkomst etter sykehusopphold"
SCORE_NOTE = "Poengkommentar om hjemkomstprosjektet"
DELIBERATION = "Drøfting av hjemkomstprosjektet i utvalget"
REJECTED_REASON = "Forslag om full innvilgelse som falt"
ADOPTED_REASON = "Avslått fordi forankringen mangler"
DRAFT_TITLE = "Hemmelig utkast om pasientreiser"
DRAFT_FILE = "hemmelig-vedlegg-pasientreiser.pdf"
WORKING_TITLE = "Arbeidstittel som ble forkastet"
DROPPED_FILE = "forkastet-vedlegg.pdf"


@pytest.fixture
def printed(monkeypatch):
    """The HTML each PDF is printed from, so a test reads what the PDF shows (as in the matrix)."""
    seen = []

    def pdf(template, context):
        seen.append(documents.render_to_string(template, {**context, "generated_at": timezone.now()}))
        return b"%PDF-1.4 (not printed)\n"

    monkeypatch.setattr(documents, "pdf", pdf)
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)
    return seen


@pytest.fixture
def decided(world, personas, settings, tmp_path):
    """A call scored by a professional council and decided by the committee. The application
    was scored, deliberated, a proposal to grant it fell on named votes and a rejection was
    adopted. Two people are conflicted on it: Konrad, a committee member (confirmed), and
    the helsefellesskap's secretariat, who also sits in the committee as its secretary
    (pending: the chair has not decided yet, so it counts)."""
    settings.MEDIA_ROOT = str(tmp_path)
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Lokal pott", parent=root, helsefellesskap=world.hf)
    year = timezone.localdate().year
    # The pot has this year's frame, so a proposal to grant may be put to the vote.
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=1_000_000, rhf=world.rhf))
    funding.transfer(personas.rhf_admin, source=root, target=pot, year=year, amount=1_000_000)
    call = Call.objects.create(
        pot=pot, title="Lokal utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=1_000_000, frame_year=year, hide_scores_until_scored=False
    )
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    add_default_criteria(call)
    council = Body.objects.create(kind=Body.Kind.FSU, name="Fagrådet", rhf=world.rhf)
    call.steps.create(step="scoring", body=council)
    call.steps.create(step="decision", body=world.stu)
    scorer = f.seat(council, personas.member, municipality=world.tromso)
    konrad = f.UserFactory(username="konrad", first_name="Konrad", last_name="Inhabil")
    konrad_seat = f.seat(world.stu, konrad, side=BodyMember.Side.GP)
    secretary_seat = f.seat(world.stu, personas.secretariat, role=BodyMember.Role.SECRETARY, side=BodyMember.Side.RHF)

    application = applications.start_application(personas.applicant, call=call, title=TITLE, type="project", helsefellesskap=world.hf)
    complete_and_submit(personas.applicant, application, trust=world.trust, owners="Tromsø kommune og UNN", grant_by_year={year: 400_000})
    application.refresh_from_db()
    assessment.decide_conflict(personas.chair, assessment.declare_conflict(konrad, application, konrad_seat, "Jeg er prosjektleder."), conflicted=True)
    assessment.declare_conflict(personas.chair, application, secretary_seat, "Gift med prosjektlederen.")
    assessment.save_scores(personas.member, application, {c.pk: (c.scale_max, SCORE_NOTE) for c in assessment.criteria_of(call)})

    meeting = assessment.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now(), location="Tromsø")
    # Two of the four voting seats are conflicted: "at least half" (kommuneloven § 11-9) lets the other two decide.
    Body.objects.filter(pk=world.stu.pk).update(quorum=Body.Quorum.AT_LEAST_HALF)
    assessment.record_attendance(personas.chair, meeting, list(world.stu.members.all()))
    item = meeting.items.get(application=application)
    assessment.start_item(personas.chair, item)
    assessment.end_item(personas.chair, item, DELIBERATION)
    fell = assessment.propose_decision(personas.chair, application, outcome="full", amounts={year: 400_000}, reason=REJECTED_REASON, item=item)
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, fell, "against")
    assert not assessment.conclude(personas.chair, fell).adopted
    adopted = assessment.propose_decision(personas.chair, application, outcome="rejected", amounts={}, reason=ADOPTED_REASON, item=item)
    for voter in (personas.chair, personas.member):
        assessment.cast_vote(voter, adopted, "for")
    assert assessment.conclude(personas.chair, adopted).adopted
    member_name = BodyMember.objects.get(body=world.stu, user=personas.member).name
    return SimpleNamespace(
        call=call, application=application, meeting=meeting, konrad=konrad, scorer=scorer, adopted=adopted, fell=fell,
        # the named votes, as the minutes write them
        named_votes=[f"{member_name} mot", f"{member_name} for"],
    )


# --- a conflicted member, after the decision -----------------------------------------------


def test_minutes_pdf_shows_a_conflicted_member_only_the_adopted_decision_of_their_item(client, login, personas, decided, printed):
    login(decided.konrad)
    response = client.get(f"/vurdering/mote/{decided.meeting.pk}/protokoll.pdf")
    assert response.status_code == 200
    text = response_text(response, printed)
    assert TITLE in text and ADOPTED_REASON in text  # the item and its adopted decision are public
    leaked = [secret for secret in (DELIBERATION, REJECTED_REASON, SCORE_NOTE, *decided.named_votes) if secret in text]
    assert not leaked, f"the minutes show the conflicted member {leaked}"
    # The same minutes for a member who is not conflicted show it all, so the check above can fail.
    login(personas.member)
    text = response_text(client.get(f"/vurdering/mote/{decided.meeting.pk}/protokoll.pdf"), printed)
    assert all(part in text for part in (DELIBERATION, REJECTED_REASON, ADOPTED_REASON, *decided.named_votes))


def test_audit_trail_hides_the_assessment_from_a_secretariat_that_is_conflicted(client, login, personas, decided):
    """The secretariat manages the pot, so it reads the audit trail; as the committee's secretary
    with a pending conflict on the application, it must not read others' scores, votes or
    proposals on it there."""
    url = f"/vurdering/utlysning/{decided.call.pk}/logg/"
    login(personas.rhf_admin)  # the secretariat side, not conflicted: the trail has it all
    full = client.get(url).content.decode()
    assert SCORE_NOTE not in full  # comments are not in the summaries; the scores are:
    first = assessment.criteria_of(decided.call).first()
    secrets = ["stemte mot", "stemte for", "Forslag til vedtak", f"{decided.scorer.name}: {first.name} = {first.scale_max}"]
    assert all(s in full for s in secrets), [s for s in secrets if s not in full]
    login(personas.secretariat)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    leaked = [s for s in secrets if s in page]
    assert not leaked, f"the audit trail shows the conflicted secretariat {leaked}"
    assert "Søknad sendt inn" in page  # the application's own steps are still there


def test_ranking_workbook_leaves_out_the_application_for_everyone_conflicted_on_it(client, login, personas, decided):
    """Konrad's conflict is on his committee seat, the scores are the council's, and the call
    shows scores to everyone in the process: the conflict must still keep him out. The
    secretariat manages the pot but is conflicted (pending) on its committee seat."""
    url = f"/vurdering/utlysning/{decided.call.pk}/rangering.xlsx"
    login(personas.rhf_admin)
    assert TITLE in response_text(client.get(url), [])
    for who in (decided.konrad, personas.secretariat):
        login(who)
        response = client.get(url)
        assert response.status_code == 200
        text = response_text(response, [])
        assert TITLE not in text and SCORE_NOTE not in text, who.username
        page = client.get(f"/vurdering/utlysning/{decided.call.pk}/rangering/").content.decode()
        assert TITLE not in page and "Beslutningsstøtte" not in page, who.username  # nor the optimiser's proposal


def test_the_rule_for_a_conflicted_member_after_the_decision(personas, decided):
    seen = visibility.what_may_see(decided.konrad, decided.application)
    assert seen.conflicted and seen.application and seen.decision
    assert not (seen.scores or seen.optimiser or seen.proposals or seen.votes or seen.deliberation or seen.handling or seen.draft)
    assert visibility.what_may_see(personas.secretariat, decided.application).conflicted  # a pending conflict counts
    assert not assessment.may_see_scores(personas.secretariat, decided.application)
    member = visibility.what_may_see(personas.member, decided.application)
    assert member.scores and member.votes and member.deliberation and not member.conflicted and not member.draft
    assert visibility.published_decision(decided.application.decisions.all()) == decided.adopted


def test_a_chair_conflicted_on_the_case_is_not_sent_its_conflict_questions(world, personas, decided):
    chair_seat = BodyMember.objects.get(body=world.stu, user=personas.chair)
    assessment.declare_conflict(personas.rhf_admin, decided.application, chair_seat, "Leder er styremedlem hos søkeren.")
    Notification.objects.filter(subject__startswith="Habilitet").delete()  # earlier questions
    deputy = f.UserFactory(username="deputy")
    f.seat(world.stu, deputy, role=BodyMember.Role.LEADER, side=BodyMember.Side.RHF)
    observer_seat = BodyMember.objects.get(body=world.stu, user=personas.observer)
    assessment.declare_conflict(personas.rhf_admin, decided.application, observer_seat, "Nabo til prosjektlederen.")
    assert Notification.objects.filter(recipient=deputy.email, subject__startswith="Habilitet").exists()  # the other leader is told
    assert not Notification.objects.filter(recipient=personas.chair.email, subject__startswith="Habilitet").exists()


# --- drafts and the secretariat ------------------------------------------------------------


@pytest.fixture
def drafts(world, personas, decided, client, login):
    """A draft the applicant keeps to themselves (with an attachment they opened), and an
    application whose working title and a dropped attachment belong to its draft history."""
    draft = applications.start_application(personas.applicant, call=decided.call, title=DRAFT_TITLE, type="project", helsefellesskap=world.hf)
    attachment = applications.upload_attachment(personas.applicant, draft, kind="other", uploaded=SimpleUploadedFile(DRAFT_FILE, PDF))
    login(personas.applicant)
    assert client.get(f"/soknader/vedlegg/{attachment.token}/").status_code == 200
    assert client.get(f"/soknader/{draft.pk}/vis/").status_code == 200

    later = applications.start_application(personas.applicant, call=decided.call, title=WORKING_TITLE, type="project", helsefellesskap=world.hf)
    dropped = applications.upload_attachment(personas.applicant, later, kind="other", uploaded=SimpleUploadedFile(DROPPED_FILE, PDF))
    assert client.get(f"/soknader/{later.pk}/vis/").status_code == 200  # viewed while it had its working title
    applications.remove_attachment(personas.applicant, dropped)
    Application.objects.filter(pk=later.pk).update(title="Felles legevakt i Troms")
    later.refresh_from_db()
    complete_and_submit(personas.applicant, later, trust=world.trust, owners="Tromsø kommune og UNN", grant_by_year={timezone.localdate().year: 100_000})
    later.refresh_from_db()
    client.logout()
    # The draft history is in the records, so the pages below have something to leave out.
    assert AuditEvent.objects.filter(summary__contains=DRAFT_FILE).exists() and AuditEvent.objects.filter(summary__contains=WORKING_TITLE).exists()
    assert PersonalDataView.objects.filter(object_label=DRAFT_TITLE).exists() and PersonalDataView.objects.filter(object_label=WORKING_TITLE).exists()
    return SimpleNamespace(draft=draft, later=later)


SECRET_DRAFT_TEXTS = (DRAFT_TITLE, DRAFT_FILE, WORKING_TITLE, DROPPED_FILE)


@pytest.mark.parametrize("who", ["rhf_admin", "sysadmin"])
def test_audit_trail_shows_nothing_of_drafts(client, login, personas, decided, drafts, who):
    login(getattr(personas, who))
    response = client.get(f"/vurdering/utlysning/{decided.call.pk}/logg/")
    assert response.status_code == 200
    page = response.content.decode()
    leaked = [text for text in SECRET_DRAFT_TEXTS if text in page]
    assert not leaked, f"the audit trail shows {who} the draft history: {leaked}"
    assert "Felles legevakt i Troms" in page  # the submitted application is there


def test_view_log_shows_nothing_of_drafts(client, login, personas, world, decided, drafts):
    for who in (personas.secretariat, personas.sysadmin):
        login(who)
        response = client.get("/personvern/visningslogg/")
        assert response.status_code == 200
        page = response.content.decode()
        leaked = [text for text in SECRET_DRAFT_TEXTS if text in page]
        assert not leaked, f"the view log shows {who.username} {leaked}"
        # Asking for the draft by its id finds nothing either.
        by_object = client.get("/personvern/visningslogg/", {"objekt": f"applications.application:{drafts.draft.pk}"})
        assert DRAFT_TITLE not in by_object.content.decode() and not list(by_object.context["page"])
    # Looks at submitted applications are still logged and shown.
    login(personas.member)
    assert client.get(f"/soknader/{drafts.later.pk}/vis/").status_code == 200
    login(personas.secretariat)
    assert "Felles legevakt i Troms" in client.get("/personvern/visningslogg/").content.decode()


def test_a_draft_is_its_authors_alone(personas, decided, drafts):
    assert visibility.what_may_see(personas.applicant, drafts.draft).draft
    for who in ("secretariat", "rhf_admin", "sysadmin", "member", "chair"):
        assert visibility.what_may_see(getattr(personas, who), drafts.draft) == visibility.NOTHING, who
    later = visibility.what_may_see(personas.rhf_admin, drafts.later)
    assert later.application and not later.draft
    assert Decision.objects.filter(application=decided.application).count() == 2
