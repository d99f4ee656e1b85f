"""Query counts must not grow with the data: each main page costs the same number of SQL
queries with one row as with twenty (applications, scores, pots, years, grants).

Each test opens the page once to warm per-process caches, counts the queries of one
request, adds rows, and counts again."""

import datetime
import os
import pathlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.accounts.models import OrganisationRole
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, BudgetLine, Call, Participant
from rsportal.assessment import domain as assessment
from rsportal.assessment import queries as assessment_queries
from rsportal.assessment.models import Conflict, Decision, FormalCheck, Forwarding, Score
from rsportal.followup import domain as followup
from rsportal.followup.models import ReportingRule
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant, Pot
from rsportal.registry.models import BodyMember, PopulationFigure

from . import factories as f

M = 1_000_000


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def assert_constant(client, url, add_rows):
    """Count the queries of `url`, add rows with `add_rows()`, and count again."""
    client.get(url)  # warm-up: content types, sessions and other per-process caches
    before = count_queries(client, url)
    add_rows()
    after = count_queries(client, url)
    assert after == before, f"{url}: {before} queries with one row, {after} with twenty"


# --- the committee's pages ---------------------------------------------------


@pytest.fixture
def committee_call(world, personas):
    """A regional call decided by STU, with local prioritisation, and a function that adds
    forwarded, checked, scored applications with conflicts and decisions."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2027, name="RS 2027", amount=100 * M, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    call = Call.objects.create(pot=root, title="Runde", status=Call.Status.CLOSED, purpose="-", frame_amount=50 * M, frame_year=2027, max_forwarded_per_helsefellesskap=30)
    call.pre_project_caps.create(min_municipalities=1, max_amount=1_500_000)
    add_default_criteria(call)
    call.steps.create(step="formal_check", body=world.rhf_secretariat_body)
    call.steps.create(step="local_prioritisation", by_each_helsefellesskap=True)
    call.steps.create(step="decision", body=world.stu)
    criteria = list(call.criteria.all())
    seats = {seat.user_id: seat for seat in BodyMember.objects.filter(body=world.stu)}
    member, chair, observer = (seats[p.pk] for p in (personas.member, personas.chair, personas.observer))
    created = []

    def add(n):
        for _ in range(n):
            i = len(created)
            hf, municipality = [(world.hf, world.tromso), (world.hf, world.harstad), (world.other_hf, world.alta)][i % 3]
            application = Application.objects.create(
                call=call,
                helsefellesskap=hf,
                title=f"Prosjekt {i:02d}",
                status=Application.Status.SUBMITTED,
                created_by=personas.applicant,
                submitted_at=timezone.now(),
                type="pre_project" if i % 4 == 3 else "project",
                patient_groups=["chronic"] if i % 2 else ["children_youth"],
            )
            Participant.objects.create(application=application, municipality=municipality, is_owner=True, contact_name=f"Kontakt {i}", contact_email=f"k{i}@example.invalid")
            Participant.objects.create(application=application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
            BudgetLine.objects.create(application=application, year=2027, kind="grant", amount=(i % 5 + 1) * 400_000, description="Tilskudd")
            Forwarding.objects.create(application=application, helsefellesskap=hf, rank=None if i % 5 == 4 else i + 1, joint=i % 5 == 4, forwarded_by=personas.secretariat)
            FormalCheck.objects.create(application=application, outcome="eligible", checked_by=personas.rhf_admin)
            Conflict.objects.create(application=application, member=observer, source="other", reason="Nabo", status=Conflict.Status.DISMISSED)
            if i % 3 == 1:  # conflicted: the chair may not see these
                Conflict.objects.create(application=application, member=chair, source="self", reason="Eier")
            for seat, value in ((member, 3), (chair, 4 + i % 2)):
                if not (seat is chair and i % 3 == 1):
                    Score.objects.bulk_create(Score(application=application, criterion=c, member=seat, value=min(value, c.scale_max)) for c in criteria)
            if i % 4 == 1:
                Decision.objects.create(
                    application=application, body=world.stu, outcome="full", amounts={"2027": 400_000}, reason="Godt", status=Decision.Status.ADOPTED, proposed_by=personas.chair
                )
            created.append(application)

    add(1)
    return call, add


def test_my_applications(login, personas, committee_call):
    _call, add = committee_call
    assert_constant(login(personas.applicant), "/soknader/", lambda: add(19))


def test_draft_page_with_more_participants(login, world, personas):
    """The applicant's draft asks per participant whether it may be removed; the user's
    organisations are read once for the request, not once per participant."""
    call = Call.objects.create(pot=funding.root_pot(world.rhf), title="Runde", status=Call.Status.PUBLISHED, purpose="-", frame_amount=50 * M, frame_year=2027)
    draft = Application.objects.create(call=call, helsefellesskap=world.hf, title="Utkast", status=Application.Status.DRAFT, created_by=personas.applicant)
    Participant.objects.create(application=draft, municipality=world.tromso, is_owner=True, added_by=personas.applicant)
    Participant.objects.create(application=draft, trust=world.trust, added_by=personas.applicant)

    def add_participants():
        for i in range(10):
            municipality = f.MunicipalityFactory(county=world.tromso.county)
            Participant.objects.create(application=draft, municipality=municipality, added_by=personas.applicant if i % 2 else None)

    client = login(personas.applicant)
    assert_constant(client, f"/soknader/{draft.pk}/", add_participants)
    participants = client.get(f"/soknader/{draft.pk}/").context["participants"]
    # The owner's applicant may remove every participant but the owner, also those others added.
    assert len(participants) == 12
    assert [p.pk for p in participants if not p.removable] == [p.pk for p in participants if p.is_owner]


@pytest.mark.parametrize("who", ["member", "chair", "observer", "rhf_admin"])
def test_ranking_page(login, personas, committee_call, who):
    call, add = committee_call
    if who == "chair":
        add(1)  # one application the chair may see and one they are conflicted on, as with twenty
    client = login(getattr(personas, who))
    assert_constant(client, f"/vurdering/utlysning/{call.pk}/rangering/", lambda: add(18 if who == "chair" else 19))


def test_ranking_page_shows_the_proposal_with_twenty_applications(login, personas, committee_call):
    call, add = committee_call
    add(19)
    html = login(personas.rhf_admin).get(f"/vurdering/utlysning/{call.pk}/rangering/").content.decode()
    assert "Beslutningsstøtte" in html and html.count("Prosjekt ") >= 20


def test_ranking_excel(login, personas, committee_call):
    call, add = committee_call
    assert_constant(login(personas.rhf_admin), f"/vurdering/utlysning/{call.pk}/rangering.xlsx", lambda: add(19))


@pytest.mark.parametrize("who", ["member", "chair", "rhf_admin"])
def test_call_overview(login, personas, committee_call, who):
    call, add = committee_call
    assert_constant(login(getattr(personas, who)), f"/vurdering/utlysning/{call.pk}/", lambda: add(19))


@pytest.mark.parametrize("who", ["member", "chair", "rhf_admin"])
def test_conflicts_page(login, personas, committee_call, who):
    """Who may decide each conflict is worked out from the body's seats read once, not per row."""
    call, add = committee_call
    add(1)  # one conflict of the chair's as well as the observer's
    assert_constant(login(getattr(personas, who)), f"/vurdering/utlysning/{call.pk}/habilitet/", lambda: add(18))


