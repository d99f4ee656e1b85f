"""Assessment, the committee meeting and the decision."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, BudgetLine, Call, Participant
from rsportal.assessment import agenda, domain, ranking, voting
from rsportal.assessment.models import Conflict, Forwarding, Score
from rsportal.core.models import AuditEvent, Notification
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Commitment
from rsportal.registry.models import Body, BodyMember

from . import factories as f

M = 1_000_000


@pytest.fixture
def round_(world, personas):
    """A regional call with 10 MNOK for 2027: forwarded by the communities, scored and decided by STU."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2027, name="RS 2027", amount=10 * M, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    call = Call.objects.create(pot=root, title="Andre runde", status=Call.Status.CLOSED, purpose="-", frame_amount=10 * M, frame_year=2027, max_forwarded_per_helsefellesskap=2)
    call.pre_project_caps.create(min_municipalities=1, max_amount=1_500_000)
    add_default_criteria(call)
    call.steps.create(step="formal_check", body=world.rhf_secretariat_body)
    call.steps.create(step="local_prioritisation", by_each_helsefellesskap=True)
    call.steps.create(step="decision", body=world.stu)
    f.seat(world.rhf_secretariat_body, personas.rhf_admin, role=BodyMember.Role.SECRETARY, side=BodyMember.Side.RHF)
    applications = []
    for i, (hf, municipality, amount) in enumerate(
        [(world.hf, world.tromso, 4 * M), (world.hf, world.harstad, 3 * M), (world.hf, world.harstad, M), (world.other_hf, world.alta, 5 * M)]
    ):
        application = Application.objects.create(
            call=call, helsefellesskap=hf, title=f"Prosjekt {i + 1}", status=Application.Status.SUBMITTED, created_by=personas.applicant, submitted_at=timezone.now()
        )
        Participant.objects.create(application=application, municipality=municipality, is_owner=True, contact_name=f"Kontakt {i}", contact_email=f"k{i}@example.invalid")
        Participant.objects.create(application=application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
        BudgetLine.objects.create(application=application, year=2027, kind="grant", amount=amount, description="Tilskudd")
        applications.append(application)
    return call, applications


def forward_all(world, personas, call, applications):
    f.seat(world.secretariat_body.__class__.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekr. Finnmark", helsefellesskap=world.other_hf), personas.other_secretariat)
    domain.forward(personas.secretariat, call, world.hf, ranked=applications[:2], joint=[applications[2]])
    domain.forward(personas.other_secretariat, call, world.other_hf, ranked=[applications[3]], joint=[])


def score_all(member_user, application, values):
    criteria = list(application.call.criteria.all())
    return domain.save_scores(member_user, application, {c.pk: (v, "") for c, v in zip(criteria, values)})


class TestLocalPrioritisation:
    def test_ranked_list_limited_to_the_call_maximum_plus_joint(self, world, personas, round_):
        call, apps = round_
        with pytest.raises(domain.AssessmentError, match="høyst 2"):
            domain.forward(personas.secretariat, call, world.hf, ranked=apps[:3], joint=[])
        domain.forward(personas.secretariat, call, world.hf, ranked=[apps[1], apps[0]], joint=[apps[2]])
        assert list(Forwarding.objects.filter(joint=False).order_by("rank").values_list("application", flat=True)) == [apps[1].pk, apps[0].pk]
        assert Forwarding.objects.get(application=apps[2]).joint

    def test_only_that_communitys_secretariat(self, world, personas, round_):
        call, apps = round_
        for who in ("other_secretariat", "member", "applicant"):
            with pytest.raises(PermissionDenied):
                domain.forward(getattr(personas, who), call, world.hf, ranked=apps[:1], joint=[])

    def test_only_forwarded_applications_reach_the_committee(self, world, personas, round_):
        call, apps = round_
        domain.forward(personas.secretariat, call, world.hf, ranked=apps[:1], joint=[])
        assert list(domain.candidates(call)) == [apps[0]]

    def test_prioritisation_page(self, login, world, personas, round_):
        call, apps = round_
        client = login(personas.secretariat)
        response = client.post(f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/", {f"rank_{apps[0].pk}": "1", f"rank_{apps[1].pk}": "1"})
        assert response.status_code == 400 and "samme prioritet" in response.content.decode()
        response = client.post(f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/", {f"rank_{apps[0].pk}": "2", f"rank_{apps[1].pk}": "1", f"joint_{apps[2].pk}": "1"})
        assert response.status_code == 302
        assert Forwarding.objects.get(application=apps[1]).rank == 1


class TestFormalCheck:
    def test_grey_zone_needs_a_reason(self, world, personas, round_):
        _, apps = round_
        with pytest.raises(domain.AssessmentError):
            domain.record_formal_check(personas.rhf_admin, apps[0], outcome="pre_project", efficient_use=True, not_ordinary_operation=None, digital_compliant=None, note="")
        check = domain.record_formal_check(personas.rhf_admin, apps[0], outcome="pre_project", efficient_use=True, not_ordinary_operation=False, digital_compliant=None, note="Uklart om det er ordinær drift")
        assert check.passes and apps[0].formal_check.outcome == "pre_project"
        assert AuditEvent.objects.filter(action="assessment.formal_check").exists()

    def test_committee_members_do_not_do_the_formal_check(self, world, personas, round_):
        _, apps = round_
        with pytest.raises(PermissionDenied):
            domain.record_formal_check(personas.member, apps[0], outcome="eligible", efficient_use=True, not_ordinary_operation=True, digital_compliant=None, note="")


class TestConflicts:
    def test_member_representing_a_participant_or_named_is_flagged(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        Participant.objects.filter(application=apps[3], trust__isnull=False).update(contact_name=personas.chair.get_full_name())
        domain.detect_conflicts(personas.rhf_admin, call)
        flagged = {(c.application_id, c.member.user.username, c.source) for c in Conflict.objects.select_related("member__user")}
        assert (apps[0].pk, "member", "organisation") in flagged  # member sits for Tromsø
        assert (apps[3].pk, "chair", "named") in flagged
        assert all(c.status == "pending" for c in Conflict.objects.all())

    def test_pending_conflict_blocks_until_the_chair_decides(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        conflict = domain.declare_conflict(personas.member, apps[1], personas.member.seats.get(), "Min svoger leder prosjektet")
        assert conflict.source == "self"
        with pytest.raises(PermissionDenied):
            score_all(personas.member, apps[1], [3, 3, 3, 3, 3, 3])
        assert login(personas.member).get(f"/vurdering/soknad/{apps[1].pk}/poeng/").status_code == 403
        with pytest.raises(PermissionDenied):
            domain.decide_conflict(personas.member, conflict, conflicted=False)
        domain.decide_conflict(personas.chair, conflict, conflicted=False)
        score_all(personas.member, apps[1], [3, 3, 3, 3, 3, 3])
        assert Notification.objects.filter(recipient=personas.chair.email).exists()

    def test_confirmed_conflict_removes_scores_and_hides_the_ranking(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        seat = personas.member.seats.get()
        score_all(personas.member, apps[1], [5, 5, 5, 5, 5, 6])
        conflict = domain.declare_conflict(personas.chair, apps[1], seat, "Er prosjektleder")
        domain.decide_conflict(personas.chair, conflict, conflicted=True)
        assert not Score.objects.filter(member=seat).exists()
        html = login(personas.member).get(f"/vurdering/utlysning/{call.pk}/rangering/").content.decode()
        assert "Prosjekt 2" not in html.split("Rangering med utvalgets vekter")[1]

    def test_chair_cannot_clear_themselves(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        conflict = domain.declare_conflict(personas.member, apps[0], personas.chair.seats.get(), "Navnet står i søknaden")
        with pytest.raises(domain.AssessmentError):
            domain.decide_conflict(personas.chair, conflict, conflicted=False)


class TestScoring:
    def test_scale_is_checked_and_changes_are_audited(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        with pytest.raises(domain.AssessmentError, match="1 til 5"):
            score_all(personas.member, apps[0], [6, 1, 1, 1, 1, 1])
        score_all(personas.member, apps[0], [4, 3, 2, 5, 4, 6])
        score_all(personas.member, apps[0], [5, 3, 2, 5, 4, 6])
        event = AuditEvent.objects.filter(action="assessment.score").order_by("-id").first()
        assert event.data["previous"] == 4 and event.data["value"] == 5 and "(var 4)" in event.summary

    def test_others_scores_hidden_until_own_scoring_is_done(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        score_all(personas.chair, apps[0], [5, 5, 5, 5, 5, 6])
        client = login(personas.member)
        html = client.get(f"/vurdering/soknad/{apps[0].pk}/poeng/").content.decode()
        assert "vises når du selv har gitt poeng" in html
        score_all(personas.member, apps[0], [1, 1, 1, 1, 1, 1])
        assert "Liv" not in html
        html = client.get(f"/vurdering/soknad/{apps[0].pk}/poeng/").content.decode()
        assert personas.chair.get_full_name() in html

    def test_observer_cannot_score(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        with pytest.raises(PermissionDenied):
            score_all(personas.observer, apps[0], [3, 3, 3, 3, 3, 3])


class TestRanking:
    def test_mixed_scales_are_normalised(self, round_):
        call, _ = round_
        criteria = list(call.criteria.all())
        top = {c.pk: Decimal(c.scale_max) for c in criteria}
        bottom = {c.pk: Decimal(c.scale_min) for c in criteria}
        weights = {c.pk: Decimal(c.weight) for c in criteria}
        assert ranking.weighted_score(top, criteria, weights) == Decimal("100.0")
        assert ranking.weighted_score(bottom, criteria, weights) == Decimal("0.0")
        half = {c.pk: Decimal(c.scale_min + c.scale_max) / 2 for c in criteria}
        assert ranking.weighted_score(half, criteria, weights) == Decimal("50.0")

    def test_the_two_tables_can_rank_differently(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        # Prosjekt 1 is strong on patient groups (x3); Prosjekt 2 on the unweighted criteria.
        score_all(personas.member, apps[0], [5, 1, 1, 3, 3, 1])
        score_all(personas.member, apps[1], [1, 5, 5, 3, 3, 6])
        rows = {r.application.title: r for r in ranking.build([apps[0], apps[1]], call.criteria.all(), Score.objects.all())}
        assert rows["Prosjekt 1"].weighted_rank == 1 and rows["Prosjekt 2"].equal_rank == 1

    def test_ranking_page_and_excel(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        for app in apps:
            score_all(personas.member, app, [3, 3, 3, 3, 3, 3])
            score_all(personas.chair, app, [4, 2, 5, 1, 3, 6])
        client = login(personas.rhf_admin)
        html = client.get(f"/vurdering/utlysning/{call.pk}/rangering/").content.decode()
        assert "Rangering med utvalgets vekter og med alle kriterier vektet likt" in html
        assert "Rang, utvalgets vekter" in html and "Rang, likt vektet" in html and "Skår, likt vektet" in html
        # Both rankings in one table: as many rows as applications, not twice as many.
        table = html.split('class="ds-table ranking-table"')[1].split("</table>")[0]
        assert table.count("<tr>") == 1 + len(apps)
        by_equal = client.get(f"/vurdering/utlysning/{call.pk}/rangering/?sortering=likt")
        assert [r.equal_rank for r in by_equal.context["rows"]] == sorted(r.equal_rank for r in by_equal.context["rows"])
        assert "Beslutningsstøtte" in html and "Ren rangering" in html
        response = client.get(f"/vurdering/utlysning/{call.pk}/rangering.xlsx")
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["Utvalgets vekter", "Alle kriterier vektet likt", "Poeng per medlem"]
        # Title, source, note, blank line, header (row 5), four applications.
        assert book["Utvalgets vekter"]["B5"].value == "Søknad" and book["Utvalgets vekter"].max_row == 9
        assert book["Poeng per medlem"].max_row == 4 + 4 * 2 * 6


    def test_ranking_page_says_when_the_optimiser_stopped_at_the_time_limit(self, world, personas, round_, login, monkeypatch):
        import dataclasses

        from rsportal.assessment import queries as assessment_queries

        call, apps = round_
        forward_all(world, personas, call, apps)
        for app in apps:
            score_all(personas.member, app, [3, 3, 3, 3, 3, 3])
            score_all(personas.chair, app, [4, 2, 5, 1, 3, 6])
        client = login(personas.rhf_admin)
        url = f"/vurdering/utlysning/{call.pk}/rangering/"
        assert "Bevist best mulig etter reglene" in client.get(url).content.decode()
        solved = assessment_queries.proposal

        def stopped(candidates, rules):
            return dataclasses.replace(solved(candidates, rules), optimal=False, mip_gap=2.5e-4, status="Time limit reached (gap 2.50e-04)", solve_seconds=20.0)

        monkeypatch.setattr(assessment_queries, "proposal", stopped)
        html = client.get(url).content.decode()
        assert "Ikke bevist best mulig: optimereren stoppet ved tidsgrensen etter 20 sekunder." in html
        assert "høyst 0,025 % under det beste mulige forslaget" in html
        assert "Time limit reached" not in html  # the solver's own words never reach the committee


class TestAgenda:
    def test_order_minimises_leaving_the_room(self):
        items = ["a", "b", "c", "d", "e"]
        conflicts = {"a": {1}, "b": set(), "c": {1}, "d": {2}, "e": {1, 2}}
        assert agenda.count_leaves(items, conflicts.get) == 4
        ordered = agenda.order_items(items, conflicts.get)
        assert agenda.count_leaves(ordered, conflicts.get) == 2
        assert sorted(ordered) == items

    def test_meeting_has_equal_slots_and_records_who_left(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        domain.detect_conflicts(personas.rhf_admin, call)
        start = timezone.make_aware(datetime.datetime(2027, 5, 7, 9, 0))
        meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=start, pitch_minutes=15)
        items = list(meeting.items.all())
        assert len(items) == 4
        assert all(i.planned_end - i.planned_start == datetime.timedelta(minutes=15) for i in items)
        assert items[-1].planned_end == start + datetime.timedelta(hours=1)
        member_seat = personas.member.seats.get()
        tromso_item = next(i for i in items if i.application_id == apps[0].pk)
        domain.start_item(personas.chair, tromso_item, confirm_early=True)  # the meeting is set for next May
        assert list(tromso_item.left_room.all()) == [member_seat]
        html = login(personas.rhf_admin).get(f"/vurdering/mote/{meeting.pk}/").content.decode()
        assert "09.00–09.15" in html and member_seat.name in html
        # The conflicted member's own meeting view hides the item.
        html = login(personas.member).get(f"/vurdering/mote/{meeting.pk}/leder/?sak={tromso_item.order}").content.decode()
        assert "forlate rommet" in html and "Drøfting til protokollen" not in html

    def test_invalid_meeting_keeps_what_was_typed(self, world, personas, round_, login):
        call, apps = round_
        typed = {"starts_at": "2027-05-07T09:00", "location": "Møterom Nordlys", "pitch_minutes": "0", "changeover_minutes": "5"}
        response = login(personas.rhf_admin).post(f"/vurdering/utlysning/{call.pk}/mote/", typed)
        html = response.content.decode()
        assert response.status_code == 400 and "Sjekk møtetidspunktet og minuttene per prosjekt." in html
        assert 'value="Møterom Nordlys"' in html and 'value="2027-05-07T09:00"' in html and 'value="0"' in html
        assert not call.meetings.exists()


class TestVotingRules:
    def test_majority_with_casting_vote(self):
        result = voting.tally("majority", {1: "for", 2: "against", 3: "for", 4: "against"}, {1, 2, 3, 4}, chair=1)
        assert result.adopted and result.casting_vote_used
        assert not voting.tally("majority", {1: "against", 2: "for"}, {1, 2}, chair=1).adopted

    def test_consensus_needs_everyone(self):
        assert not voting.tally("consensus", {1: "for", 2: "for"}, {1, 2, 3}, chair=1).adopted
        assert not voting.tally("consensus", {1: "for", 2: "for", 3: "against"}, {1, 2, 3}, chair=1).adopted
        assert voting.tally("consensus", {1: "for", 2: "for", 3: "abstain"}, {1, 2, 3}, chair=1).adopted

    def test_votes_of_the_ineligible_do_not_count(self):
        assert not voting.tally("majority", {1: "for", 9: "for", 2: "against"}, {1, 2}, chair=2).adopted


def open_item(personas, application):
    """The application's item in a meeting held now, with every seat present, started."""
    item = domain.agenda_item(application, domain.decision_body(application.call))
    if item is None:
        meeting = domain.schedule_meeting(personas.rhf_admin, application.call, starts_at=timezone.now())
        domain.record_attendance(personas.chair, meeting, list(meeting.body.members.all()))
        item = meeting.items.get(application=application)
    return domain.start_item(personas.chair, item)


class TestDecisions:
    def decide(self, personas, application, outcome="full", amounts=None, reason="Godt prosjekt"):
        open_item(personas, application)
        return domain.propose_decision(personas.chair, application, outcome=outcome, amounts=amounts if amounts is not None else {2027: 2 * M}, reason=reason)

    def test_adopted_grant_books_the_money_and_tells_the_applicants(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        decision = self.decide(personas, apps[0], amounts={2027: 4 * M})
        domain.cast_vote(personas.chair, decision, "for")
        with pytest.raises(PermissionDenied):
            domain.cast_vote(personas.observer, decision, "for")
        result = domain.conclude(personas.chair, decision)
        decision.refresh_from_db()
        assert result.adopted and decision.status == "adopted" and decision.grant
        assert list(Commitment.objects.filter(grant=decision.grant).values_list("pot_year__year", "amount")) == [(2027, 4 * M)]
        assert set(decision.grant.municipalities.all()) == {world.tromso}
        assert Notification.objects.filter(recipient="k0@example.invalid", subject__startswith="Vedtak").exists()
        response = login(personas.applicant).get(f"/vurdering/vedtak/{decision.pk}/brev.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert login(personas.other_applicant).get(f"/vurdering/vedtak/{decision.pk}/brev.pdf").status_code == 403

    def test_no_decision_beyond_the_frame(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        # Refused before the vote (tests/test_multiyear_money.py has the per-year figures) ...
        with pytest.raises(domain.AssessmentError, match="ledig"):
            self.decide(personas, apps[0], amounts={2027: 11 * M})
        assert not apps[0].decisions.exists()
        # ... and still when the money is booked, if it was used by something else in between.
        decision = self.decide(personas, apps[0], amounts={2027: 4 * M})
        funding.commit_allocation(personas.rhf_admin, pot=call.pot, year=2027, amount=8 * M, description="Direkte tildeling")
        domain.cast_vote(personas.chair, decision, "for")
        with pytest.raises(domain.AssessmentError, match="ledig"):
            domain.conclude(personas.chair, decision)
        decision.refresh_from_db()
        assert decision.status == "proposed" and not Commitment.objects.filter(kind="grant").exists()

    def test_reason_and_amount_rules(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        with pytest.raises(domain.AssessmentError, match="begrunnes"):
            self.decide(personas, apps[0], reason=" ")
        with pytest.raises(domain.AssessmentError, match="Beskriv"):
            self.decide(personas, apps[0], outcome="partial")
        with pytest.raises(domain.AssessmentError, match="høyst 1\xa0500\xa0000"):
            self.decide(personas, apps[0], outcome="pre_project", amounts={2027: 2 * M})
        with pytest.raises(domain.AssessmentError):
            self.decide(personas, apps[0], outcome="rejected", amounts={2027: M})

    def test_observer_proposes_but_does_not_vote(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        open_item(personas, apps[0])
        decision = domain.propose_decision(personas.observer, apps[0], outcome="rejected", amounts={}, reason="Ikke innenfor formålet")
        with pytest.raises(PermissionDenied):
            domain.cast_vote(personas.observer, decision, "for")

    def test_consensus_body_blocks_on_one_against(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        Body.objects.filter(pk=world.stu.pk).update(decision_rule="consensus")
        decision = self.decide(personas, apps[3])
        domain.cast_vote(personas.chair, decision, "for")
        domain.cast_vote(personas.member, decision, "against")
        assert not domain.conclude(personas.chair, decision).adopted
        assert not Commitment.objects.filter(kind="grant").exists()

    def test_minutes_pdf(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now())
        response = login(personas.rhf_admin).get(f"/vurdering/mote/{meeting.pk}/protokoll.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")


class TestAccess:
    @pytest.mark.parametrize(
        "url",
        [
            "/vurdering/utlysning/{call}/",
            "/vurdering/utlysning/{call}/habilitet/",
            "/vurdering/utlysning/{call}/rangering/",
            "/vurdering/utlysning/{call}/rangering.xlsx",
            "/vurdering/utlysning/{call}/logg/",
            "/vurdering/soknad/{app}/formell-kontroll/",
            "/vurdering/soknad/{app}/poeng/",
        ],
    )
    def test_outsiders_and_applicants_are_refused(self, world, personas, round_, login, url):
        call, apps = round_
        for who in ("outsider", "applicant", "other_secretariat"):
            assert login(getattr(personas, who)).get(url.format(call=call.pk, app=apps[0].pk)).status_code == 403, who

    def test_audit_trail_for_the_secretariat_only(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        score_all(personas.member, apps[0], [3, 3, 3, 3, 3, 3])
        html = login(personas.rhf_admin).get(f"/vurdering/utlysning/{call.pk}/logg/").content.decode()
        assert "Redusert ventetid = 3" in html
        assert login(personas.member).get(f"/vurdering/utlysning/{call.pk}/logg/").status_code == 403


class TestIndex:
    """/vurdering/: the way in for the committee and the secretariat."""

    def test_committee_and_managers_see_the_call_with_its_counts(self, login, world, personas, round_):
        call, applications = round_
        Application.objects.create(call=call, helsefellesskap=world.hf, title="Kladd", created_by=personas.applicant)
        for who in (personas.member, personas.chair, personas.observer, personas.rhf_admin, personas.sysadmin):
            response = login(who).get("/vurdering/")
            assert response.status_code == 200
            calls = list(response.context["calls"])
            assert [c.pk for c in calls] == [call.pk], who.username
            assert calls[0].submitted_count == 4  # the draft is not counted
        page = login(personas.member).get("/").content.decode()
        assert 'href="/vurdering/"' in page

    def test_community_secretariat_is_sent_to_its_local_prioritisation(self, login, world, personas, round_):
        call, _applications = round_
        response = login(personas.secretariat).get("/vurdering/")
        assert list(response.context["calls"]) == []
        assert response.context["prioritisations"] == [(call, world.hf)]
        assert f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/" in response.content.decode()
        # Bergen's secretariat is in another region: nothing to do here.
        response = login(personas.other_secretariat).get("/vurdering/")
        assert list(response.context["calls"]) == [] and response.context["prioritisations"] == []

    def test_applicants_have_nothing_to_assess_and_no_menu_link(self, login, personas, round_):
        response = login(personas.applicant).get("/vurdering/")
        assert response.status_code == 200 and list(response.context["calls"]) == []
        assert 'href="/vurdering/"' not in login(personas.applicant).get("/").content.decode()

    def test_outsider_and_anonymous_are_refused(self, login, personas, round_):
        from django.test import Client

        assert Client().get("/vurdering/")["Location"].startswith("/logg-inn/")
        assert login(personas.outsider).get("/vurdering/").status_code == 403

    def test_constant_number_of_queries(self, login, world, personas, round_):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        call, _applications = round_
        client = login(personas.member)
        client.get("/vurdering/")

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get("/vurdering/").status_code == 200
            return len(queries)

        one = count()
        for i in range(19):
            other = Call.objects.create(pot=call.pot, title=f"Runde {i}", status=Call.Status.CLOSED, purpose="-")
            other.steps.create(step="decision", body=world.stu)
        assert count() == one

    def test_the_list_follows_the_takes_part_rule_for_every_persona(self, world, personas, round_):
        from rsportal.assessment import queries

        call, _applications = round_
        other = Call.objects.create(pot=call.pot, title="Lokal", status=Call.Status.CLOSED, purpose="-")
        other.steps.create(step="decision", body=world.secretariat_body)
        for name in ("applicant", "secretariat", "other_secretariat", "member", "chair", "observer", "rhf_admin", "sysadmin", "outsider"):
            user = getattr(personas, name)
            listed = {c.pk for c in queries.calls_for(user)}
            assert listed == {c.pk for c in (call, other) if domain.takes_part(user, c)}, name
