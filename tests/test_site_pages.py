"""The pages a public service must have: an error page that works with the database down, a
useful 404, the accessibility and privacy statements and the contact page linked from the
footer, and a front page that leads to the open calls, the catalogue and the statistics."""

import datetime
import re
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.urls import path

from rsportal.applications.models import Call
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Grant
from rsportal.urls import handler500  # noqa: F401 - Django reads it from this module as a URLconf
from rsportal.urls import urlpatterns as project_urlpatterns

OSLO = ZoneInfo("Europe/Oslo")


# --- 500 without a database -------------------------------------------------------


def database_is_down(request):
    """What a view sees when the database server has gone away."""
    raise OperationalError("could not connect to server: Connection refused")


# This module doubles as a URLconf for the 500 tests: the project's URLs and its handler500,
# plus one view that fails as if the database were down.
urlpatterns = [path("test-databasen-er-nede/", database_is_down), *project_urlpatterns]


@pytest.fixture
def no_database():
    """Every attempt to reach the database fails as if the server were down; the attempts are counted."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(1)
        raise OperationalError("the database is down (test)")

    with mock.patch.object(connections["default"], "ensure_connection", side_effect=refuse):
        yield attempts


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.RSPORTAL_CONTACT_NAME = "Helse Testland RHF"
    settings.RSPORTAL_CONTACT_EMAIL = "rs@testland.invalid"
    return Client(raise_request_exception=False)


@pytest.mark.urls("tests.test_site_pages")
def test_500_page_is_norwegian_and_asks_nothing_of_the_database(production, no_database):
    response = production.get("/test-databasen-er-nede/")
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="nb"' in html and "Noe gikk galt hos oss" in html and "Feil på serveren" in html
    # Contact details come from the settings, not from the database or the template.
    assert "Helse Testland RHF" in html and 'href="mailto:rs@testland.invalid"' in html
    assert "Traceback" not in html and "Connection refused" not in html
    assert no_database == [], "the error page (or a middleware on the way out) tried to reach the database"


def test_500_page_when_a_real_page_finds_the_database_down(production, no_database):
    """The front page asks the database for the open calls; the first attempt fails and the
    error page is shown without a second one."""
    response = production.get("/")
    assert response.status_code == 500
    assert "Noe gikk galt hos oss" in response.content.decode()
    assert len(no_database) == 1


def test_500_handler_falls_back_to_fixed_text_when_the_template_fails(production, settings, rf):
    from rsportal.core import views

    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False}]  # no 500.html anywhere
    response = views.server_error(rf.get("/"))
    assert response.status_code == 500 and "Noe gikk galt hos oss" in response.content.decode()


# --- 404 ----------------------------------------------------------------------------


def test_404_says_what_may_have_happened_and_where_to_go(client, db):
    response = client.get("/finnes-ikke/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Fant ikke siden" in html and "skrevet feil" in html and "bare for dem som har tilgang" in html
    for href in ('href="/"', 'href="/soknader/utlysninger/"', 'href="/prosjekter/"', 'href="/statistikk/"', 'href="/kontakt/"'):
        assert href in html, href
    assert re.search(r'<form method="get" action="/prosjekter/" role="search"[^>]*>', html)
    assert 'href="/logg-inn/?next=/finnes-ikke/"' in html  # anonymous: maybe the page needs a login


def test_404_for_a_signed_in_user_keeps_the_status_and_offers_no_login(login, personas):
    response = login(personas.applicant).get("/soknader/utlysninger/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Fant ikke siden" in html and 'href="/prosjekter/"' in html and "/logg-inn/?next=" not in html


# --- statements and contact, from the footer -------------------------------------------


FOOTER = {
    "Kontakt": "/kontakt/",
    "Personvernerklæring": "/personvernerklaering/",
    "Tilgjengelighetserklæring": "/tilgjengelighet/",
}


def footer_links(html: str) -> dict[str, str]:
    footer = html[html.index("<footer") :]
    return {text: href for href, text in re.findall(r'<a class="ds-link" href="([^"]+)">([^<]+)</a>', footer)}


@pytest.mark.parametrize("start", ["/", "/prosjekter/", "/finnes-ikke/"])
def test_statements_are_linked_from_the_footer_of_every_page(client, db, start):
    links = footer_links(client.get(start).content.decode())
    assert FOOTER.items() <= links.items()
    for href in FOOTER.values():
        assert client.get(href).status_code == 200, href


def test_contact_details_come_from_the_settings(client, db, settings):
    settings.RSPORTAL_CONTACT_NAME = "Helse Vest RHF"
    settings.RSPORTAL_CONTACT_EMAIL = "rs@helse-vest.invalid"
    settings.RSPORTAL_CONTACT_PHONE = "12 34 56 78"
    settings.RSPORTAL_CONTACT_ADDRESS = "Postboks 1, 4000 Stavanger"
    settings.RSPORTAL_PRIVACY_EMAIL = "ombud@helse-vest.invalid"
    for url in FOOTER.values():
        html = client.get(url).content.decode()
        for text in ("Helse Vest RHF", 'href="mailto:rs@helse-vest.invalid"', "12 34 56 78", "Postboks 1, 4000 Stavanger"):
            assert text in html, (url, text)
        assert "Helse Nord RHF (demo)" not in html and "rsportal.invalid" not in html
    assert 'href="mailto:ombud@helse-vest.invalid"' in client.get("/personvernerklaering/").content.decode()


def test_privacy_statement_tells_the_configured_retention_and_the_rights(client, db, settings):
    settings.RSPORTAL_DRAFT_RETENTION_YEARS = 2
    settings.RSPORTAL_ATTACHMENT_RETENTION_YEARS = 7
    html = client.get("/personvernerklaering/").content.decode()
    assert "er behandlingsansvarlig" in html
    assert "artikkel 6 nr. 1 bokstav e" in html
    assert "aldri ble sendt inn, slettes 2 år etter siste endring" in html
    assert "ikke fikk tilskudd" in html and "slettes 7 år etter" in html
    assert "IP-adresse" in html and "Logg over visninger" in html  # what the portal actually records
    assert "høyst 8 timer" in html  # SESSION_COOKIE_AGE
    assert 'href="/personvern/innsyn/"' in html
    assert 'href="https://www.datatilsynet.no/"' in html


def test_accessibility_statement_follows_the_norwegian_model(client, db, settings):
    html = client.get("/tilgjengelighet/").content.decode()
    assert "WCAG 2.1" in html and "nivå A og AA" in html
    assert "Kjente avvik" in html and "PDF" in html and "axe-core" in html
    assert "Gi oss tilbakemelding" in html and 'href="https://www.uutilsynet.no/"' in html
    assert "uustatus.no" in html and "https://uustatus.no/nb/erklaringer/publisert/" not in html
    settings.RSPORTAL_ACCESSIBILITY_STATEMENT_URL = "https://uustatus.no/nb/erklaringer/publisert/abc"
    assert 'href="https://uustatus.no/nb/erklaringer/publisert/abc"' in client.get("/tilgjengelighet/").content.decode()


# --- the front page --------------------------------------------------------------------


@pytest.fixture
def front(world, personas):
    """An open call with a deadline next autumn, a rolling call, a call whose deadline has
    passed, a closed and a draft call; and one published grant with money promised."""
    year = datetime.date.today().year + 1
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=year, name=f"RS {year}", amount=10_000_000, rhf=world.rhf))
    root = funding.root_pot(world.rhf)

    def call(title, **extra):
        return Call.objects.create(pot=root, title=title, purpose="-", **{"status": Call.Status.PUBLISHED, **extra})

    autumn = call("Regional utlysning")
    autumn.deadlines.create(at=datetime.datetime(year, 10, 1, 12, 0, tzinfo=OSLO))
    autumn.deadlines.create(at=datetime.datetime(year, 12, 1, 12, 0, tzinfo=OSLO))  # later: not the next one
    call("Løpende utlysning", rolling=True)
    call("Utløpt utlysning").deadlines.create(at=datetime.datetime(2020, 3, 1, 12, 0, tzinfo=OSLO))
    call("Avsluttet utlysning", status=Call.Status.CLOSED).deadlines.create(at=datetime.datetime(year, 10, 1, tzinfo=OSLO))
    call("Utkast til utlysning", status=Call.Status.DRAFT).deadlines.create(at=datetime.datetime(year, 10, 1, tzinfo=OSLO))
    grant = Grant.objects.create(pot=root, title="Felles jordmortjeneste", helsefellesskap=world.hf)
    funding.commit_grant(personas.sysadmin, grant=grant, amounts={year: 2_500_000})
    Grant.objects.create(pot=root, title="Upublisert", helsefellesskap=world.other_hf, published=False)
    return SimpleNamespace(year=year, autumn=autumn)


def test_front_page_leads_to_open_calls_with_deadlines_projects_and_statistics(client, front):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    calls = html[html.index('id="open-calls"') : html.index('id="open-picture"')]
    assert f'href="/soknader/utlysninger/{front.autumn.pk}/">Regional utlysning</a>' in calls
    assert f"Søknadsfrist: <strong><time datetime=\"{front.year}-10-01T12:00:00+02:00\">1. oktober {front.year}</time>" in calls
    assert f"1. desember {front.year}" not in calls
    assert "Løpende utlysning" in calls and "Løpende søknadsfrist" in calls
    for gone in ("Utløpt utlysning", "Avsluttet utlysning", "Utkast til utlysning"):
        assert gone not in html, gone
    assert calls.index("Regional utlysning") < calls.index("Løpende utlysning")  # dated deadlines first
    assert 'href="/soknader/utlysninger/"' in calls
    picture = html[html.index('id="open-picture"') :]
    assert 'href="/prosjekter/"' in picture and 'href="/statistikk/"' in picture
    assert re.search(r'<form method="get" action="/prosjekter/" role="search"', picture)
    figures = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", picture)
    assert [(label, value.replace("\xa0", " ")) for label, value in figures] == [
        ("Prosjekter med tilskudd", "1"),
        ("Helsefellesskap med prosjekter", "1"),
        ("Tilsagt, alle år", "2,5 mill. kr"),
    ]
    assert 'href="/logg-inn/"' in html


def test_front_page_without_open_calls_says_so(client, db):
    html = client.get("/").content.decode()
    assert "Ingen utlysninger er åpne for søknader akkurat nå." in html
    assert 'href="/prosjekter/"' in html and 'href="/statistikk/"' in html


def test_front_page_still_shows_a_signed_in_persons_own_cards(login, personas, front):
    html = login(personas.secretariat).get("/").content.decode()
    assert 'href="/helsefellesskap/"' in html and "Regional utlysning" in html and "Logg inn for å skrive" not in html
