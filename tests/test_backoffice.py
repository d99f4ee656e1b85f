"""The back office: scope, locking, audit and history, seat rules, invitations, query counts."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import Invitation, OrganisationRole
from rsportal.core.backoffice import StaleEdit, version
from rsportal.core.models import AuditEvent, Notification
from rsportal.registry import domain
from rsportal.registry.models import Body, BodyMember

from . import factories as f
from .test_query_counts import assert_constant

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 1)


def seat_values(**extra):
    return {"name": "Siri Sørensen", "side": BodyMember.Side.MUNICIPALITY, "role": BodyMember.Role.MEMBER, "voting": True, "basis": "", "municipality": None, "trust": None, "start": START, "end": None, **extra}


def seat_post(**extra):
    values = {"name": "Siri Sørensen", "side": "municipality", "role": "member", "voting": "on", "basis": "", "municipality": "", "trust": "", "start": "2026-01-01", "end": ""}
    values.update(extra)
    return {k: v for k, v in values.items() if v is not None}


def version_on(html: str) -> str:
    return re.search(r'name="_version" value="([^"]*)"', html).group(1)


@pytest.fixture
def ssu(world, personas):
    body = domain.create_body(personas.secretariat, helsefellesskap=world.hf, kind=Body.Kind.SSU, name="Strategisk samarbeidsutvalg")
    return body


@pytest.fixture
def seat(ssu, personas, world):
    return domain.add_seat(personas.secretariat, ssu, **seat_values(municipality=world.tromso))


@pytest.fixture
def neighbour(world):
    """The secretariat of the other helsefellesskap in the same RHF (Finnmark)."""
    user = f.UserFactory(username="finnmark_secretariat")
    f.seat(Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariat Finnmark", helsefellesskap=world.other_hf), user)
    return user


# --- scope -------------------------------------------------------------------------------


def test_another_helsefellesskap_gets_404_on_every_object_and_sees_none(world, personas, ssu, seat, neighbour, login, client):
    role = OrganisationRole.objects.get(user=personas.applicant)
    invitation, _token = accounts.invite(personas.secretariat, email="ny@example.invalid", name="Nina Ny", base_url="http://testserver/", kind="applicant", municipality=world.harstad)
    login(neighbour)
    before = (version(seat), version(ssu), version(role))
    urls = [
        f"/administrasjon/organer/{ssu.pk}/", f"/administrasjon/organer/{ssu.pk}/endre/", f"/administrasjon/organer/{ssu.pk}/historikk/",
        f"/administrasjon/organer/{ssu.pk}/seter/nytt/", f"/administrasjon/organer/seter/{seat.pk}/", f"/administrasjon/organer/seter/{seat.pk}/endre/",
        f"/administrasjon/organer/seter/{seat.pk}/avslutt/", f"/administrasjon/organer/seter/{seat.pk}/historikk/",
        f"/administrasjon/personer/roller/{role.pk}/", f"/administrasjon/personer/roller/{role.pk}/avslutt/", f"/administrasjon/personer/roller/{role.pk}/historikk/",
        f"/administrasjon/personer/inviter/?sete={seat.pk}",
        f"/administrasjon/organer/{world.stu.pk}/",  # the RHF's own body is the RHF's
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        if re.search(r"/(endre|avslutt|nytt|inviter)/", url):
            assert client.post(url, {**seat_post(name="Kapret"), "end": "2026-06-30", "kind": "ssu", "email": "k@example.invalid"}).status_code == 404, url

    assert (version(BodyMember.objects.get(pk=seat.pk)), version(Body.objects.get(pk=ssu.pk)), version(OrganisationRole.objects.get(pk=role.pk))) == (
        version(seat), version(ssu), version(role)
    ) == before
    assert BodyMember.objects.filter(body=ssu).count() == 1
    lists = "".join(client.get(url).content.decode() for url in ("/administrasjon/organer/", "/administrasjon/personer/", "/administrasjon/personer/invitasjoner/"))
    assert "Strategisk samarbeidsutvalg" not in lists
    assert "Sekretariat Finnmark" in lists  # their own body is listed: the check above can fail
    assert personas.applicant.email not in lists
    assert invitation.email not in lists


def test_secretariat_lists_its_own_bodies_and_applicants_only(world, personas, ssu, login, client):
    login(personas.secretariat)

    bodies = client.get("/administrasjon/organer/").content.decode()
    people = client.get("/administrasjon/personer/").content.decode()

    assert "Strategisk samarbeidsutvalg" in bodies and "Sekretariat" in bodies
    assert "Tildelingsutvalget" not in bodies and "Sekretariat Bergen" not in bodies
    assert personas.applicant.email in people  # applicant for Tromsø, a member municipality
    assert personas.other_applicant.email not in people  # Bergen
    assert personas.rhf_admin.email not in people  # RHF roles are the RHF administrator's


def test_rhf_admin_keeps_the_rhf_bodies_and_the_secretariat_does_not(world, personas, login, client):
    login(personas.rhf_admin)
    assert "Tildelingsutvalget" in client.get("/administrasjon/organer/").content.decode()
    assert client.get(f"/administrasjon/organer/{world.stu.pk}/").status_code == 200
    login(personas.secretariat)
    assert client.get(f"/administrasjon/organer/{world.stu.pk}/").status_code == 404


def test_people_without_anything_to_manage_are_refused_and_see_no_menu_link(personas, login, client):
    login(personas.applicant)
    assert client.get("/administrasjon/").status_code == 403
    assert client.get("/administrasjon/organer/").status_code == 403
    assert 'href="/administrasjon/"' not in client.get("/helsefellesskap/").content.decode()
    login(personas.secretariat)
    page = client.get("/administrasjon/")
    assert page.status_code == 200
    assert "Organer og seter" in page.content.decode()
    assert 'href="/administrasjon/"' in client.get("/helsefellesskap/").content.decode()


# --- saving through the domain, audit and history ---------------------------------------


def test_adding_a_seat_saves_it_writes_the_audit_trail_and_shows_in_history(world, personas, ssu, login, client):
    login(personas.secretariat)

    response = client.post(f"/administrasjon/organer/{ssu.pk}/seter/nytt/", seat_post(role="leader", municipality=world.harstad.pk))

    seat = BodyMember.objects.get(body=ssu)
    assert response.status_code == 302 and response["Location"] == f"/administrasjon/organer/seter/{seat.pk}/"
    assert (seat.name, seat.role, seat.municipality, seat.start, seat.end, seat.user) == ("Siri Sørensen", "leader", world.harstad, START, None, None)
    event = AuditEvent.objects.get(action="seat_added")
    assert (event.actor, event.object_id) == (personas.secretariat, str(seat.pk))
    history = client.get(f"/administrasjon/organer/seter/{seat.pk}/historikk/").content.decode()
    assert "Sete lagt til: Siri Sørensen, leder i Strategisk samarbeidsutvalg fra 1. januar 2026." in history
    body_history = client.get(f"/administrasjon/organer/{ssu.pk}/historikk/").content.decode()
    assert "Sete lagt til" in body_history and "Organet Strategisk samarbeidsutvalg er opprettet" in body_history
    detail = client.get(f"/administrasjon/organer/{ssu.pk}/").content.decode()
    assert "Leder og nestleder over tid" in detail and "1. januar 2026" in detail and "leader" not in detail.replace('"leader"', "")


def test_body_pages_show_labels_and_dates_in_norwegian_not_codes(world, personas, ssu, seat, login, client):
    login(personas.secretariat)
    page = client.get(f"/administrasjon/organer/seter/{seat.pk}/").content.decode()
    assert "1. januar 2026" in page and "Kommune" in page and "Medlem" in page
    assert ">municipality<" not in page and ">member<" not in page and "2026-01-01" not in page


def test_a_stale_save_is_refused_and_keeps_what_was_typed(world, personas, ssu, seat, login, client):
    login(personas.secretariat)
    seen = version_on(client.get(f"/administrasjon/organer/seter/{seat.pk}/endre/").content.decode())
    domain.change_seat(personas.sysadmin, seat, expected=None, basis="Oppnevnt av kommunestyret")

    response = client.post(f"/administrasjon/organer/seter/{seat.pk}/endre/", seat_post(name="Siri Skrevet-Inn", municipality=world.tromso.pk, _version=seen))

    page = response.content.decode()
    assert response.status_code == 409
    assert "lagret endringer" in page and "Det du skrev er ikke lagret" in page
    assert 'value="Siri Skrevet-Inn"' in page
    seat.refresh_from_db()
    assert (seat.name, seat.basis) == ("Siri Sørensen", "Oppnevnt av kommunestyret")
    # The form now carries the saved version: saving again is a deliberate overwrite.
    again = client.post(f"/administrasjon/organer/seter/{seat.pk}/endre/", seat_post(name="Siri Skrevet-Inn", municipality=world.tromso.pk, _version=version_on(page)))
    assert again.status_code == 302
    seat.refresh_from_db()
    assert seat.name == "Siri Skrevet-Inn"


def test_a_stale_end_is_refused_too(personas, seat, login, client):
    login(personas.secretariat)
    seen = version_on(client.get(f"/administrasjon/organer/seter/{seat.pk}/avslutt/").content.decode())
    domain.change_seat(personas.sysadmin, seat, basis="Endret i mellomtiden")

    response = client.post(f"/administrasjon/organer/seter/{seat.pk}/avslutt/", {"end": "2026-06-30", "_version": seen})

    assert response.status_code == 409
    seat.refresh_from_db()
    assert seat.end is None


def test_the_domain_refuses_a_stale_version(personas, seat):
    seen = version(seat)
    domain.change_seat(personas.secretariat, seat, name="Først")
    with pytest.raises(StaleEdit):
        domain.change_seat(personas.secretariat, seat, expected=seen, name="Sist")
    seat.refresh_from_db()
    assert seat.name == "Først"


def test_updating_a_body_is_audited_with_what_changed(personas, ssu, login, client):
    login(personas.secretariat)
    seen = version_on(client.get(f"/administrasjon/organer/{ssu.pk}/endre/").content.decode())

    response = client.post(
        f"/administrasjon/organer/{ssu.pk}/endre/",
        {"kind": "ssu", "name": "SSU Troms og Ofoten", "decision_rule": "consensus", "quorum": "at_least_half", "requires_both_sides": "on", "_version": seen},
    )

    assert response.status_code == 302
    ssu.refresh_from_db()
    assert (ssu.name, ssu.decision_rule, ssu.requires_both_sides) == ("SSU Troms og Ofoten", "consensus", True)
    event = AuditEvent.objects.get(action="body_changed")
    assert event.data["changes"]["name"] == ["Strategisk samarbeidsutvalg", "SSU Troms og Ofoten"]


def test_creating_a_body_for_another_helsefellesskap_is_refused(world, personas, login, client):
    login(personas.secretariat)
    response = client.post("/administrasjon/organer/nytt/", {"owner": f"hf-{world.other_hf.pk}", "kind": "au", "name": "Kapret AU", "decision_rule": "majority", "quorum": "more_than_half"})
    assert response.status_code == 400  # not one of the choices
    assert not Body.objects.filter(name="Kapret AU").exists()
    with pytest.raises(PermissionDenied):
        domain.create_body(personas.secretariat, helsefellesskap=world.other_hf, kind="au", name="Kapret AU")
    ok = client.post("/administrasjon/organer/nytt/", {"owner": f"hf-{world.hf.pk}", "kind": "au", "name": "Arbeidsutvalget", "decision_rule": "majority", "quorum": "more_than_half"})
    body = Body.objects.get(name="Arbeidsutvalget")
    assert ok.status_code == 302 and body.helsefellesskap == world.hf


# --- seat rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"role": BodyMember.Role.OBSERVER, "voting": True}, "voting"),
        ({"role": BodyMember.Role.MINUTE_TAKER, "voting": True}, "voting"),
        ({"end": START - datetime.timedelta(days=1)}, "end"),
    ],
)
def test_seat_rules(personas, ssu, extra, field):
    with pytest.raises(ValidationError) as refused:
        domain.add_seat(personas.secretariat, ssu, **seat_values(**extra))
    assert field in refused.value.message_dict
    assert not BodyMember.objects.filter(body=ssu).exists()


def test_the_represented_municipality_must_be_a_member(world, personas, ssu, login, client):
    with pytest.raises(ValidationError) as refused:
        domain.add_seat(personas.secretariat, ssu, **seat_values(municipality=world.alta))
    assert "Alta er ikke medlem av Troms og Ofoten" in refused.value.message_dict["municipality"][0]
    # An RHF body takes any municipality of the RHF's helsefellesskap, but not another region's.
    domain.add_seat(personas.rhf_admin, world.stu, **seat_values(municipality=world.alta))
    with pytest.raises(ValidationError):
        domain.add_seat(personas.rhf_admin, world.stu, **seat_values(municipality=world.bergen))


def test_an_observer_with_voting_right_is_shown_on_the_field(personas, ssu, login, client):
    login(personas.secretariat)
    response = client.post(f"/administrasjon/organer/{ssu.pk}/seter/nytt/", seat_post(role="observer", voting="on"))
    assert response.status_code == 400
    assert "En observatør eller referent har ikke stemmerett." in response.content.decode()
    assert not BodyMember.objects.filter(body=ssu).exists()


def test_ending_a_seat_keeps_the_row_and_tells_the_person(world, personas, login, client):
    member_seat = BodyMember.objects.get(user=personas.member)
    login(personas.rhf_admin)
    seen = version_on(client.get(f"/administrasjon/organer/seter/{member_seat.pk}/avslutt/").content.decode())

    response = client.post(f"/administrasjon/organer/seter/{member_seat.pk}/avslutt/", {"end": "2026-06-30", "_version": seen})

    assert response.status_code == 302
    member_seat.refresh_from_db()
    assert member_seat.end == datetime.date(2026, 6, 30)
    assert AuditEvent.objects.filter(action="seat_ended", object_id=str(member_seat.pk)).count() == 1
    assert Notification.objects.get(recipient=personas.member.email).subject == "Setet ditt i Tildelingsutvalget er avsluttet"
    with pytest.raises(ValidationError):
        domain.end_seat(personas.rhf_admin, member_seat, end=datetime.date(2019, 1, 1))


# --- invitations -------------------------------------------------------------------------


def _token_from_mail(email: str) -> str:
    body = Notification.objects.get(recipient=email).body
    return re.search(r"/invitasjon/([^/\s]+)/", body).group(1)


def test_invite_to_a_seat_then_accept_with_a_new_password(world, personas, seat, login, client, settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    login(personas.secretariat)
    response = client.post(f"/administrasjon/personer/inviter/?sete={seat.pk}", {"name": "Siri Sørensen", "email": "Siri@Example.invalid"})
    assert response.status_code == 302

    invitation = Invitation.objects.get()
    token = _token_from_mail("Siri@Example.invalid")
    assert invitation.seat == seat and invitation.invited_by == personas.secretariat
    assert token not in invitation.token_hash and invitation.token_hash == accounts.digest(token)  # hashed at rest
    assert (invitation.expires_at - timezone.now()).days == 13
    assert "http://testserver/invitasjon/" in Notification.objects.get(recipient="Siri@Example.invalid").body
    assert AuditEvent.objects.filter(action="seat_invited", object_id=str(seat.pk)).exists()

    client.logout()
    weak = client.post(f"/invitasjon/{token}/", {"password1": "12345", "password2": "12345"})
    assert weak.status_code == 400 and not get_user_model().objects.filter(email__iexact="siri@example.invalid").exists()
    accepted = client.post(f"/invitasjon/{token}/", {"password1": "Fjelltopp-og-fjord-42", "password2": "Fjelltopp-og-fjord-42"})

    user = get_user_model().objects.get(email="siri@example.invalid")
    seat.refresh_from_db()
    assert seat.user == user and user.check_password("Fjelltopp-og-fjord-42")
    assert accepted.status_code == 302 and accepted["Location"].startswith("/logg-inn/tofaktor/oppsett/")  # a seat needs two-factor
    invitation.refresh_from_db()
    assert invitation.used_by == user and invitation.used_at is not None
    # single use
    client.logout()
    again = client.get(f"/invitasjon/{token}/")
    assert again.status_code == 410 and "allerede brukt" in again.content.decode()


def test_an_expired_or_unknown_link_gets_a_clear_page(world, personas, client):
    invitation, token = accounts.invite(personas.secretariat, email="sen@example.invalid", name="Sen Søker", base_url="http://testserver/", kind="applicant", municipality=world.harstad)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    expired = client.post(f"/invitasjon/{token}/", {"password1": "Fjelltopp-og-fjord-42", "password2": "Fjelltopp-og-fjord-42"})
    unknown = client.get("/invitasjon/ikke-en-ekte-lenke/")

    assert expired.status_code == 410 and "utløpt" in expired.content.decode()
    assert unknown.status_code == 404 and "Vi fant ingen invitasjon" in unknown.content.decode()
    assert not get_user_model().objects.filter(email="sen@example.invalid").exists()
    assert not OrganisationRole.objects.filter(municipality=world.harstad).exists()


def test_invite_an_applicant_role_which_needs_no_two_factor(world, personas, login, client):
    login(personas.secretariat)
    response = client.post("/administrasjon/personer/inviter/", {"name": "Hanne Harstad", "email": "hanne@example.invalid", "grant": f"applicant:m:{world.harstad.pk}"})
    assert response.status_code == 302
    token = _token_from_mail("hanne@example.invalid")
    client.logout()

    accepted = client.post(f"/invitasjon/{token}/", {"password1": "Fjelltopp-og-fjord-42", "password2": "Fjelltopp-og-fjord-42"})

    role = OrganisationRole.objects.get(municipality=world.harstad)
    assert (role.user.email, role.kind, role.valid_to) == ("hanne@example.invalid", "applicant", None)
    assert accepted.status_code == 302 and accepted["Location"] == "/"
    assert AuditEvent.objects.filter(action="role_granted", object_id=str(role.pk)).exists()


def test_a_secretariat_cannot_give_roles_outside_its_scope(world, personas, login, client):
    login(personas.secretariat)
    page = client.get("/administrasjon/personer/inviter/").content.decode()
    assert "Søker for Harstad" in page and "Alta" not in page and "RHF-administrator" not in page
    refused = client.post("/administrasjon/personer/inviter/", {"name": "X", "email": "x@example.invalid", "grant": f"rhf_admin:r:{world.rhf.pk}"})
    assert refused.status_code == 400 and not Invitation.objects.exists()
    for scope in ({"kind": "rhf_admin", "rhf": world.rhf}, {"kind": "applicant", "municipality": world.alta}):
        with pytest.raises(PermissionDenied):
            accounts.invite(personas.secretariat, email="x@example.invalid", name="X", base_url="http://t/", **scope)
    assert not Notification.objects.exists()


def test_an_existing_account_signs_in_and_accept_binds_it(world, personas, ssu, login, client):
    seat = domain.add_seat(personas.secretariat, ssu, **seat_values(name=personas.applicant.get_full_name()))
    _invitation, token = accounts.invite(personas.secretariat, email=personas.applicant.email.upper(), name="A", base_url="http://testserver/", seat=seat)

    anonymous = client.get(f"/invitasjon/{token}/").content.decode()
    assert "Du har allerede en konto" in anonymous and "/logg-inn/?next=" in anonymous
    login(personas.other_applicant)
    assert client.post(f"/invitasjon/{token}/").status_code == 403
    login(personas.applicant)
    response = client.post(f"/invitasjon/{token}/")

    seat.refresh_from_db()
    assert seat.user == personas.applicant
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/tofaktor/")


def test_withdrawing_an_invitation_stops_the_link(world, personas, neighbour, login, client):
    invitation, token = accounts.invite(personas.secretariat, email="feil@example.invalid", name="Feil Adresse", base_url="http://t/", kind="applicant", municipality=world.harstad)
    login(neighbour)
    assert client.get(f"/administrasjon/personer/invitasjoner/{invitation.pk}/trekk/").status_code == 404
    login(personas.secretariat)
    seen = version_on(client.get(f"/administrasjon/personer/invitasjoner/{invitation.pk}/trekk/").content.decode())
    assert client.post(f"/administrasjon/personer/invitasjoner/{invitation.pk}/trekk/", {}).status_code == 409  # no version: refused

    response = client.post(f"/administrasjon/personer/invitasjoner/{invitation.pk}/trekk/", {"_version": seen})

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="invitation_withdrawn", object_id=str(invitation.pk)).count() == 1
    client.logout()
    assert client.get(f"/invitasjon/{token}/").status_code == 410


def test_ending_a_role(world, personas, login, client):
    role = OrganisationRole.objects.get(user=personas.applicant)
    login(personas.secretariat)
    seen = version_on(client.get(f"/administrasjon/personer/roller/{role.pk}/avslutt/").content.decode())

    response = client.post(f"/administrasjon/personer/roller/{role.pk}/avslutt/", {"end": "2026-12-31", "_version": seen})

    assert response.status_code == 302
    role.refresh_from_db()
    assert role.valid_to == datetime.date(2026, 12, 31)
    assert "Rollen til" in client.get(f"/administrasjon/personer/roller/{role.pk}/historikk/").content.decode()
    assert Notification.objects.filter(recipient=personas.applicant.email).exists()


# --- query counts -------------------------------------------------------------------------


def test_body_list_and_body_page_cost_the_same_with_more_rows(world, personas, ssu, seat, login, client):
    login(personas.secretariat)

    def more_bodies():
        for n in range(5):
            body = domain.create_body(personas.secretariat, helsefellesskap=world.hf, kind=Body.Kind.AU, name=f"AU {n}")
            domain.add_seat(personas.secretariat, body, **seat_values(name=f"Person {n}"))

    def more_seats():
        for n in range(8):
            role = (BodyMember.Role.DEPUTY, BodyMember.Role.MEMBER, BodyMember.Role.LEADER)[n % 3]
            domain.add_seat(personas.secretariat, ssu, **seat_values(name=f"Medlem {n}", role=role, municipality=world.harstad, end=START + datetime.timedelta(days=n * 30) if n % 2 else None))

    assert_constant(client, "/administrasjon/organer/", more_bodies)
    assert_constant(client, f"/administrasjon/organer/{ssu.pk}/", more_seats)
    assert_constant(client, f"/administrasjon/organer/{ssu.pk}/historikk/", more_seats)


def test_role_and_invitation_lists_cost_the_same_with_more_rows(world, personas, login, client):
    login(personas.rhf_admin)

    def more():
        for n in range(6):
            f.role(f.UserFactory(), OrganisationRole.Kind.APPLICANT, municipality=world.harstad if n % 2 else world.alta)
            accounts.invite(personas.rhf_admin, email=f"p{n}@example.invalid", name=f"P {n}", base_url="http://t/", kind="applicant", trust=world.trust)

    accounts.invite(personas.rhf_admin, email="first@example.invalid", name="First", base_url="http://t/", kind="applicant", trust=world.trust)
    assert_constant(client, "/administrasjon/personer/", more)
    assert_constant(client, "/administrasjon/personer/invitasjoner/", more)
