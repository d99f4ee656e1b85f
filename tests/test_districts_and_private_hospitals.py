"""Oslo's city districts and private non-profit hospitals as participants.

Our choice for counting: a city district (bydel) is not a municipality. A participant that is a
district carries its municipality too, so everything that counts municipalities (statistics,
the municipal side, pre-project caps, ownership) counts Oslo once; the district's own name is
what people read. A private non-profit hospital with an operating agreement is a HealthTrust of
kind "private", so it is on the specialist side like any trust."""

import pytest
from django.core.exceptions import PermissionDenied

from rsportal.applications import domain as applications
from rsportal.applications.models import Participant
from rsportal.assessment import domain, letters
from rsportal.catalogue import statistics
from rsportal.core.models import AuditEvent
from rsportal.registry import domain as registry
from rsportal.registry import importers
from rsportal.registry.models import Body, CityDistrict, HealthTrust

from . import factories as f
from .test_applications import call  # noqa: F401 (fixture)
from .test_assessment import forward_all, open_item, round_  # noqa: F401 (round_ is a fixture)

M = 1_000_000


@pytest.fixture
def oslo(world):
    """Helsefellesskap Oslo in the test world: Oslo kommune with its secretariat, OUS and Lovisenberg."""
    from types import SimpleNamespace

    ous = f.TrustFactory(code="OUS", name="Oslo universitetssykehus HF", rhf=world.rhf)
    hf = f.HelsefellesskapFactory(code="oslo", name="Helsefellesskap Oslo", trust=ous)
    municipality = f.MunicipalityFactory(number="0301", name="Oslo", county=f.CountyFactory(number="03", name="Oslo"), population=717710)
    f.MembershipFactory(helsefellesskap=hf, municipality=municipality)
    secretariat = f.UserFactory(username="oslo_secretariat")
    f.seat(Body.objects.create(kind=Body.Kind.SECRETARIAT, name="Sekretariatet Oslo", helsefellesskap=hf), secretariat)
    lovisenberg = HealthTrust.objects.create(
        code="LDS", name="Lovisenberg Diakonale Sykehus", rhf=world.rhf, kind=HealthTrust.Kind.PRIVATE, area_trust=ous
    )
    return SimpleNamespace(hf=hf, municipality=municipality, secretariat=secretariat, lovisenberg=lovisenberg, ous=ous)


def test_the_snapshot_holds_oslos_districts_and_the_private_hospitals_the_sources_name(db, client):
    importers.load_snapshot()
    from django.contrib.auth import get_user_model

    from rsportal.security.testing import force_verified_login

    force_verified_login(client, get_user_model().objects.create_superuser("leser", "leser@example.invalid", "x"))
    response = client.get("/helsefellesskap/oslo/")
    page = response.content.decode()
    assert response.status_code == 200, page[page.find("<main"):][:600]
    assert "Lovisenberg Diakonale Sykehus" in page and "Diakonhjemmet Sykehus" in page and "Bydel Søndre Nordstrand (Oslo kommune)" in page
    districts = CityDistrict.objects.filter(municipality__number="0301")
    assert districts.count() == 15 and districts.filter(name="Bydel Gamle Oslo", number="030101").exists()
    private = {t.name: t.area_trust.code for t in HealthTrust.objects.filter(kind=HealthTrust.Kind.PRIVATE)}
    assert private == {"Lovisenberg Diakonale Sykehus": "OUS", "Diakonhjemmet Sykehus": "OUS", "Haraldsplass Diakonale Sykehus": "HB"}


