"""Decision letters: the case reference, the letter's content, and the RHF's letter templates."""

import datetime
import re
import threading
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from rsportal.applications import casenumbers
from rsportal.applications import domain as applications
from rsportal.applications.models import Application, BudgetLine, Call, CaseCounter, Participant
from rsportal.assessment import domain, letters
from rsportal.assessment.models import LetterTemplate
from rsportal.core import backoffice
from rsportal.core.models import AuditEvent, Notification
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation

from . import factories as f
from .test_assessment import forward_all, open_item, round_  # noqa: F401 (round_ is a fixture)

M = 1_000_000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def printed(monkeypatch):
    """The HTML each PDF is printed from, as the words a reader sees (tags stripped)."""
    from rsportal.assessment import documents

    pages = []
    original = documents.render_to_string

    def spy(template, context):
        html = original(template, context)
        body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
        pages.append(" ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()))
        return html

    monkeypatch.setattr(documents, "render_to_string", spy)
    return pages


# --- case numbers -----------------------------------------------------------------------


def _draft(world, personas, title):
    call = Call.objects.filter(title="Åpen utlysning").first() or Call.objects.create(
        pot=funding.root_pot(world.rhf), title="Åpen utlysning", status=Call.Status.PUBLISHED, purpose="-"
    )
    if not call.deadlines.exists():
        call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
        call.steps.create(step="decision", body=world.stu)
    application = applications.start_application(personas.applicant, call=call, title=title, type="project", helsefellesskap=world.hf)
    applications.add_participant(personas.applicant, application, trust=world.trust, contact_name="Trond", contact_email="trond@example.invalid")
    f.fill_completely(application, personas.applicant, municipality=world.tromso, trust=world.trust)
    return application


class TestCaseNumbers:
    def test_given_at_first_submission_in_sequence_and_kept_on_resubmission(self, world, personas, login):
        first, second = _draft(world, personas, "Første"), _draft(world, personas, "Andre")
        assert first.case_number == ""
        applications.submit(personas.applicant, first)
        applications.submit(personas.applicant, second)
        first.refresh_from_db()
        second.refresh_from_db()
        yy = f"{timezone.localdate().year % 100:02d}"
        assert (first.case_number, second.case_number) == (f"{yy}/00001", f"{yy}/00002")
        assert first.case_register == world.rhf
        assert f"{yy}/00001" in login(personas.applicant).get(f"/soknader/{first.pk}/vis/").content.decode()
        assert CaseCounter.objects.get(rhf=world.rhf, year=timezone.localdate().year).last == 2
        # The notification's subject carries it.
        assert Notification.objects.filter(subject__startswith=f"Sak {yy}/00001: Søknad mottatt").exists()
        # Reopened and submitted again: the same case, the same number.
        applications.reopen_for_revision(personas.secretariat, first, "Rett budsjettet")
        applications.submit(personas.applicant, Application.objects.get(pk=first.pk))
        first.refresh_from_db()
        assert first.case_number == f"{yy}/00001"
        assert CaseCounter.objects.get(rhf=world.rhf).last == 2

    def test_each_rhf_numbers_its_own_cases(self, world, personas):
        other = Application(call=Call(pot=funding.root_pot(world.other_rhf)))
        own = _draft(world, personas, "Egen")
        applications.submit(personas.applicant, own)
        own.refresh_from_db()
        assert own.case_number.endswith("/00001")
        assert casenumbers.register_of(other) == world.other_rhf

    def test_the_same_number_twice_in_one_register_is_refused(self, world, personas):
        from django.db import IntegrityError, transaction

        a, b = _draft(world, personas, "A"), _draft(world, personas, "B")
        Application.objects.filter(pk=a.pk).update(case_number="26/00001", case_register=world.rhf)
        with pytest.raises(IntegrityError), transaction.atomic():
            Application.objects.filter(pk=b.pk).update(case_number="26/00001", case_register=world.rhf)

    @pytest.mark.postgres_only
    @pytest.mark.django_db(transaction=True)
    def test_concurrent_submissions_get_different_numbers(self, world, personas):
        drafts = [_draft(world, personas, f"Samtidig {i}") for i in range(4)]
        barrier = threading.Barrier(len(drafts))
        errors = []

        def submit(application):
            try:
                barrier.wait()
                applications.submit(personas.applicant, Application.objects.get(pk=application.pk))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=(d,)) for d in drafts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        numbers = sorted(Application.objects.filter(pk__in=[d.pk for d in drafts]).values_list("case_number", flat=True))
        assert [n[-5:] for n in numbers] == ["00001", "00002", "00003", "00004"]


