"""Decisions a committee can trust (issue 10, items 4 and 5): multi-year money is checked
against every year before the vote, a pending proposal can be withdrawn and amended, and a
grant keeps the application's owners apart from its other participants."""

import datetime
import itertools
import random

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from rsportal.applications import domain as applications
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.lifecycle import ApplicationError
from rsportal.applications.models import Application, BudgetLine, Call, Participant
from rsportal.assessment import domain, proposals
from rsportal.assessment.models import Decision
from rsportal.assessment.optimiser import Candidate, Rules, propose
from rsportal.catalogue import statistics
from rsportal.core.formatting import kroner
from rsportal.core.models import AuditEvent
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Commitment

from . import factories as f
from .test_assessment import open_item

M = 1_000_000


@pytest.fixture
def call(world, personas):
    """The pot has frames for 2027 (10 MNOK) and 2028 (3 MNOK) only; the call allows five-year projects."""
    for year, amount in ((2027, 10 * M), (2028, 3 * M)):
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=amount, rhf=world.rhf))
    call = Call.objects.create(
        pot=funding.root_pot(world.rhf), title="Flerårig runde", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=10 * M, frame_year=2027, max_project_years=5
    )
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    call.steps.create(step="decision", body=world.stu)
    add_default_criteria(call)
    return call