def test_the_secretariat_registers_a_district_in_the_back_office(world, personas, oslo, login):
    client = login(oslo.secretariat)
    page = client.get("/administrasjon/organisasjoner/bydeler/ny/")
    assert page.status_code == 200 and "Oslo kommune" in page.content.decode()
    response = client.post(
        "/administrasjon/organisasjoner/bydeler/ny/",
        {"municipality": oslo.municipality.pk, "name": "Bydel  Gamle Oslo", "number": "030101", "org_number": "12345", "postal_address": ""},
    )
    assert response.status_code == 400 and "ni sifre" in response.content.decode()
    assert 'value="Bydel  Gamle Oslo"' in response.content.decode()  # what was typed is kept
    response = client.post(
        "/administrasjon/organisasjoner/bydeler/ny/",
        {"municipality": oslo.municipality.pk, "name": "Bydel  Gamle Oslo", "number": "030101", "org_number": "974778874", "postal_address": "Postboks 9, 0601 Oslo"},
    )
    district = CityDistrict.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/administrasjon/organisasjoner/bydeler/{district.pk}/"
    assert (district.name, district.municipality, district.org_number) == ("Bydel Gamle Oslo", oslo.municipality, "974778874")
    assert AuditEvent.objects.filter(action="district_registered", object_id=str(district.pk), actor=oslo.secretariat).exists()
    assert "Oslo kommune, Bydel Gamle Oslo" in client.get(f"/administrasjon/organisasjoner/bydeler/{district.pk}/").content.decode()
    # Another helsefellesskap's secretariat cannot see it, nor register districts of Oslo.
    other = login(personas.secretariat)
    assert other.get(f"/administrasjon/organisasjoner/bydeler/{district.pk}/").status_code == 404
    assert "Bydel Gamle Oslo" not in other.get("/administrasjon/organisasjoner/").content.decode()
    with pytest.raises(PermissionDenied):
        registry.register_district(personas.secretariat, municipality=oslo.municipality, name="Bydel Sagene")
    assert other.post("/administrasjon/organisasjoner/bydeler/ny/", {"municipality": oslo.municipality.pk, "name": "Bydel Sagene"}).status_code == 400
    assert CityDistrict.objects.count() == 1


def test_an_application_with_lovisenberg_and_bydel_gamle_oslo(world, personas, oslo, call, login):  # noqa: F811
    district = registry.register_district(oslo.secretariat, municipality=oslo.municipality, name="Bydel Gamle Oslo")
    oslo_applicant = f.UserFactory(username="oslo_applicant")
    f.role(oslo_applicant, "applicant", municipality=oslo.municipality)
    application = applications.start_application(oslo_applicant, call=call, title="Trygg utskrivning i sentrum", type="project", helsefellesskap=oslo.hf)
    client = login(oslo_applicant)
    for organisation in ({"district": district.pk}, {"trust": oslo.lovisenberg.pk}):
        response = client.post(f"/soknader/{application.pk}/deltakere/", {**organisation, "contact_name": "Kari", "contact_email": "kari@example.invalid"})
        assert response.status_code == 302, response.content.decode()
    both = client.post(f"/soknader/{application.pk}/deltakere/", {"district": district.pk, "trust": oslo.lovisenberg.pk, "contact_name": "Kari", "contact_email": "k@example.invalid"})
    assert both.status_code == 400
    with pytest.raises(applications.ApplicationError, match="allerede med"):
        applications.add_participant(oslo_applicant, application, district=district, contact_name="Kari", contact_email="kari@example.invalid")
    participants = {p.organisation.name: (p.municipality, p.trust, p.district) for p in application.participants.all()}
    assert participants["Bydel Gamle Oslo"] == (oslo.municipality, None, district)
    assert participants["Lovisenberg Diakonale Sykehus"] == (None, oslo.lovisenberg, None)
    page = client.get(f"/soknader/{application.pk}/").content.decode()
    assert "Bydel Gamle Oslo" in page and "Lovisenberg Diakonale Sykehus" in page


