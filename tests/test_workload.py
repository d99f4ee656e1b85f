"""Issue 14 items 2-4: notifications people control, the calendar, and questions and help on an
application (the thread, the secretariat's reading of a draft by invitation, internal notes)."""

import datetime
import re

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from rsportal.accounts.models import OrganisationRole
from rsportal.applications import domain as applications
from rsportal.applications import thread
from rsportal.applications.calls import publish_call
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, Call, CallInterest, Message
from rsportal.assessment import domain as assessment
from rsportal.assessment.models import Conflict
from rsportal.assessment import visibility
from rsportal.assessment.visibility import what_may_see
from rsportal.calendar import feeds
from rsportal.core import notifications
from rsportal.core.audit import notify
from rsportal.core.models import AuditEvent, Notice, Notification, NotificationPreference
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Pot
from rsportal.registry.models import BodyMember

from . import factories as f
from .matrix_helpers import complete_and_submit
from .test_query_counts import assert_constant

YEAR = timezone.localdate().year


@pytest.fixture
def call(world, personas):
    """A published local call of Troms og Ofoten, its deadline in three days."""
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Lokal pott", parent=root, helsefellesskap=world.hf)
    call = Call.objects.create(pot=pot, title="Lokal utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=1_000_000, frame_year=YEAR)
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=3))
    add_default_criteria(call)
    call.steps.create(step="decision", body=world.stu)
    return call


@pytest.fixture
def draft(call, world, personas):
    return applications.start_application(personas.applicant, call=call, title="Utkast om hjemkomst", type="project", helsefellesskap=world.hf)


# --- notifications: categories and choices --------------------------------------------------


def test_each_user_chooses_immediately_digest_or_off_but_mandatory_ones_always_go(db, personas):
    notifications.set_preferences(personas.applicant, {notifications.STATUS: "off"})
    notifications.set_preferences(personas.secretariat, {notifications.STATUS: "digest"})
    notify([personas.applicant.email, personas.secretariat.email, personas.member.email, "post@kommune.invalid"], "Status endret", "Tekst", category=notifications.STATUS, link="/soknader/")
    mailed = set(Notification.objects.values_list("recipient", flat=True))
    assert mailed == {personas.member.email, "post@kommune.invalid"}  # off: no mail; digest: later; no user: at once
    assert Notice.objects.filter(subject="Status endret").count() == 3  # but every user has it in the list
    assert Notice.objects.get(user=personas.secretariat).digest_pending

    notify([personas.applicant], "Vedtak", "Tekst", category=notifications.DECISION)
    assert Notification.objects.filter(recipient=personas.applicant.email, subject="Vedtak").exists()  # mandatory despite "off"
    with pytest.raises(ValueError):
        notifications.set_preferences(personas.applicant, {notifications.DECISION: "off"})


def test_digest_is_built_once_and_sent_through_the_one_queue(db, personas):
    notifications.set_preferences(personas.secretariat, {notifications.QUESTION: "digest", notifications.STATUS: "digest"})
    notify([personas.secretariat], "Spørsmål om søknad A", "x", category=notifications.QUESTION, link="/soknader/1/samtale/")
    notify([personas.secretariat], "Rapport levert", "y", category=notifications.STATUS)
    assert not Notification.objects.exists()
    call_command("send_digest")
    call_command("send_digest")  # a second run finds nothing waiting
    digest = Notification.objects.get()
    assert digest.category == notifications.DIGEST and digest.user == personas.secretariat
    assert "Spørsmål om søknad A" in digest.body and "Rapport levert" in digest.body and "/soknader/1/samtale/" in digest.body
    call_command("send_notifications")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [personas.secretariat.email]


def test_notification_list_marks_read_and_settings_page_saves_choices(client, login, personas):
    notify([personas.applicant], "Formell kontroll", "Søknaden er kontrollert.", category=notifications.STATUS, link="/soknader/")
    login(personas.applicant)
    page = client.get("/varsler/").content.decode()
    assert "Formell kontroll" in page and "1 ulest varsel" in page
    notice = Notice.objects.get(user=personas.applicant)
    response = client.post("/varsler/lest/", {"varsel": notice.pk, "apne": "1"})
    assert response.status_code == 302 and response["Location"] == "/soknader/"
    notice.refresh_from_db()
    assert notice.read_at is not None

    settings_page = client.get("/varsler/innstillinger/").content.decode()
    assert "Vedtak" in settings_page and "kan ikke slås av" in settings_page
    data = {"new_call": "off", "deadline": "digest", "status": "immediate", "question": "immediate", "ideas": "immediate", "interests": [_hf_id()]}
    assert client.post("/varsler/innstillinger/", data).status_code == 302
    assert dict(NotificationPreference.objects.filter(user=personas.applicant).values_list("category", "mode"))["deadline"] == "digest"
    assert CallInterest.objects.filter(user=personas.applicant, helsefellesskap_id=_hf_id()).exists()
    assert client.post("/varsler/innstillinger/", {**data, "deadline": "weekly"}).status_code == 400