# --- the letter -------------------------------------------------------------------------


@pytest.fixture
def granted(world, personas, round_):  # noqa: F811
    """A two-year partial grant to Tromsø's application (2028 conditional), with its case number."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2028, name="RS 2028", amount=10 * M, rhf=world.rhf))
    call, apps = round_
    application = apps[0]
    BudgetLine.objects.create(application=application, year=2028, kind="grant", amount=1_250_000, description="Tilskudd")
    Application.objects.filter(pk=application.pk).update(case_number="26/00123", case_register=world.rhf, research_share=300_000)
    world.tromso.postal_address = "Postboks 6900\n9299 Tromsø"
    world.tromso.save()
    forward_all(world, personas, call, apps)
    open_item(personas, application)
    decision = domain.propose_decision(personas.chair, application, outcome="partial", amounts={2027: 3 * M, 2028: 1_000_000}, reason="Delvis i tråd med formålet.", part_description="Kompetansedelen.")
    domain.cast_vote(personas.chair, decision, "for")
    domain.cast_vote(personas.member, decision, "for")
    domain.conclude(personas.chair, decision)
    decision.refresh_from_db()
    return decision


class TestLetter:
    def test_the_letter_says_what_a_public_body_must(self, world, personas, granted, login, printed):
        template = letters.template_for(world.rhf, "partial")
        template.signer_name, template.signer_title = "Kari Nordmann", "Fagdirektør"
        template.appeal_text = "Klage sendes Helse Nord RHF innen tre uker. Saksnummer {{ saksnummer }}."
        template.save()
        response = login(personas.applicant).get(f"/vurdering/vedtak/{granted.pk}/brev.pdf")
        assert response.status_code == 200
        assert 'filename="vedtak-26-00123.pdf"' in response["Content-Disposition"]
        assert response.content.startswith(b"%PDF")
        text = printed[-1]
        assert "Vår ref.: 26/00123" in text and "Deres ref.:" in text
        assert "Tromsø kommune" in text and "Postboks 6900 9299 Tromsø" in text and "v/ Kontakt 0" in text
        assert "Universitetssykehuset" not in text  # the trust is not an owner of this application
        assert spelled(timezone.localdate(granted.concluded_at)) in text
        # Applied and granted per year, the later year conditional, the sum.
        assert "2027 4 000 000 kr 3 000 000 kr" in text
        assert "2028 1 250 000 kr 1 000 000 kr (betinget)" in text
        assert "Sum 5 250 000 kr 4 000 000 kr" in text
        assert "Søknaden oppgir forskning for 300 000 kr; dette beløpet settes av og utbetales ikke til prosjektet, som får utbetalt 3 700 000 kr." in text
        assert "Med hilsen Kari Nordmann Fagdirektør Helse Nord RHF" in text
        assert "Dokumentet er elektronisk godkjent og har derfor ingen signatur." in text
        assert "Klage sendes Helse Nord RHF innen tre uker. Saksnummer 26/00123." in text

    def test_no_research_line_when_the_call_does_not_deduct_it(self, granted, printed):
        Call.objects.filter(pk=granted.application.call_id).update(research_deducted=False)
        granted.refresh_from_db()
        assert letters.for_decision(granted).research == 0
        letters.pdf(letters.for_decision(granted))
        assert "til forskning" not in printed[-1]

    def test_no_research_line_when_nothing_was_applied_for_research(self, granted):
        Application.objects.filter(pk=granted.application_id).update(research_share=0)
        granted.refresh_from_db()
        assert letters.for_decision(granted).research == 0

    def test_a_body_of_its_own_gets_its_own_template(self, world, granted):
        own = LetterTemplate.objects.create(rhf=world.rhf, body=world.stu, kind="partial", subject="STU: {{ tittel }}", body_text="-", appeal_text="Klage til STU.")
        letter = letters.for_decision(granted)
        assert letter.template == own and letter.subject == f"STU: {granted.application.title}" and letter.appeal == "Klage til STU."

    def test_default_texts_have_the_appeal_information(self, world):
        template = letters.template_for(world.rhf, "rejected")
        assert "forvaltningsloven §§ 28 og 29" in template.appeal_text and "tre uker" in template.appeal_text
        letter = letters.sample(template)
        assert "Send klagen til Helse Nord RHF, som fattet vedtaket" in letter.appeal

    def test_herad_and_kommune(self):
        from rsportal.registry.models import Municipality

        assert Municipality(number="5532", name="Balsfjord").official_name == "Balsfjord kommune"
        assert Municipality(number="4621", name="Voss").official_name == "Voss herad"


def spelled(day):
    from django.utils import dateformat

    return dateformat.format(day, "j. F Y")


# --- templates: placeholders ---------------------------------------------------------------


class TestPlaceholders:
    def test_known_placeholders_are_filled(self):
        assert letters.fill("Sak {{ saksnummer }}: {{tittel}}", {"saksnummer": "26/00001", "tittel": "X"}) == "Sak 26/00001: X"

    @pytest.mark.parametrize("text", ["{{ settings.SECRET_KEY }}", "{% load static %}", "{% debug %}", "{{ request.user.password }}", "{# x #}", "{{ tittel|safe }}"])
    def test_anything_else_is_refused_on_save(self, text):
        with pytest.raises(ValidationError):
            letters.check_text(f"Hei {text}")

    def test_anything_else_stored_anyway_is_printed_as_written(self, world, settings, printed):
        template = letters.template_for(world.rhf, "full")
        LetterTemplate.objects.filter(pk=template.pk).update(body_text="A {{ settings.SECRET_KEY }} B {% debug %} <b>C</b>")
        template.refresh_from_db()
        letter = letters.sample(template)
        assert letter.body == "A {{ settings.SECRET_KEY }} B {% debug %} <b>C</b>"
        letters.pdf(letter)
        text = printed[-1]
        assert settings.SECRET_KEY not in text and "{{ settings.SECRET_KEY }}" in text and "<b>C</b>" in text


# --- templates: the back office ----------------------------------------------------------


def _form(template, **changes):
    data = {name: getattr(template, name) for name in letters.TEXT_FIELDS}
    data[backoffice.VERSION_FIELD] = backoffice.version(template)
    return {**data, **changes}


class TestTemplatePages:
    def test_rhf_admin_edits_with_audit_and_preview(self, world, personas, login, printed):
        client = login(personas.rhf_admin)
        page = client.get("/administrasjon/brevmaler/")
        assert page.status_code == 200
        assert LetterTemplate.objects.filter(rhf=world.rhf).count() == 5
        template = LetterTemplate.objects.get(rhf=world.rhf, body=None, kind="full")
        assert f"/administrasjon/brevmaler/{template.pk}/" in page.content.decode()
        response = client.post(
            f"/administrasjon/brevmaler/{template.pk}/endre/",
            {**_form(template, signer_name="Kari Nordmann", letterhead_org_number="123 456 789", appeal_text="Klag innen tre uker, sak {{ saksnummer }}."), "logo_file": SimpleUploadedFile("logo.png", PNG)},
        )
        assert response.status_code == 302
        template.refresh_from_db()
        assert template.letterhead_org_number == "123456789" and letters.sample(template).sender_org_number == "123 456 789"
        assert template.signer_name == "Kari Nordmann" and template.appeal_text.startswith("Klag innen") and bytes(template.logo) == PNG and template.logo_type == "image/png"
        event = AuditEvent.objects.get(action="letter_template.updated", object_id=str(template.pk))
        assert event.actor == personas.rhf_admin and "appeal_text" in event.data["fields"] and "logo" in event.data["fields"]
        assert "Kari Nordmann" in client.get(f"/administrasjon/brevmaler/{template.pk}/").content.decode()
        assert "Brevmal endret" in client.get(f"/administrasjon/brevmaler/{template.pk}/historikk/").content.decode()
        # Preview: the saved texts, and typed texts without saving them.
        saved = client.get(f"/administrasjon/brevmaler/{template.pk}/forhandsvisning.pdf")
        assert saved.status_code == 200 and "Klag innen tre uker" in printed[-1]
        typed = client.post(f"/administrasjon/brevmaler/{template.pk}/forhandsvisning.pdf", _form(template, appeal_text="Utkast til klagetekst"))
        assert typed.status_code == 200 and "Utkast til klagetekst" in printed[-1]
        template.refresh_from_db()
        assert template.appeal_text.startswith("Klag innen")

    def test_another_rhf_is_not_found_and_others_are_refused(self, world, personas, login):
        theirs = letters.template_for(world.other_rhf, "full")
        client = login(personas.rhf_admin)
        for suffix in ("", "endre/", "historikk/", "forhandsvisning.pdf"):
            assert client.get(f"/administrasjon/brevmaler/{theirs.pk}/{suffix}").status_code == 404
        assert client.post(f"/administrasjon/brevmaler/{theirs.pk}/endre/", _form(theirs, subject="Kapret")).status_code == 404
        theirs.refresh_from_db()
        assert theirs.subject != "Kapret"
        assert login(personas.secretariat).get("/administrasjon/brevmaler/").status_code == 403
        with pytest.raises(PermissionDenied):
            letters.update_template(personas.rhf_admin, theirs, expected=None, subject="Kapret")

    def test_a_body_gets_its_own_template(self, world, personas, login):
        client = login(personas.rhf_admin)
        far_body = f.BodyFactory(kind="ssu", name="SSU Bergen", helsefellesskap=world.far_hf)
        assert client.post("/administrasjon/brevmaler/ny/", {"body": far_body.pk, "kind": "full"}).status_code == 400
        response = client.post("/administrasjon/brevmaler/ny/", {"body": world.stu.pk, "kind": "rejected"})
        own = LetterTemplate.objects.get(rhf=world.rhf, body=world.stu, kind="rejected")
        assert response.status_code == 302 and response["Location"] == f"/administrasjon/brevmaler/{own.pk}/"
        assert own.appeal_text == letters.template_for(world.rhf, "rejected").appeal_text
        assert letters.template_for(world.rhf, "rejected", world.stu) == own
        assert AuditEvent.objects.filter(action="letter_template.created", object_id=str(own.pk), actor=personas.rhf_admin).exists()
        assert client.post("/administrasjon/brevmaler/ny/", {"body": world.stu.pk, "kind": "rejected"}).status_code == 400
        assert not LetterTemplate.objects.filter(body=far_body).exists()

    def test_stale_edit_is_refused(self, world, personas, login):
        template = letters.template_for(world.rhf, "full")
        form = _form(template, subject="Min versjon")
        letters.update_template(personas.rhf_admin, template, expected=None, subject="Noen andres versjon")
        response = login(personas.rhf_admin).post(f"/administrasjon/brevmaler/{template.pk}/endre/", form)
        assert response.status_code == 409
        template.refresh_from_db()
        assert template.subject == "Noen andres versjon"

    @pytest.mark.parametrize(("field", "value"), [("appeal_text", "{{ settings.SECRET_KEY }}"), ("body_text", "{% load static %}"), ("subject", "{{ tittel.__class__ }}")])
    def test_unsafe_text_is_refused(self, world, personas, login, field, value):
        template = letters.template_for(world.rhf, "full")
        before = getattr(template, field)
        response = login(personas.rhf_admin).post(f"/administrasjon/brevmaler/{template.pk}/endre/", _form(template, **{field: value}))
        html = response.content.decode()
        assert response.status_code == 400 and ("Ukjent flettefelt" in html or "malkoder" in html)
        template.refresh_from_db()
        assert getattr(template, field) == before
        with pytest.raises(ValidationError):
            letters.update_template(personas.rhf_admin, template, expected=None, **{field: value})

    def test_a_logo_is_judged_by_its_content(self, world, personas, login):
        template = letters.template_for(world.rhf, "full")
        fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>")
        response = login(personas.rhf_admin).post(f"/administrasjon/brevmaler/{template.pk}/endre/", {**_form(template), "logo_file": fake})
        assert response.status_code == 400 and "PNG- eller JPEG" in response.content.decode()
        template.refresh_from_db()
        assert not template.logo
