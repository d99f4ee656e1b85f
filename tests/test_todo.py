"""The front page's to-do list: per role, what waits for the signed-in person, with counts,
deadlines and what is next when nothing waits; a conflicted member never sees the
application among the things to score; the page costs the same with one item as with ten."""

import datetime
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, Call, Participant
from rsportal.assessment.models import Conflict, Decision, FormalCheck, Forwarding, Meeting, Score
from rsportal.followup.models import AfterProject, ReportDue
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant
from rsportal.ideas.models import Idea
from rsportal.payments.models import PartnerRecord, PaymentRequest
from rsportal.registry.models import BodyMember

from . import factories as f
from .test_query_counts import assert_constant

M = 1_000_000


def sections(response, role):
    """{section key: section} of one role's list on the front page."""
    lists = {r.key: r for r in response.context["todo"]}
    return {s.key: s for s in lists[role].sections}


@pytest.fixture
def call(world, personas):
    """A published call of the RHF's root pot: formal check by the community secretariat,
    scored and decided by STU, with the next deadline in 30 days."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=timezone.localdate().year, name="RS", amount=100 * M, rhf=world.rhf))
    call = Call.objects.create(pot=funding.root_pot(world.rhf), title="Runde", status=Call.Status.PUBLISHED, purpose="-")
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    add_default_criteria(call)
    call.steps.create(step="formal_check", body=world.secretariat_body)
    call.steps.create(step="decision", body=world.stu)
    return call


def application(call, world, personas, title, *, status=Application.Status.SUBMITTED, municipality=None, checked=True):
    app = Application.objects.create(
        call=call,
        helsefellesskap=world.hf,
        title=title,
        status=status,
        created_by=personas.applicant,
        submitted_at=timezone.now() if status == Application.Status.SUBMITTED else None,
    )
    Participant.objects.create(application=app, municipality=municipality or world.harstad, is_owner=True)
    if checked:
        FormalCheck.objects.create(application=app, outcome="eligible", checked_by=personas.secretariat)
    return app


def test_applicant_sees_drafts_with_the_deadline_waiting_applications_and_overdue_reports(login, world, personas, call):
    application(call, world, personas, "Mitt utkast", status=Application.Status.DRAFT, municipality=world.tromso, checked=False)
    application(call, world, personas, "Sendt søknad", municipality=world.tromso)
    application(call, world, personas, "Andres søknad", municipality=world.bergen)  # not the applicant's
    grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title="Gammelt prosjekt", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    day = timezone.localdate()
    ReportDue.objects.create(grant=grant, due_date=day - datetime.timedelta(days=10), period_start=day, period_end=day)

    response = login(personas.applicant).get("/")
    todo = sections(response, "applicant")
    assert [i.title for i in todo["drafts"].items] == ["Mitt utkast"]
    assert todo["drafts"].items[0].deadline == timezone.localtime(call.deadlines.get().at).date()
    assert [i.title for i in todo["waiting"].items] == ["Sendt søknad"]
    assert todo["decisions"].count == 0
    assert [(i.title, i.late) for i in todo["reports"].items] == [("Gammelt prosjekt", True)]
    html = response.content.decode()
    assert "Mitt utkast" in html and "Forsinket" in html and "Andres søknad" not in html
    assert "Ingen nye vedtak." in html  # the empty state says what comes next
    assert [r.key for r in response.context["todo"]] == ["applicant"]


def test_secretariat_sees_applications_to_check_and_an_empty_state_with_the_next_deadline(login, world, personas, call):
    waiting = application(call, world, personas, "Til kontroll", checked=False)
    application(call, world, personas, "Kontrollert")
    todo = sections(login(personas.secretariat).get("/"), "secretariat")
    assert [i.title for i in todo["formal_check"].items] == ["Til kontroll"]
    assert todo["formal_check"].items[0].url == f"/vurdering/soknad/{waiting.pk}/formell-kontroll/"

    FormalCheck.objects.create(application=waiting, outcome="eligible", checked_by=personas.secretariat)
    response = login(personas.secretariat).get("/")
    todo = sections(response, "secretariat")
    assert todo["formal_check"].count == 0
    deadline = timezone.localtime(call.deadlines.get().at).date()
    from rsportal.core.formatting import long_date

    assert todo["formal_check"].empty == f"Ingen søknader venter på formell kontroll. Neste søknadsfrist: {long_date(deadline)}."
    assert todo["formal_check"].empty in response.content.decode()
    # Another community's secretariat sees none of it.
    assert sections(login(personas.other_secretariat).get("/"), "secretariat")["formal_check"].count == 0


def test_member_scores_what_is_left_and_never_the_application_they_are_conflicted_in(login, world, personas, call):
    own = application(call, world, personas, "Tromsøs søknad", municipality=world.tromso)
    other = application(call, world, personas, "Harstads søknad")
    application(call, world, personas, "Ikke kontrollert", checked=False)
    member = BodyMember.objects.get(body=world.stu, user=personas.member)
    Conflict.objects.create(application=own, member=member, source="organisation", reason="Representerer Tromsø")
    Meeting.objects.create(call=call, body=world.stu, starts_at=timezone.now() + datetime.timedelta(days=7), location="Tromsø", created_by=personas.secretariat)

    response = login(personas.member).get("/")
    todo = sections(response, "committee")
    assert [i.title for i in todo["score"].items] == ["Harstads søknad"]
    assert "Tromsøs søknad" not in response.content.decode()
    assert todo["declare"].count == 0  # the conflict is already raised
    assert [i.state for i in todo["meeting"].items] == ["Tromsø"]

    # Fully scored: nothing left to score, and the empty state says what comes next.
    Score.objects.bulk_create(Score(application=other, criterion=c, member=member, value=1) for c in call.criteria.all())
    todo = sections(login(personas.member).get("/"), "committee")
    assert todo["score"].count == 0 and "Ingen søknader venter på poengene dine" in todo["score"].empty

    # The chair decides the pending conflict; the observer does not score.
    chair = sections(login(personas.chair).get("/"), "committee")
    assert [i.title for i in chair["decide"].items] == [f"{member.name}: Tromsøs søknad"]
    assert {i.title for i in chair["score"].items} == {"Tromsøs søknad", "Harstads søknad"}
    observer = sections(login(personas.observer).get("/"), "committee")
    assert "score" not in observer and "decide" not in observer and observer["meeting"].count == 1


def test_member_is_asked_to_declare_where_their_organisation_takes_part(login, world, personas, call):
    application(call, world, personas, "Tromsøs søknad", municipality=world.tromso)
    todo = sections(login(personas.member).get("/"), "committee")
    assert [i.title for i in todo["declare"].items] == ["Tromsøs søknad"]
    assert not Conflict.objects.exists()  # listing has no side effects


def test_rhf_admin_sees_headroom_expected_appropriations_and_the_annual_report(login, world, personas, call):
    year = timezone.localdate().year
    Appropriation.objects.create(year=year + 1, name="Forventet", amount=50 * M, rhf=world.rhf, expected=True)
    response = login(personas.rhf_admin).get("/")
    todo = sections(response, "rhf_admin")
    assert [i.state for i in todo["headroom"].items] == ["100\xa0000\xa0000\xa0kr ledig"]  # the root pot, this year
    assert [i.title for i in todo["expected"].items] == [f"Forventet ({year + 1})"]
    assert todo["conditional"].count == 0 and todo["conditional"].empty in response.content.decode()
    assert [i.title for i in todo["annual"].items] == [f"Årsrapport {year - 1} – Helse Nord RHF"]


def test_no_role_no_list(login, personas):
    response = login(personas.outsider).get("/")
    assert response.context["todo"] == []


@pytest.mark.parametrize("who", ["applicant", "secretariat", "member", "chair", "rhf_admin"])
def test_front_page_queries_do_not_grow_with_the_items(login, world, personas, call, who):
    def add(n, status=Application.Status.SUBMITTED, checked=True):
        for i in range(n):
            app = application(call, world, personas, f"Søknad {Application.objects.count()}", status=status, municipality=world.tromso, checked=checked)
            member = BodyMember.objects.get(body=world.stu, user=personas.observer)
            Conflict.objects.create(application=app, member=member, source="other", reason="Nabo")
            grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title=f"Prosjekt {i}", helsefellesskap=world.hf)
            grant.municipalities.add(world.tromso)
            day = timezone.localdate()
            ReportDue.objects.create(grant=grant, due_date=day - datetime.timedelta(days=3), period_start=day, period_end=day)
            Appropriation.objects.create(year=day.year + 1, name=f"Forventet {i}", amount=M, rhf=world.rhf, expected=True)

    def add_all(n):
        add(n)
        add(n, status=Application.Status.DRAFT, checked=False)
        add(n, checked=False)

    add_all(1)
    client = login(getattr(personas, who))
    first = sum(s.count for r in client.get("/").context["todo"] for s in r.sections)
    assert_constant(client, "/", lambda: add_all(9))
    assert sum(s.count for r in client.get("/").context["todo"] for s in r.sections) > first


def test_a_long_section_shows_the_first_items_and_counts_the_rest(login, world, personas, call):
    """The front page fetches at most SHOWN items per long section, whatever the backlog."""
    from rsportal.core import todo

    for i in range(todo.SHOWN + 3):
        grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title=f"Prosjekt {i}", helsefellesskap=world.hf)
        day = timezone.localdate()
        ReportDue.objects.create(grant=grant, due_date=day - datetime.timedelta(days=3 + i), period_start=day, period_end=day)
    response = login(personas.secretariat).get("/")
    overdue = sections(response, "secretariat")["reports_overdue"]
    assert (overdue.count, len(overdue.items), overdue.more) == (todo.SHOWN + 3, todo.SHOWN, 3)
    assert overdue.items[0].title == f"Prosjekt {todo.SHOWN + 2}"  # the oldest deadline first
    assert "og 3 til" in response.content.decode() and 'href="/oppfolging/"' in response.content.decode()


def test_demo_personas_see_their_waiting_work(client, db):
    """Loaded once: each demo persona's front page lists the work the demo leaves them."""
    from django.contrib.auth import get_user_model

    from rsportal.security.testing import force_verified_login

    call_command("load_demo", verbosity=0)
    users = get_user_model().objects

    def page(username):
        client.logout()
        return force_verified_login(client, users.get(username=username)).get("/")

    secretariat = sections(page("sekretariat.nord"), "secretariat")
    assert secretariat["formal_check"].count == 1
    assert [i.title for i in secretariat["payment_requests"].items] == ["Det digitale sykehuset"]  # Alta's second request
    assert secretariat["meetings"].count >= 1
    local = sections(page("sekretariat.tromsofoten"), "secretariat")
    assert [i.state for i in local["prioritise"].items] == ["2 søknader er ikke sendt videre"]
    member = sections(page("stu.medlem"), "committee")
    assert member["score"].count > 0
    conflicted = set(Conflict.objects.filter(member__user__username="stu.medlem").exclude(status="dismissed").values_list("application__title", flat=True))
    assert conflicted and not conflicted & {i.title for i in member["score"].items}
    assert sections(page("stu.leder"), "committee")["decide"].count > 0
    applicant = sections(page("soker.tromso"), "applicant")
    assert applicant["drafts"].count > 0
    assert any(i.late for i in applicant["reports"].items)
    assert "Neste søknadsfrist:" in applicant["drafts"].empty
    # Helse Nord's deadlines are not Kristiansand's: Agder has no call open in the demo.
    kristiansand = sections(page("soker.kristiansand"), "applicant")
    assert kristiansand["drafts"].empty == "Du har ingen utkast. Ingen nye søknadsfrister er satt."
    admin = sections(page("rhf.nord"), "rhf_admin")
    assert admin["expected"].count > 0 and admin["conditional"].count > 0


