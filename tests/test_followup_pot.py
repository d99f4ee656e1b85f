"""The secretariat's pot follow-up page: late and upcoming reports, and the money one year at a time.
Its cost follows what it shows, not the years of closed history behind it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.followup import domain
from rsportal.followup.models import Payment, Report, ReportDue, Spending
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant

from .test_todo import counting_rows

M = 1_000_000


def _due(grant, days, *, kind=ReportDue.Kind.PERIODIC, delivered=None, elsewhere=""):
    today = timezone.localdate()
    due = ReportDue.objects.create(
        grant=grant, kind=kind, due_date=today + datetime.timedelta(days=days),
        period_start=today - datetime.timedelta(days=400), period_end=today, received_elsewhere=elsewhere,
    )
    if delivered:
        Report.objects.create(grant=grant, due=due, progress="on_track", progress_text="-", owner="-", agreements="formal", user_involvement="-", submitted_by=delivered)
    return due


@pytest.fixture
def pot(world, personas):
    year = timezone.localdate().year
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10 * M, rhf=world.rhf))
    return funding.root_pot(world.rhf)


def _grant(pot, world, personas, title, year=None, amount=M):
    grant = Grant.objects.create(pot=pot, title=title, helsefellesskap=world.hf)
    funding.commit_grant(personas.sysadmin, grant=grant, amounts={year or timezone.localdate().year: amount})
    return grant


def test_late_and_upcoming_reports_are_the_open_deadlines_before_today_and_the_next_one_per_grant(login, world, personas, pot):
    a = _grant(pot, world, personas, "Alfa")
    b = _grant(pot, world, personas, "Beta")
    c = _grant(pot, world, personas, "Gamma")
    late_a1, late_a2 = _due(a, -400), _due(a, -30)
    _due(a, -60, delivered=personas.applicant)
    _due(a, -20, elsewhere="Levert på e-post")
    next_a = _due(a, 0)
    _due(a, 40)
    _due(b, -10, delivered=personas.applicant)
    _due(b, 5, delivered=personas.applicant)
    next_b = _due(b, 100, kind=ReportDue.Kind.FINAL)
    _due(b, 200)
    _due(c, -1, elsewhere="Word")
    response = login(personas.rhf_admin).get(f"/oppfolging/pott/{pot.pk}/")
    late = [(g.pk, d.pk) for g, d in response.context["late"]]
    upcoming = [(g.pk, d.pk) for g, d in response.context["upcoming"]]
    assert late == [(a.pk, late_a1.pk), (a.pk, late_a2.pk)]
    assert upcoming == [(a.pk, next_a.pk), (b.pk, next_b.pk)]
    html = response.content.decode()
    assert html.count("Alfa</a>") == 3 and html.count("Beta</a>") >= 1
    # The rule in SQL is the rule in Python, grant by grant.
    today = timezone.localdate()
    for grant in (a, b, c):
        dues = ReportDue.objects.filter(grant=grant).order_by("due_date", "pk")
        _delivered, late_py, upcoming_py = domain.report_status(list(dues.select_related("report")), today)
        assert list(domain.late_reports_due(dues, today)) == late_py
        assert list(domain.next_reports_due(dues, today)) == upcoming_py[:1]


def _report(grant, due=None, **spending):
    report = Report.objects.create(
        grant=grant, due=due, progress="on_track", progress_text="-", owner="-", agreements="formal", user_involvement="-", submitted_by=grant._who,
    )
    for year, amount in spending.items():
        Spending.objects.create(report=report, year=int(year[1:]), amount=amount)
    return report


@pytest.fixture
def two_years(world, personas, pot):
    """Alfa has money this year and last year, Beta only last year; Alfa's two reports give last
    year's use, and the newer one counts."""
    this = timezone.localdate().year
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=this - 1, name=f"RS {this - 1}", amount=10 * M, rhf=world.rhf))
    alfa = Grant.objects.create(pot=pot, title="Alfa", helsefellesskap=world.hf)
    funding.commit_grant(personas.sysadmin, grant=alfa, amounts={this - 1: 2 * M, this: M})
    beta = _grant(pot, world, personas, "Beta", year=this - 1, amount=500_000)
    Payment.objects.create(grant=alfa, year=this - 1, amount=2 * M, paid_on=datetime.date(this - 1, 3, 1), recorded_by=personas.sysadmin)
    Payment.objects.create(grant=beta, year=this - 1, amount=250_000, paid_on=datetime.date(this - 1, 3, 1), recorded_by=personas.sysadmin)
    for g in (alfa, beta):
        g._who = personas.applicant
    _report(alfa, **{f"y{this - 1}": 900_000})
    _report(alfa, **{f"y{this - 1}": 1_200_000})
    _report(beta, **{f"y{this - 1}": 100_000})
    return this, alfa, beta


def _figures(rows):
    return [(label, r.committed, r.paid, r.used) for label, r in rows]


def test_money_per_year_for_all_years_and_per_project_for_the_chosen_year(login, personas, two_years):
    this, _alfa, _beta = two_years
    client = login(personas.rhf_admin)
    page = client.get(f"/oppfolging/pott/{_alfa.pot.pk}/")
    assert page.context["year"] == this and page.context["years"] == [this - 1, this]
    assert _figures(page.context["year_rows"]) == [(this - 1, 2_500_000, 2_250_000, 1_300_000), (this, M, 0, 0)]
    total = page.context["total"]
    assert (total.committed, total.paid, total.used) == (3_500_000, 2_250_000, 1_300_000)
    assert _figures(page.context["project_rows"]) == [("Alfa", M, 0, 0)]
    html = page.content.decode()
    assert f'<option value="{this - 1}">' in html and f'<option value="{this}" selected>' in html and f"Per prosjekt {this}" in html

    last = client.get(f"/oppfolging/pott/{_alfa.pot.pk}/?ar={this - 1}")
    assert last.context["year"] == this - 1
    assert _figures(last.context["project_rows"]) == [("Alfa", 2 * M, 2 * M, 1_200_000), ("Beta", 500_000, 250_000, 100_000)]
    assert f'<option value="{this - 1}" selected>' in last.content.decode()


def _cost(client, url):
    with CaptureQueriesContext(connection) as captured, counting_rows() as rows:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), rows[0]


def test_the_page_costs_the_same_with_more_closed_history(login, world, personas, pot):
    """Past years' grants whose reports are all delivered (money committed, paid and used) add
    one summary row per year and nothing else: neither queries nor rows fetched."""
    this = timezone.localdate().year
    current = _grant(pot, world, personas, "Nå")
    _due(current, -5)
    _due(current, 30)
    _due(current, 400)
    added = []

    def closed_history(n):
        for _ in range(n):
            year = this - 1 - len(added)
            added.append(year)
            funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10 * M, rhf=world.rhf))
            for i in range(3):
                grant = _grant(pot, world, personas, f"Gammelt {year} {i}", year=year, amount=300_000)
                grant._who = personas.applicant
                Payment.objects.create(grant=grant, year=year, amount=300_000, paid_on=datetime.date(year, 3, 1), recorded_by=personas.sysadmin)
                for days in (-3000, -2000, -1000):
                    _report(grant, due=_due(grant, days - (this - year)), **{f"y{year}": 100_000})

    closed_history(1)
    client = login(personas.rhf_admin)
    url = f"/oppfolging/pott/{pot.pk}/"
    client.get(url)
    queries, rows = _cost(client, url)
    closed_history(4)
    # The per-year summary grows by one row per added year; nothing else may.
    assert _cost(client, url) == (queries, rows + 4 * 3)
