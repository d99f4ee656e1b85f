"""The secretariat classifies grants; the statistics tell "not classified" from "none"."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from rsportal.applications.models import Application, Call
from rsportal.assessment.models import Decision
from rsportal.catalogue import statistics as stats
from rsportal.catalogue import tables
from rsportal.core.models import AuditEvent
from rsportal.funding import classification
from rsportal.funding.models import Grant
from rsportal.registry.models import Body

from . import factories as f
from .test_catalogue import make_grant
from .test_query_counts import assert_constant

URL = "/administrasjon/klassifisering/"
M = 1_000_000


@pytest.fixture
def grant(world):
    """A grant decided outside a call, from the RHF's root pot, for Troms og Ofoten."""
    return make_grant(world.rhf, "Felles akutteam i Ofoten", hf=world.hf, amounts={2026: 500_000}, description="Et team som rykker ut.")


def classify(user, grant, **values):
    values = {"themes": [], "patient_groups": [], "digital_home_follow_up": "unknown", "task_shifting": "unknown", **values}
    return classification.classify_grant(user, grant, expected=classification.fingerprint(grant), **values)


def decided_application(world, personas, grant, title="Samarbeid om pasientene", **answers):
    call = Call.objects.create(pot=grant.pot, title="Runde", status=Call.Status.CLOSED, purpose="-")
    application = Application.objects.create(
        call=call, helsefellesskap=world.hf, title=title, status=Application.Status.SUBMITTED, created_by=personas.applicant, submitted_at=timezone.now(), **answers
    )
    Decision.objects.create(
        application=application, body=world.stu, outcome="full", amounts={"2026": 500_000}, reason="Godt", status=Decision.Status.ADOPTED, proposed_by=personas.chair, grant=grant
    )
    return application


# --- the domain function ---------------------------------------------------------------


def test_the_secretariat_classifies_and_it_is_audited(world, personas, grant):
    assert not grant.classified
    classify(personas.secretariat, grant, themes=["teams", "emergency", "teams"], patient_groups=["frail_elderly"], digital_home_follow_up="no", task_shifting="yes")
    grant.refresh_from_db()
    assert grant.classified and grant.classified_by == personas.secretariat
    assert grant.themes == ["teams", "emergency"]  # the order of Fafo table 10, each once
    assert (grant.patient_groups, grant.digital_home_follow_up, grant.task_shifting) == (["frail_elderly"], "no", "yes")
    event = AuditEvent.objects.get(action="funding.grant_classified", object_id=str(grant.pk))
    assert event.actor == personas.secretariat and event.object_type == "funding.grant"
    assert event.data["before"]["themes"] == [] and event.data["after"]["themes"] == ["teams", "emergency"]


@pytest.mark.parametrize("who", ["other_secretariat", "applicant", "member", "outsider"])
def test_only_the_grants_managers_classify(world, personas, grant, who):
    with pytest.raises(PermissionDenied):
        classify(getattr(personas, who), grant, themes=["digital"])
    grant.refresh_from_db()
    assert not grant.classified and grant.themes == []
    assert not AuditEvent.objects.filter(action="funding.grant_classified").exists()