@pytest.mark.parametrize("who", ["member", "chair", "observer", "rhf_admin", "sysadmin"])
def test_score_access_in_bulk_matches_the_rule(personas, committee_call, who):
    """`queries.score_access` is `domain.may_see_scores` for a whole call at once."""
    call, add = committee_call
    add(11)
    user = getattr(personas, who)
    applications = assessment_queries.ranking_applications(call)
    access = assessment_queries.score_access(user, call, applications)
    assert {a.pk for a in applications if assessment.may_see_scores(user, a)} == access.visible


# --- registry, money and follow-up --------------------------------------------------


def test_helsefellesskap_list(login, world, personas):
    def add_rows():
        for i in range(19):
            hf = f.HelsefellesskapFactory(trust=world.trust)
            for j in range(2):
                municipality = f.MunicipalityFactory(county=world.tromso.county, population=1000 + i)
                PopulationFigure.objects.create(municipality=municipality, date=datetime.date(2020, 1, 1), population=900 + j)
                f.MembershipFactory(helsefellesskap=hf, municipality=municipality)

    assert_constant(login(personas.secretariat), "/helsefellesskap/", add_rows)


@pytest.mark.parametrize("who", ["secretariat", "rhf_admin"])
def test_money_overview(login, world, personas, who):
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2026, name="RS 2026", amount=20 * M, rhf=world.rhf))
    root = funding.root_pot(world.rhf)

    def add_rows():
        for i in range(19):
            year = 2027 + i
            funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=20 * M, rhf=world.rhf))
            hf = f.HelsefellesskapFactory(trust=world.trust)
            f.MembershipFactory(helsefellesskap=hf, municipality=f.MunicipalityFactory(county=world.tromso.county, population=100 + i))
            pot = funding.create_pot(personas.rhf_admin, parent=root, name=f"Pott {i}", kind=Pot.Kind.APPLICATION, helsefellesskap=hf)
            funding.transfer(personas.rhf_admin, source=root, target=pot, year=year, amount=1000)

    assert_constant(login(getattr(personas, who)), "/midler/", add_rows)


