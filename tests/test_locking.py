"""Optimistic locking: two people (or two tabs) open the same form, the first saves, and the
second's save is refused with a Norwegian message that says who changed what. The first's
data stays as saved, and the second gets the form back with what they typed."""

import html as htmllib
import re

import pytest
from django.test import Client
from django.utils import timezone

from rsportal.assessment import domain
from rsportal.assessment.models import AgendaItem, Conflict, Decision, FormalCheck, Forwarding, Score
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot, Reserve
from rsportal.registry.models import BodyMember
from rsportal.security.testing import force_verified_login

from . import factories as f
from .test_assessment import forward_all, round_  # noqa: F401  (round_ is a fixture)

M = 1_000_000


def signed_in(user) -> Client:
    """A browser of its own: two people at the same time need two sessions."""
    return force_verified_login(Client(), user)


def text(response) -> str:
    return htmllib.unescape(response.content.decode()).replace("\xa0", " ")


def hidden(response, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', response.content.decode())
    assert match, f"no hidden field {name}"
    return htmllib.unescape(match.group(1))


def full_name(user) -> str:
    return user.get_full_name()


# --- 1. money: carry-over and reserves ----------------------------------------


@pytest.fixture
def local_pot(world, personas):
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2026, name="RS 2026", amount=130 * M, rhf=world.rhf))
    root = funding.root_pot(world.rhf)
    local = funding.create_pot(personas.rhf_admin, parent=root, name="Lokal pott", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    funding.transfer(personas.rhf_admin, source=root, target=local, year=2026, amount=M)
    return local


class TestCarryOver:
    url = "/midler/potter/{pk}/overfor-til-neste-ar/"

    def test_second_carry_over_is_refused(self, personas, local_pot):
        first, second = signed_in(personas.rhf_admin), signed_in(personas.secretariat)
        seen_first = hidden(first.get(f"/midler/potter/{local_pot.pk}/"), "carry-expected")
        seen_second = hidden(second.get(f"/midler/potter/{local_pot.pk}/"), "carry-expected")
        response = first.post(self.url.format(pk=local_pot.pk), {"carry-from_year": "2026", "carry-amount": "400000", "carry-expected": seen_first})
        assert response.status_code == 302
        response = second.post(
            self.url.format(pk=local_pot.pk), {"carry-from_year": "2026", "carry-amount": "300000", "carry-note": "Min merknad", "carry-expected": seen_second}
        )
        page = text(response)
        assert response.status_code == 400
        assert "Potten er endret av noen andre" in page and full_name(personas.rhf_admin) in page
        assert dict(local_pot.years.values_list("year", "frame")) == {2026: 600_000, 2027: 400_000}
        assert 'value="300000"' in page and 'value="Min merknad"' in page
        # The page now shows the new figures, and saving again is a choice: it carries the current version.
        assert hidden(response, "carry-expected") == str(Pot.objects.get(pk=local_pot.pk).version)

    def test_single_carry_over(self, personas, local_pot):
        client = signed_in(personas.secretariat)
        seen = hidden(client.get(f"/midler/potter/{local_pot.pk}/"), "carry-expected")
        response = client.post(self.url.format(pk=local_pot.pk), {"carry-from_year": "2026", "carry-amount": "100000", "carry-expected": seen})
        assert response.status_code == 302
        assert dict(local_pot.years.values_list("year", "frame")) == {2026: 900_000, 2027: 100_000}

    def test_a_post_without_the_version_is_refused(self, personas, local_pot):
        client = signed_in(personas.secretariat)
        response = client.post(self.url.format(pk=local_pot.pk), {"carry-from_year": "2026", "carry-amount": "100000"})
        assert response.status_code == 400 and "mangler versjonen av potten" in text(response)
        assert local_pot.years.count() == 1


def test_reserve_without_the_version_is_refused(personas, local_pot):
    client = signed_in(personas.secretariat)
    response = client.post(f"/midler/potter/{local_pot.pk}/avsetning/", {"reserve-year": "2026", "reserve-kind": "administration", "reserve-amount": "5000"})
    assert response.status_code == 400 and "mangler versjonen av potten" in text(response)
    assert 'value="5000"' in text(response)
    assert not Reserve.objects.exists()


def test_reserve_error_keeps_the_version_first_seen(personas, local_pot):
    """After an error of the person's own, a change someone made meanwhile is still caught."""
    client = signed_in(personas.secretariat)
    url = f"/midler/potter/{local_pot.pk}/avsetning/"
    seen = hidden(client.get(f"/midler/potter/{local_pot.pk}/"), "reserve-expected")
    funding.set_reserve(personas.rhf_admin, pot=local_pot, year=2026, kind="administration", amount=100)
    response = client.post(url, {"reserve-year": "2026", "reserve-kind": "administration", "reserve-amount": "mange", "reserve-expected": seen})
    assert response.status_code == 400 and hidden(response, "reserve-expected") == seen
    response = client.post(url, {"reserve-year": "2026", "reserve-kind": "administration", "reserve-amount": "5000", "reserve-expected": seen})
    assert response.status_code == 400 and "endret av noen andre" in text(response)
    assert Reserve.objects.get().amount == 100


# --- 2. formal check ------------------------------------------------------------


class TestFormalCheck:
    def test_second_checker_is_refused(self, world, personas, round_):  # noqa: F811
        _call, apps = round_
        colleague = f.UserFactory(username="kollega", first_name="Kari", last_name="Kollega")
        f.seat(world.rhf_secretariat_body, colleague)
        url = f"/vurdering/soknad/{apps[0].pk}/formell-kontroll/"
        first, second = signed_in(personas.rhf_admin), signed_in(colleague)
        seen_first, seen_second = hidden(first.get(url), "expected"), hidden(second.get(url), "expected")
        assert seen_first == seen_second == ""
        assert first.post(url, {"outcome": "eligible", "note": "", "expected": seen_first}).status_code == 302
        response = second.post(url, {"outcome": "rejected", "note": "Kollegas begrunnelse", "efficient_use": "no", "expected": seen_second})
        page = text(response)
        assert response.status_code == 400
        assert "lagret formell kontroll" in page and full_name(personas.rhf_admin) in page and "Oppfyller kravene" in page
        check = FormalCheck.objects.get(application=apps[0])
        assert (check.outcome, check.checked_by, check.note) == ("eligible", personas.rhf_admin, "")
        assert "Kollegas begrunnelse" in page and '<option value="rejected" selected>' in page
        # Saving again, now knowing what was saved, replaces it.
        assert second.post(url, {"outcome": "rejected", "note": "Kollegas begrunnelse", "expected": hidden(response, "expected")}).status_code == 302
        assert FormalCheck.objects.get(application=apps[0]).outcome == "rejected"

    def test_single_check(self, personas, round_):  # noqa: F811
        _call, apps = round_
        client = signed_in(personas.rhf_admin)
        url = f"/vurdering/soknad/{apps[0].pk}/formell-kontroll/"
        assert client.post(url, {"outcome": "eligible", "expected": hidden(client.get(url), "expected")}).status_code == 302
        response = client.post(url, {"outcome": "pre_project", "note": "Forprosjekt", "expected": hidden(client.get(url), "expected")})
        assert response.status_code == 302 and FormalCheck.objects.get().outcome == "pre_project"


# --- 3. conflict decisions --------------------------------------------------------


def test_second_conflict_decision_is_refused(world, personas, round_):  # noqa: F811
    call, apps = round_
    forward_all(world, personas, call, apps)
    conflict = domain.declare_conflict(personas.member, apps[1], personas.member.seats.get(), "Min svoger leder prosjektet")
    deputy = f.UserFactory(username="nestleder", first_name="Nils", last_name="Nestleder")
    f.seat(world.stu, deputy, role=BodyMember.Role.LEADER, side=BodyMember.Side.RHF)
    url = f"/vurdering/utlysning/{call.pk}/habilitet/"
    first, second = signed_in(personas.chair), signed_in(deputy)
    seen_first, seen_second = hidden(first.get(url), "expected_status"), hidden(second.get(url), "expected_status")
    assert seen_first == seen_second == "pending"
    decide = f"/vurdering/habilitet/{conflict.pk}/avgjor/"
    assert first.post(decide, {"conflicted": "yes", "expected_status": seen_first}).status_code == 302
    response = second.post(decide, {"conflicted": "no", "expected_status": seen_second})
    page = text(response)
    assert response.status_code == 400
    assert f"{full_name(personas.chair)} avgjorde habiliteten til {conflict.member.name}" in page and "inhabil" in page
    assert "Din avgjørelse (habil) er ikke lagret" in page
    conflict.refresh_from_db()
    assert (conflict.status, conflict.decided_by) == (Conflict.Status.CONFIRMED, personas.chair)
    # The re-drawn page offers the current status, so deciding again is deliberate and allowed.
    assert hidden(response, "expected_status") == "confirmed"
    assert second.post(decide, {"conflicted": "no", "expected_status": "confirmed"}).status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == Conflict.Status.DISMISSED


# --- 4 and 5. the meeting: ending an item, proposing a decision ------------------------


@pytest.fixture
def meeting_item(world, personas, round_):  # noqa: F811
    call, apps = round_
    forward_all(world, personas, call, apps)
    secretary = f.UserFactory(username="sekretaer", first_name="Siri", last_name="Sekretær")
    f.seat(world.stu, secretary, role=BodyMember.Role.SECRETARY, side=BodyMember.Side.RHF)
    meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now())
    domain.record_attendance(personas.chair, meeting, list(world.stu.members.all()))
    item = meeting.items.get(application=apps[3])
    domain.start_item(personas.chair, item)
    return item, secretary