def _hf_id():
    from rsportal.registry.models import Helsefellesskap

    return Helsefellesskap.objects.get(code="troms-ofoten").pk


def test_notification_list_has_constant_queries(client, login, personas):
    login(personas.applicant)
    notify([personas.applicant], "Første", "x", category=notifications.STATUS)

    def more():
        for n in range(20):
            notify([personas.applicant], f"Varsel {n}", "x", category=notifications.QUESTION, link="/varsler/")

    assert_constant(client, "/varsler/", more)


# --- a call opens ----------------------------------------------------------------------------


def test_publishing_a_call_tells_member_municipalities_trust_applicants_and_interested_users(world, personas, call):
    world.tromso.notice_email = "postmottak@tromso.invalid"
    world.tromso.save()
    world.alta.notice_email = "postmottak@alta.invalid"  # member of another helsefellesskap: not told
    world.alta.save()
    trust_applicant = f.UserFactory(username="unn")
    f.role(trust_applicant, OrganisationRole.Kind.APPLICANT, trust=world.trust)
    interested = f.UserFactory(username="interessert")
    CallInterest.objects.create(user=interested, helsefellesskap=world.hf)
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=YEAR, name=f"RS {YEAR}", amount=2_000_000, rhf=world.rhf))
    funding.transfer(personas.rhf_admin, source=call.pot.parent, target=call.pot, year=YEAR, amount=1_000_000)
    new = Call.objects.create(pot=call.pot, title="Ny utlysning om samhandling", purpose="Bedre overganger", frame_amount=100_000, frame_year=YEAR, max_project_years=1)
    new.deadlines.create(at=timezone.now() + datetime.timedelta(days=60))
    add_default_criteria(new)
    new.steps.create(step="decision", body=world.stu)
    assert not Notification.objects.exists()
    publish_call(personas.secretariat, new)
    told = set(Notification.objects.filter(category=notifications.NEW_CALL).values_list("recipient", flat=True))
    assert told == {"postmottak@tromso.invalid", trust_applicant.email, interested.email}
    assert Notice.objects.filter(user=interested, category=notifications.NEW_CALL, link=f"/soknader/utlysninger/{new.pk}/").exists()


# --- deadline reminders ------------------------------------------------------------------------


def test_deadline_reminders_go_once_per_deadline_and_person(world, personas, draft):
    co_author = f.UserFactory(username="medforfatter")
    f.role(co_author, OrganisationRole.Kind.APPLICANT, municipality=world.tromso)
    call_command("send_reminders")
    call_command("send_reminders")
    reminders = Notice.objects.filter(category=notifications.DEADLINE)
    assert sorted(reminders.values_list("user__username", flat=True)) == ["applicant", "medforfatter"]
    assert "Utkast om hjemkomst" in reminders.first().body
    assert Notification.objects.filter(category=notifications.DEADLINE).count() == 2


# --- the thread ---------------------------------------------------------------------------------


def test_the_secretariat_reads_a_draft_only_while_invited(world, personas, draft, client, login):
    draft = Application.objects.get(pk=draft.pk)
    assert not what_may_see(personas.secretariat, draft).application
    with pytest.raises(PermissionDenied):
        thread.invite_secretariat(personas.secretariat, draft)
    thread.invite_secretariat(personas.applicant, draft, note="Budsjettet")
    draft = Application.objects.get(pk=draft.pk)
    seen = what_may_see(personas.secretariat, draft)
    assert seen.application and seen.thread and not seen.draft  # content, never the edit history
    listed = Application.objects.filter(pk=draft.pk).prefetch_related("participants", "conflicts")
    assert visibility.what_may_see_all(personas.secretariat, draft.call, listed)[draft.pk] == seen  # the list asks the same rule
    assert not what_may_see(personas.other_secretariat, draft).application
    assert not what_may_see(personas.member, draft).application
    assert Notice.objects.filter(user=personas.secretariat, category=notifications.QUESTION).exists()
    login(personas.secretariat)
    assert client.get(f"/soknader/{draft.pk}/vis/").status_code == 200
    assert client.post(f"/soknader/{draft.pk}/samtale/", {"kind": "shared", "body": "Husk egenandelen."}).status_code == 302
    assert Message.objects.get(body="Husk egenandelen.").from_applicants is False
    assert Notice.objects.filter(user=personas.applicant, category=notifications.QUESTION, subject__startswith="Svar fra sekretariatet").exists()

    thread.withdraw_invitation(personas.applicant, draft)
    draft = Application.objects.get(pk=draft.pk)
    assert not what_may_see(personas.secretariat, draft).application
    assert client.get(f"/soknader/{draft.pk}/vis/").status_code == 403
    assert client.get(f"/soknader/{draft.pk}/samtale/").status_code == 403
    assert list(AuditEvent.objects.filter(object_id=str(draft.pk), action__startswith="thread.").values_list("action", flat=True).order_by("id")) == [
        "thread.invited",
        "thread.message",
        "thread.invitation_withdrawn",
    ]