def submitted(call, world, personas, title, amounts, *, partners=()):
    """A submitted application owned by Tromsø, with UNN and `partners` taking part, applying for `amounts` per year."""
    application = Application.objects.create(
        call=call, helsefellesskap=world.hf, title=title, status=Application.Status.SUBMITTED, created_by=personas.applicant, submitted_at=timezone.now()
    )
    Participant.objects.create(application=application, municipality=world.tromso, is_owner=True, contact_name="Tove", contact_email="tove@example.invalid")
    Participant.objects.create(application=application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
    for municipality in partners:
        Participant.objects.create(application=application, municipality=municipality, contact_name="Hanne", contact_email="hanne@example.invalid")
    for year, amount in amounts.items():
        BudgetLine.objects.create(application=application, year=year, kind="grant", amount=amount, description="Tilskudd")
    return application


# --- 1. at submission ------------------------------------------------------------------


class TestSubmission:
    def test_budget_years_outside_the_project_the_call_or_the_pot_are_problems(self, call, world, personas, login, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        application = applications.start_application(personas.applicant, call=call, title="Trygg hjemkomst", type="project", helsefellesskap=world.hf)
        applications.add_participant(personas.applicant, application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
        f.fill_completely(application, personas.applicant, municipality=world.tromso, trust=world.trust)  # 2028–2029, grant 2028
        assert applications.submission_problems(application) == []

        for year in (2030, 2040):
            BudgetLine.objects.create(application=application, year=year, kind="grant", amount=M, description="Drift")
        problems = applications.submission_problems(application)
        assert {p.section for p in problems} == {"budsjett"}
        assert [p.message for p in problems] == [
            "Budsjettet har år utenfor prosjektperioden (2028–2029): 2030, 2040. Endre budsjettet eller planlagt oppstart og avslutning.",
            "Utlysningen tillater prosjekter på høyst 5 år, så det kan søkes om tilskudd til og med 2032. Det søkes om tilskudd for 2040.",
            "Potten til utlysningen har midler for 2027, 2028, men ikke for 2030, 2040. Det kan ikke søkes om tilskudd for år uten midler.",
        ]
        with pytest.raises(ApplicationError, match="utenfor prosjektperioden"):
            applications.submit(personas.applicant, application)
        assert Application.objects.get(pk=application.pk).status == "draft"
        html = login(personas.applicant).get(f"/soknader/{application.pk}/").content.decode()
        assert "Alt som kreves er fylt ut" not in html
        assert "til og med 2032. Det søkes om tilskudd for 2040." in html

        # Within the period, the call's length and the pot's years, it goes in.
        Application.objects.filter(pk=application.pk).update(end_date=datetime.date(2030, 12, 31))
        BudgetLine.objects.filter(application=application, year=2040).delete()
        application.refresh_from_db()
        assert [p.message for p in applications.submission_problems(application)] == [
            "Potten til utlysningen har midler for 2027, 2028, men ikke for 2030. Det kan ikke søkes om tilskudd for år uten midler."
        ]
        funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2030, name="RS 2030", amount=5 * M, rhf=world.rhf, expected=True))
        assert applications.submission_problems(application) == []
        applications.submit(personas.applicant, application)
        assert Application.objects.get(pk=application.pk).status == "submitted"

    def test_the_length_is_counted_from_the_planned_start(self, call, world, personas):
        application = submitted(call, world, personas, "Fra sommeren", {2028: M, 2033: M})
        Application.objects.filter(pk=application.pk).update(start_date=datetime.date(2028, 7, 1), end_date=datetime.date(2033, 6, 30))
        application.refresh_from_db()
        messages = applications.budget_year_problems(application)
        # Five years from 1 July 2028 end on 30 June 2033: 2033 is within the call, only the pot lacks it.
        assert messages == ["Potten til utlysningen har midler for 2027, 2028, men ikke for 2033. Det kan ikke søkes om tilskudd for år uten midler."]


# --- 2. the optimiser -----------------------------------------------------------------


def test_the_optimiser_keeps_every_year_within_its_frame():
    # 2027 has room for all three; 2028 has 4 MNOK, so the two best cannot both be funded.
    candidates = [
        Candidate(1, "A", "h", 3 * M, 90.0, amounts_by_year=((2027, 3 * M), (2028, 3 * M))),
        Candidate(2, "B", "h", 3 * M, 80.0, amounts_by_year=((2027, 3 * M), (2028, 3 * M))),
        Candidate(3, "C", "h", 3 * M, 50.0, amounts_by_year=((2027, 3 * M), (2028, M))),
        Candidate(4, "D", "h", M, 70.0, amounts_by_year=((2027, M), (2029, M))),
    ]
    rules = Rules(frame=10 * M, year_frames={2027: 10 * M, 2028: 4 * M})
    proposal = propose(candidates, rules)
    assert proposal.selected == [1, 3]
    assert proposal.plain_selected == [1, 3]
    assert "i 2028" in proposal.reasons[2]
    assert proposal.reasons[4] == f"Ute: potten har ingen ramme for 2029, som det søkes om {kroner(M)} for"
    # Without the year frames, only the first year counts, and 2028 would need 7 MNOK.
    assert propose(candidates, Rules(frame=10 * M)).selected == [1, 2, 4, 3]


def _brute_best(candidates, rules):
    best = None
    for r in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, r):
            years = {}
            for c in subset:
                for year, amount in c.amounts_by_year:
                    years[year] = years.get(year, 0) + amount
            if sum(c.amount for c in subset) <= rules.frame and all(total <= rules.year_frames.get(year, -1) for year, total in years.items()):
                value = sum(c.score for c in subset)
                best = value if best is None else max(best, value)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_the_optimum_with_year_frames_matches_brute_force(seed):
    rng = random.Random(seed)
    candidates = []
    for key in range(1, 12):
        first = rng.choice([2027, 2028])
        years = tuple((first + i, rng.randint(2, 40) * 100_000) for i in range(rng.randint(1, 3)))
        candidates.append(Candidate(key, f"P{key}", "h", years[0][1] if years[0][0] == 2027 else rng.randint(1, 5) * 100_000, round(rng.uniform(30, 95), 2), amounts_by_year=years))
    rules = Rules(frame=8 * M, year_frames={2027: 8 * M, 2028: rng.randint(2, 8) * M, 2029: rng.randint(1, 6) * M})
    proposal = propose(candidates, rules)
    by_key = {c.key: c for c in candidates}
    chosen = [by_key[k] for k in proposal.selected]
    for year, frame in rules.year_frames.items():
        assert sum(dict(c.amounts_by_year).get(year, 0) for c in chosen) <= frame
    assert not any(year not in rules.year_frames for c in chosen for year, _amount in c.amounts_by_year)
    assert proposal.total_score == pytest.approx(_brute_best(candidates, rules), abs=1e-6)


def test_the_ranking_page_proposes_a_selection_that_fits_every_year(call, world, personas, login):
    best = submitted(call, world, personas, "Best", {2027: 4 * M, 2028: 2 * M})
    second = submitted(call, world, personas, "Nest best", {2027: 4 * M, 2028: 2 * M})
    third = submitted(call, world, personas, "Tredje", {2027: M, 2028: 500_000})
    for application, value in ((best, 5), (second, 4), (third, 2)):
        for user in (personas.member, personas.chair):
            domain.save_scores(user, application, {c.pk: (value, "") for c in call.criteria.all()})
    response = login(personas.rhf_admin).get(f"/vurdering/utlysning/{call.pk}/rangering/?balanse=0&bonus=0")
    proposal = response.context["proposal"]
    # The first year alone (9 of 10 MNOK) would take all three: 4.5 MNOK in 2028, where the pot has 3.
    assert proposal.selected == [best.pk, third.pk]
    chosen = Application.objects.filter(pk__in=proposal.selected)
    for year, frame in ((2027, 10 * M), (2028, 3 * M)):
        assert sum(a.applied_by_year().get(year, 0) for a in chosen) <= frame
    assert response.context["proposal_years"] == [(2027, 10 * M, 5 * M), (2028, 3 * M, 2_500_000)]


