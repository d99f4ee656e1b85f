"""Issue 9, items 8, 9 and 11: malformed input, private caching and dropped database connections.

- Control characters (NUL above all, which PostgreSQL refuses with a server error) in the path,
  the query string or a form field, and form data that is not UTF-8, are answered with 404 or
  400 by MalformedRequestMiddleware, for every URL of the site; nothing reaches a view.
- Every response to a signed-in person, downloads included, says Cache-Control: private, no-store.
- A request that finds its persistent database connection dropped opens a new one (health checks).

The open API's own probes and its schema checks are in tests/test_api_fuzz.py.
"""

import datetime
import logging
import time
from urllib.parse import quote
from wsgiref.util import setup_testing_defaults

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.utils import timezone

from rsportal.applications import domain as applications
from rsportal.applications.models import BudgetLine, Call, Participant, SectionVersion
from rsportal.funding.models import Pot
from rsportal.security.testing import force_verified_login

from . import factories as f
# The permission matrix's world and its row per URL; `ctx` and `printed` are fixtures.
from .test_permission_matrix import MATRIX, VARIANTS, ctx, printed, project_url_names  # noqa: F401

# The text query parameters the views and the API read, probed one at a time (a NUL in a
# number is refused by its validation, which would hide the text parameters behind it) ...
TEXT_PARAMS = (
    "q", "rhf", "helsefellesskap", "kommune", "municipality", "tema", "theme", "pasientgruppe",
    "patient_group", "gruppe", "person", "objekt", "next", "level",
)
# ... and the others, all in one probe.
OTHER_PARAMS = ("ar", "uten", "side", "sak", "grupper", "balanse", "bonus", "on", "year", "page", "page_size", "exclude")
# Django's admin is left out of the matrix; a few of its pages (a search runs a query) are probed here.
ADMIN_URLS = ("/admin/", "/admin/auth/user/?q=x", "/admin/applications/application/?q=x", "/admin/registry/municipality/?q=x")
PROBE_PERSONAS = ("anonymous", "applicant", "sysadmin")
MESSAGES = ("ugyldige tegn", "kontrolltegn", "UTF-8")


def get_urls(ctx) -> dict[str, str]:
    """A working URL for every URL pattern of the project that answers GET (from its matrix row)."""
    urls = {}
    for name in sorted(project_url_names()):
        row = MATRIX[name]  # test_every_url_has_a_row keeps this complete
        if any(status != 405 for status in row.expect.get("GET", {}).values()):
            urls[name] = row.url(ctx)
    for name, row in VARIANTS.items():
        if "GET" in row.expect:
            urls[name] = row.url(ctx)
    return urls


def nul_probes(url: str) -> list[tuple[str, str]]:
    """(where, url): NUL appended to each path segment, added to each of the URL's own query
    values, and in each query parameter the site reads."""
    path, _, query = url.partition("?")
    segments = path.split("/")
    probes = []
    for i, segment in enumerate(segments):
        if segment:
            probes.append(("path", "/".join(segments[:i] + [segment + "%00"] + segments[i + 1 :]) + (f"?{query}" if query else "")))
    for pair in filter(None, query.split("&")):
        probes.append(("query", f"{path}?{query.replace(pair, pair + '%00')}"))
    probes += [("query", f"{path}?{name}=a%00") for name in TEXT_PARAMS]
    probes.append(("query", f"{path}?" + "&".join(f"{name}=%00" for name in OTHER_PARAMS)))
    return probes


def refused(response, status: int) -> bool:
    return response.status_code == status and any(m in response.content.decode() for m in MESSAGES)


def test_nul_in_every_url(ctx, settings, printed):
    """Every URL, as anonymous, an applicant and a system administrator (who between them reach
    every page), with NUL in each path segment and in the query. Before the middleware this gave
    500 on PostgreSQL in 33 of the 3 444 requests: nine parameters of seven API operations, the
    attachment download and the RHF's two Excel reports."""
    settings.RSPORTAL_REQUIRE_2FA = True
    clients = {}
    for who in PROBE_PERSONAS:
        clients[who] = Client(raise_request_exception=False)  # a crash is a 500 in the list, not the end of the run
        if who != "anonymous":
            force_verified_login(clients[who], getattr(ctx.personas, who))
    urls = list(get_urls(ctx).items()) + [(f"admin {url}", url) for url in ADMIN_URLS]
    probed, wrong = 0, []
    for name, url in urls:
        for where, probe in nul_probes(url):
            for who, client in clients.items():
                response = client.get(probe)
                probed += 1
                if response.streaming:
                    b"".join(response.streaming_content)
                if not refused(response, 404 if where == "path" else 400):
                    wrong.append(f"{name} {probe} as {who}: {response.status_code}")
    logging.getLogger(__name__).info("NUL probes: %s URLs, %s requests", len(urls), probed)
    assert {"applications:attachment-download", "followup:annual", "api:get_helsefellesskap"} <= {name for name, _url in urls}
    assert probed > 3000, probed
    assert not wrong, "\n".join(wrong)


