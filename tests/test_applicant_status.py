"""The applicant sees where the application is (the Saksgang) and is told each step by e-mail;
refused applications are published in the catalogue where the call says so; a refused
participant form comes back with an error summary."""

import datetime
import re

import pytest
from django.utils import timezone

from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, BudgetLine, Call, Participant
from rsportal.assessment import domain
from rsportal.assessment.models import Conflict, Decision, Score
from rsportal.core.models import Notification
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation
from rsportal.registry.models import Body, BodyMember

from . import factories as f
from .test_assessment import open_item

M = 1_000_000
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"]
# Codes that must never reach an applicant: the outcome and state values as stored.
RAW_CODES = re.compile(r"\b(eligible|reapply|pre_project|rejected|granted|not_granted|partial|adopted|not_adopted|in_vote|submitted|proposed)\b")


def spelled(day: datetime.date) -> str:
    """How the portal writes a date in prose: "1. januar 2028"."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


@pytest.fixture
def round_(world, personas):
    """A regional call: formal check by the RHF secretariat, local prioritisation, decided by STU.
    Two submitted applications from Tromsø, each with its own contact persons."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2027, name="RS 2027", amount=10 * M, rhf=world.rhf))
    call = Call.objects.create(pot=funding.root_pot(world.rhf), title="Andre runde", status=Call.Status.CLOSED, purpose="-", frame_amount=10 * M, frame_year=2027)
    add_default_criteria(call)
    call.steps.create(step="formal_check", body=world.rhf_secretariat_body)
    call.steps.create(step="local_prioritisation", by_each_helsefellesskap=True)
    call.steps.create(step="decision", body=world.stu)
    f.seat(world.rhf_secretariat_body, personas.rhf_admin, role=BodyMember.Role.SECRETARY, side=BodyMember.Side.RHF)
    applications = []
    for i, title in enumerate(("Felles legevakt", "Digital hjemmeoppfølging")):
        application = Application.objects.create(
            call=call, helsefellesskap=world.hf, title=title, status=Application.Status.SUBMITTED, created_by=personas.applicant, submitted_at=timezone.now()
        )
        Participant.objects.create(application=application, municipality=world.tromso, is_owner=True, contact_name=f"Kontakt {i}", contact_email=f"k{i}@example.invalid")
        Participant.objects.create(application=application, trust=world.trust, contact_name=f"Trond {i}", contact_email=f"hf{i}@example.invalid")
        BudgetLine.objects.create(application=application, year=2027, kind="grant", amount=2 * M, description="Tilskudd")
        applications.append(application)
    return call, applications


def told(recipient: str, application, subject_part: str):
    return list(Notification.objects.filter(recipient=recipient, subject__contains=application.title).filter(subject__icontains=subject_part))


def assert_readable(notification, application):
    """Norwegian, with the project, a link to its Saksgang, and no stored code."""
    assert application.title in notification.subject and application.title in notification.body
    assert f"/soknader/{application.pk}/vis/" in notification.body
    assert not RAW_CODES.search(notification.subject + " " + notification.body), notification.body


def page(login, user, application) -> str:
    response = login(user).get(f"/soknader/{application.pk}/vis/")
    assert response.status_code == 200
    return response.content.decode()


def check(personas, application, outcome="eligible", note=""):
    return domain.record_formal_check(personas.rhf_admin, application, outcome=outcome, efficient_use=True, not_ordinary_operation=True, digital_compliant=None, note=note)


