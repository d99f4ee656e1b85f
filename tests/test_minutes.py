"""The minutes (protokoll): meeting and case numbers, what the minutes say, draft and approved
versions (approval by the leader or secretary, audited, frozen), the redacted minutes of a
conflicted member, and the print rules shared by every PDF."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from rsportal.assessment import documents, domain, minutes
from rsportal.assessment.models import Conflict, Decision, Meeting
from rsportal.core.models import AuditEvent
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation
from rsportal.registry.models import BodyMember

from . import factories as f
from .test_assessment import forward_all, round_  # noqa: F401

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
Side, Role = BodyMember.Side, BodyMember.Role
DELIBERATION = "Utvalget la vekt på de minste kommunene."
CONFLICT_REASON = "Gift med prosjektlederen i Tromsø kommune"


def person(username, first, last):
    return f.UserFactory(username=username, first_name=first, last_name=last)


@pytest.fixture
def printed(monkeypatch):
    """The HTML each minutes PDF is printed from (the text a reader gets), without printing."""
    pages = []

    def pdf(template, context):
        pages.append(documents.render_to_string(template, {**context, "generated_at": timezone.now()}))
        return b"%PDF-1.4 (test)\n"

    monkeypatch.setattr(documents, "pdf", pdf)
    return pages


def text_of(printed, user, meeting) -> str:
    meeting.refresh_from_db()
    minutes.render(user, meeting)
    return printed[-1].replace("\xa0", " ")


@pytest.fixture
def held(world, personas, round_):  # noqa: F811
    """STU's meeting held today: the leader chairs, a secretary and a minute-taker, four more
    voting members, one of them absent; the member (Tromsø) is conflicted on the first item.
    Item 1 is granted 1 250 000 kr a year for two years (3-1, 1 abstained, 1 conflicted);
    on item 2 a grant falls 1-3 and nothing else is proposed."""
    call, apps = round_
    forward_all(world, personas, call, apps)
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2028, name="RS 2028", amount=10_000_000, rhf=world.rhf))
    seats = {
        "secretary": f.seat(world.stu, person("sekretaer", "Sigrid", "Sekretær"), role=Role.SECRETARY, side=Side.RHF),
        "taker": BodyMember.objects.create(
            body=world.stu, user=person("referent", "Rolf", "Referent"), name="Rolf Referent", side=Side.RHF, role=Role.MINUTE_TAKER, voting=False, start=datetime.date(2020, 1, 1)
        ),
    }
    for username, first in (("v1", "Anne"), ("v2", "Bjørn"), ("v3", "Cecilie"), ("absent", "Dag")):
        seats[username] = f.seat(world.stu, person(username, first, "Medlem"), side=Side.TRUST)
    Conflict.objects.create(application=apps[0], member=personas.member.seats.get(body=world.stu), source="self", reason=CONFLICT_REASON, status="confirmed")
    meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now(), location="Bodø")
    domain.record_attendance(personas.chair, meeting, [s for s in world.stu.members.all() if s.pk != seats["absent"].pk])
    first = meeting.items.get(application=apps[0])
    domain.start_item(personas.chair, first)
    granted = domain.propose_decision(personas.chair, apps[0], outcome="full", amounts={2027: 1_250_000, 2028: 1_250_000}, reason="Godt forankret")
    for user, choice in ((personas.chair, "for"), (seats["secretary"].user, "for"), (seats["v1"].user, "for"), (seats["v2"].user, "against"), (seats["v3"].user, "abstain")):
        domain.cast_vote(user, granted, choice)
    assert domain.conclude(personas.chair, granted).adopted
    domain.end_item(personas.chair, first, DELIBERATION)
    second = meeting.items.get(application=apps[1])
    domain.start_item(personas.chair, second)
    fallen = domain.propose_decision(seats["v1"].user, apps[1], outcome="full", amounts={2027: 3_000_000}, reason="Bør prøves")
    for user, choice in ((seats["v1"].user, "for"), (personas.chair, "against"), (seats["secretary"].user, "against"), (seats["v2"].user, "against")):
        domain.cast_vote(user, fallen, choice)
    assert not domain.conclude(personas.chair, fallen).adopted
    domain.end_item(personas.chair, second, "")
    meeting.refresh_from_db()
    return meeting, seats, apps


class TestNumbers:
    def test_meetings_are_numbered_per_body_and_year_and_cases_run_through_the_year(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        forward_all(world, personas, call, apps)
        first = domain.schedule_meeting(personas.rhf_admin, call, starts_at=datetime.datetime(2026, 3, 5, 9, tzinfo=OSLO))
        second = domain.schedule_meeting(personas.rhf_admin, call, starts_at=datetime.datetime(2026, 11, 18, 9, tzinfo=OSLO))
        next_year = domain.schedule_meeting(personas.rhf_admin, call, starts_at=datetime.datetime(2027, 1, 14, 9, tzinfo=OSLO))
        assert (first.year, first.number, first.label) == (2026, 1, "Møte 1/2026")
        assert (second.number, second.label) == (2, "Møte 2/2026")
        assert (next_year.number, next_year.label) == (1, "Møte 1/2027")
        assert [i.case_label for i in first.items.all()] == ["1/26", "2/26", "3/26", "4/26"]
        assert [i.case_label for i in second.items.all()] == ["5/26", "6/26", "7/26", "8/26"]
        assert [i.case_number for i in next_year.items.all()] == [1, 2, 3, 4]
        event = AuditEvent.objects.get(action="assessment.meeting_scheduled", object_id=str(second.pk))
        assert event.summary.startswith("Møte 2/2026 satt opp 18.11.2026 09:00 med 4 saker (sak 5/26–8/26)")

    def test_the_year_is_the_norwegian_one(self, world, personas, round_):  # noqa: F811
        call, apps = round_
        forward_all(world, personas, call, apps)
        # 00.30 on New Year's Day in Norway is still 2026 in UTC: the meeting belongs to 2027.
        meeting = domain.schedule_meeting(personas.rhf_admin, call, starts_at=datetime.datetime(2027, 1, 1, 0, 30, tzinfo=OSLO))
        assert meeting.label == "Møte 1/2027" and meeting.items.first().case_label == "1/27"

    def test_the_meeting_page_shows_the_numbers(self, held, personas, login):
        meeting, _seats, _apps = held
        html = login(personas.chair).get(f"/vurdering/mote/{meeting.pk}/").content.decode()
        assert f"Møte {meeting.number}/{meeting.year}" in html and f"1/{meeting.year % 100}" in html


class TestContent:
    def test_heading_attendance_chair_and_minute_taker(self, held, personas, printed):
        meeting, seats, _apps = held
        text = text_of(printed, personas.chair, meeting)
        assert f"Tildelingsutvalget" in text or meeting.body.name in text
        assert f"Møte {meeting.number}/{meeting.year}" in text
        assert minutes.when(meeting.starts_at) in text and " kl. " in minutes.when(meeting.starts_at)
        present = text.split("Til stede")[1].split("Forfall")[0]
        assert "Sigrid Sekretær" in present and "Anne Medlem" in present and "Dag Medlem" not in present
        assert "Dag Medlem" in text.split("Forfall")[1].split("</table>")[0]
        chair_name = personas.chair.seats.get(body=meeting.body).name
        assert f"Møteleder</th><td>{chair_name}" in text
        assert "Referent</th><td>Sigrid Sekretær, Rolf Referent" in text or "Referent</th><td>Rolf Referent, Sigrid Sekretær" in text
        assert "Nei, referent" in text  # the minute-taker's voting right

    def test_items_tally_in_words_and_amounts(self, held, personas, printed):
        meeting, _seats, apps = held
        type(apps[0]).objects.filter(pk=apps[0].pk).update(case_number="26/00042")
        text = text_of(printed, personas.chair, meeting)
        year = meeting.year % 100
        assert f"Sak {meeting.items.get(application=apps[0]).case_number}/{year} {apps[0].title}" in text
        assert "Saksnr. 26/00042" in text  # the application's case reference (set below, before printing)
        assert "Vedtatt 3-1, 1 avsto, 1 inhabil." in text
        assert "Ikke vedtatt 1-3." in text
        assert "1 250 000 kr" in text and "2 500 000 kr" in text  # per year and the sum
        assert "Forslag fra Anne Medlem." in text
        assert DELIBERATION in text and CONFLICT_REASON in text  # a member who is not conflicted reads why
        assert "inhabil (fvl. § 6)" in text

    def test_tally_words(self, held):
        meeting, _seats, apps = held
        granted = Decision.objects.get(application=apps[0], status="adopted")
        assert minutes.tally_words(granted, 2) == "Vedtatt 3-1, 1 avsto, 2 inhabile"
        granted.votes.exclude(choice="for").delete()
        assert minutes.tally_words(granted, 0) == "Vedtatt 3-0 (enstemmig)"


class TestDraftAndApproval:
    def test_draft_until_approved_then_godkjent(self, held, personas, printed):
        meeting, _seats, _apps = held
        draft = text_of(printed, personas.chair, meeting)
        assert "UTKAST" in draft and "Godkjent" not in draft
        minutes.approve_minutes(personas.chair, meeting, "Godkjent i møte 2")
        approved = text_of(printed, personas.chair, meeting)
        assert "UTKAST" not in approved
        assert f"Godkjent {minutes.long_date(timezone.now())} av {personas.chair.get_full_name() or personas.chair.username}" in approved
        assert "Godkjent i møte 2" in approved

    @pytest.mark.parametrize("who", ["member", "observer", "taker", "rhf_admin"])
    def test_only_the_leader_or_secretary_approves(self, held, personas, who):
        meeting, seats, _apps = held
        user = seats["taker"].user if who == "taker" else getattr(personas, who)
        with pytest.raises(PermissionDenied):
            minutes.approve_minutes(user, meeting)
        meeting.refresh_from_db()
        assert meeting.minutes_approved_at is None and meeting.minutes_snapshot is None
        assert not AuditEvent.objects.filter(action="assessment.minutes_approved").exists()

    def test_secretary_approves_once_and_it_is_audited(self, held):
        meeting, seats, _apps = held
        minutes.approve_minutes(seats["secretary"].user, meeting, "  Ingen merknader  ")
        meeting.refresh_from_db()
        assert meeting.minutes_approved_by == seats["secretary"].user and meeting.minutes_approval_note == "Ingen merknader"
        event = AuditEvent.objects.get(action="assessment.minutes_approved")
        assert event.actor == seats["secretary"].user and event.object_id == str(meeting.pk)
        with pytest.raises(minutes.MinutesError, match="allerede godkjent"):
            minutes.approve_minutes(seats["secretary"].user, meeting)
        assert AuditEvent.objects.filter(action="assessment.minutes_approved").count() == 1

    def test_not_while_a_vote_is_open(self, held, personas):
        meeting, _seats, apps = held
        item = meeting.items.get(application=apps[2])
        domain.start_item(personas.chair, item)
        domain.propose_decision(personas.chair, apps[2], outcome="rejected", amounts={}, reason="Utenfor formålet")
        with pytest.raises(minutes.MinutesError, match="til avstemning"):
            minutes.approve_minutes(personas.chair, meeting)

    def test_approved_minutes_are_frozen(self, held, personas, printed):
        meeting, _seats, apps = held
        minutes.approve_minutes(personas.chair, meeting)
        before = text_of(printed, personas.chair, meeting)
        item = meeting.items.get(application=apps[0])
        item.deliberation = "Skrevet om etter godkjenningen"
        item.save()
        Decision.objects.filter(application=apps[0]).update(reason="Ny begrunnelse")
        meeting.present.clear()
        after = text_of(printed, personas.chair, meeting)
        assert DELIBERATION in after and "Skrevet om etter godkjenningen" not in after and "Ny begrunnelse" not in after
        assert after.split("Skrevet ut fra")[0] == before.split("Skrevet ut fra")[0]

    def test_the_meeting_page_button_approves(self, held, personas, login):
        meeting, _seats, _apps = held
        assert "Godkjenn protokollen" not in login(personas.member).get(f"/vurdering/mote/{meeting.pk}/").content.decode()
        assert login(personas.member).post(f"/vurdering/mote/{meeting.pk}/protokoll/godkjenn/").status_code == 403
        assert Meeting.objects.get(pk=meeting.pk).minutes_approved_at is None
        client = login(personas.chair)
        assert "Godkjenn protokollen" in client.get(f"/vurdering/mote/{meeting.pk}/").content.decode()
        response = client.post(f"/vurdering/mote/{meeting.pk}/protokoll/godkjenn/", {"note": "OK"})
        assert response.status_code == 302 and Meeting.objects.get(pk=meeting.pk).minutes_approved_at is not None
        page = client.get(f"/vurdering/mote/{meeting.pk}/").content.decode()
        assert "Protokollen ble godkjent" in page and "Godkjenn protokollen" not in page

    def test_the_pdf_is_printed(self, held, personas, login):
        meeting, _seats, _apps = held
        response = login(personas.chair).get(f"/vurdering/mote/{meeting.pk}/protokoll.pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF")


class TestConflictedMember:
    @pytest.mark.parametrize("approve", [False, True])
    def test_reads_the_redacted_minutes_draft_and_approved(self, held, personas, printed, approve):
        meeting, _seats, apps = held
        if approve:
            minutes.approve_minutes(personas.chair, meeting)
        text = text_of(printed, personas.member, meeting)
        assert DELIBERATION not in text and CONFLICT_REASON not in text
        assert "Vedtatt 3-1" not in text and "Stemmer:" not in text.split(apps[1].title)[0]
        assert "inhabil (fvl. § 6)" in text and "Godt forankret" in text  # who left the room and the adopted decision
        assert "Ikke vedtatt 1-3." in text  # the item the member is not conflicted on is whole


class TestPrintRules:
    def test_every_pdf_gets_the_shared_print_rules(self):
        css = documents.PDF_STYLESHEET.read_text()
        assert "h1, h2, h3, h4, .item-head, .label { page-break-after: avoid;" in css
        assert "tr, .item-head, .proposal" in css and "page-break-inside: avoid" in css
        assert "thead { display: table-header-group; }" in css
        assert "orphans: 3; widows: 3;" in css

    def test_letter_minutes_and_annual_report_are_printed_with_it(self, monkeypatch):
        sheets = []

        class FakeHTML:
            def __init__(self, string):
                pass

            def write_pdf(self, stylesheets):
                sheets.append(stylesheets)
                return b"%PDF"

        import weasyprint

        monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
        monkeypatch.setattr(weasyprint, "CSS", lambda filename: filename)
        monkeypatch.setattr(documents, "render_to_string", lambda template, context: "")
        for template in ("assessment/minutes_pdf.html", "assessment/letter_pdf.html", "followup/annual_pdf.html"):
            documents.pdf(template, {})
        assert sheets == [[str(documents.PDF_STYLESHEET)]] * 3