def test_the_deputy_decides_only_when_the_leader_may_not(login, world, personas, call):
    deputy = f.UserFactory(username="deputy")
    f.seat(world.stu, deputy, role=BodyMember.Role.DEPUTY, side=BodyMember.Side.RHF)
    app = application(call, world, personas, "Søknaden")
    member = BodyMember.objects.get(body=world.stu, user=personas.member)
    Conflict.objects.create(application=app, member=member, source="self", reason="Nabo")
    assert sections(login(personas.chair).get("/"), "committee")["decide"].count == 1
    assert sections(login(deputy).get("/"), "committee")["decide"].count == 0
    # The leader is conflicted in the same application: the deputy decides both, the leader neither.
    Conflict.objects.create(application=app, member=BodyMember.objects.get(body=world.stu, user=personas.chair), source="self", reason="Eier")
    assert sections(login(personas.chair).get("/"), "committee")["decide"].count == 0
    assert sections(login(deputy).get("/"), "committee")["decide"].count == 2


# --- the cost follows what is shown, not the years behind it ----------------------------------


@contextmanager
def counting_rows():
    """Counts the rows the database hands back to Django (every fetch on a cursor), on
    SQLite as on PostgreSQL. Yields a one-element list with the running count."""
    from django.db.backends.utils import CursorWrapper

    fetched = [0]

    def counted(name):
        def fetch(self, *args):
            result = getattr(self.cursor, name)(*args)
            fetched[0] += (result is not None) if name == "fetchone" else len(result)
            return result

        return fetch

    with mock.patch.multiple(CursorWrapper, create=True, fetchone=counted("fetchone"), fetchmany=counted("fetchmany"), fetchall=counted("fetchall")):
        yield fetched