def test_a_grant_counts_the_district_as_oslo_and_the_private_hospital_as_the_specialist_side(world, personas, oslo, round_, login):  # noqa: F811
    call, apps = round_
    application = apps[0]
    district = registry.register_district(oslo.secretariat, municipality=oslo.municipality, name="Bydel Gamle Oslo")
    sagene = registry.register_district(oslo.secretariat, municipality=oslo.municipality, name="Bydel Sagene")
    application.participants.all().delete()
    Participant.objects.create(application=application, municipality=oslo.municipality, district=district, is_owner=True, contact_name="Kari", contact_email="kari@example.invalid")
    Participant.objects.create(application=application, municipality=oslo.municipality, district=sagene, contact_name="Per", contact_email="per@example.invalid")
    Participant.objects.create(application=application, trust=oslo.lovisenberg, is_owner=True, contact_name="Liv", contact_email="liv@example.invalid")
    forward_all(world, personas, call, apps)
    open_item(personas, application)
    decision = domain.propose_decision(personas.chair, application, outcome="full", amounts={2027: 2 * M}, reason="Godt prosjekt.")
    domain.cast_vote(personas.chair, decision, "for")
    domain.cast_vote(personas.member, decision, "for")
    domain.conclude(personas.chair, decision)
    decision.refresh_from_db()
    grant = decision.grant
    # Owners: Oslo (through its district) and Lovisenberg; two districts are still one municipality.
    assert list(grant.municipalities.all()) == [oslo.municipality] and list(grant.trusts.all()) == [oslo.lovisenberg]
    # In the statistics the project is owned by both sides, and one municipality owns it.
    owners = {r.code: r.projects for r in statistics.ownership(statistics.portfolio()).rows}
    assert owners["both"] == 1 and sum(owners.values()) == 1
    assert {r.code: r.projects for r in statistics.cooperation(statistics.portfolio()).rows}["one"] == 1
    # Names everywhere: the letter's addressees (with the address the secretariat keeps), the catalogue.
    registry.update_district(oslo.secretariat, district, postal_address="Postboks 9, 0601 Oslo")
    recipients = sorted((r.name, r.address) for r in letters.recipients(application))
    assert recipients == [("Lovisenberg Diakonale Sykehus", ""), ("Oslo kommune, Bydel Gamle Oslo", "Postboks 9, 0601 Oslo")]
    page = login(personas.applicant).get(f"/prosjekter/{grant.pk}/").content.decode()
    assert "Bydel Gamle Oslo" in page and "Bydel Sagene" in page and "Lovisenberg Diakonale Sykehus" in page


def test_letter_details_are_edited_by_the_secretariat_and_printed_in_letters(world, personas, oslo, login):
    client = login(oslo.secretariat)
    url = f"/administrasjon/organisasjoner/helseforetak/{oslo.lovisenberg.pk}/endre/"
    page = client.get(url)
    assert page.status_code == 200
    version = page.context["form"].initial["_version"]
    response = client.post(url, {"org_number": "974 116 804", "postal_address": "Lovisenberggata 17\n0456 Oslo", "_version": version})
    assert response.status_code == 400  # nine digits only
    response = client.post(url, {"org_number": "974116804", "postal_address": "Lovisenberggata 17\n0456 Oslo", "_version": version})
    assert response.status_code == 302
    oslo.lovisenberg.refresh_from_db()
    assert (oslo.lovisenberg.org_number, oslo.lovisenberg.postal_address) == ("974116804", "Lovisenberggata 17\n0456 Oslo")
    assert AuditEvent.objects.filter(action="organisation_changed", object_id=str(oslo.lovisenberg.pk)).exists()
    # A stale form is refused with what was typed kept.
    stale = client.post(url, {"org_number": "974116804", "postal_address": "Annen adresse", "_version": version})
    assert stale.status_code == 409 and "Annen adresse" in stale.content.decode()
    # Outside the secretariat's helsefellesskap: not found.
    assert login(personas.secretariat).get(url).status_code == 404
    assert login(personas.secretariat).get(f"/administrasjon/organisasjoner/kommuner/{oslo.municipality.pk}/").status_code == 404


def test_the_organisation_lists_cost_the_same_with_more_rows(world, personas, oslo, login, client):
    from .test_query_counts import assert_constant

    login(oslo.secretariat)
    registry.register_district(oslo.secretariat, municipality=oslo.municipality, name="Bydel 0")

    rounds = iter(range(3))

    def more():
        start = 1 + 5 * next(rounds)
        for n in range(start, start + 5):
            registry.register_district(oslo.secretariat, municipality=oslo.municipality, name=f"Bydel {n}")
            municipality = f.MunicipalityFactory(name=f"Nabo {n}")
            f.MembershipFactory(helsefellesskap=oslo.hf, municipality=municipality)
            HealthTrust.objects.create(code=f"P{n}", name=f"Privat {n}", rhf=world.rhf, kind=HealthTrust.Kind.PRIVATE, area_trust=oslo.ous)

    for url in ("/administrasjon/organisasjoner/", "/administrasjon/organisasjoner/kommuner/", "/administrasjon/organisasjoner/helseforetak/"):
        assert_constant(client, url, more)