class TestFormalCheck:
    def test_grey_zone_outcome_is_shown_and_told_once_to_each_contact(self, login, personas, round_):
        _, (app, other) = round_
        check(personas, app, outcome="part", note="Driften av legevakten dekkes ikke.")
        for recipient in ("k0@example.invalid", "hf0@example.invalid"):
            notices = told(recipient, app, "Formell kontroll")
            assert len(notices) == 1
            body = notices[0].body
            assert "Gråsone: tilskudd til deler av prosjektet" in body
            assert "bare deler av prosjektet oppfyller kravene" in body  # the grey zone in plain words
            assert "Driften av legevakten dekkes ikke." in body
            assert spelled(timezone.localdate()) in body
            assert_readable(notices[0], app)
        assert not Notification.objects.filter(recipient__in=["k1@example.invalid", "hf1@example.invalid"]).exists()

        html = page(login, personas.applicant, app)
        assert "Saksgang" in html and "Formell kontroll" in html
        assert "Gråsone: tilskudd til deler av prosjektet" in html and "Driften av legevakten dekkes ikke." in html
        assert "Prioritering i helsefellesskapet" in html

    def test_saving_the_same_check_again_tells_nobody_and_a_changed_one_tells_again(self, personas, round_):
        _, (app, _other) = round_
        check(personas, app, outcome="eligible")
        check(personas, app, outcome="eligible")
        assert len(told("k0@example.invalid", app, "Formell kontroll")) == 1
        check(personas, app, outcome="rejected", note="Finansierer ordinær drift.")
        notices = told("k0@example.invalid", app, "Formell kontroll")
        assert len(notices) == 2
        latest = max(notices, key=lambda n: n.pk)
        assert "Oppfyller ikke kravene" in latest.body and "Tidligere resultat: Oppfyller kravene" in latest.body
        assert_readable(latest, app)


    def test_without_local_prioritisation_the_check_puts_it_before_the_committee(self, login, personas, round_):
        call, (app, _other) = round_
        call.steps.filter(step="local_prioritisation").delete()
        check(personas, app)
        notice = told("k0@example.invalid", app, "Formell kontroll")[0]
        assert "Søknaden er nå til behandling i Tildelingsutvalget." in notice.body
        html = page(login, personas.applicant, app)
        assert "Prioritering i helsefellesskapet" not in html and '<dt>Nå</dt><dd><a class="ds-link" href="#saksgang">Til behandling</a></dd>' in html

    def test_a_long_title_still_fits_the_subject(self, personas, round_):
        _, (app, _other) = round_
        Application.objects.filter(pk=app.pk).update(title="Et svært langt prosjektnavn " * 10)
        app.refresh_from_db()
        check(personas, app)
        notice = Notification.objects.get(recipient="k0@example.invalid")
        assert len(notice.subject) <= 200 and notice.subject.endswith("…") and app.title in notice.body


class TestForwarding:
    def test_forwarded_and_not_forwarded_with_the_reason(self, login, personas, world, round_):
        call, (app, other) = round_
        check(personas, app)  # checked first: forwarding now puts it before the committee
        domain.forward(personas.secretariat, call, world.hf, ranked=[app], joint=[], reasons={other.pk: "Ligner et prosjekt vi allerede har i Tromsø."})

        for recipient in ("k0@example.invalid", "hf0@example.invalid"):
            notices = told(recipient, app, "sendt videre")
            assert len(notices) == 1
            assert "prioritert som nr. 1" in notices[0].body and "til behandling i Tildelingsutvalget" in notices[0].body
            assert_readable(notices[0], app)
        for recipient in ("k1@example.invalid", "hf1@example.invalid"):
            notices = told(recipient, other, "ikke sendt videre")
            assert len(notices) == 1
            assert "Ligner et prosjekt vi allerede har i Tromsø." in notices[0].body
            assert_readable(notices[0], other)

        html = page(login, personas.applicant, app)
        assert "prioritert søknaden som nr. 1" in html and "Til behandling" in html and '<dt>Nå</dt><dd><a class="ds-link" href="#saksgang">Til behandling</a></dd>' in html
        html = page(login, personas.applicant, other)
        assert "har ikke sendt søknaden videre" in html and "Ligner et prosjekt vi allerede har i Tromsø." in html
        assert "Til behandling" not in html and "Formell kontroll" not in html  # it goes no further

    def test_the_same_prioritisation_saved_again_tells_nobody(self, personas, world, round_):
        call, (app, other) = round_
        for _ in range(2):
            domain.forward(personas.secretariat, call, world.hf, ranked=[app], joint=[], reasons={other.pk: "For lite forankret."})
        assert Notification.objects.filter(recipient="k0@example.invalid").count() == 1
        assert Notification.objects.filter(recipient="k1@example.invalid").count() == 1
        domain.forward(personas.secretariat, call, world.hf, ranked=[other], joint=[app])
        assert len(told("k1@example.invalid", other, "er sendt videre")) == 1
        assert Notification.objects.filter(recipient="k0@example.invalid").count() == 1  # still forwarded, now as a joint one

    def test_the_reason_is_typed_on_the_prioritisation_page(self, login, personas, world, round_):
        call, (app, other) = round_
        client = login(personas.secretariat)
        url = f"/vurdering/utlysning/{call.pk}/prioritering/{world.hf.code}/"
        response = client.post(url, {f"rank_{app.pk}": "1", f"reason_{other.pk}": "Mangler signert avtale."})
        assert response.status_code == 302
        assert "Mangler signert avtale." in told("k1@example.invalid", other, "ikke sendt videre")[0].body
        assert "Mangler signert avtale." in client.get(url).content.decode()  # shown again to the secretariat


