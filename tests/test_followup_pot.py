"""The secretariat's pot follow-up page: late and upcoming reports, and the money one year at a time.
Its cost follows what it shows, not the years of closed history behind it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.followup.models import Report, ReportDue
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
