"""Calls set up in the back office: scope, create and publish, the money checks on publish,
copying last year's call, stale edits, the audit trail and the list's query count."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.applications import calls
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Call, Criterion, Deadline, ProcessStep
from rsportal.core.models import AuditEvent
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot

M = 1_000_000
BASE = "/administrasjon/utlysninger/"


@pytest.fixture
def money(world, personas):
    """A helsefellesskap pot with 1 MNOK in this year and next."""
    year = timezone.localdate().year
    root = funding.root_pot(world.rhf)
    for y in (year, year + 1):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=y, name=f"RS {y}", amount=100 * M, rhf=world.rhf))
    pot = funding.create_pot(personas.rhf_admin, parent=root, name="Lokal pott", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    for y in (year, year + 1):
        funding.transfer(personas.rhf_admin, source=root, target=pot, year=y, amount=M)
    return type("Money", (), {"year": year, "root": root, "pot": pot})


def _draft(pot, **extra):
    values = {"pot": pot, "title": "Utlysning", "purpose": "Formål", "frame_amount": M // 2, "frame_year": timezone.localdate().year, "max_project_years": 2}
    return Call.objects.create(**{**values, **extra})


@pytest.fixture
def ready(world, money):
    """A draft that may be published: a future deadline, criteria, a deciding body, a 2-year length."""
    call = _draft(money.pot, title=f"Utlysning {money.year}", decision_dates="Vedtak i Tildelingsutvalget 12. juni", reporting_rules="Sluttrapport innen tre måneder")
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30), label="Hovedfrist")
    add_default_criteria(call)
    call.steps.create(step=ProcessStep.Step.FORMAL_CHECK, body=world.secretariat_body)
    call.steps.create(step=ProcessStep.Step.DECISION, body=world.stu)
    call.pre_project_caps.create(min_municipalities=2, max_amount=200_000)
    return call


def _post_data(call=None, **overrides):
    """The edit page's body: the call's fields and its four tables (one row each)."""
    data = {
        "title": "Samhandlingsmidler 2027",
        "kind": "open",
        "purpose": "Bedre samhandling",
        "priorities": "",
        "eligibility": "",
        "allowed_types": ["project", "pre_project"],
        "frame_amount": "500000",
        "frame_year": str(timezone.localdate().year),
        "max_project_years": "2",
        "pre_project_max_years": "1",
        "research_deducted": "on",
        "contact": "",
        "criteria-TOTAL_FORMS": "1", "criteria-INITIAL_FORMS": "0",
        "criteria-0-order": "1", "criteria-0-name": "Nytte", "criteria-0-description": "", "criteria-0-scale_min": "1", "criteria-0-scale_max": "5", "criteria-0-weight": "2",
        "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0",
        "deadlines-TOTAL_FORMS": "1", "deadlines-INITIAL_FORMS": "0",
        "deadlines-0-date": (timezone.localdate() + datetime.timedelta(days=40)).isoformat(), "deadlines-0-time": "12:00", "deadlines-0-label": "",
        "caps-TOTAL_FORMS": "1", "caps-INITIAL_FORMS": "0",
        "caps-0-min_municipalities": "3", "caps-0-max_amount": "300000",
    }
    if call is not None:
        data["version"] = calls.version(call)
    data.update(overrides)
    return data


# --- scope ------------------------------------------------------------------------


def test_another_helsefellesskaps_secretariat_gets_404_everywhere_and_changes_nothing(client, login, personas, ready):
    login(personas.other_secretariat)
    before = calls.version(ready)
    for suffix in ("", "endre/", "historikk/", "forhandsvis/", "kopier/", "publiser/", "avslutt/"):
        assert client.get(f"{BASE}{ready.pk}/{suffix}").status_code == 404, suffix
    for suffix in ("endre/", "kopier/", "publiser/", "avslutt/"):
        assert client.post(f"{BASE}{ready.pk}/{suffix}", _post_data(ready, title="Kapret")).status_code == 404, suffix
    ready.refresh_from_db()
    assert calls.version(ready) == before and ready.status == Call.Status.DRAFT
    assert Call.objects.count() == 1
    listing = client.get(BASE)
    assert listing.status_code == 200 and ready.title not in listing.content.decode()


def test_people_who_manage_no_money_are_refused(client, login, personas, ready):
    for person in (personas.applicant, personas.member):
        login(person)
        assert client.get(BASE).status_code == 403
        assert client.get(f"{BASE}{ready.pk}/forhandsvis/").status_code == 403


def test_create_in_another_helsefellesskaps_pot_is_refused(client, login, personas, world, money):
    """The pot list is scoped: a posted pot outside it is an invalid choice, and the domain refuses too."""
    login(personas.other_secretariat)
    response = client.post(f"{BASE}ny/", {**_post_data(), "pot": str(money.pot.pk)})
    assert response.status_code == 400
    assert not Call.objects.exists()
    with pytest.raises(PermissionDenied):
        calls.create_call(personas.other_secretariat, pot=money.pot, title="X", purpose="Y")


# --- create, publish, close -------------------------------------------------------


def test_create_then_publish_then_close(client, login, personas, world, money):
    login(personas.secretariat)
    data = _post_data(pot=str(money.pot.pk))
    data.update({"steps-TOTAL_FORMS": "1", "steps-0-step": "decision", "steps-0-body": str(world.stu.pk)})
    response = client.post(f"{BASE}ny/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    call = Call.objects.get()
    assert call.status == Call.Status.DRAFT and call.pot == money.pot
    assert call.allowed_types == ["project", "pre_project"]
    assert [(c.name, c.weight) for c in call.criteria.all()] == [("Nytte", Decimal("2.00"))]
    assert [(s.step, s.body) for s in call.steps.all()] == [("decision", world.stu)]
    assert [(c.min_municipalities, c.max_amount) for c in call.pre_project_caps.all()] == [(3, 300_000)]
    assert timezone.localtime(call.deadlines.get().at).time() == datetime.time(12, 0)

    page = client.get(f"{BASE}{call.pk}/publiser/")
    assert page.status_code == 200 and "Dette må rettes først" not in page.content.decode()
    assert client.post(f"{BASE}{call.pk}/publiser/", {"version": calls.version(call)}).status_code == 302
    call.refresh_from_db()
    assert call.status == Call.Status.PUBLISHED and call.is_open()

    assert client.post(f"{BASE}{call.pk}/avslutt/", {"version": calls.version(call)}).status_code == 302
    call.refresh_from_db()
    assert call.status == Call.Status.CLOSED
    actions = list(AuditEvent.objects.filter(object_type="applications.call", object_id=str(call.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["call.closed", "call.created", "call.published"]


def test_edit_replaces_rows_and_removes_ticked_ones(client, login, personas, ready):
    login(personas.secretariat)
    page = client.get(f"{BASE}{ready.pk}/endre/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rekkefølge" in html and 'type="checkbox" name="allowed_types"' in html
    form = page.context["formsets"]
    criteria = form[0][1]
    data = _post_data(ready, **{"criteria-TOTAL_FORMS": str(len(criteria.forms)), "criteria-INITIAL_FORMS": str(criteria.initial_form_count())})
    for i, row in enumerate(criteria.initial):
        for key, value in row.items():
            data[f"criteria-{i}-{key}"] = str(value)
    data["criteria-0-DELETE"] = "on"  # remove the first of the six
    data["criteria-6-name"] = "Ny"  # and fill an empty row
    for k in ("order", "scale_min", "scale_max", "weight"):
        data[f"criteria-6-{k}"] = {"order": "9", "scale_min": "0", "scale_max": "3", "weight": "1.5"}[k]
    # The last empty row as a browser sends it: the defaults drawn in it, no name.
    data.update({"criteria-7-order": "0", "criteria-7-scale_min": "1", "criteria-7-scale_max": "5", "criteria-7-weight": "1"})
    response = client.post(f"{BASE}{ready.pk}/endre/", data)
    assert response.status_code == 302
    names = list(ready.criteria.values_list("name", flat=True))
    assert len(names) == 6 and "Prioriterte pasientgrupper" not in names and names[-1] == "Ny"
    assert not ready.steps.exists()  # the post sent no steps rows: the table was emptied


def test_publish_refused_with_the_list_of_problems(client, login, personas, world, money):
    """Frame over the free money, a year without a frame, no criterion, no decision body, no deadline."""
    call = _draft(money.pot, frame_amount=2 * M, max_project_years=3)
    login(personas.secretariat)
    response = client.post(f"{BASE}{call.pk}/publiser/", {"version": calls.version(call)})
    assert response.status_code == 400
    html = response.content.decode()
    year = money.year
    assert "ingen søknadsfrist fram i tid" in html
    assert "ingen kriterier med vekt" in html
    assert "organ som fatter vedtak" in html
    assert "er større enn det Lokal pott har ledig i" in html
    assert f"ingen ramme og ingen forventet bevilgning for {year + 2}" in html
    call.refresh_from_db()
    assert call.status == Call.Status.DRAFT
    assert not AuditEvent.objects.filter(action="call.published").exists()


def test_frame_over_headroom_counts_money_already_bound(personas, money, ready):
    """The pot has 1 MNOK this year; a 500 000 frame fits until 600 000 of it is held back."""
    assert calls.publish_problems(ready) == []
    funding.set_reserve(personas.rhf_admin, pot=money.pot, year=money.year, kind="held_back", amount=600_000)
    problems = calls.publish_problems(ready)
    assert len(problems) == 1 and "større enn det Lokal pott har ledig i" in problems[0] and "400" in problems[0]


def test_expected_appropriation_covers_a_year(personas, world, money, ready):
    ready.max_project_years = 3
    assert any(str(money.year + 2) in p for p in calls.publish_problems(ready))
    Appropriation.objects.create(year=money.year + 2, name="Forventet", amount=M, rhf=world.rhf, expected=True)
    assert calls.publish_problems(ready) == []


def test_rolling_intake_needs_no_deadline(ready):
    ready.deadlines.all().delete()
    assert any("søknadsfrist" in p for p in calls.publish_problems(ready))
    ready.rolling = True
    assert calls.publish_problems(ready) == []


def test_only_a_draft_is_published_and_only_a_published_call_closed(personas, ready):
    with pytest.raises(ValidationError):
        calls.close_call(personas.secretariat, ready)
    calls.publish_call(personas.secretariat, ready)
    with pytest.raises(ValidationError):
        calls.publish_call(personas.secretariat, ready)


# --- copy ---------------------------------------------------------------------------


def test_copy_last_years_call(client, login, personas, world, ready):
    login(personas.secretariat)
    ready.status = Call.Status.CLOSED
    ready.save()
    response = client.post(f"{BASE}{ready.pk}/kopier/", {"version": calls.version(ready)})
    assert response.status_code == 302
    copy = Call.objects.exclude(pk=ready.pk).get()
    assert response["Location"] == f"{BASE}{copy.pk}/"
    assert copy.status == Call.Status.DRAFT and copy.frame_year == ready.frame_year + 1
    assert copy.title == f"Utlysning {ready.frame_year + 1}"
    assert (copy.decision_dates, copy.reporting_rules, copy.max_project_years) == (ready.decision_dates, ready.reporting_rules, ready.max_project_years)
    assert [(c.name, c.weight, c.scale_max) for c in copy.criteria.all()] == [(c.name, c.weight, c.scale_max) for c in ready.criteria.all()]
    assert [(s.step, s.body_id) for s in copy.steps.all()] == [(s.step, s.body_id) for s in ready.steps.all()]
    assert [c.max_amount for c in copy.pre_project_caps.all()] == [200_000]
    old, new = ready.deadlines.get(), copy.deadlines.get()
    assert new.at.year == old.at.year + 1 and (new.at.month, new.at.day, new.label) == (old.at.month, old.at.day, old.label)
    assert Criterion.objects.filter(call=ready).count() == 6  # the original is untouched
    assert AuditEvent.objects.filter(action="call.copied", object_id=str(copy.pk)).exists()


# --- locking, history, labels, queries ----------------------------------------------


def test_stale_edit_is_409_with_typed_values_kept(client, login, personas, ready):
    login(personas.secretariat)
    seen = calls.version(ready)
    calls.update_call(personas.sysadmin, ready, rows={"criteria": [{"order": 1, "name": "Endret av en annen", "scale_min": 1, "scale_max": 5, "weight": 1}]})
    data = _post_data(ready, title="Min tittel")
    data["version"] = seen
    response = client.post(f"{BASE}{ready.pk}/endre/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Min tittel" in html and "lagret endringer" in html
    ready.refresh_from_db()
    assert ready.title != "Min tittel"
    assert list(ready.criteria.values_list("name", flat=True)) == ["Endret av en annen"]
    # Saving again is a deliberate overwrite: the page now carries the saved version.
    assert response.context["version"] == calls.version(ready)
    data["version"] = response.context["version"]
    assert client.post(f"{BASE}{ready.pk}/endre/", data).status_code == 302
    ready.refresh_from_db()
    assert ready.title == "Min tittel"


def test_stale_publish_is_409(client, login, personas, ready):
    login(personas.secretariat)
    seen = calls.version(ready)
    Deadline.objects.filter(call=ready).update(label="Ny tekst")
    assert client.post(f"{BASE}{ready.pk}/publiser/", {"version": seen}).status_code == 409
    ready.refresh_from_db()
    assert ready.status == Call.Status.DRAFT


def test_history_shows_the_audit_trail(client, login, personas, ready):
    calls.update_call(personas.secretariat, ready, title="Nytt navn")
    login(personas.secretariat)
    html = client.get(f"{BASE}{ready.pk}/historikk/").content.decode()
    assert "Utlysningen Nytt navn er endret." in html


def test_labels_not_codes(client, login, personas, ready):
    login(personas.secretariat)
    html = client.get(f"{BASE}{ready.pk}/").content.decode()
    assert "Utkast" in html and "Vedtak: Tildelingsutvalget" in html and "Formell kontroll" in html
    assert "draft" not in html and "decision" not in html and "formal_check" not in html
    listing = client.get(BASE).content.decode()
    assert "Utkast" in listing and ">draft<" not in listing


def test_preview_shows_a_draft_to_its_managers_only(client, login, personas, ready):
    login(personas.secretariat)
    response = client.get(f"{BASE}{ready.pk}/forhandsvis/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Forhåndsvisning" in html and "Kriterier og vekting" in html and "Prioriterte pasientgrupper" in html
    assert "Vedtak i Tildelingsutvalget 12. juni" in html and "Sluttrapport innen tre måneder" in html
    login(personas.other_secretariat)
    assert client.get(f"{BASE}{ready.pk}/forhandsvis/").status_code == 404


def test_list_runs_a_constant_number_of_queries(client, login, personas, money):
    login(personas.secretariat)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BASE).status_code == 200
        return len(queries)

    _draft(money.pot).deadlines.create(at=timezone.now() + datetime.timedelta(days=3))
    few = count()
    for i in range(5):
        _draft(money.pot, title=f"Flere {i}").deadlines.create(at=timezone.now() + datetime.timedelta(days=3 + i))
    assert count() == few


def test_step_body_outside_the_pots_owner_is_refused(personas, world, ready):
    with pytest.raises(ValidationError) as refused:
        calls.update_call(personas.secretariat, ready, rows={"steps": [{"step": "decision", "body": world.far_secretariat_body}]})
    assert "hører ikke til eieren av potten" in str(refused.value)
    assert ready.steps.filter(body=world.stu).exists()


def test_the_section_is_on_the_landing_page_for_those_who_manage_money(client, login, personas):
    login(personas.secretariat)
    assert 'href="/administrasjon/utlysninger/"' in client.get("/administrasjon/").content.decode()
    login(personas.member)
    assert client.get("/administrasjon/").status_code == 403


def test_the_new_call_form_offers_only_the_pots_the_person_manages(client, login, personas, world, money):
    other = funding.create_pot(personas.sysadmin, parent=funding.root_pot(world.other_rhf), name="Vest-pott", kind=Pot.Kind.APPLICATION)
    login(personas.secretariat)
    html = client.get(f"{BASE}ny/").content.decode()
    assert f'<option value="{money.pot.pk}"' in html and "Vest-pott" not in html
    response = client.post(f"{BASE}ny/", {**_post_data(), "pot": str(other.pk)})
    assert response.status_code == 400 and not Call.objects.exists()


def test_a_closed_call_is_not_changed(client, login, personas, ready):
    calls.publish_call(personas.secretariat, ready)
    calls.close_call(personas.secretariat, ready)
    ready.refresh_from_db()
    login(personas.secretariat)
    assert "Endre utlysningen" not in client.get(f"{BASE}{ready.pk}/").content.decode()
    response = client.post(f"{BASE}{ready.pk}/endre/", _post_data(ready, title="Etter lukking"))
    assert response.status_code == 400 and "er avsluttet" in response.content.decode()
    ready.refresh_from_db()
    assert ready.title != "Etter lukking" and ready.status == Call.Status.CLOSED


def test_a_published_call_cannot_be_changed_beyond_the_money(client, login, personas, money, ready):
    calls.publish_call(personas.secretariat, ready)
    ready.refresh_from_db()
    login(personas.secretariat)
    response = client.post(f"{BASE}{ready.pk}/endre/", _post_data(ready, frame_amount=str(5 * M), **{"steps-TOTAL_FORMS": "1", "steps-0-step": "decision", "steps-0-body": str(ready.steps.get(step="decision").body_id)}))
    assert response.status_code == 400 and "er større enn det Lokal pott har ledig" in response.content.decode()
    ready.refresh_from_db()
    assert ready.frame_amount == M // 2 and ready.criteria.count() == 6  # nothing saved, rows neither
    # A correction that still fits is saved.
    response = client.post(f"{BASE}{ready.pk}/endre/", _post_data(ready, title="Rettet tittel", **{"steps-TOTAL_FORMS": "1", "steps-0-step": "decision", "steps-0-body": str(ready.steps.get(step="decision").body_id)}))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.title == "Rettet tittel" and ready.status == Call.Status.PUBLISHED