@pytest.fixture
def submitted(world, personas, call, draft):
    complete_and_submit(personas.applicant, draft, trust=world.trust, owners="Tromsø kommune og UNN", grant_by_year={YEAR: 400_000})
    return Application.objects.get(pk=draft.pk)


def test_internal_notes_are_never_shown_to_applicants_or_the_conflicted(world, personas, submitted, client, login):
    konrad = f.UserFactory(username="konrad")
    seat = f.seat(world.stu, konrad, side=BodyMember.Side.GP)
    assessment.decide_conflict(personas.chair, assessment.declare_conflict(konrad, submitted, seat, "Prosjektleder."), conflicted=True)
    assert Conflict.objects.filter(member=seat).exists()
    thread.post(personas.applicant, submitted, "Når kommer svaret?")
    thread.post(personas.secretariat, submitted, "Notat: sjekk budsjettet", kind=Message.Kind.INTERNAL)
    thread.post(personas.member, submitted, "Notat fra utvalget", kind=Message.Kind.INTERNAL)
    with pytest.raises(PermissionDenied):
        thread.post(personas.applicant, submitted, "Kan jeg skrive internt?", kind=Message.Kind.INTERNAL)
    with pytest.raises(PermissionDenied):
        thread.post(konrad, submitted, "Inhabilt notat", kind=Message.Kind.INTERNAL)
    with pytest.raises(PermissionDenied):
        thread.post(personas.member, submitted, "Utvalget skriver til søkerne")  # the thread is the secretariat's

    login(personas.applicant)
    page = client.get(f"/soknader/{submitted.pk}/samtale/").content.decode()
    assert "Når kommer svaret?" in page and "Notat" not in page
    login(konrad)
    assert client.get(f"/soknader/{submitted.pk}/samtale/").status_code == 403
    login(personas.member)
    page = client.get(f"/soknader/{submitted.pk}/samtale/").content.decode()
    assert "Notat: sjekk budsjettet" in page and "Notat fra utvalget" in page
    # The secretariat is told of the applicants' question; nobody of an internal note.
    assert Notice.objects.filter(user=personas.secretariat, subject__startswith="Spørsmål fra søkerne").count() == 1
    assert not Notice.objects.filter(subject__icontains="notat").exists()
    assert AuditEvent.objects.filter(action="thread.note", object_id=str(submitted.pk)).count() == 2


def test_an_empty_message_is_refused_in_norwegian_and_the_thread_has_constant_queries(world, personas, submitted, client, login):
    login(personas.secretariat)
    response = client.post(f"/soknader/{submitted.pk}/samtale/", {"kind": "shared", "body": "   "})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
    assert not Message.objects.exists()

    def more():
        for n in range(10):
            thread.post(personas.applicant, submitted, f"Spørsmål {n}")
            thread.post(personas.secretariat, submitted, f"Svar {n}")
            thread.post(personas.secretariat, submitted, f"Notat {n}", kind=Message.Kind.INTERNAL)

    assert_constant(client, f"/soknader/{submitted.pk}/samtale/", more)


# --- the calendar -------------------------------------------------------------------------------


def test_the_personal_feed_is_valid_icalendar_and_renewing_invalidates_the_old_address(world, personas, draft, client, login):
    login(personas.applicant)
    page = client.get("/kalender/").content.decode()
    url = re.search(r'value="(http[^"]+\.ics)"', page).group(1)
    path = url.split("testserver", 1)[-1] if "testserver" in url else "/" + url.split("/", 3)[3]
    client.logout()  # calendar programs fetch without a session
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    raw = response.content
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    parsed = icalendar.Calendar.from_ical(raw)
    events = [c for c in parsed.walk("VEVENT")]
    deadline = draft.call.deadlines.get()
    assert [e["UID"] for e in events] == [f"deadline-{deadline.pk}@rs-portalen"]
    assert events[0].decoded("DTSTART") == deadline.at.astimezone(datetime.timezone.utc).replace(microsecond=0)
    assert b"DTSTART:" + deadline.at.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ").encode() in raw
    assert "DTSTAMP" in events[0] and "Lokal utlysning" in str(events[0]["SUMMARY"])

    login(personas.applicant)
    assert client.post("/kalender/ny-adresse/").status_code == 302
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get(path.replace(".ics", "x.ics")).status_code == 404