def chair_url(item):
    return f"/vurdering/mote/{item.meeting_id}/leder/?sak={item.order}"


class TestEndItem:
    def test_second_end_is_refused(self, personas, meeting_item):
        item, secretary = meeting_item
        first, second = signed_in(personas.chair), signed_in(secretary)
        seen_first, seen_second = hidden(first.get(chair_url(item)), "expected_ended_at"), hidden(second.get(chair_url(item)), "expected_ended_at")
        assert seen_first == seen_second == ""
        end = f"/vurdering/sak/{item.pk}/avslutt/"
        assert first.post(end, {"deliberation": "Leders drøfting", "expected_ended_at": seen_first}).status_code == 302
        response = second.post(end, {"deliberation": "Sekretærens drøfting", "expected_ended_at": seen_second})
        page = text(response)
        assert response.status_code == 400
        assert f"{full_name(personas.chair)} avsluttet sak {item.order}" in page and "Drøftingen din er ikke lagret" in page
        item.refresh_from_db()
        assert item.deliberation == "Leders drøfting" and item.ended_at is not None
        assert ">Sekretærens drøfting</textarea>" in page
        # Replacing the deliberation, now knowing what was saved, is allowed.
        assert hidden(response, "expected_ended_at") == domain.stamp(item.ended_at)
        assert second.post(end, {"deliberation": "Sekretærens drøfting", "expected_ended_at": hidden(response, "expected_ended_at")}).status_code == 302
        assert AgendaItem.objects.get(pk=item.pk).deliberation == "Sekretærens drøfting"

    def test_single_end(self, personas, meeting_item):
        item, _secretary = meeting_item
        client = signed_in(personas.chair)
        seen = hidden(client.get(chair_url(item)), "expected_ended_at")
        assert client.post(f"/vurdering/sak/{item.pk}/avslutt/", {"deliberation": "Kort drøfting", "expected_ended_at": seen}).status_code == 302
        item.refresh_from_db()
        assert item.ended_at and item.deliberation == "Kort drøfting"