def _propose(personas, application, outcome, amounts, reason):
    open_item(personas, application)
    return domain.propose_decision(personas.chair, application, outcome=outcome, amounts=amounts, reason=reason)


class TestDecision:
    @pytest.mark.parametrize(
        ("outcome", "amounts", "label", "state"),
        [("rejected", {}, "Avslått", "Ikke innvilget"), ("full", {2027: 2 * M}, "Innvilget", "Innvilget")],
    )
    def test_the_decision_with_its_letter(self, login, personas, world, round_, outcome, amounts, label, state):
        call, (app, _other) = round_
        check(personas, app)
        domain.forward(personas.secretariat, call, world.hf, ranked=[app], joint=[])
        assert "Sendt inn" in page(login, personas.applicant, app)
        decision = _propose(personas, app, outcome, amounts, "Vurdert opp mot de andre søknadene.")
        domain.cast_vote(personas.chair, decision, "for")
        domain.cast_vote(personas.member, decision, "for")
        domain.conclude(personas.chair, decision)

        for recipient in ("k0@example.invalid", "hf0@example.invalid"):
            notices = told(recipient, app, "Vedtak")
            assert len(notices) == 1
            body = notices[0].body
            assert f"Vedtak: {label}." in body and "Tildelingsutvalget" in body and spelled(timezone.localdate()) in body
            assert f"/vurdering/vedtak/{decision.pk}/brev.pdf" in body
            assert_readable(notices[0], app)

        html = page(login, personas.applicant, app)
        status = re.search(r"<dt>Status</dt><dd>(.*?)</dd>", html).group(1)
        assert status.startswith(state) and "Sendt inn" not in status
        saksgang = html[html.index('id="saksgang"') :]
        assert f"vedtak: {label}." in saksgang and f'href="/vurdering/vedtak/{decision.pk}/brev.pdf"' in saksgang


def test_a_withdrawn_application_ends_its_saksgang(login, personas, round_):
    from rsportal.applications import domain as applications

    _, (app, _other) = round_
    check(personas, app)
    applications.withdraw(personas.applicant, app)
    html = page(login, personas.applicant, app)
    saksgang = html[html.index('id="saksgang"') :]
    saksgang = saksgang[: saksgang.index("</section>")]
    assert "Trukket" in saksgang and "Formell kontroll" in saksgang and "Vedtak" not in saksgang


SECRETS = ("HEMMELIG-FORSLAG", "HEMMELIG-DRØFTING", "HEMMELIG-HABILITET", "HEMMELIG-POENG")


