"""Decisions a committee can trust: who votes, quorum, attendance, the chair's conflicts,
the order of a meeting and the date-time a meeting starts."""

import datetime
import itertools
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from rsportal.assessment import domain, meeting_rules
from rsportal.assessment.forms import MeetingForm
from rsportal.assessment.models import AgendaItem, Conflict, Decision, Meeting, Vote
from rsportal.core.dates import parse_datetime
from rsportal.core.models import AuditEvent, Notification
from rsportal.registry.models import Body, BodyMember

from . import factories as f
from .test_assessment import forward_all, open_item, round_  # noqa: F401

Side, Role = BodyMember.Side, BodyMember.Role


def person(username):
    return f.UserFactory(username=username, first_name=username.capitalize(), last_name="Testesen")


def board_case_stu(world, personas):
    """STU as board case 154-2024 makes it: 4 municipal leaders/deputies, 2 from the trusts,
    2 from Helse Nord RHF as leader and secretary (8 voting), and the user representative as
    observer. The fixture's chair and member are two of the eight."""
    seats = {"chair": personas.chair.seats.get(body=world.stu), "municipal_1": personas.member.seats.get(body=world.stu)}
    for name in ("municipal_2", "municipal_3", "municipal_4"):
        seats[name] = f.seat(world.stu, person(name), side=Side.MUNICIPALITY)
    for name in ("trust_1", "trust_2"):
        seats[name] = f.seat(world.stu, person(name), side=Side.TRUST, trust=None)
    seats["secretary"] = f.seat(world.stu, person("secretary"), role=Role.SECRETARY, side=Side.RHF, basis="Styresak 154-2024: oppnevnt av adm. dir. i Helse Nord RHF")
    seats["observer"] = personas.observer.seats.get(body=world.stu)
    return seats


def minute_taker(body, username="referent"):
    return BodyMember.objects.create(body=body, user=person(username), name=f"{username.capitalize()} Testesen", side=Side.RHF, role=Role.MINUTE_TAKER, voting=False, start=datetime.date(2020, 1, 1))


def meeting_now(personas, call):
    return domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now())


def started(personas, meeting, application, actor=None):
    return domain.start_item(actor or personas.chair, meeting.items.get(application=application))


def propose(actor, application, item):
    return domain.propose_decision(actor, application, outcome="rejected", amounts={}, reason="Utenfor formålet", item=item)


class TestWhoVotes:
    def test_board_case_stu_has_eight_voting_seats_and_an_observer(self, world, personas):
        seats = board_case_stu(world, personas)
        assert len(meeting_rules.voting_seats(world.stu)) == 8
        assert seats["secretary"].voting and seats["secretary"].voting_label == "Ja"
        assert not seats["observer"].voting and seats["observer"].voting_label == "Nei, observatør med tale- og forslagsrett"

    def test_a_minute_taker_never_votes_and_is_not_counted(self, world, personas):
        board_case_stu(world, personas)
        seat = minute_taker(world.stu)
        assert seat.voting_label == "Nei, referent"
        assert seat.pk not in {s.pk for s in meeting_rules.voting_seats(world.stu)}
        with pytest.raises(IntegrityError), transaction.atomic():
            BodyMember.objects.filter(pk=seat.pk).update(voting=True)

    def test_body_page_shows_each_seats_voting_right_side_and_basis(self, world, personas, login):
        board_case_stu(world, personas)
        minute_taker(world.stu)
        Body.objects.filter(pk=world.stu.pk).update(requires_both_sides=True)
        html = login(personas.secretariat).get(f"/helsefellesskap/{world.hf.code}/").content.decode()
        section = html.split("Regionale organer")[1]
        assert "Tildelingsutvalget" in section and "Nei, referent" in section and "Nei, observatør med tale- og forslagsrett" in section
        assert "Styresak 154-2024: oppnevnt av adm. dir. i Helse Nord RHF" in section
        assert "Regionalt helseforetak" in section and "Helseforetak" in section and "Kommune" in section
        assert "Mer enn halvparten" in section and "både kommunesiden og foretakssiden" in section