class TestProposeDecision:
    def test_second_proposal_does_not_replace_the_first(self, personas, meeting_item):
        item, _secretary = meeting_item
        first, second = signed_in(personas.chair), signed_in(personas.member)
        seen_first, seen_second = hidden(first.get(chair_url(item)), "expected_pending"), hidden(second.get(chair_url(item)), "expected_pending")
        assert seen_first == seen_second == ""
        propose = f"/vurdering/sak/{item.pk}/forslag/"
        assert first.post(propose, {"outcome": "full", "amount_2027": "5000000", "reason": "Godt prosjekt", "expected_pending": seen_first}).status_code == 302
        proposal = Decision.objects.get()
        domain.cast_vote(personas.chair, proposal, "for")
        response = second.post(propose, {"outcome": "rejected", "reason": "Medlemmets begrunnelse", "expected_pending": seen_second})
        page = text(response)
        assert response.status_code == 400
        assert f"{full_name(personas.chair)} la fram et forslag til vedtak (innvilget)" in page and "1 stemmer" in page
        assert Decision.objects.get() == proposal and Decision.objects.get().status == Decision.Status.PROPOSED
        assert proposal.votes.count() == 1
        assert "Medlemmets begrunnelse" in page and '<option value="rejected" selected>' in page
        # Proposing again, now knowing a proposal is pending, replaces it as before.
        assert hidden(response, "expected_pending") == str(proposal.pk)
        again = {"outcome": "rejected", "reason": "Medlemmets begrunnelse", "expected_pending": hidden(response, "expected_pending")}
        assert second.post(propose, again).status_code == 302
        assert set(Decision.objects.values_list("status", flat=True)) == {Decision.Status.PROPOSED, Decision.Status.NOT_ADOPTED}

    def test_a_refused_proposal_comes_back_as_typed(self, personas, meeting_item):
        item, _secretary = meeting_item
        client = signed_in(personas.chair)
        seen = hidden(client.get(chair_url(item)), "expected_pending")
        typed = {"outcome": "partial", "amount_2027": "750000", "reason": "Lang begrunnelse som ikke må gå tapt", "expected_pending": seen}
        response = client.post(f"/vurdering/sak/{item.pk}/forslag/", typed)
        page = text(response)
        assert response.status_code == 400 and "Beskriv hvilken del av prosjektet som får tilskudd." in page
        assert "Lang begrunnelse som ikke må gå tapt" in page and '<option value="partial" selected>' in page and 'value="750000"' in page
        assert not Decision.objects.exists()

    def test_a_rejection_ignores_the_prefilled_amounts(self, personas, meeting_item):
        item, _secretary = meeting_item
        client = signed_in(personas.chair)
        page = client.get(chair_url(item))
        prefilled = dict(re.findall(r'name="(amount_\d{4})" id="[^"]*" value="([^"]+)"', page.content.decode()))
        assert prefilled, "the chair's form starts with the amounts applied for"
        response = client.post(f"/vurdering/sak/{item.pk}/forslag/", {"outcome": "rejected", "reason": "Utenfor formålet", "expected_pending": "", **prefilled})
        assert response.status_code == 302
        decision = Decision.objects.get()
        assert (decision.outcome, decision.total()) == ("rejected", 0)

    def test_single_proposal(self, personas, meeting_item):
        item, _secretary = meeting_item
        client = signed_in(personas.chair)
        seen = hidden(client.get(chair_url(item)), "expected_pending")
        response = client.post(f"/vurdering/sak/{item.pk}/forslag/", {"outcome": "rejected", "reason": "Utenfor formålet", "expected_pending": seen})
        assert response.status_code == 302 and Decision.objects.get().status == Decision.Status.PROPOSED


