"""Project ideas before applications (issue 14): each domain function's saved state, audit
record and notifications, the pages' scope and locking, and the idea becoming a draft."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from rsportal.accounts.models import OrganisationRole
from rsportal.applications.models import Call
from rsportal.core.models import AuditEvent, Notice, Notification
from rsportal.funding.models import Pot
from rsportal.ideas import domain
from rsportal.ideas.models import Idea, PartnerLink

from . import factories as f

TYPED = {
    "title": "Felles hjemmesykehus for barn",
    "problem": "Barn med kroniske sykdommer blir liggende lenge på sykehus.",
    "approach": "Sykepleiere fra sykehuset og kommunen følger opp barna hjemme.",
    "target_group": "Barn med kroniske sykdommer og familiene deres",
    "looking_for_partners": True,
    "wanted_partners": "Nabokommuner med lange avstander",
    "contact_name": "Tove Tromsø",
    "contact_email": "tove@tromso.example.invalid",
    "contact_phone": "",
}


def audit(action):
    return AuditEvent.objects.filter(action=action)


@pytest.fixture
def harstad_applicant(world):
    user = f.UserFactory(username="harstad_applicant", email="hanne@harstad.example.invalid")
    f.role(user, OrganisationRole.Kind.APPLICANT, municipality=world.harstad)
    world.harstad.notice_email = "postmottak@harstad.example.invalid"
    world.harstad.save()
    return user


@pytest.fixture
def idea(world, personas):
    return domain.register_idea(personas.applicant, helsefellesskap=world.hf, **TYPED)


@pytest.fixture
def call(world):
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    local = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Lokal pott", parent=root, helsefellesskap=world.hf)
    call = Call.objects.create(pot=local, title="Lokal utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=1_000_000, frame_year=2028)
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    return call


# --- domain functions ------------------------------------------------------------------


def test_register_saves_the_idea_for_the_applicants_municipality_and_tells_the_secretariat(world, personas, idea):
    idea.refresh_from_db()
    assert (idea.municipality, idea.trust, idea.helsefellesskap, idea.created_by) == (world.tromso, None, world.hf, personas.applicant)
    assert idea.problem == TYPED["problem"] and idea.looking_for_partners and idea.version == 1
    assert audit("idea.registered").get().object_id == str(idea.pk)
    notice = Notice.objects.get(user=personas.secretariat)
    assert notice.category == "ideas" and TYPED["title"] in notice.subject and notice.link == f"/prosjektideer/{idea.pk}/"
    assert not Notice.objects.filter(user=personas.other_secretariat).exists()


def test_register_is_for_applicants_in_their_own_helsefellesskap(world, personas):
    with pytest.raises(PermissionDenied):
        domain.register_idea(personas.secretariat, helsefellesskap=world.hf, **TYPED)
    with pytest.raises(domain.IdeaError):
        domain.register_idea(personas.applicant, helsefellesskap=world.other_hf, **TYPED)  # Tromsø is not in Finnmark
    assert not Idea.objects.exists() and not audit("idea.registered").exists()


def test_update_saves_and_counts_the_version_and_refuses_a_stale_save(personas, idea):
    domain.update_idea(personas.applicant, idea, 1, **{**TYPED, "target_group": "Barn og unge"})
    idea.refresh_from_db()
    assert idea.target_group == "Barn og unge" and idea.version == 2
    assert audit("idea.updated").get().data == {"fields": ["target_group"]}
    with pytest.raises(domain.IdeaConflict):
        domain.update_idea(personas.applicant, idea, 1, **{**TYPED, "title": "Gammel fane"})
    idea.refresh_from_db()
    assert idea.title == TYPED["title"] and idea.version == 2
    with pytest.raises(PermissionDenied):
        domain.update_idea(personas.other_applicant, idea, 2, **TYPED)


def test_suggest_partner_records_the_link_and_tells_both_sides(world, personas, idea, harstad_applicant):
    link = domain.suggest_partner(personas.secretariat, idea, municipality=world.harstad, note="Samme utfordring")
    link.refresh_from_db()
    assert (link.municipality, link.status, link.suggested_by) == (world.harstad, PartnerLink.Status.SUGGESTED, personas.secretariat)
    assert audit("idea.partner_suggested").get().object_id == str(idea.pk)
    assert Notice.objects.filter(user=personas.applicant, category="ideas", subject__startswith="Forslag om samarbeid").exists()
    assert Notice.objects.filter(user=harstad_applicant, category="ideas", subject__startswith="Forslag om samarbeid").exists()
    assert Notification.objects.filter(recipient="postmottak@harstad.example.invalid").exists()
    with pytest.raises(domain.IdeaError):
        domain.suggest_partner(personas.secretariat, idea, municipality=world.harstad)
    with pytest.raises(PermissionDenied):
        domain.suggest_partner(personas.other_secretariat, idea, municipality=world.alta)
    assert idea.partners.count() == 1


def test_connect_partner_marks_it_connected_and_tells_both_sides(world, personas, idea, harstad_applicant):
    link = domain.suggest_partner(personas.secretariat, idea, municipality=world.harstad)
    Notice.objects.all().delete()
    with pytest.raises(PermissionDenied):
        domain.connect_partner(personas.applicant, link)
    domain.connect_partner(personas.secretariat, link)
    link.refresh_from_db()
    assert link.status == PartnerLink.Status.CONNECTED and link.connected_at is not None
    assert audit("idea.partner_connected").count() == 1
    assert set(Notice.objects.filter(subject__startswith="Partner koblet").values_list("user__username", flat=True)) == {"applicant", "harstad_applicant"}
    with pytest.raises(domain.IdeaError):
        domain.connect_partner(personas.secretariat, link)


def test_conversion_carries_what_was_typed_into_the_draft(world, personas, idea, call, harstad_applicant):
    connected = domain.suggest_partner(personas.secretariat, idea, municipality=world.harstad)
    domain.connect_partner(personas.secretariat, connected)
    domain.suggest_partner(personas.secretariat, idea, municipality=world.alta)  # suggested only: not carried over
    application = domain.convert_to_application(personas.applicant, idea, call=call, type="project")
    application.refresh_from_db()
    assert application.status == "draft" and application.call == call and application.helsefellesskap == world.hf
    assert application.title == TYPED["title"]
    assert application.status_description == TYPED["problem"]
    assert application.activities == TYPED["approach"]
    assert application.target_group == TYPED["target_group"]
    participants = {(p.municipality, p.is_owner) for p in application.participants.all()}
    assert participants == {(world.tromso, True), (world.harstad, False)}
    idea.refresh_from_db()
    assert idea.application == application
    assert audit("idea.converted").get().data == {"application": application.pk}
    assert Notice.objects.filter(user=harstad_applicant, subject__startswith="Søknadsutkast").exists()
    with pytest.raises(domain.IdeaError):
        domain.convert_to_application(personas.applicant, idea, call=call, type="project")


def test_conversion_into_a_closed_call_leaves_the_idea_as_it_was(personas, idea, call):
    call.status = Call.Status.CLOSED
    call.save()
    with pytest.raises(domain.IdeaError):
        domain.convert_to_application(personas.applicant, idea, call=call, type="project")
    idea.refresh_from_db()
    assert idea.application is None and not call.applications.exists()
    with pytest.raises(PermissionDenied):
        domain.convert_to_application(personas.secretariat, idea, call=call, type="project")


# --- pages -------------------------------------------------------------------------------


def test_lists_are_scoped_to_organisations_and_helsefellesskap(client, login, world, personas, idea):
    far = Idea.objects.create(helsefellesskap=world.far_hf, municipality=world.bergen, created_by=personas.other_applicant, **TYPED | {"title": "Bergens idé"})
    for user, sees, not_sees in (
        (personas.applicant, idea.title, far.title),
        (personas.secretariat, idea.title, far.title),
        (personas.other_secretariat, far.title, idea.title),
        (personas.other_applicant, far.title, idea.title),
    ):
        login(user)
        text = client.get("/prosjektideer/").content.decode()
        assert sees in text and not_sees not in text, user.username
    login(personas.other_secretariat)
    assert client.get(f"/prosjektideer/{idea.pk}/").status_code == 403


def test_a_suggested_partner_reads_the_idea(client, login, world, personas, idea, harstad_applicant):
    login(harstad_applicant)
    assert client.get(f"/prosjektideer/{idea.pk}/").status_code == 403
    domain.suggest_partner(personas.secretariat, idea, municipality=world.harstad)
    assert client.get(f"/prosjektideer/{idea.pk}/").status_code == 200


def test_register_page_saves_and_bad_input_keeps_what_was_typed(client, login, world, personas):
    login(personas.applicant)
    response = client.post("/prosjektideer/ny/", {**TYPED, "helsefellesskap": world.hf.pk, "contact_email": "ikke en adresse"})
    assert response.status_code == 400 and TYPED["approach"] in response.content.decode() and not Idea.objects.exists()
    response = client.post("/prosjektideer/ny/", {**TYPED, "helsefellesskap": world.hf.pk})
    idea = Idea.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/prosjektideer/{idea.pk}/"


def test_stale_edit_is_409_with_what_was_typed(client, login, personas, idea):
    domain.update_idea(personas.applicant, idea, 1, **{**TYPED, "title": "Lagret av en kollega"})
    login(personas.applicant)
    response = client.post(f"/prosjektideer/{idea.pk}/endre/", {**TYPED, "version": 1, "approach": "Min nye tekst"})
    text = response.content.decode()
    assert response.status_code == 409 and "Min nye tekst" in text and "Lagret av en kollega" in text
    idea.refresh_from_db()
    assert idea.approach == TYPED["approach"] and idea.version == 2


def test_idea_page_shows_similar_projects_from_other_helsefellesskap(client, login, world, personas, idea):
    from rsportal.funding.models import Grant

    pot = Pot.objects.create(rhf=world.other_rhf, kind=Pot.Kind.ROOT, name="Vest")
    Grant.objects.create(pot=pot, title="Hjemmesykehus for barn i Bergen", helsefellesskap=world.far_hf)
    login(personas.secretariat)
    text = client.get(f"/prosjektideer/{idea.pk}/").content.decode()
    assert "Hjemmesykehus for barn i Bergen" in text and "Bergensområdet" in text


def test_convert_page_makes_the_draft_and_leads_to_it(client, login, personas, idea, call):
    login(personas.applicant)
    assert client.get(f"/prosjektideer/{idea.pk}/gjor-om-til-soknad/").status_code == 200
    response = client.post(f"/prosjektideer/{idea.pk}/gjor-om-til-soknad/", {"call": call.pk, "type": "project"})
    idea.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == f"/soknader/{idea.application.pk}/"
    assert client.get(f"/prosjektideer/{idea.pk}/gjor-om-til-soknad/").status_code == 403  # once only


def test_secretariat_todo_lists_ideas_looking_for_partners_until_one_is_suggested(client, login, world, personas, idea):
    def ideas_section():
        lists = {r.key: r for r in login(personas.secretariat).get("/").context["todo"]}
        return {s.key: s for s in lists["secretariat"].sections}["ideas"]

    section = ideas_section()
    assert [i.title for i in section.items] == [TYPED["title"]] and section.items[0].url == f"/prosjektideer/{idea.pk}/"
    domain.suggest_partner(personas.secretariat, idea, municipality=world.harstad)
    assert ideas_section().count == 0


def test_converted_idea_links_its_owners_to_the_draft_and_names_it_to_the_secretariat(client, login, personas, idea, call):
    application = domain.convert_to_application(personas.applicant, idea, call=call, type="project")
    login(personas.applicant)
    assert f'href="/soknader/{application.pk}/"' in client.get(f"/prosjektideer/{idea.pk}/").content.decode()
    login(personas.secretariat)
    text = client.get(f"/prosjektideer/{idea.pk}/").content.decode()
    assert f'href="/soknader/{application.pk}/"' not in text and "Lokal utlysning" in text