def test_money_overview_per_inhabitant_per_year(login, world, personas):
    for year in (2026, 2027):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=year * 1000, rhf=world.rhf))
    PopulationFigure.objects.create(municipality=world.tromso, date=datetime.date(2027, 1, 1), population=80_000)
    from rsportal.funding import queries

    by_year = queries.allocations_per_inhabitant([2026, 2027])
    assert [(r.year, r.amount, r.population) for r in by_year[2026]] == [(2026, 2_026_000, 78745 + 24915 + 21676)]
    assert [(r.year, r.amount, r.population, r.population_date) for r in by_year[2027]] == [(2027, 2_027_000, 80_000 + 24915 + 21676, datetime.date(2027, 1, 1))]
    assert queries.allocation_per_inhabitant(2027) == by_year[2027]


@pytest.fixture
def grants(world, personas):
    """Grants of the RHF's root pot and of a community pot, with report deadlines; a function adds more."""
    for year in (2025, 2026):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=100 * M, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    ReportingRule.objects.create(pot=root, frequency="yearly", due_month=2, due_day=1)
    local = funding.create_pot(personas.rhf_admin, parent=root, name="Lokal pott", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    for year in (2025, 2026):
        funding.transfer(personas.rhf_admin, source=root, target=local, year=year, amount=20 * M)
    ReportingRule.objects.create(pot=local, frequency="yearly", due_month=2, due_day=1)

    def add(n):
        for i in range(n):
            pot = local if i % 2 else root
            grant = Grant.objects.create(pot=pot, title=f"Prosjekt {Grant.objects.count()}", helsefellesskap=world.hf)
            grant.municipalities.add(world.tromso)
            grant.trusts.add(world.trust)
            funding.commit_grant(personas.sysadmin, grant=grant, amounts={2025: 100_000, 2026: 50_000})
            followup.plan_reports(grant)

    def add_pots_and_regions(n):
        for i in range(n):
            rhf = f.RHFFactory(code=f"R{i}", name=f"Region {i}")
            f.role(personas.rhf_admin, OrganisationRole.Kind.RHF_ADMIN, rhf=rhf)
            hf = f.HelsefellesskapFactory(trust=f.TrustFactory(code=f"T{i}", rhf=rhf))
            funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2025, name=f"RS {i}", amount=M, rhf=rhf))
            other_root = funding.root_pot(rhf)
            pot = funding.create_pot(personas.sysadmin, parent=other_root, name=f"Pott {i}", kind=Pot.Kind.APPLICATION, helsefellesskap=hf)
            funding.transfer(personas.sysadmin, source=other_root, target=pot, year=2025, amount=M // 2)
            grant = Grant.objects.create(pot=pot, title=f"Regionprosjekt {i}", helsefellesskap=hf)
            funding.commit_grant(personas.sysadmin, grant=grant, amounts={2025: 10_000})

    add(1)
    return add, add_pots_and_regions


@pytest.mark.parametrize("who", ["applicant", "secretariat", "rhf_admin", "sysadmin"])
def test_followup_overview(login, personas, grants, who):
    add, add_pots_and_regions = grants

    def add_rows():
        add(19)
        add_pots_and_regions(5)

    assert_constant(login(getattr(personas, who)), "/oppfolging/", add_rows)


def test_followup_overview_lists_what_the_user_follows(login, world, personas, grants):
    add, add_pots_and_regions = grants
    add(3)
    add_pots_and_regions(2)
    applicant = login(personas.applicant).get("/oppfolging/")
    assert len(applicant.context["grants"]) == 4 and not applicant.context["pots"] and not applicant.context["rhfs"]
    secretariat = login(personas.secretariat).get("/oppfolging/")
    assert [p.name for p in secretariat.context["pots"]] == ["Lokal pott"] and not secretariat.context["rhfs"]
    admin = login(personas.rhf_admin).get("/oppfolging/")
    assert {p.name for p in admin.context["pots"]} == {"Lokal pott", "Pott 0", "Pott 1"}  # the RHFs' root pots are not listed
    assert {r.code for r in admin.context["rhfs"]} == {"HN", "R0", "R1"}


# --- the public front page ---------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "applicant"])
def test_front_page(client, login, world, personas, grants, who):
    """Open calls with their deadlines and the key figures of the catalogue."""
    add_grants, _ = grants
    root = funding.root_pot(world.rhf)

    def add_calls(n):
        for i in range(n):
            call = Call.objects.create(pot=root, title=f"Utlysning {Call.objects.count()}", status=Call.Status.PUBLISHED, purpose="-", rolling=i % 4 == 3)
            for days in (30 + i, 60 + i, -10):
                call.deadlines.create(at=timezone.now() + datetime.timedelta(days=days))

    add_calls(1)

    def add_rows():
        add_calls(19)
        add_grants(19)

    page = client if who == "anonymous" else login(personas.applicant)
    assert_constant(page, "/", add_rows)
    assert page.get("/").content.decode().count("Søknadsfrist: <strong>") == 6


def test_money_overview_shows_one_year(login, world, personas):
    for year in (2026, 2027):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=20 * M, rhf=world.rhf))
    client = login(personas.rhf_admin)
    chosen = client.get("/midler/?ar=2027")
    page = chosen.content.decode()
    assert "RS 2027" in page and "RS 2026" not in page
    assert chosen.context["years"] == [2026, 2027]
    assert [s.year for _pot, summaries in chosen.context["pots"] for s in summaries] == [2027]
    assert client.get("/midler/?ar=abc").status_code == 200  # nonsense: the default year