class TestNothingOfTheAssessmentReachesTheApplicants:
    def test_scores_proposals_votes_deliberation_and_conflicts_stay_hidden(self, login, personas, world, round_):
        call, (app, _other) = round_
        check(personas, app)
        domain.forward(personas.secretariat, call, world.hf, ranked=[app], joint=[])
        member = personas.member.seats.get()
        domain.save_scores(personas.member, app, {c.pk: (4, "HEMMELIG-POENG") for c in call.criteria.all()})
        # With the member conflicted below, the chair alone is half of the two voting seats.
        Body.objects.filter(pk=world.stu.pk).update(quorum=Body.Quorum.AT_LEAST_HALF)
        item = open_item(personas, app)
        domain.end_item(personas.chair, item, "HEMMELIG-DRØFTING")
        lost = _propose(personas, app, "full", {2027: 2 * M}, "HEMMELIG-FORSLAG")
        domain.cast_vote(personas.member, lost, "against")
        domain.cast_vote(personas.chair, lost, "against")
        domain.conclude(personas.chair, lost)
        assert Decision.objects.get(pk=lost.pk).status == Decision.Status.NOT_ADOPTED
        domain.declare_conflict(personas.chair, app, member, "HEMMELIG-HABILITET")
        decision = _propose(personas, app, "rejected", {}, "Ikke prioritert i år.")
        domain.cast_vote(personas.chair, decision, "for")
        domain.conclude(personas.chair, decision)
        assert Score.objects.filter(application=app).exists() and Conflict.objects.filter(application=app).exists()

        html = page(login, personas.applicant, app)
        assert "Ikke prioritert i år." in html  # the adopted decision is theirs to read
        for secret in SECRETS:
            assert secret not in html
        for notification in Notification.objects.filter(recipient__in=["k0@example.invalid", "hf0@example.invalid"]):
            for secret in SECRETS:
                assert secret not in notification.body
            assert not RAW_CODES.search(notification.subject + " " + notification.body)
        assert not Notification.objects.filter(recipient="k0@example.invalid", body__contains="Innvilget").exists()  # the lost proposal was never told

    def test_a_conflicted_member_does_not_get_the_saksgang(self, login, personas, world, round_):
        call, (app, _other) = round_
        check(personas, app, outcome="pre_project", note="Uklart om det er drift.")
        member = personas.member.seats.get()
        domain.decide_conflict(personas.chair, domain.declare_conflict(personas.chair, app, member, "Representerer Tromsø"), conflicted=True)
        response = login(personas.member).get(f"/soknader/{app.pk}/vis/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Saksgang" not in html and "Uklart om det er drift." not in html and "Gråsone" not in html


class TestCatalogue:
    def decided(self, personas, world, call, title, outcome="rejected", *, status=Application.Status.SUBMITTED, adopted=True):
        application = Application.objects.create(call=call, helsefellesskap=world.hf, title=title, status=status, created_by=personas.applicant, submitted_at=timezone.now())
        Participant.objects.create(application=application, municipality=world.harstad, is_owner=True, contact_name="Hemmelig Kontaktperson", contact_email="hemmelig@example.invalid")
        Decision.objects.create(
            application=application, body=world.stu, outcome=outcome, reason="Begrunnelse", proposed_by=personas.chair,
            status=Decision.Status.ADOPTED if adopted else Decision.Status.PROPOSED, concluded_at=timezone.make_aware(datetime.datetime(2027, 5, 7, 12)) if adopted else None,
        )
        return application

    def test_refused_applications_are_listed_only_where_the_call_publishes_them(self, client, personas, world, round_):
        open_call, _apps = round_
        assert open_call.publish_rejected  # the default: the evaluation asks for openness
        closed_call = Call.objects.create(pot=open_call.pot, title="Lukket runde", purpose="-", publish_rejected=False)
        self.decided(personas, world, open_call, "Avslått og offentlig")
        self.decided(personas, world, open_call, "Bedt om ny søknad", outcome="reapply")
        self.decided(personas, world, closed_call, "Avslått i lukket utlysning")
        self.decided(personas, world, open_call, "Trukket etter vedtak", status=Application.Status.WITHDRAWN)
        self.decided(personas, world, open_call, "Ikke avgjort ennå", adopted=False)
        Application.objects.create(call=open_call, helsefellesskap=world.hf, title="Et utkast", created_by=personas.applicant)

        html = client.get("/prosjekter/").content.decode()
        refusals = html[html.index('id="avslag"') :]
        assert "Avslått og offentlig" in refusals and "Bedt om ny søknad" in refusals
        assert "Harstad" in refusals and "Avslått" in refusals and "Bedt om å søke på nytt" in refusals
        assert "7. mai 2027" in refusals and "Andre runde" in refusals
        for hidden in ("Avslått i lukket utlysning", "Trukket etter vedtak", "Ikke avgjort ennå", "Et utkast", "Hemmelig Kontaktperson", "hemmelig@example.invalid", "Begrunnelse"):
            assert hidden not in html
        assert "vises i den åpne prosjektkatalogen med tittel, deltakere" in client.get(f"/soknader/utlysninger/{open_call.pk}/").content.decode()  # applicants know beforehand
        searched = client.get("/prosjekter/?q=offentlig").content.decode()
        assert "Avslått og offentlig" in searched and "Bedt om ny søknad" not in searched

    def test_a_granted_application_is_not_listed_as_refused(self, client, personas, world, round_):
        call, _apps = round_
        self.decided(personas, world, call, "Innvilget prosjekt", outcome="full")
        html = client.get("/prosjekter/").content.decode()
        assert "Innvilget prosjekt" not in html[html.index('id="avslag"') :]


class TestParticipantFormErrors:
    @pytest.fixture
    def draft(self, world, personas, round_):
        call, _apps = round_
        application = Application.objects.create(call=call, helsefellesskap=world.hf, title="Utkast", created_by=personas.applicant)
        Participant.objects.create(application=application, municipality=world.tromso, is_owner=True, contact_name="Eier", contact_email="eier@example.invalid")
        return application

    def test_a_refused_participant_comes_back_with_a_summary_and_what_was_typed(self, login, personas, world, draft):
        response = login(personas.applicant).post(
            f"/soknader/{draft.pk}/deltakere/", {"municipality": world.harstad.pk, "contact_name": "Kari Nordmann", "contact_email": "ikke-en-epost", "contact_phone": "900 00 000"}
        )
        assert response.status_code == 400
        html = response.content.decode()
        form = html[html.index('id="deltaker-skjema"') :]
        form = form[: form.index("</form>")]
        summary = re.search(r'<ds-error-summary class="ds-error-summary" id="deltaker-feil">(.*?)</ds-error-summary>', form, re.S)
        assert summary, "the error summary opens the participant form"
        assert 'href="#participant_contact_email"' in summary.group(1)
        assert f'action="/soknader/{draft.pk}/deltakere/#deltaker-skjema"' in html  # the page lands on the form
        assert 'value="Kari Nordmann"' in form and 'value="ikke-en-epost"' in form and 'value="900 00 000"' in form
        assert f'<option value="{world.harstad.pk}" selected>' in form
        assert not Participant.objects.filter(application=draft, municipality=world.harstad).exists()

    def test_a_form_error_not_tied_to_one_field_links_to_the_first_field(self, login, personas, draft):
        response = login(personas.applicant).post(f"/soknader/{draft.pk}/deltakere/", {"contact_name": "Kari", "contact_email": "kari@example.invalid"})
        assert response.status_code == 400
        summary = re.search(r"<ds-error-summary.*?</ds-error-summary>", response.content.decode(), re.S).group(0)
        assert "Velg én kommune, ett helseforetak (eller privat ideelt sykehus) eller én bydel." in summary and 'href="#participant_municipality"' in summary