def test_the_calls_own_grants_do_not_shrink_its_proposal(call, world, personas, login):
    """As the call's decisions are adopted, its grants take money from the pot; its proposal still
    weighs the money the call had, with the granted applications among the candidates, not against
    what their own grants left."""
    best = submitted(call, world, personas, "Best", {2027: 4 * M, 2028: 2 * M})
    second = submitted(call, world, personas, "Nest best", {2027: 4 * M, 2028: 2 * M})
    third = submitted(call, world, personas, "Tredje", {2027: M, 2028: 500_000})
    for application, value in ((best, 5), (second, 4), (third, 2)):
        for user in (personas.member, personas.chair):
            domain.save_scores(user, application, {c.pk: (value, "") for c in call.criteria.all()})
    client = login(personas.rhf_admin)
    url = f"/vurdering/utlysning/{call.pk}/rangering/?balanse=0&bonus=0"
    before = client.get(url).context
    open_item(personas, best)
    decision = domain.propose_decision(personas.chair, best, outcome="full", amounts={2027: 4 * M, 2028: 2 * M}, reason="Godt prosjekt")
    domain.cast_vote(personas.chair, decision, "for")
    domain.cast_vote(personas.member, decision, "for")
    assert domain.conclude(personas.chair, decision).adopted
    assert Commitment.objects.filter(grant=Decision.objects.get(pk=decision.pk).grant).count() == 2
    after = client.get(url).context
    assert after["proposal_years"] == before["proposal_years"] == [(2027, 10 * M, 5 * M), (2028, 3 * M, 2_500_000)]
    assert after["proposal"].selected == before["proposal"].selected == [best.pk, third.pk]


# --- 3. before the vote -----------------------------------------------------------------


def test_a_proposal_over_a_years_headroom_is_refused_before_anyone_votes(call, world, personas):
    application = submitted(call, world, personas, "Toårig", {2027: 2 * M, 2028: 4 * M})
    funding.commit_allocation(personas.rhf_admin, pot=call.pot, year=2028, amount=M, description="Direkte tildeling")
    open_item(personas, application)
    with pytest.raises(domain.AssessmentError) as refused:
        domain.propose_decision(personas.chair, application, outcome="full", amounts={2027: 2 * M, 2028: 4 * M, 2029: M}, reason="Godt prosjekt")
    message = str(refused.value)
    assert f"2028: foreslått {kroner(4 * M)}, ramme {kroner(3 * M)}, bundet fra før {kroner(M)}, ledig {kroner(2 * M)} (mangler {kroner(2 * M)})" in message
    assert f"2029: foreslått {kroner(M)}, men potten har ingen ramme for 2029" in message
    assert "2027:" not in message  # the year that fits is not in the refusal
    assert not application.decisions.exists() and not Commitment.objects.filter(kind="grant").exists()
    # Within every year it is put to the vote, and booked when adopted.
    decision = domain.propose_decision(personas.chair, application, outcome="full", amounts={2027: 2 * M, 2028: 2 * M}, reason="Godt prosjekt")
    domain.cast_vote(personas.chair, decision, "for")
    domain.cast_vote(personas.member, decision, "for")
    assert domain.conclude(personas.chair, decision).adopted
    assert sorted(Commitment.objects.filter(kind="grant").values_list("pot_year__year", "amount")) == [(2027, 2 * M), (2028, 2 * M)]


@pytest.fixture
def item(call, world, personas):
    application = submitted(call, world, personas, "Toårig", {2027: 2 * M, 2028: 4 * M})
    return open_item(personas, application)