def test_the_secretariat_of_another_community_in_the_same_region_is_refused(world, personas, grant):
    finnmark = f.UserFactory(username="finnmark_secretariat")
    f.seat(Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat Finnmark", helsefellesskap=world.other_hf), finnmark)
    with pytest.raises(PermissionDenied):
        classify(finnmark, grant)
    rhf_secretary = f.UserFactory(username="rhf_secretary")
    f.seat(world.rhf_secretariat_body, rhf_secretary)
    classify(rhf_secretary, grant)  # the RHF's secretariat classifies every grant of the region
    classify(personas.rhf_admin, Grant.objects.get(pk=grant.pk), patient_groups=["chronic"])
    assert Grant.objects.get(pk=grant.pk).classified_by == personas.rhf_admin


def test_a_stale_save_is_refused_and_changes_nothing(world, personas, grant):
    seen = classification.fingerprint(grant)
    classify(personas.rhf_admin, grant, themes=["research"])
    with pytest.raises(classification.StaleEdit, match="lagret klassifiseringen"):
        classification.classify_grant(
            personas.secretariat, grant, themes=["digital"], patient_groups=[], digital_home_follow_up="yes", task_shifting="no", expected=seen
        )
    grant.refresh_from_db()
    assert grant.themes == ["research"] and grant.classified_by == personas.rhf_admin


def test_unknown_codes_are_refused(world, personas, grant):
    with pytest.raises(classification.ClassificationError):
        classify(personas.secretariat, grant, themes=["digital", "kaffe"])
    with pytest.raises(classification.ClassificationError):
        classify(personas.secretariat, grant, digital_home_follow_up="kanskje")
    assert not Grant.objects.get(pk=grant.pk).classified


# --- the suggestion ----------------------------------------------------------------------


def test_the_suggestion_reads_the_applications_own_answers(world, personas, grant):
    decided_application(
        world,
        personas,
        grant,
        patient_groups=["chronic", "frail_elderly"],
        themes=["pathways"],
        is_digital=True,
        goal="Digital hjemmeoppfølging av KOLS-pasienter.",
        activities="Kommunen overtar oppgaver fra poliklinikken; oppgavedeling avtales i tjenesteavtalen.",
    )
    suggestion = classification.suggest(grant)
    assert suggestion.source == "søknaden"
    assert suggestion.patient_groups == ["chronic", "frail_elderly"]
    assert suggestion.themes == ["pathways", "digital"]  # chosen, and "digital" in the text
    assert (suggestion.digital_home_follow_up, suggestion.task_shifting) == ("yes", "yes")
    assert any("hjemmeoppfølging" in r for r in suggestion.reasons) and any("krysset av" in r for r in suggestion.reasons)


def test_an_application_that_is_not_digital_suggests_no_home_follow_up(world, personas, grant):
    decided_application(world, personas, grant, patient_groups=["maternity"], is_digital=False, goal="Jordmødre på tvers.")
    suggestion = classification.suggest(grant)
    assert suggestion.patient_groups == ["maternity"] and suggestion.themes == []
    assert (suggestion.digital_home_follow_up, suggestion.task_shifting) == ("no", "unknown")


def test_without_an_application_the_title_is_read(world, grant):
    suggestion = classification.suggest(grant)
    assert suggestion.source == "prosjektnavnet og beskrivelsen"
    assert suggestion.themes == ["teams", "emergency"] and suggestion.patient_groups == []


# --- the pages -----------------------------------------------------------------------------


def test_the_form_shows_the_suggestion_and_saves_nothing_by_itself(world, personas, grant, login):
    decided_application(world, personas, grant, patient_groups=["children_youth"], is_digital=True, goal="Video mellom skole og BUP.")
    html = login(personas.secretariat).get(f"{URL}{grant.pk}/").content.decode()
    assert "Forslag fra søknaden" in html and "Pasientgruppene søkerne krysset av for i søknaden." in html
    assert re.search(r'value="children_youth" checked', html) and re.search(r'value="digital" checked', html)
    assert "Barn og unge" in html and ">children_youth<" not in html  # labels, never codes
    grant.refresh_from_db()
    assert not grant.classified and grant.patient_groups == []


def test_posting_the_form_classifies(world, personas, grant, login):
    client = login(personas.secretariat)
    response = client.get(f"{URL}{grant.pk}/")
    expected = response.context["form"]["expected"].value()
    response = client.post(f"{URL}{grant.pk}/", {"themes": ["teams"], "digital_home_follow_up": "no", "task_shifting": "unknown", "expected": expected})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.classified and grant.themes == ["teams"] and grant.patient_groups == []
    # Classified now: no suggestion, and the saved "none" is shown as such.
    html = client.get(f"{URL}{grant.pk}/").content.decode()
    assert "Forslag fra" not in html and "Pasientgrupper: Ingen" in html


def test_a_stale_form_comes_back_with_what_was_typed(world, personas, grant, login):
    client = login(personas.secretariat)
    expected = client.get(f"{URL}{grant.pk}/").context["form"]["expected"].value()
    classify(personas.rhf_admin, grant, themes=["research"])  # someone else saves meanwhile
    typed = {"themes": ["digital", "pathways"], "patient_groups": ["maternity"], "digital_home_follow_up": "yes", "task_shifting": "no", "expected": expected}
    response = client.post(f"{URL}{grant.pk}/", typed)
    assert response.status_code == 409  # as a stale save in the back office
    html = response.content.decode()
    assert "lagret klassifiseringen" in html and (personas.rhf_admin.get_full_name() or personas.rhf_admin.username) in html
    for value in ("digital", "pathways", "maternity"):
        assert re.search(rf'value="{value}" checked', html), value
    assert not re.search(r'value="research" checked', html)
    grant.refresh_from_db()
    assert grant.themes == ["research"]
    # The form now carries the saved version: saving again is a deliberate choice, and works.
    assert response.context["form"]["expected"].value() == classification.fingerprint(grant)
    assert client.post(f"{URL}{grant.pk}/", {**typed, "expected": classification.fingerprint(grant)}).status_code == 302
    grant.refresh_from_db()
    assert grant.themes == ["pathways", "digital"] and grant.patient_groups == ["maternity"]


def test_other_communities_and_applicants_are_refused_on_the_pages(world, personas, grant, login):
    for who in ("other_secretariat", "applicant"):
        client = login(getattr(personas, who))
        assert client.get(f"{URL}{grant.pk}/").status_code == 403
        assert client.post(f"{URL}{grant.pk}/", {"themes": ["digital"], "digital_home_follow_up": "yes", "task_shifting": "yes", "expected": classification.fingerprint(grant)}).status_code == 403
    assert not Grant.objects.get(pk=grant.pk).classified
    assert login(personas.applicant).get(URL).status_code == 403
    assert grant.title not in login(personas.other_secretariat).get(URL).content.decode()


def test_the_list_filters_on_not_classified(world, personas, grant, login):
    done = make_grant(world.rhf, "Ferdig klassifisert", hf=world.hf)
    classify(personas.secretariat, done)
    make_grant(world.rhf, "Finnmarks eget", hf=world.other_hf)
    client = login(personas.secretariat)
    everything = client.get(URL).content.decode()
    assert grant.title in everything and done.title in everything and "Finnmarks eget" not in everything
    waiting = client.get(URL + "?status=ikke-klassifisert").content.decode()
    assert grant.title in waiting and done.title not in waiting


def test_the_list_costs_the_same_queries_with_many_grants(world, personas, login):
    make_grant(world.rhf, "Første", hf=world.hf, themes=["digital"])

    def add():
        for i in range(19):
            classify(personas.secretariat, make_grant(world.rhf, f"Prosjekt {i}", hf=world.hf), themes=["teams"], patient_groups=["chronic"])

    assert_constant(login(personas.secretariat), URL, add)


# --- the statistics ------------------------------------------------------------------------


@pytest.fixture
def three_states(world, personas):
    """Not classified; classified as none; classified with a theme and a group."""
    make_grant(world.rhf, "Ingen har sett på den", hf=world.hf, amounts={2026: M})
    none = make_grant(world.rhf, "Klassifisert uten noe", hf=world.hf, amounts={2026: 2 * M})
    classify(personas.secretariat, none)
    some = make_grant(world.rhf, "Klassifisert med noe", hf=world.hf, amounts={2026: 4 * M})
    classify(personas.secretariat, some, themes=["digital"], patient_groups=["chronic"], digital_home_follow_up="yes", task_shifting="no")


def test_breakdowns_tell_not_classified_from_none(three_states):
    grants = stats.portfolio()
    themes = {r.code: (r.projects, r.amount) for r in stats.themes(grants).rows}
    assert themes["unclassified"] == (1, M) and themes["none"] == (1, 2 * M) and themes["digital"] == (1, 4 * M)
    groups = {r.code: r.projects for r in stats.target_groups(grants).rows}
    assert (groups["unclassified"], groups["none"], groups["chronic"]) == (1, 1, 1)
    home = {r.code: r.projects for r in stats.home_follow_up(grants).rows}
    assert home == {"yes": 1, "no": 0, "unknown": 1, "unclassified": 1}
    shifting = {r.code: r.projects for r in stats.task_shifting(grants).rows}
    assert shifting == {"yes": 0, "no": 1, "unknown": 1, "unclassified": 1}


def test_coverage_counts_classified_projects_and_says_how_many_are_not(three_states, client):
    covered = stats.coverage(stats.portfolio())
    rows = {r.code: r for r in covered.rows}
    assert (covered.projects, covered.unclassified, covered.all_projects) == (2, 1, 3)
    assert rows["chronic"].projects == 1 and rows["chronic"].share == 50 and rows["none"].projects == 1
    note = "1 av 3 prosjekter er ikke klassifisert; dekningen kan være større."
    assert tables.coverage_note(covered).startswith(note)
    page = client.get("/statistikk/?ar=2026").content.decode()
    assert note in page and "Ingen klassifiserte prosjekter for:" in page
    api = client.get("/api/v1/statistics/coverage").json()
    assert (api["projects"], api["not_classified"], api["all_projects"]) == (2, 1, 3)
    assert {g["code"]: g["covered"] for g in api["groups"]}["chronic"] is True
    themes = client.get("/api/v1/statistics/themes").json()
    assert {r["code"]: r["projects"] for r in themes["themes"]}["none"] == 1
    assert {r["code"]: r["projects"] for r in themes["digital_home_follow_up"]}["unclassified"] == 1
    projects = {p["title"]: p["classified"] for p in client.get("/api/v1/projects").json()["results"]}
    assert projects == {"Ingen har sett på den": False, "Klassifisert uten noe": True, "Klassifisert med noe": True}


def test_codes_filled_in_without_classification_still_count(world):
    """Older data and imports with codes but no stamp: the codes count; the empty list does not mean none."""
    make_grant(world.rhf, "Importert", hf=world.hf, themes=["digital"], amounts={2026: M})
    grants = stats.portfolio()
    themes = {r.code: r.projects for r in stats.themes(grants).rows}
    groups = {r.code: r.projects for r in stats.target_groups(grants).rows}
    assert themes["digital"] == 1 and themes["none"] == 0 and groups["unclassified"] == 1


def test_the_list_holds_exactly_the_grants_each_person_may_classify(world, personas):
    """classification_views.classifiable_grants is classification.may_classify for all grants at once."""
    from rsportal.funding import domain as funding
    from rsportal.funding.classification_views import classifiable_grants
    from rsportal.funding.models import Pot

    regional = [make_grant(world.rhf, f"Regionalt {i}", hf=hf) for i, hf in enumerate((world.hf, world.other_hf, None))]
    local_pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Troms lokal", parent=funding.root_pot(world.rhf), helsefellesskap=world.hf)
    local = [Grant.objects.create(pot=local_pot, title=f"Lokalt {i}", helsefellesskap=hf) for i, hf in enumerate((world.hf, world.other_hf))]
    west = make_grant(world.other_rhf, "I vest", hf=world.far_hf)
    rhf_secretary = f.UserFactory(username="rhf_secretary")
    f.seat(world.rhf_secretariat_body, rhf_secretary)
    everything = [*regional, *local, west]
    for user in (personas.secretariat, personas.other_secretariat, personas.rhf_admin, personas.sysadmin, rhf_secretary):
        expected = {g.pk for g in everything if classification.may_classify(user, Grant.objects.get(pk=g.pk))}
        assert set(classifiable_grants(user).values_list("pk", flat=True)) == expected, user.username
        assert expected  # every one of them classifies something here
    for user in (personas.applicant, personas.member):
        with pytest.raises(PermissionDenied):
            classifiable_grants(user)


def test_the_catalogue_page_says_when_a_project_is_not_classified(world, personas, grant, client):
    assert "Tema og pasientgrupper er ikke klassifisert ennå" in client.get(f"/prosjekter/{grant.pk}/").content.decode()
    classify(personas.secretariat, grant, digital_home_follow_up="yes")
    html = client.get(f"/prosjekter/{grant.pk}/").content.decode()
    assert "ikke klassifisert ennå" not in html and "Digital hjemmeoppfølging" in html and "Oppgavedeling mellom" not in html


def test_the_back_office_lists_the_section_for_those_who_classify(personas, login):
    assert "Klassifisering av tilskudd" in login(personas.secretariat).get("/administrasjon/").content.decode()
    assert login(personas.member).get("/administrasjon/").status_code == 403


@pytest.mark.parametrize("url", ["/statistikk/?ar=2026", "/api/v1/statistics/coverage", "/api/v1/statistics/themes", "/api/v1/projects"])
def test_statistics_cost_the_same_queries_with_many_classified_grants(world, personas, client, url):
    make_grant(world.rhf, "Første", hf=world.hf, amounts={2026: M})

    def add():
        for i in range(19):
            grant = make_grant(world.rhf, f"Prosjekt {i}", hf=world.hf if i % 2 else world.other_hf, amounts={2026: M + i})
            if i % 3:
                classify(personas.rhf_admin, grant, themes=["teams"] if i % 2 else [], patient_groups=["chronic"], digital_home_follow_up="yes")

    assert_constant(client, url, add)