def test_all_day_report_dates_and_escaping_in_the_feed(world, personas, call, monkeypatch):
    from rsportal.calendar import events as calendar_events

    item = calendar_events.Event("report-1", "report", "Sluttrapport; «Trygg, hjemme»", datetime.date(YEAR, 3, 1), description="Linje 1\nLinje 2 " + "x" * 120)
    monkeypatch.setattr(calendar_events, "personal", lambda user, since=None: [item])
    raw = feeds.ics(personas.applicant)
    assert f"DTSTART;VALUE=DATE:{YEAR}0301".encode() in raw
    assert "SUMMARY:Sluttrapport\\; «Trygg\\, hjemme»".encode() in raw
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Sluttrapport; «Trygg, hjemme»" and str(event["DESCRIPTION"]).startswith("Linje 1\nLinje 2")


def test_year_wheel_is_public_and_shows_deadlines_and_meetings(world, personas, call, client):
    call.decision_dates = "Vedtak i Tildelingsutvalget 12. juni"
    call.save()
    meeting = assessment.schedule_meeting(personas.rhf_admin, call, starts_at=timezone.now() + datetime.timedelta(days=10), location="Tromsø")
    page = client.get(f"/kalender/arshjul/helsefellesskap/{world.hf.code}/?ar={timezone.localdate().year}")
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.content.decode())  # the title is a link after its kind
    in_year = call.deadlines.get().at.year == YEAR
    assert ("Søknadsfrist: Lokal utlysning" in text) == in_year
    assert ("Møte: Tildelingsutvalget" in text) == (timezone.localtime(meeting.starts_at).year == YEAR)
    assert "Søknadsfrist: Søknadsfrist" not in text  # the kind is named once
    assert "Vedtak i Tildelingsutvalget 12. juni" in text
    assert client.get(f"/kalender/arshjul/rhf/{world.rhf.code}/").status_code == 200
    assert client.get("/kalender/arshjul/helsefellesskap/finnes-ikke/").status_code == 404


def test_waiting_questions_are_on_the_to_do_list_of_the_side_that_answers(world, personas, submitted):
    from rsportal.core import todo

    def questions(sections):
        return [i.title for i in {s.key: s for s in sections}["questions"].items]

    assert questions(todo.secretariat(personas.secretariat)) == []
    thread.post(personas.applicant, submitted, "Må vi legge ved avtalen?")
    assert questions(todo.secretariat(personas.secretariat)) == [submitted.title]
    assert questions(todo.secretariat(personas.other_secretariat)) == []
    assert questions(todo.applicant(personas.applicant)) == []
    thread.post(personas.secretariat, submitted, "Ja, signert avtale.")
    assert questions(todo.secretariat(personas.secretariat)) == []
    assert questions(todo.applicant(personas.applicant)) == [submitted.title]


def test_a_persons_export_holds_their_notifications_choices_and_messages_and_anonymisation_removes_them(world, personas, submitted):
    from rsportal.privacy import domain as privacy

    notifications.set_preferences(personas.applicant, {notifications.NEW_CALL: "off"})
    CallInterest.objects.create(user=personas.applicant, helsefellesskap=world.hf)
    thread.post(personas.applicant, submitted, "Et spørsmål fra meg")
    thread.post(personas.secretariat, submitted, "Et svar til deg")
    data = privacy.collect(privacy.person_for_user(personas.applicant))
    assert data["notification_preferences"] == [{"category": "new_call", "mode": "off"}]
    assert data["calls_followed"] == [world.hf.name]
    assert [m["body"] for m in data["messages_written"]] == ["Et spørsmål fra meg"]
    assert any(n["subject"].startswith("Svar fra sekretariatet") for n in data["notices_in_the_portal"])
    feeds.feed_for(personas.applicant)
    person = privacy.person_for_user(personas.applicant)
    privacy.anonymise_person(personas.sysadmin, person, confirmation=personas.applicant.username)
    assert not Notice.objects.filter(user=personas.applicant).exists()
    assert not NotificationPreference.objects.filter(user=personas.applicant).exists()
    assert not CallInterest.objects.filter(user=personas.applicant).exists()


def test_the_menu_shows_how_many_notifications_are_unread(client, login, personas):
    login(personas.applicant)
    assert "Varsler (" not in client.get("/").content.decode()
    notify([personas.applicant], "Ny utlysning", "x", category=notifications.NEW_CALL)
    notify([personas.applicant], "Formell kontroll", "x", category=notifications.STATUS)
    assert "Varsler (2 uleste)" in client.get("/").content.decode()
    client.post("/varsler/lest/")
    assert "Varsler (" not in client.get("/").content.decode()