# --- 6. scores ---------------------------------------------------------------------------


class TestScores:
    def test_second_tab_is_refused(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        forward_all(world, personas, call, apps)
        criteria = list(domain.criteria_of(call))
        url = f"/vurdering/soknad/{apps[0].pk}/poeng/"
        client = signed_in(personas.member)  # one person, one session, two tabs
        tab_one, tab_two = hidden(client.get(url), "expected"), hidden(client.get(url), "expected")
        assert client.post(url, {**{f"score_{c.pk}": "3" for c in criteria}, "expected": tab_one}).status_code == 302
        data = {f"score_{c.pk}": str(c.scale_min + 1) for c in criteria}
        data.update({f"comment_{criteria[0].pk}": "Fra fane to", "expected": tab_two})
        response = client.post(url, data)
        page = text(response)
        assert response.status_code == 400
        assert "i en annen fane eller et annet vindu" in page and f"{criteria[0].name} = 3" in page
        assert set(Score.objects.filter(member__user=personas.member).values_list("value", "comment")) == {(3, "")}
        assert "Fra fane to</textarea>" in page
        assert f'value="{criteria[0].scale_min + 1}" checked' in page
        # Saving again from the re-drawn form is deliberate and allowed.
        data["expected"] = hidden(response, "expected")
        assert client.post(url, data).status_code == 302
        assert Score.objects.get(member__user=personas.member, criterion=criteria[0]).comment == "Fra fane to"

    def test_a_post_without_the_fingerprint_does_not_skip_the_check(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        forward_all(world, personas, call, apps)
        criteria = list(domain.criteria_of(call))
        domain.save_scores(personas.member, apps[0], {c.pk: (3, "") for c in criteria})
        response = signed_in(personas.member).post(f"/vurdering/soknad/{apps[0].pk}/poeng/", {f"score_{criteria[0].pk}": "1"})
        assert response.status_code == 400 and "i en annen fane" in text(response)
        assert Score.objects.get(member__user=personas.member, criterion=criteria[0]).value == 3

    def test_single_save(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        forward_all(world, personas, call, apps)
        criteria = list(domain.criteria_of(call))
        url = f"/vurdering/soknad/{apps[0].pk}/poeng/"
        client = signed_in(personas.member)
        for value in ("2", "4"):
            response = client.post(url, {**{f"score_{c.pk}": value for c in criteria}, "expected": hidden(client.get(url), "expected")})
            assert response.status_code == 302
        assert set(Score.objects.filter(member__user=personas.member).values_list("value", flat=True)) == {4}


# --- 7. local prioritisation -------------------------------------------------------------


class TestPrioritisation:
    def test_second_prioritisation_is_refused(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        url = f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/"
        first, second = signed_in(personas.secretariat), signed_in(personas.rhf_admin)
        seen_first, seen_second = hidden(first.get(url), "expected"), hidden(second.get(url), "expected")
        assert seen_first == seen_second == ""
        assert first.post(url, {f"rank_{apps[0].pk}": "1", f"rank_{apps[1].pk}": "2", "expected": seen_first}).status_code == 302
        response = second.post(url, {f"rank_{apps[1].pk}": "1", f"joint_{apps[2].pk}": "1", "expected": seen_second})
        page = text(response)
        assert response.status_code == 400
        assert f"{full_name(personas.secretariat)} lagret prioriteringen for {world.hf.name}" in page
        assert "Sendt videre nå: 1. Prosjekt 1, 2. Prosjekt 2." in page
        assert list(Forwarding.objects.order_by("rank").values_list("application_id", "rank", "joint")) == [(apps[0].pk, 1, False), (apps[1].pk, 2, False)]
        assert f'id="rank_{apps[1].pk}" name="rank_{apps[1].pk}" value="1"' in page
        assert f'id="joint_{apps[2].pk}" name="joint_{apps[2].pk}" value="1" checked' in page
        assert f'id="rank_{apps[0].pk}" name="rank_{apps[0].pk}" value=""' in page

    def test_own_error_keeps_the_fingerprint_first_seen(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        url = f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/"
        client = signed_in(personas.rhf_admin)
        seen = hidden(client.get(url), "expected")
        domain.forward(personas.secretariat, call, world.hf, ranked=[apps[0]], joint=[])
        response = client.post(url, {f"rank_{apps[0].pk}": "1", f"rank_{apps[1].pk}": "1", "expected": seen})
        assert response.status_code == 400 and "samme prioritet" in text(response) and hidden(response, "expected") == seen
        response = client.post(url, {f"rank_{apps[0].pk}": "2", f"rank_{apps[1].pk}": "1", "expected": seen})
        assert response.status_code == 400 and "lagret prioriteringen" in text(response)
        assert list(Forwarding.objects.values_list("application_id", "rank")) == [(apps[0].pk, 1)]

    def test_single_prioritisation(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        url = f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/"
        client = signed_in(personas.secretariat)
        for ranks in ({apps[0].pk: "1"}, {apps[0].pk: "2", apps[1].pk: "1"}):
            data = {f"rank_{pk}": rank for pk, rank in ranks.items()}
            assert client.post(url, {**data, "expected": hidden(client.get(url), "expected")}).status_code == 302
        assert list(Forwarding.objects.order_by("rank").values_list("application_id", flat=True)) == [apps[1].pk, apps[0].pk]
