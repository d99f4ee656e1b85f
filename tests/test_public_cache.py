"""The public pages cached under a data version (rsportal/core/datacache.py): served from the
cache while nothing they show changes, computed afresh the moment a grant, a commitment, an owner,
a classification or a decision changes."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rsportal.applications.models import Application, Call
from rsportal.assessment.models import Decision
from rsportal.core.formatting import kroner
from rsportal.funding.models import Commitment, Grant, PotYear

from . import factories as f
from .test_catalogue import make_grant, projects  # noqa: F401 (the fixture)


@pytest.fixture
def cached(settings):
    settings.RSPORTAL_PUBLIC_PAGE_CACHE = True
    cache.clear()
    yield
    cache.clear()


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_statistics_served_from_cache_until_a_commitment_changes(client, world, projects, cached):
    first, computed = _get(client, "/statistikk/?ar=2027")
    again, served = _get(client, "/statistikk/?ar=2027")
    assert again == first and kroner(16_300_000) in first
    assert served < computed and served <= 3  # session, user: nothing of the statistics

    pot_year, _ = PotYear.objects.get_or_create(pot=projects["digital"].pot, year=2027)
    added = Commitment.objects.create(pot_year=pot_year, kind=Commitment.Kind.GRANT, amount=500_000, grant=projects["digital"])
    after, _ = _get(client, "/statistikk/?ar=2027")
    assert kroner(16_800_000) in after and kroner(16_300_000) not in after

    added.status = Commitment.Status.RELEASED
    added.save(update_fields=["status"])
    released, _ = _get(client, "/statistikk/?ar=2027")
    assert kroner(16_300_000) in released


def test_statistics_cache_keeps_years_and_regions_apart(client, world, projects, cached):
    north, _ = _get(client, "/statistikk/?ar=2025&rhf=HN")
    everywhere, _ = _get(client, "/statistikk/?ar=2025")
    assert north != everywhere
    assert _get(client, "/statistikk/?ar=2025&rhf=HN")[0] == north


def test_classification_change_reaches_the_cached_catalogue_and_statistics(client, world, projects, cached):
    digital = projects["digital"]
    assert "Digital hjemmeoppfølging i Troms" not in _get(client, "/prosjekter/?tema=emergency")[0]
    _get(client, "/statistikk/?ar=2025")

    # A bulk update sends no signal; the queryset tells the cache itself.
    Grant.objects.filter(pk=digital.pk).update(themes=["emergency"])
    assert "Digital hjemmeoppfølging i Troms" in _get(client, "/prosjekter/?tema=emergency")[0]

    digital.refresh_from_db()
    digital.published = False
    digital.save()
    assert "Digital hjemmeoppfølging i Troms" not in _get(client, "/prosjekter/")[0]


def test_owner_change_reaches_the_cached_filter_choices(client, world, projects, cached):
    bodo = f.MunicipalityFactory(number="1804", name="Bodø")
    page, _ = _get(client, "/prosjekter/")
    assert 'value="1804"' not in page  # Bodø owns nothing yet
    projects["digital"].municipalities.add(bodo)
    assert 'value="1804"' in _get(client, "/prosjekter/")[0]


def test_new_refusal_reaches_the_cached_catalogue(client, world, personas, projects, cached):
    call = Call.objects.create(pot=projects["digital"].pot, title="Runde 1", purpose="-", publish_rejected=True)
    application = Application.objects.create(
        call=call, helsefellesskap=world.hf, title="Forsøk med nattpatrulje", created_by=personas.applicant, submitted_at=timezone.now(), status=Application.Status.SUBMITTED
    )
    assert "Forsøk med nattpatrulje" not in _get(client, "/prosjekter/")[0]
    Decision.objects.create(
        application=application,
        body=world.stu,
        outcome=Decision.Outcome.REJECTED,
        reason="Utenfor ordningen.",
        status=Decision.Status.ADOPTED,
        proposed_by=personas.chair,
        concluded_at=timezone.now(),
    )
    assert "Forsøk med nattpatrulje" in _get(client, "/prosjekter/")[0]


def test_without_a_shared_cache_every_request_computes(client, world, projects, settings):
    settings.RSPORTAL_PUBLIC_PAGE_CACHE = False
    cache.clear()
    _first, computed = _get(client, "/statistikk/?ar=2027")
    _again, again = _get(client, "/statistikk/?ar=2027")
    assert again == computed


def test_population_per_day_kept_until_the_registry_changes(world, cached):
    import datetime

    from rsportal.registry.models import PopulationFigure
    from rsportal.registry.services import population_by_helsefellesskap, population_by_rhf

    day = datetime.date(2031, 1, 1)
    before = population_by_helsefellesskap(day)[world.hf.pk]
    rhf_before = population_by_rhf(day)[world.rhf.pk]
    with CaptureQueriesContext(connection) as queries:
        assert population_by_helsefellesskap(day)[world.hf.pk] == before
    assert len(queries) == 0
    PopulationFigure.objects.create(municipality=world.tromso, date=datetime.date(2030, 1, 1), population=90_000)
    assert population_by_helsefellesskap(day)[world.hf.pk] == before - 78745 + 90_000
    assert population_by_rhf(day)[world.rhf.pk] == rhf_before - 78745 + 90_000