# --- project ideas ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["applicant", "secretariat"])
def test_idea_list(login, world, personas, who):
    """The applicant's organisations' ideas and the secretariat's helsefellesskap's, each with its partners."""
    from rsportal.ideas.models import Idea, PartnerLink

    def add(n):
        for i in range(n):
            idea = Idea.objects.create(
                helsefellesskap=world.hf, municipality=world.tromso, created_by=personas.applicant, title=f"Idé {i}", problem="-", approach="-",
                contact_name="Tove", contact_email="tove@example.invalid",
            )
            PartnerLink.objects.create(idea=idea, municipality=world.harstad, suggested_by=personas.secretariat)
            PartnerLink.objects.create(idea=idea, trust=world.trust, suggested_by=personas.secretariat, status=PartnerLink.Status.CONNECTED)

    add(1)
    page = login(getattr(personas, who))
    assert_constant(page, "/prosjektideer/", lambda: add(19))
    assert len(page.get("/prosjektideer/").context["ideas"]) == 20


# --- the committee's pages: figures and cost with history ---------------------------------


def _ranking_figures(response):
    """What the ranking page shows, as plain values: the table and the optimiser's proposal."""
    context = response.context
    rows = [
        (r.application.title, r.application.helsefellesskap.name, [str(v) for v in r.values], r.scorers, str(r.weighted), r.weighted_rank, str(r.equal), r.equal_rank)
        for r in context["rows"]
    ]
    proposal = [
        (p["application"].title, p["candidate"].amount, p["candidate"].score, p["candidate"].municipality_count, p["candidate"].amounts_by_year, sorted(p["candidate"].patient_groups), p["candidate"].joint, p["proposed"], p["plain"], p["reason"])
        for p in context.get("proposal_rows", [])
    ]
    return rows, [h.title for h in context["hidden"]], proposal, context.get("proposal_years"), context.get("proposal_amount_plain")


def _overview_figures(response):
    return [
        (a.title, a.blocked_for_me, a.see.handling, a.scorer_count if a.see.handling else None, a.conflict_count if a.see.handling else None, a.adopted.total() if a.adopted else None)
        for a in response.context["applications"]
    ]