def test_the_chair_page_shows_each_year_against_the_headroom(item, personas, login):
    client = login(personas.chair)
    html = client.get(f"/vurdering/mote/{item.meeting_id}/leder/?sak={item.order}").content.decode()
    assert 'id="money-per-year"' in html and "Ramme i potten" in html
    assert f"Går over med {kroner(M)}" in html  # 2028: 4 MNOK applied, 3 MNOK free
    assert "Beløpene går ut over ledige midler for 2028." in html
    response = client.post(
        f"/vurdering/sak/{item.pk}/forslag/", {"outcome": "full", "amount_2027": "2000000", "amount_2028": "4000000", "reason": "Svært godt", "expected_pending": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f"ramme {kroner(3 * M)}, bundet fra før {kroner(0)}, ledig {kroner(3 * M)} (mangler {kroner(M)})" in html
    assert "Svært godt" in html  # what was typed stays
    assert not Decision.objects.exists()


class TestWithdrawAndAmend:
    def propose(self, personas, item, amounts, who=None):
        return domain.propose_decision(who or personas.chair, item.application, outcome="full", amounts=amounts, reason="Godt prosjekt", item=item)

    def test_amend_replaces_the_pending_proposal_and_its_votes_lapse(self, item, personas, login):
        first = self.propose(personas, item, {2027: 2 * M, 2028: 3 * M})
        domain.cast_vote(personas.member, first, "for")
        client = login(personas.chair)
        html = client.get(f"/vurdering/mote/{item.meeting_id}/leder/?sak={item.order}").content.decode()
        assert "Endre forslaget" in html and "Trekk forslaget" in html
        assert "Forslaget til avstemning mot ledige midler per år" in html
        response = client.post(
            f"/vurdering/sak/{item.pk}/forslag/",
            {"outcome": "partial", "part_description": "Første fase", "amount_2027": "2000000", "amount_2028": "1000000", "reason": "Halvparten", "expected_pending": str(first.pk)},
        )
        assert response.status_code == 302
        first.refresh_from_db()
        assert first.status == "not_adopted"
        amended = domain.pending_proposal(item.application)
        assert amended.outcome == "partial" and amended.amounts == {"2027": 2 * M, "2028": M} and not amended.votes.exists()
        # A member who neither proposed nor runs the meeting is not offered the change.
        html = login(personas.member).get(f"/vurdering/mote/{item.meeting_id}/leder/?sak={item.order}").content.decode()
        assert "Trekk forslaget" not in html

    def test_withdraw_by_the_proposer_or_the_chair_is_audited(self, item, personas, login):
        decision = self.propose(personas, item, {2027: 2 * M, 2028: 3 * M})
        domain.cast_vote(personas.member, decision, "for")
        with pytest.raises(PermissionDenied):
            proposals.withdraw_proposal(personas.member, decision, "Vil ikke")
        with pytest.raises(domain.AssessmentError, match="hvorfor"):
            proposals.withdraw_proposal(personas.chair, decision, "  ")
        response = login(personas.chair).post(f"/vurdering/vedtak/{decision.pk}/trekk/", {"reason": "Budsjettet må endres"})
        assert response.status_code == 302
        decision.refresh_from_db()
        assert decision.status == "not_adopted" and decision.concluded_at
        event = AuditEvent.objects.get(action="assessment.decision_withdrawn")
        assert "1 avgitte stemmer faller bort: Budsjettet må endres" in event.summary
        with pytest.raises(domain.AssessmentError):
            domain.conclude(personas.chair, decision)
        with pytest.raises(domain.AssessmentError, match="ikke lenger til avstemning"):
            proposals.withdraw_proposal(personas.chair, decision, "Igjen")
        # The item is open for a new proposal; an observer who proposes may withdraw their own.
        again = domain.propose_decision(personas.observer, item.application, outcome="rejected", amounts={}, reason="Utenfor formålet", item=item, expected_pending="")
        proposals.withdraw_proposal(personas.observer, again, "Feil sak")
        assert Decision.objects.get(pk=again.pk).status == "not_adopted"
        assert not Commitment.objects.filter(kind="grant").exists()


# --- 4. owners and participants -----------------------------------------------------------


def test_a_grant_keeps_the_owners_apart_from_the_participants(call, world, personas):
    application = submitted(call, world, personas, "Felles prosjekt", {2027: 2 * M}, partners=[world.harstad])
    open_item(personas, application)
    decision = domain.propose_decision(personas.chair, application, outcome="full", amounts={2027: 2 * M}, reason="Godt prosjekt")
    domain.cast_vote(personas.chair, decision, "for")
    domain.cast_vote(personas.member, decision, "for")
    assert domain.conclude(personas.chair, decision).adopted
    grant = Decision.objects.get(pk=decision.pk).grant

    assert set(grant.municipalities.all()) == {world.tromso} and not grant.trusts.exists()
    assert grant.owners() == [world.tromso]
    assert set(grant.participants()) == {world.tromso, world.harstad, world.trust}

    grants = statistics.portfolio()  # this grant alone
    owners = {r.code: r.projects for r in statistics.ownership(grants).rows}
    assert owners["municipality"] == 1 and sum(owners.values()) == 1
    assert {r.code: r.projects for r in statistics.cooperation(grants).rows}["one"] == 1
    participation = statistics.municipality_participation(grants, world.rhf)
    assert sum(r.participating for r in participation.rows) == 1  # Harstad takes part but owns nothing
