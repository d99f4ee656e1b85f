"""The live server the browser tests run against must survive a browser that sends several
requests at once (the edit page autosaves every section it has changed in parallel).

With Django's in-memory SQLite test database the server's threads (and the test) shared one
connection: two overlapping autosaves mixed their savepoints ("no such savepoint") and every
later browser test failed with a broken transaction. The test database is now a file, so each
thread has its own connection, as in production. This test needs no browser: plain threads
are quicker to aim at the race.
"""

import threading
import urllib.parse
import urllib.request

from django.test import Client

from rsportal.applications.models import Application, SectionVersion
from tests.test_applications import call, draft, trust_applicant  # noqa: F401  (fixtures)

ROUNDS = 3
CSRF = "c" * 32
SECTIONS = {
    "beskrivelse": {"goal": "Færre innleggelser", "target_group": "Skrøpelige eldre"},
    "nytte": {"expected_benefit": "Færre reinnleggelser", "supports_purpose": "Deler erfaringer"},
    "finansiering": {"grant_use": "Prosjektleder", "financing_at_start": "Tilskudd og egeninnsats"},
    "plan": {},
    "prosjektet": {"title": "Samtidig lagring", "type": "project", "project_owners": "Tromsø kommune og UNN"},
    "pasienter-digitalt": {"patient_responsibility": "Kommunen"},
}


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def test_overlapping_autosaves_are_all_saved(live_server, world, personas, draft):
    cookie = _session_cookie(personas.applicant)
    statuses, errors = [], []
    start = threading.Barrier(len(SECTIONS))

    def autosave(section, fields, version):
        data = {"version": str(version), **{f"{section}-{name}": value for name, value in fields.items()}}
        request = urllib.request.Request(
            f"{live_server.url}/soknader/{draft.pk}/del/{section}/",
            data=urllib.parse.urlencode(data).encode(),
            headers={"HX-Request": "true", "X-CSRFToken": CSRF, "Cookie": cookie},
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                statuses.append(response.status)
        except Exception as exc:  # an HTTP 500 or a dropped connection
            errors.append(f"{section}: {exc}")

    for version in range(ROUNDS):
        threads = [threading.Thread(target=autosave, args=(s, fields, version)) for s, fields in SECTIONS.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert statuses == [200] * len(SECTIONS) * ROUNDS
    assert sorted(SectionVersion.objects.filter(application=draft).values_list("section", "version")) == sorted((s, ROUNDS) for s in SECTIONS)
    saved = Application.objects.get(pk=draft.pk)
    assert (saved.goal, saved.grant_use, saved.project_owners) == ("Færre innleggelser", "Prosjektleder", "Tromsø kommune og UNN")