def test_every_control_character_in_a_query_and_a_path(client, db):
    """Not only NUL: every character the exports cannot hold is refused; tab and line breaks are
    ordinary text in a query, but have no place in a path."""
    for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]:
        assert refused(client.get(f"/prosjekter/?q={quote(chr(code))}"), 400), hex(code)
    for text in ("\t", "\n", "\r"):
        assert client.get(f"/prosjekter/?q=a{quote(text)}b").status_code == 200
        assert refused(client.get(f"/prosjekter{quote(text)}/"), 404)
    assert client.get("/prosjekter/?q=Tromsø").status_code == 200
    assert refused(client.get("/prosjekter/?q=Troms%F8"), 400)  # Latin-1, not UTF-8


# --- form data that is not UTF-8, or holds control characters ----------------------------


@pytest.fixture
def draft(world, personas):
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Regional pott", parent=root)
    call = Call.objects.create(pot=pot, title="Regional utlysning", status=Call.Status.PUBLISHED, purpose="Formål", frame_amount=1_000_000, frame_year=2028)
    call.deadlines.create(at=timezone.now() + datetime.timedelta(days=30))
    return applications.start_application(personas.applicant, call=call, title="Felles legevakt", type="project", helsefellesskap=world.hf)


def multipart(fields: dict[str, bytes]) -> bytes:
    parts = [b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (name.encode(), value) for name, value in fields.items()]
    return b"".join(parts) + b"--B--\r\n"


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=B"


def section(title: bytes) -> bytes:
    return b"version=0&prosjektet-type=project&prosjektet-title=" + title


def budget(description: bytes) -> bytes:
    return b"year=2028&kind=grant&amount=100000&description=" + description


def participant(name: bytes, trust) -> bytes:
    return multipart({"trust": str(trust.pk).encode(), "contact_name": name, "contact_email": b"trond@example.invalid"})


# (what, form, body, content type). Before the middleware six of these were saved: percent-encoded
# Latin-1 and multipart Latin-1 with replacement characters, raw Latin-1 by Django's guess, and the
# control characters as they were, which the Excel and PDF exports cannot hold. The forms refused
# the UTF-16 title and the NUL themselves, without saying why.
BAD_FORMS = [
    ("title in raw Latin-1 bytes", "del/prosjektet", lambda w: section(b"Hjemmeoppf\xf8lging"), FORM),
    ("title percent-encoded Latin-1", "del/prosjektet", lambda w: section(b"Hjemmeoppf%F8lging"), FORM),
    ("title as UTF-16", "del/prosjektet", lambda w: section("Tittel".encode("utf-16")), FORM),
    ("title with a vertical tab", "del/prosjektet", lambda w: section(b"Felles%0Blegevakt"), FORM),
    ("budget line in raw Latin-1 bytes", "budsjett", lambda w: budget(b"L\xf8nn+prosjektleder"), FORM),
    ("budget line with NUL", "budsjett", lambda w: budget(b"L%C3%B8nn%00"), FORM),
    ("contact person in Latin-1, multipart", "deltakere", lambda w: participant(b"Tr\xf8nd", w.trust), MULTIPART),
    ("contact person with a control character, multipart", "deltakere", lambda w: participant(b"Tr\x01nd", w.trust), MULTIPART),
]


def saved(draft) -> tuple:
    draft.refresh_from_db()
    return (
        draft.title,
        list(SectionVersion.objects.filter(application=draft).values_list("section", "version")),
        list(Participant.objects.filter(application=draft).values_list("pk", "contact_name")),
        list(BudgetLine.objects.filter(application=draft).values_list("pk", "description")),
    )


@pytest.mark.parametrize("what,form,body,content_type", BAD_FORMS, ids=[case[0] for case in BAD_FORMS])
def test_bad_form_data_is_refused_and_nothing_saved(login, world, personas, draft, what, form, body, content_type):
    client = login(personas.applicant)
    before = saved(draft)
    response = client.generic("POST", f"/soknader/{draft.pk}/{form}/", body(world), content_type=content_type)
    assert refused(response, 400), (response.status_code, response.content[:200])
    assert saved(draft) == before


