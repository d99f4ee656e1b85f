"""The demo round: every persona of the README finds their own work, and the round was built
through the domain functions at its own dates (nothing decided by a tie, nothing after the deadline).

The demo is loaded once for the module, inside a transaction rolled back at the end; each test
runs in its own savepoint, so tests stay independent at the cost of one load."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from rsportal.applications.models import Application, Call
from rsportal.assessment.models import Conflict, Decision, Meeting, Score
from rsportal.followup.models import Payment, ReportDue
from rsportal.core.models import AuditEvent
from rsportal.demo.round import DEMO_TODAY
from rsportal.registry.models import Body, BodyMember
from rsportal.security.testing import force_verified_login


@pytest.fixture
def as_user(demo, db, client):
    def _as(username):
        force_verified_login(client, get_user_model().objects.get(username=username))
        return client

    return _as


def call(title_part: str) -> Call:
    return Call.objects.get(title__contains=title_part)


def application(title_part: str) -> Application:
    return Application.objects.get(title__contains=title_part)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_stu_has_eight_voting_seats_and_the_user_representative_as_observer(demo, db):
    stu = Body.objects.get(kind=Body.Kind.ALLOCATION, rhf__code="HN")
    seats = BodyMember.objects.active_on(DEMO_TODAY).filter(body=stu)
    voting = seats.filter(voting=True)
    assert voting.count() == 8
    assert sorted(voting.values_list("side", flat=True)) == ["municipality"] * 4 + ["rhf"] * 2 + ["trust"] * 2
    assert set(voting.filter(side="rhf").values_list("role", flat=True)) == {BodyMember.Role.LEADER, BodyMember.Role.SECRETARY}
    # One municipal seat for each of the four helsefellesskap.
    communities = {m.municipality.memberships.get().helsefellesskap.code for m in voting.filter(side="municipality")}
    assert communities == {"finnmark", "troms-ofoten", "lvs", "helgeland"}
    observer = seats.get(voting=False)
    assert (observer.side, observer.role, observer.user.username) == ("user_rep", "observer", "stu.observator")
    assert all(seat.user_id for seat in seats)  # every seat can sign in


def test_the_meeting_decided_every_kind_of_outcome_by_majority_of_the_voting_seats(demo, db):
    meeting = Meeting.objects.get(call=call("tilskudd for 2027"))
    assert meeting.starts_at.date() == datetime.date(2026, 11, 18)
    decisions = Decision.objects.filter(application__call=meeting.call, status=Decision.Status.ADOPTED)
    assert {d.outcome for d in decisions} == {"full", "partial", "pre_project", "rejected"}
    for decision in decisions:
        votes = list(decision.votes.values_list("choice", flat=True))
        # Eight voting seats, one sent apologies, at most one conflicted per item: five votes or more.
        assert votes.count("for") > votes.count("against") and len(votes) >= 5, (decision.application.title, votes)
        assert not decision.votes.filter(member__user__username="stu.helgeland").exists()  # absent
        assert not decision.casting_vote_used
        # Conflicted members left the room and did not vote.
        conflicted = {c.member_id for c in decision.application.conflicts.all() if c.blocks}
        assert not conflicted & set(decision.votes.values_list("member_id", flat=True))
        assert decision.item.started_at.date() == decision.concluded_at.date() == datetime.date(2026, 11, 18)
        assert (decision.grant is not None) == (decision.outcome != "rejected")
    assert decisions.get(outcome="partial").proposed_by.username == "stu.observator"  # the observer may propose
    # The deadline held: every application was submitted before it.
    deadline = meeting.call.deadlines.get().at
    assert all(a.submitted_at < deadline for a in meeting.call.applications.all())


def test_minutes_and_letters_render_as_pdf(as_user):
    meeting = Meeting.objects.get(call=call("tilskudd for 2027"))
    response = as_user("stu.observator").get(f"/vurdering/mote/{meeting.pk}/protokoll.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    letter = Decision.objects.get(application=application("Felles kompetanseteam for palliasjon"), status="adopted")
    response = as_user("soker.unn").get(f"/vurdering/vedtak/{letter.pk}/brev.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_applicants_find_their_drafts_co_authors_and_decisions(as_user):
    tromso = page(as_user("soker.tromso"), "/soknader/")
    for title in ("Samhandlingsforløp for gravide", "Digitalt tilsyn og velferdsteknologi", "Hospitering og felles kompetanseplan", "Felles psykisk helseteam"):
        assert title in tromso
    unn = page(as_user("soker.unn"), "/soknader/")
    for title in ("Samhandlingsforløp for gravide", "Digitalt tilsyn og velferdsteknologi", "Felles kompetanseteam for palliasjon", "Ambulant rehabiliteringsteam"):
        assert title in unn
    # The draft is written by both: each has saved sections of it.
    draft = application("Samhandlingsforløp for gravide")
    assert set(draft.section_versions.values_list("saved_by__username", flat=True)) == {"soker.tromso", "soker.unn"}
    assert draft.status == Application.Status.DRAFT
    assert page(as_user("soker.unn"), f"/soknader/{draft.pk}/")
    for username, title in (("soker.alta", "Rekruttering av sykepleiere"), ("soker.bodo", "KOLS-pasienter"), ("soker.vefsn", "Delte jordmorstillinger")):
        assert title in page(as_user(username), "/soknader/"), username


def test_the_rhf_secretariat_finds_the_application_waiting_for_the_formal_check(as_user):
    waiting = application("Delte jordmorstillinger")
    assert waiting.forwarding and not hasattr(waiting, "formal_check")
    client = as_user("sekretariat.nord")
    html = page(client, f"/vurdering/utlysning/{waiting.call_id}/")
    assert "Delte jordmorstillinger" in html and f"/vurdering/soknad/{waiting.pk}/formell-kontroll/" in html
    assert page(client, f"/vurdering/soknad/{waiting.pk}/formell-kontroll/")


def test_troms_og_ofoten_finds_its_applications_to_prioritise(as_user):
    client = as_user("sekretariat.tromsofoten")
    yearly = call("tilskudd for 2028")
    assert f"/vurdering/utlysning/{yearly.pk}/prioritering/troms-ofoten/" in page(client, "/vurdering/")
    html = page(client, f"/vurdering/utlysning/{yearly.pk}/prioritering/troms-ofoten/")
    assert "Hospitering og felles kompetanseplan" in html and "Ambulant rehabiliteringsteam" in html
    assert not Application.objects.filter(call=yearly, helsefellesskap__code="troms-ofoten", forwarding__isnull=False).exists()


def test_the_chair_finds_conflicts_to_decide_and_the_member_finds_scoring_to_do(as_user):
    extra = call("ekstra tildelingsrunde")
    conflicts = Conflict.objects.filter(application__call=extra)
    assert conflicts.filter(status="pending").count() >= 3
    decided = conflicts.get(status="confirmed")
    assert (decided.member.user.username, decided.source) == ("stu.medlem", "organisation")
    assert conflicts.filter(status="dismissed", source="self").exists()
    html = page(as_user("stu.leder"), f"/vurdering/utlysning/{extra.pk}/habilitet/")
    assert html.count(f'action="/vurdering/habilitet/') >= 3

    client = as_user("stu.medlem")
    html = page(client, f"/vurdering/utlysning/{extra.pk}/")
    assert "Du er inhabil" in html  # Tromsø's application: they leave the room
    member = BodyMember.objects.get(user__username="stu.medlem", body__kind=Body.Kind.ALLOCATION)
    to_score = [a for a in extra.applications.all() if a.pk != decided.application_id]
    assert to_score and not Score.objects.filter(member=member, application__call=extra).exists()
    response = client.get(f"/vurdering/soknad/{to_score[0].pk}/poeng/")
    assert response.status_code == 200 and response.context["can_score"] and response.context["hidden"]
    assert Score.objects.filter(application__call=extra).values("member").distinct().count() >= 3  # others have scored


def test_the_next_meeting_is_set_and_the_round_happened_before_the_demo_day(demo, db):
    upcoming = Meeting.objects.get(call=call("ekstra tildelingsrunde"))
    assert upcoming.starts_at.date() > DEMO_TODAY and upcoming.items.count() == 4
    assert not upcoming.items.filter(started_at__isnull=False).exists()
    # Every application event was recorded by the domain functions, at its own date before the demo day.
    trail = AuditEvent.objects.filter(object_type="applications.application")
    assert trail.filter(action="application.submitted").count() == Application.objects.filter(submitted_at__isnull=False).count() == 12
    assert all(at.date() < DEMO_TODAY for at in trail.values_list("at", flat=True))


def test_grants_have_payments_and_delivered_and_overdue_reports(as_user):
    delivered = ReportDue.objects.get(grant__title="Det trygge boalternativet", kind="final")
    assert delivered.report.submitted_by.username == "soker.tromso" and delivered.report.submitted_at.date() < delivered.due_date
    overdue = ReportDue.objects.filter(report__isnull=True, received_elsewhere="", due_date__lt=DEMO_TODAY)
    assert overdue.filter(grant__title__startswith="Forprosjekt: Utredning av piloter").exists()
    assert Payment.objects.filter(grant__title="Det trygge boalternativet").get().amount == 1_700_000
    html = page(as_user("soker.tromso"), "/oppfolging/")
    assert "Det trygge boalternativet" in html
    response = as_user("sekretariat.nord").get(f"/oppfolging/tilskudd/{delivered.grant.pk}/")
    assert dict(response.context["year_rows"])[2025].paid == 1_700_000
    assert "Levert" in response.content.decode()
    late = overdue.filter(grant__trusts__code="UNN").first().grant
    assert "Forsinket" in page(as_user("soker.unn"), f"/oppfolging/tilskudd/{late.pk}/")


def test_the_rhf_the_observer_and_the_outsider(as_user):
    calls = page(as_user("rhf.nord"), "/vurdering/")
    for title in ("tilskudd for 2027", "ekstra tildelingsrunde 2027", "tilskudd for 2028"):
        assert title in calls
    assert "Regional søknadsbasert ordning Helse Nord" in page(as_user("rhf.nord"), "/oppfolging/")
    meeting = Meeting.objects.get(call=call("tilskudd for 2027"))
    html = page(as_user("stu.observator"), f"/vurdering/mote/{meeting.pk}/")
    assert "Felles kompetanseteam for palliasjon" in html and "Rekruttering av sykepleiere" in html
    assert as_user("utenforstaende").get("/vurdering/").status_code == 403


def test_a_community_secretariat_opens_every_decision_letter_its_pages_link_to(as_user):
    """Troms og Ofoten's secretariat reads its community's applications in the regional call
    without taking part in the assessment; the adopted decision is public, so its letter opens."""
    import re

    client = as_user("sekretariat.tromsofoten")
    decided = Application.objects.filter(helsefellesskap__code="troms-ofoten", decisions__status=Decision.Status.ADOPTED).distinct()
    assert decided.exists()
    letters = set()
    for application in decided:
        page = client.get(f"/soknader/{application.pk}/vis/")
        assert page.status_code == 200
        letters |= set(re.findall(r'href="(/vurdering/vedtak/\d+/brev\.pdf)"', page.content.decode()))
    assert letters
    for url in letters:
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", url


def test_finnmark_has_ideas_before_applications_with_a_connected_partner(as_user):
    html = page(as_user("sekretariat.finnmark"), "/prosjektideer/")
    assert "Felles ambulant jordmortjeneste i Vest-Finnmark" in html and "Digitale hjemmebesøk for eldre etter utskrivning" in html
    assert "Hammerfest" in html and "koblet" in html
    assert "Felles ambulant jordmortjeneste" not in page(as_user("sekretariat.tromsofoten"), "/prosjektideer/")
    # The idea still looking for partners is on the secretariat's to-do list.
    assert "Digitale hjemmebesøk for eldre etter utskrivning" in page(as_user("sekretariat.finnmark"), "/")
