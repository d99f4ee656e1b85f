"""Equality at every stage: the application figures of /statistikk/likeverd/ and the API,
checked against a small world computed by hand."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.applications.models import Application, BudgetLine, Call, Participant
from rsportal.assessment.models import Decision
from rsportal.catalogue.equality import application_equality
from rsportal.followup.models import Payment
from rsportal.funding.models import Commitment, Grant, Pot, PotYear

from . import factories as f


def at(day: datetime.date):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


class Builder:
    def __init__(self, world, personas):
        self.world, self.personas = world, personas

    def application(self, rhf, hf, *, owners=(), partners=(), applied=0, submitted=None, status=Application.Status.SUBMITTED):
        pot, _ = Pot.objects.get_or_create(rhf=rhf, kind=Pot.Kind.ROOT, defaults={"name": f"Samlet {rhf.code}"})
        call, _ = Call.objects.get_or_create(pot=pot, title="Runde", defaults={"purpose": "-"})
        application = Application.objects.create(
            call=call, helsefellesskap=hf, title="Søknad", created_by=self.personas.applicant, status=status, submitted_at=submitted and at(submitted)
        )
        for org, owner in [(o, True) for o in owners] + [(p, False) for p in partners]:
            field = "trust" if hasattr(org, "rhf_id") and not hasattr(org, "county_id") else "municipality"
            Participant.objects.create(application=application, is_owner=owner, **{field: org})
        if applied:
            BudgetLine.objects.create(application=application, year=2025, kind=BudgetLine.Kind.GRANT, amount=applied, description="Tilskudd")
            # Own money is not money applied for.
            BudgetLine.objects.create(application=application, year=2025, kind=BudgetLine.Kind.OWN_MONEY, amount=12_345, description="Egen")
        return application

    def decide(self, application, outcome, day, *, commitments=(), paid=0):
        grant = None
        if outcome in Decision.GRANTING:
            pot = application.call.pot
            grant = Grant.objects.create(pot=pot, title=application.title, helsefellesskap=application.helsefellesskap)
            for year, amount, status in commitments:
                pot_year, _ = PotYear.objects.get_or_create(pot=pot, year=year)
                Commitment.objects.create(pot_year=pot_year, kind=Commitment.Kind.GRANT, amount=amount, status=status, grant=grant)
            if paid:
                Payment.objects.create(grant=grant, year=2025, amount=paid, paid_on=day, recorded_by=self.personas.secretariat)
        Decision.objects.create(
            application=application, body=self.world.stu, outcome=outcome, reason="-", status=Decision.Status.ADOPTED,
            proposed_by=self.personas.chair, concluded_at=at(day), grant=grant,
        )
        # A proposal that was not adopted is no decision.
        Decision.objects.create(
            application=application, body=self.world.stu, outcome=Decision.Outcome.REJECTED, reason="-",
            status=Decision.Status.NOT_ADOPTED, proposed_by=self.personas.chair, concluded_at=at(day),
        )


@pytest.fixture
def applications(world, personas):
    """A: Tromsø owns (partner UNN), granted in full after 10 days, 1 000 000 committed, 300 000 paid.
    B: UNN owns (partner Lyngen, small), rejected after 20 days.
    C: Tromsø and UNN own, granted in part after 6 days, 400 000 committed (100 000 released).
    D: Harstad owns, not decided. E: Lyngen, withdrawn. F: Senja, a draft. G: Bergen (Helse Vest), not decided."""
    w = world
    w.lyngen = f.MunicipalityFactory(name="Lyngen", population=2_800)
    w.senja = f.MunicipalityFactory(name="Senja", population=14_800)
    f.MembershipFactory(helsefellesskap=w.hf, municipality=w.lyngen)
    f.MembershipFactory(helsefellesskap=w.hf, municipality=w.senja)
    b = Builder(world, personas)
    march, april = datetime.date(2025, 3, 1), datetime.date(2025, 4, 1)
    firm, conditional, released = Commitment.Status.FIRM, Commitment.Status.CONDITIONAL, Commitment.Status.RELEASED
    a = b.application(w.rhf, w.hf, owners=[w.tromso], partners=[w.trust], applied=1_000_000, submitted=march)
    b.decide(a, Decision.Outcome.FULL, march + datetime.timedelta(days=10), commitments=[(2025, 600_000, firm), (2026, 400_000, conditional)], paid=300_000)
    bb = b.application(w.rhf, w.hf, owners=[w.trust], partners=[w.lyngen], applied=500_000, submitted=march)
    b.decide(bb, Decision.Outcome.REJECTED, march + datetime.timedelta(days=20))
    c = b.application(w.rhf, w.hf, owners=[w.tromso, w.trust], applied=800_000, submitted=april)
    b.decide(c, Decision.Outcome.PARTIAL, april + datetime.timedelta(days=6), commitments=[(2025, 400_000, firm), (2026, 100_000, released)])
    b.application(w.rhf, w.hf, owners=[w.harstad], applied=200_000, submitted=april)
    b.application(w.rhf, w.hf, owners=[w.lyngen], applied=999, submitted=april, status=Application.Status.WITHDRAWN)
    b.application(w.rhf, w.hf, owners=[w.senja], applied=777)
    b.application(w.other_rhf, w.far_hf, owners=[w.bergen], applied=100_000, submitted=april)
    return b


def sides(result):
    return {row.code: row for row in result.sides}


def test_figures_per_side_match_hand_count(world, applications):
    result = application_equality(world.rhf)
    by = sides(result)
    assert set(by) == {"municipality", "trust", "both"}
    m, t, both = by["municipality"], by["trust"], by["both"]
    assert (m.applications, m.decided, m.granted, m.success_rate) == (2, 1, 1, Decimal("100.0"))
    assert (m.applied, m.granted_amount, m.paid, m.median_days) == (1_200_000, 1_000_000, 300_000, 10)
    assert (t.applications, t.decided, t.granted, t.success_rate) == (1, 1, 0, Decimal("0.0"))
    assert (t.applied, t.granted_amount, t.paid, t.median_days) == (500_000, 0, 0, 20)
    assert (both.applications, both.granted, both.applied, both.granted_amount, both.paid, both.median_days) == (1, 1, 800_000, 400_000, 0, 6)
    total = result.total
    assert (total.applications, total.decided, total.granted, total.success_rate) == (4, 3, 2, Decimal("66.7"))
    assert (total.applied, total.granted_amount, total.paid, total.median_days) == (2_500_000, 1_400_000, 300_000, 10)


def test_figures_per_municipality_size(world, applications):
    sizes = {row.code: row for row in application_equality(world.rhf).sizes}
    # Large: Tromsø, Harstad, Alta; Tromsø (A, C) and Harstad (D) take part.
    large = sizes["large"]
    assert (large.municipalities, large.applying, large.share_applying) == (3, 2, Decimal("66.7"))
    assert (large.applications, large.decided, large.granted, large.success_rate) == (3, 2, 2, Decimal("100.0"))
    # Small: Lyngen, a partner in B (its own application was withdrawn).
    small = sizes["small"]
    assert (small.municipalities, small.applying, small.applications, small.decided, small.granted, small.success_rate) == (1, 1, 1, 1, 0, Decimal("0.0"))
    # Middle: Senja has only a draft.
    middle = sizes["middle"]
    assert (middle.municipalities, middle.applying, middle.applications, middle.success_rate) == (1, 0, 0, None)


def test_national_figures_count_every_region_with_applications(world, applications):
    result = application_equality()
    assert sides(result)["municipality"].applications == 3
    assert result.total.applied == 2_600_000
    large = {row.code: row for row in result.sizes}["large"]
    assert (large.municipalities, large.applying) == (4, 3)  # Bergen counts in Helse Vest


def test_page_and_api_show_the_figures(client, world, applications):
    page = client.get("/statistikk/likeverd/?rhf=HN").content.decode().replace("\xa0", " ")
    assert "Likeverd i alle ledd" in page
    assert "1 200 000 kr" in page and "66,7 %" in page
    assert "/statistikk/likeverd/" in client.get("/statistikk/").content.decode()
    data = client.get("/api/v1/statistics/applications?rhf=HN").json()
    api_sides = {row["code"]: row for row in data["sides"]}
    assert api_sides["municipality"]["applied"] == 1_200_000 and api_sides["trust"]["median_days"] == 20
    assert data["total"]["success_rate"] in ("66.7", 66.7)
    assert {row["code"]: row["applying"] for row in data["municipality_size"]} == {"small": 1, "middle": 0, "large": 2}
    assert "Søknad" not in str(data)  # no application is named
    assert client.get("/api/v1/statistics/applications?rhf=XX").status_code == 404


def test_query_count_does_not_grow(client, world, personas, applications):
    url = "/statistikk/likeverd/"
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = count()
    for n in range(10):
        application = applications.application(world.rhf, world.hf, owners=[world.alta], partners=[world.trust], applied=10_000 * (n + 1), submitted=datetime.date(2025, 5, 1))
        applications.decide(application, Decision.Outcome.FULL, datetime.date(2025, 5, 2 + n), commitments=[(2025, 10_000, Commitment.Status.FIRM)], paid=5_000)
    assert count() == before
    assert application_equality(world.rhf).total.applications == 14
