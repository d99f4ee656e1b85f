"""Pages: who gets in, what they see, and what their actions save."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from rsportal.core.models import AuditEvent
from rsportal.funding import domain
from rsportal.funding.models import Appropriation, Pot, Reserve

from . import factories as f

M = 1_000_000

# Pages anyone may open, signed in or not.
PUBLIC = {"core:home", "core:contact", "core:accessibility", "core:privacy-statement", "login", "logout"}


@pytest.fixture
def money(world, personas):
    domain.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2026, name="RS 2026", amount=130 * M, rhf=world.rhf))
    root = domain.root_pot(world.rhf)
    local = domain.create_pot(personas.rhf_admin, parent=root, name="Lokal pott", kind=Pot.Kind.APPLICATION, helsefellesskap=world.hf)
    domain.transfer(personas.rhf_admin, source=root, target=local, year=2026, amount=M)
    return root, local


def page_urls(world, money):
    root, local = money
    return {
        "registry:helsefellesskap-list": "/helsefellesskap/",
        "registry:helsefellesskap-detail": f"/helsefellesskap/{world.hf.code}/",
        "funding:overview": "/midler/",
        "funding:pot-detail": f"/midler/potter/{local.pk}/",
    }


POST_URLS = {"funding:pot-reserve", "funding:pot-carry-over"}


def project_url_names():
    names = set()

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "api"):
                    continue
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_registry_and_money_page_is_in_this_file(world, money):
    names = {n for n in project_url_names() if n.split(":")[0] in ("core", "registry", "funding", "login", "logout")}
    assert names == PUBLIC | set(page_urls(world, money)) | POST_URLS


@pytest.mark.parametrize("name", ["registry:helsefellesskap-list", "registry:helsefellesskap-detail", "funding:overview", "funding:pot-detail"])
def test_anonymous_is_sent_to_login(client, world, money, name):
    response = client.get(page_urls(world, money)[name])
    assert response.status_code == 302 and response["Location"].startswith("/logg-inn/")


@pytest.mark.parametrize("name", ["registry:helsefellesskap-list", "registry:helsefellesskap-detail", "funding:overview", "funding:pot-detail"])
def test_outsider_is_refused(login, world, personas, money, name):
    response = login(personas.outsider).get(page_urls(world, money)[name])
    assert response.status_code == 403
    assert "ingen rolle" in response.content.decode()


@pytest.mark.parametrize("who", ["applicant", "secretariat", "member", "chair", "observer", "rhf_admin", "sysadmin"])
@pytest.mark.parametrize("name", ["registry:helsefellesskap-list", "registry:helsefellesskap-detail", "funding:overview", "funding:pot-detail"])
def test_people_with_a_role_see_the_pages(login, world, personas, money, who, name):
    response = login(getattr(personas, who)).get(page_urls(world, money)[name])
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1 and 'class="ds-skip-link"' in html and 'lang="nb"' in html


def test_helsefellesskap_page_shows_members_population_bodies_and_pots(login, world, personas, money):
    html = login(personas.member).get(f"/helsefellesskap/{world.hf.code}/").content.decode().replace("\xa0", " ")
    assert "Tromsø" in html and "78 745" in html and "Harstad" in html
    assert "103 660" in html  # 78 745 + 24 915
    assert "Alta" not in html  # another community's municipality
    assert "Sekretariat" in html and "Lokal pott" in html and "1 000 000 kr" in html


def test_home_page_is_public(client, db):
    response = client.get("/")
    assert response.status_code == 200 and "Logg inn" in response.content.decode()


def test_home_tells_outsider_to_ask_for_a_role(login, personas):
    assert "ingen rolle" in login(personas.outsider).get("/").content.decode()


def test_login_form_logs_in(client, personas):
    # An applicant needs no second factor; the two-factor flow is tested in test_security.
    response = client.post("/logg-inn/", {"username": "applicant", "password": f.PASSWORD})
    assert response.status_code == 302
    assert client.get("/helsefellesskap/").status_code == 200


def test_failed_login_keeps_the_username(client, personas):
    html = client.post("/logg-inn/", {"username": "secretariat", "password": "feil"}).content.decode()
    assert "Brukernavn eller passord er feil" in html and 'value="secretariat"' in html


def test_list_pages_have_constant_query_count(login, world, personas, money):
    client = login(personas.secretariat)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = {url: count(url) for url in ("/helsefellesskap/", "/midler/")}
    root, _ = money
    for i in range(20):
        hf = f.HelsefellesskapFactory(trust=world.trust)
        f.MembershipFactory(helsefellesskap=hf, municipality=f.MunicipalityFactory(county=world.tromso.county, population=100 + i))
        pot = domain.create_pot(personas.rhf_admin, parent=root, name=f"Pott {i}", kind=Pot.Kind.APPLICATION, helsefellesskap=hf)
        domain.transfer(personas.rhf_admin, source=root, target=pot, year=2026, amount=1000)
    assert {url: count(url) for url in before} == before


class TestReserveForm:
    def post(self, client, pot, **data):
        fields = {"year": "2026", "kind": "administration", "expected": str(Pot.objects.get(pk=pot.pk).version), **data}
        return client.post(f"/midler/potter/{pot.pk}/avsetning/", {f"reserve-{k}": v for k, v in fields.items()})

    def test_secretariat_sets_a_reserve(self, login, personas, money):
        _, local = money
        response = self.post(login(personas.secretariat), local, amount="250 000 kr", note="Koordinator")
        assert response.status_code == 302
        reserve = Reserve.objects.get(pot_year__pot=local)
        assert (reserve.amount, reserve.kind, reserve.note) == (250_000, "administration", "Koordinator")
        assert AuditEvent.objects.filter(action="pot.reserve", actor=personas.secretariat).exists()

    def test_too_large_reserve_is_explained_and_keeps_the_input(self, login, personas, money):
        _, local = money
        response = self.post(login(personas.secretariat), local, amount="2 000 000", note="For mye")
        html = response.content.decode().replace("\xa0", " ")
        assert response.status_code == 400
        assert "bare 1 000 000 kr ledig" in html and "høyst 1 000 000 kr" in html
        assert 'value="2 000 000"' in html and 'value="For mye"' in html
        assert not Reserve.objects.exists()

    def test_unreadable_amount_gets_a_norwegian_message(self, login, personas, money):
        _, local = money
        html = self.post(login(personas.secretariat), local, amount="mange penger").content.decode()
        assert "helt antall kroner" in html and 'value="mange penger"' in html

    def test_concurrent_edit_is_refused_not_overwritten(self, login, personas, money):
        _, local = money
        client = login(personas.secretariat)
        seen = Pot.objects.get(pk=local.pk).version
        domain.set_reserve(personas.rhf_admin, pot=local, year=2026, kind="administration", amount=100)
        response = client.post(f"/midler/potter/{local.pk}/avsetning/", {"reserve-year": "2026", "reserve-kind": "administration", "reserve-amount": "5000", "reserve-expected": str(seen)})
        assert response.status_code == 400 and "endret av noen andre" in response.content.decode()
        assert Reserve.objects.get().amount == 100

    @pytest.mark.parametrize("who", ["member", "chair", "observer", "applicant", "other_secretariat", "outsider"])
    def test_others_cannot_set_reserves(self, login, personas, money, who):
        _, local = money
        assert self.post(login(getattr(personas, who)), local, amount="1000").status_code == 403
        assert not Reserve.objects.exists()

    def test_get_is_not_allowed(self, login, personas, money):
        _, local = money
        assert login(personas.secretariat).get(f"/midler/potter/{local.pk}/avsetning/").status_code == 405


class TestCarryOverForm:
    def test_moves_money_to_next_year(self, login, personas, money):
        _, local = money
        response = login(personas.secretariat).post(f"/midler/potter/{local.pk}/overfor-til-neste-ar/", {"carry-from_year": "2026", "carry-amount": "400000", "carry-expected": str(Pot.objects.get(pk=local.pk).version)})
        assert response.status_code == 302
        assert dict(local.years.values_list("year", "frame")) == {2026: 600_000, 2027: 400_000}

    def test_outsider_refused(self, login, personas, money):
        _, local = money
        response = login(personas.outsider).post(f"/midler/potter/{local.pk}/overfor-til-neste-ar/", {"carry-from_year": "2026", "carry-amount": "1"})
        assert response.status_code == 403
        assert local.years.count() == 1


def test_admin_for_system_administrator_only(login, personas, money):
    client = login(personas.sysadmin)
    for url in ["/admin/", "/admin/registry/municipality/", "/admin/funding/pot/", "/admin/funding/commitment/", "/admin/core/auditevent/", "/admin/accounts/organisationrole/"]:
        assert client.get(url).status_code == 200, url
    assert login(personas.outsider).get("/admin/").status_code == 302