@pytest.mark.parametrize("who", ["member", "chair", "rhf_admin"])
def test_committee_pages_figures(login, personas, committee_call, who):
    """The figures of the ranking page, its proposal and the call overview, pinned."""
    call, add = committee_call
    add(7)
    client = login(getattr(personas, who))
    ranking = _ranking_figures(client.get(f"/vurdering/utlysning/{call.pk}/rangering/"))
    overview = _overview_figures(client.get(f"/vurdering/utlysning/{call.pk}/"))
    pinned = pathlib.Path(__file__).parent / "data" / f"committee_pages_{who}.txt"
    figures = f"{ranking!r}\n{overview!r}\n"
    if os.environ.get("RSPORTAL_PIN_FIGURES"):
        pinned.write_text(figures, encoding="utf-8")
    assert figures == pinned.read_text(encoding="utf-8")


def count_queries_and_rows(client, url) -> tuple[int, int]:
    """Queries of one request and the rows they returned (as the page benchmark counts them).
    SQLite reports no row count for a SELECT, so the rows are counted on PostgreSQL only (0 otherwise)."""
    rows = [0]

    def count_rows(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        rows[0] += max(context["cursor"].rowcount, 0)
        return result

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(count_rows):
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), rows[0]


@pytest.fixture
def closed_history(world, personas, committee_call):
    """A function that adds closed years before the committee call: per year an appropriation, a
    decided call of the same pot with scored applications from the same communities, adopted
    grants and their commitments."""
    call, _add = committee_call
    member, chair = (BodyMember.objects.get(body=world.stu, user=p) for p in (personas.member, personas.chair))
    years = []

    def add(n):
        for _ in range(n):
            year = 2026 - len(years)
            years.append(year)
            funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10 * M, rhf=world.rhf))
            old = Call.objects.create(pot=call.pot, title=f"Runde {year}", status=Call.Status.CLOSED, purpose="-", frame_amount=5 * M, frame_year=year)
            add_default_criteria(old)
            old.steps.create(step="decision", body=world.stu)
            criteria = list(old.criteria.all())
            for i, hf in enumerate((world.hf, world.other_hf, world.hf)):
                application = Application.objects.create(
                    call=old, helsefellesskap=hf, title=f"Gammelt {year} {i}", status=Application.Status.SUBMITTED, created_by=personas.applicant,
                    submitted_at=timezone.now(), patient_groups=["chronic"] if i % 2 else ["children_youth"],
                )
                Participant.objects.create(application=application, municipality=world.tromso if hf == world.hf else world.alta, is_owner=True, contact_name="K", contact_email="k@example.invalid")
                BudgetLine.objects.create(application=application, year=year, kind="grant", amount=300_000, description="Tilskudd")
                for seat in (member, chair):
                    Score.objects.bulk_create(Score(application=application, criterion=c, member=seat, value=3) for c in criteria)
                Conflict.objects.create(application=application, member=chair, source="self", reason="Eier")
                if i < 2:
                    grant = Grant.objects.create(pot=call.pot, title=application.title, helsefellesskap=hf)
                    funding.commit_grant(personas.sysadmin, grant=grant, amounts={year: 300_000})
                    Decision.objects.create(
                        application=application, body=world.stu, outcome="full", amounts={str(year): 300_000}, reason="Godt",
                        status=Decision.Status.ADOPTED, proposed_by=personas.chair, grant=grant,
                    )

    return add


@pytest.mark.parametrize("page", ["rangering/", ""])
@pytest.mark.parametrize("who", ["member", "rhf_admin"])
def test_committee_pages_cost_the_same_with_more_closed_history(login, personas, committee_call, closed_history, page, who):
    """The ranking page (with the optimiser's proposal) and the call overview show one call: earlier
    years' calls, applications, scores and grants of the same pot and communities cost them nothing,
    neither queries nor rows."""
    call, add = committee_call
    add(5)
    closed_history(1)  # one earlier year, so that the pot already has grants and past years
    client = login(getattr(personas, who))
    url = f"/vurdering/utlysning/{call.pk}/{page}"
    client.get(url)
    before = count_queries_and_rows(client, url)
    closed_history(4)
    after = count_queries_and_rows(client, url)
    assert after == before, f"{url}: (queries, rows) {before} with one closed year, {after} with five"