class TestQuorum:
    def test_no_vote_before_attendance_is_recorded(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = meeting_now(personas, call)
        item = started(personas, meeting, apps[1])
        decision = propose(personas.chair, apps[1], item)
        with pytest.raises(domain.AssessmentError, match="oppmøtet er registrert"):
            domain.cast_vote(personas.chair, decision, "for")
        with pytest.raises(domain.AssessmentError, match="oppmøtet er registrert"):
            domain.conclude(personas.chair, decision)
        assert not Vote.objects.exists() and Decision.objects.get(pk=decision.pk).status == "proposed"

    def test_more_than_half_of_the_voting_members_present_and_not_conflicted(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        seats = board_case_stu(world, personas)
        meeting = meeting_now(personas, call)
        four = [seats[k] for k in ("chair", "municipal_2", "trust_1", "secretary")]
        domain.record_attendance(personas.chair, meeting, [*four, seats["observer"]])
        item = started(personas, meeting, apps[1])
        decision = propose(personas.chair, apps[1], item)
        with pytest.raises(domain.AssessmentError) as refused:
            domain.cast_vote(personas.chair, decision, "for")
        assert "ikke vedtaksført" in str(refused.value) and "4 av 8" in str(refused.value) and "minst 5" in str(refused.value)
        # The fifth arrives: now the body can decide.
        domain.record_attendance(personas.chair, meeting, [*four, seats["municipal_3"]])
        domain.cast_vote(personas.chair, decision, "for")
        assert meeting_rules.quorum(item).counted == 5

    def test_a_conflicted_member_present_does_not_count(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        domain.detect_conflicts(personas.rhf_admin, call)  # the member sits for Tromsø: conflicted on apps[0]
        seats = board_case_stu(world, personas)
        meeting = meeting_now(personas, call)
        domain.record_attendance(personas.chair, meeting, [seats[k] for k in ("chair", "municipal_1", "municipal_2", "trust_1", "secretary")])
        item = started(personas, meeting, apps[0])
        decision = propose(personas.chair, apps[0], item)
        check = meeting_rules.quorum(item)
        assert not check.ok and check.counted == 4
        with pytest.raises(domain.AssessmentError, match="4 av 8"):
            domain.conclude(personas.chair, decision)

    def test_both_sides_must_be_represented_where_the_body_requires_it(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        seats = board_case_stu(world, personas)
        Body.objects.filter(pk=world.stu.pk).update(quorum=Body.Quorum.AT_LEAST_HALF, requires_both_sides=True)
        meeting = meeting_now(personas, call)
        municipal = [seats[f"municipal_{i}"] for i in range(1, 5)]
        domain.record_attendance(personas.chair, meeting, [seats["chair"], *municipal])
        item = started(personas, meeting, apps[1])
        decision = propose(personas.member, apps[1], item)
        domain.record_attendance(personas.chair, meeting, municipal)  # the chair steps out: four of eight is half
        with pytest.raises(domain.AssessmentError, match="foretakssiden er ikke til stede"):
            domain.cast_vote(personas.member, decision, "for")
        domain.record_attendance(personas.chair, meeting, [*municipal, seats["trust_1"]])
        domain.cast_vote(personas.member, decision, "for")
        assert Vote.objects.filter(decision=decision).count() == 1

    def test_an_existing_body_without_configuration_keeps_working(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        assert world.stu.quorum == Body.Quorum.MORE_THAN_HALF and not world.stu.requires_both_sides
        item = open_item(personas, apps[1])
        decision = propose(personas.chair, apps[1], item)
        domain.cast_vote(personas.chair, decision, "for")
        domain.cast_vote(personas.member, decision, "for")
        assert domain.conclude(personas.chair, decision).adopted


class TestAttendance:
    def test_chair_records_who_is_present_and_it_is_audited(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = meeting_now(personas, call)
        chair, member = personas.chair.seats.get(), personas.member.seats.get()
        domain.record_attendance(personas.chair, meeting, [chair, member])
        meeting.refresh_from_db()
        assert set(meeting.present.all()) == {chair, member} and meeting.attendance_recorded_at
        event = AuditEvent.objects.get(action="assessment.attendance")
        assert chair.name in event.summary and event.data["present"] == [chair.pk, member.pk]

    def test_only_those_running_the_meeting_and_only_the_bodys_seats(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = meeting_now(personas, call)
        for who in (personas.member, personas.observer, personas.rhf_admin):
            with pytest.raises(PermissionDenied):
                domain.record_attendance(who, meeting, [])
        stranger = f.seat(world.secretariat_body, person("fremmed"))
        with pytest.raises(domain.AssessmentError, match="har ikke sete"):
            domain.record_attendance(personas.chair, meeting, [stranger])
        assert not meeting.present.exists()

    def test_absent_member_cannot_vote(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        board_case_stu(world, personas)
        meeting = meeting_now(personas, call)
        present = [s for s in meeting_rules.voting_seats(world.stu) if s.user_id != personas.member.pk]
        domain.record_attendance(personas.chair, meeting, present)
        item = started(personas, meeting, apps[1])
        decision = propose(personas.chair, apps[1], item)
        with pytest.raises(domain.AssessmentError, match="ikke registrert som til stede"):
            domain.cast_vote(personas.member, decision, "for")

    def test_votes_count_the_attendance_as_saved_not_as_an_old_copy_of_the_meeting(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = meeting_now(personas, call)
        item = next(i for i in meeting.items.all() if i.application_id == apps[1].pk)  # carries the meeting as loaded before the attendance
        domain.record_attendance(personas.chair, Meeting.objects.get(pk=meeting.pk), list(world.stu.members.all()))  # another copy, as a second tab
        domain.start_item(personas.chair, item)
        decision = propose(personas.chair, apps[1], item)
        assert domain.eligible_voters(decision) == {personas.chair.seats.get().pk, personas.member.seats.get().pk}
        domain.cast_vote(personas.chair, decision, "for")
        domain.cast_vote(personas.member, decision, "for")
        assert domain.conclude(personas.chair, decision).explanation == "Vedtatt med 2 mot 0 stemmer."

    def test_attendance_form_on_the_chair_page(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = meeting_now(personas, call)
        chair, member, observer = (p.seats.get() for p in (personas.chair, personas.member, personas.observer))
        client = login(personas.chair)
        page = client.get(f"/vurdering/mote/{meeting.pk}/leder/").content.decode()
        assert "Registrer oppmøte" in page and "Organet kan ikke stemme før oppmøtet er registrert" in page
        response = client.post(f"/vurdering/mote/{meeting.pk}/oppmote/", {"present": [chair.pk, observer.pk], "sak": "2"})
        assert response.status_code == 302 and response["Location"].endswith("?sak=2")
        assert set(meeting.present.all()) == {chair, observer}
        page = client.get(f"/vurdering/mote/{meeting.pk}/leder/").content.decode()
        assert "1 av 2 stemmeberettigede er til stede" in page
        assert login(personas.member).post(f"/vurdering/mote/{meeting.pk}/oppmote/", {"present": [member.pk]}).status_code == 403
        assert set(meeting.present.all()) == {chair, observer}

    def test_minutes_show_presence_voting_right_and_its_reason(self, world, personas, round_, login, monkeypatch):
        call, apps = round_
        forward_all(world, personas, call, apps)
        seats = board_case_stu(world, personas)
        meeting = meeting_now(personas, call)
        domain.record_attendance(personas.chair, meeting, [seats["chair"], seats["secretary"]])
        captured = {}
        from rsportal.assessment import documents

        def fake_pdf(template, context):
            from django.template.loader import render_to_string

            captured["html"] = render_to_string(template, context)
            return b"%PDF-1.4"

        monkeypatch.setattr(documents, "pdf", fake_pdf)
        assert login(personas.chair).get(f"/vurdering/mote/{meeting.pk}/protokoll.pdf").status_code == 200
        html = captured["html"]
        assert "Forfall" in html and "Nei, observatør med tale- og forslagsrett" in html and "Styresak 154-2024" in html
        row = re.search(r"<tr><td>Secretary Testesen</td>.*?</tr>", html).group(0)
        assert "Sekretær" in row and "Regionalt helseforetak" in row and "<td>Ja</td>" in row


# --- conflicts: nobody is ever shut out for good -------------------------------------------


def conflict_body(world, personas, *, deputy: bool):
    """STU with leader, (deputy,) two members and a minute-taker; the secretariat side manages."""
    people = {"chair": personas.chair, "member": personas.member}
    if deputy:
        people["deputy"] = person("deputy")
        f.seat(world.stu, people["deputy"], role=Role.DEPUTY, side=Side.TRUST)
    people["member2"] = person("member2")
    f.seat(world.stu, people["member2"], side=Side.MUNICIPALITY)
    people["minute_taker"] = minute_taker(world.stu, "minute_taker").user
    people["secretariat"] = personas.rhf_admin
    return people


def settle(people, conflict, outcome):
    """Everyone the rules allow acts on the conflict until it is decided; asserts that someone
    always may, that the member concerned never may, and that the others are refused."""
    for _round in range(len(people) + 1):
        conflict.refresh_from_db()
        if conflict.decided_at:
            return conflict
        allowed = [name for name, user in people.items() if domain.may_decide_conflict(user, conflict)]
        concerned = conflict.member.user
        assert allowed, f"nobody may decide the conflict of {conflict.member.name}"
        assert concerned.username not in allowed
        # The body decides itself; the secretariat only where no other voting member exists.
        assert "secretariat" not in allowed, f"the secretariat decides the conflict of {conflict.member.name}"
        for name, user in people.items():
            if name not in allowed:
                with pytest.raises((PermissionDenied, domain.AssessmentError)):
                    domain.decide_conflict(user, conflict, conflicted=True)
        for index, name in enumerate(allowed):
            conflict.refresh_from_db()
            if conflict.decided_at:
                break
            choice = {"confirm": True, "dismiss": False, "split": index % 2 == 0}[outcome]
            domain.decide_conflict(people[name], conflict, conflicted=choice)
    conflict.refresh_from_db()
    assert conflict.decided_at, f"the conflict of {conflict.member.name} was never decided"
    return conflict


class TestConflictsAlwaysResolvable:
    @pytest.mark.parametrize("deputy", [True, False], ids=["with-deputy", "no-deputy"])
    @pytest.mark.parametrize("outcome", ["confirm", "dismiss", "split"])
    def test_every_combination_of_who_is_conflicted_and_who_decides(self, world, personas, round_, deputy, outcome):
        call, apps = round_
        forward_all(world, personas, call, apps)
        people = conflict_body(world, personas, deputy=deputy)
        concerned = [n for n in ("chair", "deputy", "member", "member2") if n in people]
        application = apps[1]
        walked = 0
        for size in range(0, len(concerned) + 1):
            for combination in itertools.combinations(concerned, size):
                Conflict.objects.filter(application=application).delete()
                conflicts = [
                    Conflict.objects.create(application=application, member=people[n].seats.get(body=world.stu), source="other", reason="Mulig inhabil", raised_by=personas.rhf_admin)
                    for n in combination
                ]
                # Settle in every order a meeting might take them up.
                for conflict in conflicts:
                    settle(people, conflict, outcome)
                assert not Conflict.objects.filter(application=application, decided_at__isnull=True).exists(), combination
                walked += 1
        assert walked == 2 ** len(concerned)

    def test_the_deputy_decides_about_the_chair(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        people = conflict_body(world, personas, deputy=True)
        conflict = domain.declare_conflict(personas.member, apps[1], personas.chair.seats.get(), "Navnet står i søknaden")
        assert Notification.objects.filter(recipient=people["deputy"].email, subject__startswith="Habilitet må vurderes").exists()
        assert not Notification.objects.filter(recipient=personas.chair.email).exists()
        with pytest.raises(domain.AssessmentError, match="egen habilitet"):
            domain.decide_conflict(personas.chair, conflict, conflicted=False)
        with pytest.raises(PermissionDenied):
            domain.decide_conflict(personas.member, conflict, conflicted=False)
        domain.decide_conflict(people["deputy"], conflict, conflicted=False)
        conflict.refresh_from_db()
        assert conflict.status == "dismissed" and conflict.decided_by == people["deputy"]

    def test_without_a_deputy_the_body_votes_without_the_chair(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        people = conflict_body(world, personas, deputy=False)
        conflict = domain.declare_conflict(personas.member, apps[1], personas.chair.seats.get(), "Navnet står i søknaden")
        assert {m.user for m in meeting_rules.conflict_voters(conflict)} == {personas.member, people["member2"]}
        client = login(personas.member)
        page = client.get(f"/vurdering/utlysning/{call.pk}/habilitet/").content.decode()
        assert f'action="/vurdering/habilitet/{conflict.pk}/avgjor/"' in page
        client.post(f"/vurdering/habilitet/{conflict.pk}/avgjor/", {"conflicted": "yes", "expected_status": "pending"})
        conflict.refresh_from_db()
        assert conflict.status == "pending" and conflict.votes.count() == 1  # one of two is no majority
        domain.decide_conflict(people["member2"], conflict, conflicted=True)
        conflict.refresh_from_db()
        assert conflict.status == "confirmed"
        assert "av organet ved avstemning (2 inhabil, 0 habil)" in AuditEvent.objects.filter(action="assessment.conflict_decided").latest("pk").summary

    def test_a_lone_member_is_decided_by_the_secretariat(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        BodyMember.objects.filter(body=world.stu).exclude(user=personas.chair).delete()
        conflict = domain.declare_conflict(personas.chair, apps[1], personas.chair.seats.get(), "Navnet står i søknaden")
        assert meeting_rules.conflict_deciders(conflict) == [] and meeting_rules.conflict_voters(conflict) == []
        assert domain.may_decide_conflict(personas.rhf_admin, conflict)
        domain.decide_conflict(personas.rhf_admin, conflict, conflicted=True)
        conflict.refresh_from_db()
        assert conflict.status == "confirmed"


class TestDeputyChairs:
    def test_deputy_chairs_the_item_the_chair_must_leave_and_holds_the_casting_vote(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        deputy_user = person("deputy")
        deputy = f.seat(world.stu, deputy_user, role=Role.DEPUTY, side=Side.TRUST)
        other = f.seat(world.stu, person("member2"), side=Side.MUNICIPALITY)
        chair = personas.chair.seats.get()
        conflict = domain.declare_conflict(personas.member, apps[1], chair, "Navnet står i søknaden")
        domain.decide_conflict(deputy_user, conflict, conflicted=True)
        meeting = meeting_now(personas, call)
        domain.record_attendance(personas.chair, meeting, [chair, deputy, personas.member.seats.get(), other])
        item = meeting.items.get(application=apps[1])
        with pytest.raises(PermissionDenied):
            domain.start_item(personas.chair, item)
        item = domain.start_item(deputy_user, item)
        assert meeting_rules.acting_chair(item) == deputy
        decision = propose(deputy_user, apps[1], item)
        domain.cast_vote(deputy_user, decision, "for")
        domain.cast_vote(other.user, decision, "against")
        with pytest.raises(PermissionDenied):
            domain.conclude(personas.chair, decision)
        result = domain.conclude(deputy_user, decision)
        assert result.adopted and result.casting_vote_used


# --- the order of a meeting -------------------------------------------------------------------


class TestOrder:
    def test_no_proposal_or_vote_before_the_item_is_started(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = meeting_now(personas, call)
        domain.record_attendance(personas.chair, meeting, list(world.stu.members.all()))
        item = meeting.items.get(application=apps[1])
        with pytest.raises(domain.AssessmentError, match="ikke startet"):
            propose(personas.chair, apps[1], item)
        assert not Decision.objects.exists()
        # A proposal sneaked in before the start (e.g. by a script) cannot be voted on either.
        decision = Decision.objects.create(application=apps[1], item=item, body=world.stu, outcome="rejected", reason="-", proposed_by=personas.chair)
        with pytest.raises(domain.AssessmentError, match="ikke startet"):
            domain.cast_vote(personas.chair, decision, "for")
        with pytest.raises(domain.AssessmentError, match="ikke startet"):
            domain.conclude(personas.chair, decision)

    def test_no_proposal_outside_a_meeting(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        with pytest.raises(domain.AssessmentError, match="står ikke på dagsorden"):
            domain.propose_decision(personas.chair, apps[1], outcome="rejected", amounts={}, reason="-")

    def test_starting_long_before_the_date_needs_the_chairs_confirmation(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now() + datetime.timedelta(days=30))
        item = meeting.items.order_by("order").first()
        client = login(personas.chair)
        page = client.get(f"/vurdering/mote/{meeting.pk}/leder/").content.decode()
        assert 'name="confirm_early"' in page
        response = client.post(f"/vurdering/sak/{item.pk}/start/")
        assert response.status_code == 400 and "Bekreft at møtet holdes nå" in response.content.decode()
        assert AgendaItem.objects.get(pk=item.pk).started_at is None
        assert client.post(f"/vurdering/sak/{item.pk}/start/", {"confirm_early": "1"}).status_code == 302
        assert AgendaItem.objects.get(pk=item.pk).started_at is not None
        assert "før oppsatt tid" in AuditEvent.objects.get(action="assessment.item_started").summary
        # Once under way, the next items start without asking again.
        second = meeting.items.get(order=2)
        domain.start_item(personas.chair, second)

    def test_a_meeting_today_or_tomorrow_starts_without_confirmation(self, world, personas, round_):
        call, apps = round_
        forward_all(world, personas, call, apps)
        meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now() + datetime.timedelta(hours=20))
        assert domain.start_item(personas.chair, meeting.items.first()).started_at


class TestMeetingStart:
    @pytest.mark.parametrize(
        "typed",
        [
            "15.01.2027 10.00",
            "15.01.2027 10:00",
            "15.01.2027 kl. 10.00",
            "15.01.2027 kl 10.00",
            "15.1.2027, kl. 10",
            "15. januar 2027 kl. 10.00",
            "15. Januar 2027 kl. 10.00",
            "15 jan. 2027 10.00",
            "2027-01-15 10:00",
            "2027-01-15T10:00",
            "  15.01.2027   10.00 ",
        ],
    )
    def test_what_norwegians_type(self, typed):
        assert parse_datetime(typed) == datetime.datetime(2027, 1, 15, 10, 0)

    @pytest.mark.parametrize("typed", ["", "15.01.2027", "31.02.2027 10.00", "15.01.2027 25.00", "15. jaanuar 2027 10.00", "01/15/2027 10:00", "i morgen"])
    def test_what_is_refused(self, typed):
        assert parse_datetime(typed) is None

    def test_meeting_form_reads_the_norwegian_form_and_explains_errors(self):
        form = MeetingForm({"starts_at": "15. januar 2027 kl. 10.00", "pitch_minutes": "15", "changeover_minutes": "0"})
        assert form.is_valid(), form.errors
        assert timezone.localtime(form.cleaned_data["starts_at"]).replace(tzinfo=None) == datetime.datetime(2027, 1, 15, 10, 0)
        form = MeetingForm({"starts_at": "15/01/2027", "pitch_minutes": "15", "changeover_minutes": "0"})
        assert not form.is_valid() and "Skriv dato og klokkeslett slik: 15.01.2027 10.00" in form.errors["starts_at"][0]

    def test_meeting_is_scheduled_from_the_call_page(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        response = login(personas.rhf_admin).post(f"/vurdering/utlysning/{call.pk}/mote/", {"starts_at": "7. mai 2027 kl. 09.00", "pitch_minutes": "15", "changeover_minutes": "0"})
        assert response.status_code == 302
        assert timezone.localtime(call.meetings.get().starts_at).strftime("%d.%m.%Y %H.%M") == "07.05.2027 09.00"


# --- the small defects ------------------------------------------------------------------------


class TestLabels:
    def test_my_vote_is_shown_as_its_label_and_the_timer_has_one(self, world, personas, round_, login):
        call, apps = round_
        forward_all(world, personas, call, apps)
        item = open_item(personas, apps[1])
        decision = propose(personas.chair, apps[1], item)
        domain.cast_vote(personas.member, decision, "against")
        page = login(personas.member).get(f"/vurdering/mote/{item.meeting_id}/leder/?sak={item.order}").content.decode()
        assert "Din stemme: Mot" in page and "Din stemme: against" not in page
        assert 'aria-labelledby="timer-label"' in page and 'id="timer-label"' in page and "Taletid igjen" in page

    def test_community_secretariat_stays_on_its_prioritisation_and_sees_no_forbidden_links(self, world, personas, round_, login):
        call, apps = round_
        client = login(personas.secretariat)
        url = f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/"
        response = client.post(url, {f"rank_{apps[0].pk}": "1"}, follow=True)
        assert response.status_code == 200 and response.redirect_chain[-1][0] == url
        html = response.content.decode()
        assert "Prioriteringen er lagret og sendt videre." in html
        for href in set(re.findall(r'href="(/vurdering/[^"]*)"', html)):
            assert client.get(href).status_code == 200, href

    def test_committee_member_gets_no_tab_to_the_audit_trail(self, world, personas, round_, login):
        call, apps = round_
        client = login(personas.member)
        html = client.get(f"/vurdering/utlysning/{call.pk}/").content.decode()
        for href in set(re.findall(r'href="(/vurdering/utlysning/[^"]*)"', html)):
            assert client.get(href).status_code == 200, href
        assert f"/vurdering/utlysning/{call.pk}/logg/" in login(personas.rhf_admin).get(f"/vurdering/utlysning/{call.pk}/").content.decode()