def cost(client) -> tuple[int, int, dict]:
    """(queries, rows fetched, {section: count}) of one request for the front page."""
    with CaptureQueriesContext(connection) as captured, counting_rows() as rows:
        response = client.get("/")
    assert response.status_code == 200
    counts = {(r.key, s.key): s.count for r in response.context["todo"] for s in r.sections}
    return len(captured), rows[0], counts


@pytest.fixture
def open_work(world, personas, call):
    """One piece of open work for each persona: a draft, an application to check, one to
    score with a pending conflict for the chair, an overdue report, a payment request, an
    unpaid partner invoice, an idea looking for partners, a meeting coming up."""
    root = funding.root_pot(world.rhf)
    application(call, world, personas, "Utkast", status=Application.Status.DRAFT, municipality=world.tromso, checked=False)
    application(call, world, personas, "Til kontroll", municipality=world.tromso, checked=False)
    to_score = application(call, world, personas, "Til vurdering", municipality=world.tromso)
    Conflict.objects.create(application=to_score, member=BodyMember.objects.get(body=world.stu, user=personas.member), source="self", reason="Nabo")
    Meeting.objects.create(call=call, body=world.stu, starts_at=timezone.now() + datetime.timedelta(days=7), location="Tromsø", created_by=personas.secretariat)
    grant = Grant.objects.create(pot=root, title="Løpende prosjekt", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    day = timezone.localdate()
    ReportDue.objects.create(grant=grant, due_date=day - datetime.timedelta(days=3), period_start=day, period_end=day)
    PaymentRequest.objects.create(grant=grant, year=day.year, period_start=day, period_end=day, amount=100_000, recipient_municipality=world.tromso, registered_by=personas.applicant, requested_by=personas.applicant)
    PartnerRecord.objects.create(grant=grant, kind=PartnerRecord.Kind.INVOICE, year=day.year, municipality=world.harstad, amount=50_000, on=day - datetime.timedelta(days=90), recorded_by=personas.applicant)
    Idea.objects.create(
        helsefellesskap=world.hf, municipality=world.tromso, created_by=personas.applicant, title="Idé", problem="-", approach="-",
        contact_name="Tove", contact_email="tove@example.invalid", looking_for_partners=True,
    )


def add_closed_years(world, personas, years):
    """Past rounds, finished: per year a closed call with granted, refused and withdrawn
    applications (checked, scored, conflicts settled, decisions adopted), a grant whose report is
    delivered and whose after-project questions are answered, paid payment requests, partner
    invoices covered by transfers, a meeting held and an idea that became an application."""
    root = funding.root_pot(world.rhf)
    member = BodyMember.objects.get(body=world.stu, user=personas.member)
    chair = BodyMember.objects.get(body=world.stu, user=personas.chair)
    for year in years:
        when = timezone.make_aware(datetime.datetime(year, 6, 1, 12))
        day = when.date()
        past = Call.objects.create(pot=root, title=f"Runde {year}", status=Call.Status.CLOSED, purpose="-")
        past.deadlines.create(at=when - datetime.timedelta(days=90))
        add_default_criteria(past)
        past.steps.create(step="formal_check", body=world.secretariat_body)
        past.steps.create(step="local_prioritisation", by_each_helsefellesskap=True)
        past.steps.create(step="decision", body=world.stu)
        for outcome in ("full", "rejected"):
            for municipality in (world.tromso, world.harstad):
                app = application(past, world, personas, f"Søknad {year} {outcome}", municipality=municipality)
                Forwarding.objects.create(application=app, helsefellesskap=world.hf, rank=1, forwarded_by=personas.secretariat)
                Participant.objects.create(application=app, trust=world.trust)
                Score.objects.bulk_create(Score(application=app, criterion=c, member=seat, value=3) for c in past.criteria.all() for seat in (member, chair))
                Conflict.objects.create(application=app, member=chair, source="self", reason="Nabo", status=Conflict.Status.DISMISSED)
                Decision.objects.create(application=app, body=world.stu, outcome=outcome, reason="-", status=Decision.Status.ADOPTED, proposed_by=personas.chair, concluded_at=when)
        withdrawn = application(past, world, personas, f"Trukket {year}", status=Application.Status.WITHDRAWN, municipality=world.tromso, checked=False)
        Idea.objects.create(
            helsefellesskap=world.hf, municipality=world.tromso, created_by=personas.applicant, title=f"Idé {year}", problem="-", approach="-",
            contact_name="Tove", contact_email="tove@example.invalid", looking_for_partners=True, application=withdrawn,
        )
        Meeting.objects.create(call=past, body=world.stu, starts_at=when, location="Tromsø", created_by=personas.secretariat)
        grant = Grant.objects.create(pot=root, title=f"Prosjekt {year}", helsefellesskap=world.hf)
        grant.municipalities.add(world.tromso)
        grant.trusts.add(world.trust)
        for kind in (ReportDue.Kind.PERIODIC, ReportDue.Kind.FINAL):
            ReportDue.objects.create(grant=grant, kind=kind, due_date=day, period_start=day, period_end=day, received_elsewhere="Levert på e-post")
        AfterProject.objects.create(grant=grant, due_date=day, answered_at=when, in_operation="yes")
        for paid in (100_000, 50_000):
            PaymentRequest.objects.create(
                grant=grant, year=year, period_start=day, period_end=day, amount=paid, recipient_municipality=world.tromso, status=PaymentRequest.Status.PAID, registered_by=personas.applicant, requested_by=personas.applicant
            )
        for kind in (PartnerRecord.Kind.INVOICE, PartnerRecord.Kind.TRANSFER):
            PartnerRecord.objects.create(grant=grant, kind=kind, year=year, municipality=world.harstad, amount=40_000, on=day, recorded_by=personas.applicant)


@pytest.mark.parametrize("who", ["applicant", "secretariat", "member", "chair", "rhf_admin"])
def test_front_page_costs_the_same_with_years_of_closed_history(login, world, personas, open_work, who):
    """The front page reads what is open or due, never the decided applications, delivered
    reports, paid requests and settled partner money of past years: queries and rows fetched
    stay the same from one year of history to four, and so does every section's count."""
    add_closed_years(world, personas, [2020])
    client = login(getattr(personas, who))
    client.get("/")  # warm-up: content types, sessions and other per-process caches
    queries, rows, counts = cost(client)
    assert any(counts.values()), "the persona has open work on the page"
    add_closed_years(world, personas, [2017, 2018, 2019])
    assert cost(client) == (queries, rows, counts)


@pytest.mark.parametrize("who", ["applicant", "secretariat"])
def test_open_work_beyond_the_first_ten_is_counted_not_fetched(login, world, personas, call, who):
    """More open work than a section shows (drafts, applications waiting, reports due, questions,
    ideas looking for partners): the page fetches the first SHOWN of each and counts the rest, so
    its rows stay the same however long the lists grow, while the counts follow them."""
    from rsportal.applications.models import Message
    from rsportal.core import todo

    def add(n):
        for _ in range(n):
            i = Application.objects.count()
            application(call, world, personas, f"Utkast {i}", status=Application.Status.DRAFT, municipality=world.tromso, checked=False)
            sent = application(call, world, personas, f"Sendt {i}", municipality=world.tromso)
            Message.objects.create(application=sent, author=personas.applicant, from_applicants=True, body="Et spørsmål")
            answered = application(call, world, personas, f"Besvart {i}", municipality=world.tromso)
            Message.objects.create(application=answered, author=personas.secretariat, from_applicants=False, body="Et svar")
            grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title=f"Prosjekt {i}", helsefellesskap=world.hf)
            grant.municipalities.add(world.tromso)
            day = timezone.localdate()
            ReportDue.objects.create(grant=grant, due_date=day - datetime.timedelta(days=3), period_start=day, period_end=day)
            Idea.objects.create(
                helsefellesskap=world.hf, municipality=world.tromso, created_by=personas.applicant, title=f"Idé {i}", problem="-", approach="-",
                contact_name="Tove", contact_email="tove@example.invalid", looking_for_partners=True,
            )

    add(todo.SHOWN + 1)
    client = login(getattr(personas, who))
    client.get("/")
    queries, rows, counts = cost(client)
    add(4)
    more_queries, more_rows, more_counts = cost(client)
    assert (more_queries, more_rows) == (queries, rows)
    per_round = {"applicant": {"drafts": 1, "questions": 1, "waiting": 2, "reports": 1}, "secretariat": {"questions": 1, "ideas": 1}}[who]
    assert {k: counts[(who, k)] for k in per_round} == {k: n * (todo.SHOWN + 1) for k, n in per_round.items()}
    assert {k: more_counts[(who, k)] for k in per_round} == {k: n * (todo.SHOWN + 5) for k, n in per_round.items()}
