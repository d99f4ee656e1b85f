"""Property-based tests of the open API with schemathesis: generated requests for every
operation in /api/v1/openapi.json, run in-process through the WSGI app against the real
registry snapshot. No request may cause a server error, and every response, errors included,
must have a status and a body the schema publishes.

CI runs this file on SQLite and on PostgreSQL. Only PostgreSQL refuses a NUL character in a
query, so a generated NUL had to land in a text parameter of an operation that queries by it
to show the difference; 25 derandomised examples never did. The probes at the end send NUL
and other control characters to every operation deliberately."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from rsportal.registry.importers import load_snapshot
from rsportal.wsgi import application


# Loaded while collecting: producing the OpenAPI document touches no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(scope="module")
def registry(django_db_setup, django_db_blocker):
    """The 357 municipalities and 19 helsefellesskap make the responses realistic. Loaded once for
    the module inside a transaction that is rolled back afterwards (each test's own `db`
    transaction nests inside it), so the other test modules still start from an empty database."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_snapshot()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _data(registry, db):
    pass


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after every request. Django's test client
    switches that off so the test's transaction survives; calling the WSGI app directly does not, and
    on PostgreSQL the next request would find the connection (and the test's data) gone."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def documented_statuses(operation: dict) -> set[int]:
    return {int(code) for code in operation.get("responses", {}) if code.isdigit()}


# 25 examples per operation keeps the whole file at a few seconds; raise it locally to dig deeper.
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    # negative_data_rejection is left out: pydantic reads a number as a Unix timestamp, so ?on=0 is
    # taken as 1970-01-01 instead of refused. Harmless for read-only data, and not ours to change.
    # Every other check runs, among them not_a_server_error and status_code_conformance: the
    # operations declare their 400, 404 and 422 answers.
    case.call_and_validate(excluded_checks=[negative_data_rejection])


def test_schema_has_the_operations_we_publish():
    assert set(schema.raw_schema["paths"]) >= {
        "/api/v1/rhf",
        "/api/v1/helsefellesskap",
        "/api/v1/helsefellesskap/{code}",
        "/api/v1/municipalities",
        "/api/v1/allocation-per-inhabitant",
    }


@pytest.mark.parametrize("year", [0, 10000])
def test_per_inhabitant_year_out_of_range(client, year):
    response = client.get(f"/api/v1/allocation-per-inhabitant?year={year}")
    assert response.status_code == 422
    assert "year" in response.content.decode()


# --- Control characters, sent on purpose ---------------------------------------------------

# NUL is what PostgreSQL refuses; the others are the rest of what the site refuses, with a
# harmless one (tab) in a path, where nothing but printable text belongs.
PROBES = ("%00", "%1F", "%0B")
PATH_SAMPLES = {"code": "helgeland", "project_id": "1"}


def get_operations():
    return [(path, operation) for path, methods in schema.raw_schema["paths"].items() for method, operation in methods.items() if method == "get"]


def probe_urls(path: str, operation: dict) -> list[tuple[str, str]]:
    """(where, url): each path parameter, and each query parameter, with each probe in it."""
    params = operation.get("parameters", [])
    base = path
    for p in params:
        if p["in"] == "path":
            base = base.replace("{%s}" % p["name"], PATH_SAMPLES[p["name"]])
    urls = []
    for probe in PROBES:
        for p in params:
            if p["in"] == "path":
                urls.append(("path", path.replace("{%s}" % p["name"], PATH_SAMPLES[p["name"]] + probe)))
            else:
                urls.append(("query", f"{base}?{p['name']}=a{probe}"))
        # A parameter the operation does not have is refused all the same: the defence is general.
        urls.append(("query", f"{base}?ukjent={probe}"))
    return urls


def test_control_characters_in_every_operation():
    """Every operation, every parameter, on both databases: a documented 4xx with a JSON
    {"detail": ...} body, never a server error. Before the middleware, NUL in a code or a
    region gave 500 on PostgreSQL for nine parameters of seven of the twelve operations."""
    from django.test import Client

    client = Client(raise_request_exception=False)  # a 500 is a line in the list, not the end of the run
    checked, wrong = 0, []
    for path, operation in get_operations():
        for where, url in probe_urls(path, operation):
            response = client.get(url)
            checked += 1
            expected = 404 if where == "path" else 400
            if response.status_code != expected or expected not in documented_statuses(operation):
                wrong.append(f"{url}: {response.status_code}, documented {sorted(documented_statuses(operation))}")
            elif not response.json()["detail"]:
                wrong.append(f"{url}: no detail")
    assert checked >= 100, checked
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/helsefellesskap/helgeland%00", "/api/v1/projects?rhf=H%00N&helsefellesskap=x%00", "/api/v1/statistics/themes?rhf=%00"],
)
def test_the_api_refuses_nul_itself_behind_the_middleware(settings, url):
    """Should a request get past the middleware (a new middleware order, a different server), the
    text parameters' pattern refuses NUL with 422 before it reaches a query."""
    from django.test import Client

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith(".MalformedRequestMiddleware")]
    response = Client().get(url)  # a new client loads the middleware as the settings now say
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "string_pattern_mismatch"


@pytest.mark.parametrize("url", ["/soknader/vedlegg/{token}%00/", "/soknader/vedlegg/{token}/?x=%00"])
def test_attachment_url_with_nul(client, url):
    """The attachment download looks its token up in the database for any signed-in user: NUL in it
    was a 500 on PostgreSQL."""
    from rsportal.security.testing import force_verified_login

    from .factories import UserFactory

    force_verified_login(client, UserFactory(username="vedleggsprove"))
    response = client.get(url.format(token="A" * 43))
    assert response.status_code == (404 if "%00/" in url else 400)
    assert "ugyldige tegn" in response.content.decode() or "kontrolltegn" in response.content.decode()