def test_the_same_forms_in_utf8_are_saved(login, world, personas, draft):
    """The refusals above are about the bytes, not the forms: the same posts in UTF-8 save."""
    client = login(personas.applicant)
    for form, body, content_type in (
        ("del/prosjektet", section(quote("Hjemmeoppfølging").encode()), FORM),
        ("budsjett", budget(quote("Lønn prosjektleder").encode()), FORM),
        ("deltakere", participant("Trønd".encode(), world.trust), MULTIPART),
    ):
        assert client.generic("POST", f"/soknader/{draft.pk}/{form}/", body, content_type=content_type).status_code == 302, form
    draft.refresh_from_db()
    assert draft.title == "Hjemmeoppfølging"
    assert BudgetLine.objects.get(application=draft).description == "Lønn prosjektleder"
    assert Participant.objects.get(application=draft, trust=world.trust).contact_name == "Trønd"


def test_login_form_not_utf8(client, personas):
    """Refused before django-axes records a failed login under a garbled username."""
    response = client.generic("POST", "/logg-inn/", b"username=\xff\xfeapplicant&password=feil", content_type=FORM)
    assert refused(response, 400)
    assert not AccessAttempt.objects.exists()


# --- Cache-Control -------------------------------------------------------------------------


DOWNLOADS = ("application/pdf", "application/vnd.openxmlformats", "text/csv")


def test_signed_in_responses_are_not_stored(ctx, settings, printed):
    """Every page and download a signed-in persona opens (PDF and Excel among them) says
    private, no-store; anonymous public pages are left as they were (no Cache-Control)."""
    settings.RSPORTAL_REQUIRE_2FA = True
    clients = {who: Client() for who in ("anonymous", "applicant", "member", "sysadmin")}
    for who, client in clients.items():
        if who != "anonymous":
            force_verified_login(client, getattr(ctx.personas, who))
    wrong, downloads, pages = [], 0, 0
    for name, url in get_urls(ctx).items():
        row = {**MATRIX, **VARIANTS}[name]
        for who, client in clients.items():
            if row.expect["GET"][who] != 200:
                continue
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
            header = response.get("Cache-Control")
            if who == "anonymous":
                # Pages that carry a secret (login, an invitation link, the calendar feed's address)
                # are never stored, by their own view; the rest had no header and keep none.
                if header is not None and name not in ("login", "accounts:invitation", "calendar:feed"):
                    wrong.append(f"{name} as anonymous: {header}")
            else:
                pages += 1
                downloads += response["Content-Type"].startswith(DOWNLOADS) or "attachment" in response.get("Content-Disposition", "")
                if not header or "no-store" not in header or "private" not in header:
                    wrong.append(f"{name} {url} as {who}: {header}")
    assert pages > 100 and downloads >= 15, (pages, downloads)
    assert not wrong, "\n".join(wrong)


# --- dropped database connections ------------------------------------------------------------


def wsgi_get(path: str) -> tuple[int, bytes]:
    """A request through the WSGI application as a server sends it: unlike the test client, with
    request_started and request_finished, which is where Django checks and recycles connections."""
    from rsportal.wsgi import application

    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    status = []
    result = application(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        body = b"".join(result)
    finally:
        result.close()
    return int(status[0].split()[0]), body


def terminate_backend(pid: int):
    """pg_terminate_backend from a connection of our own, as a restart or failover would, and wait
    until the backend is gone. Only this one connection: other runs' connections are left alone."""
    import psycopg

    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"], "port": db["PORT"], "password": db["PASSWORD"]}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not go away"
            time.sleep(0.05)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)  # committed data and autocommit, as in a server process
def test_first_request_after_the_connection_dropped_is_served():
    f.RHFFactory(code="HN", name="Helse Nord RHF")
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # persistent connections, as in production
    connection.close()  # a fresh connection, so its age cannot be what retires it below
    assert wsgi_get("/api/v1/rhf")[0] == 200
    pid = connection.connection.info.backend_pid  # kept open after the request (CONN_MAX_AGE)

    terminate_backend(pid)

    status, body = wsgi_get("/api/v1/rhf")
    assert status == 200, "the first request on the dropped connection failed"
    assert b"Helse Nord RHF" in body
    assert connection.connection.info.backend_pid != pid
