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

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from rsportal.applications import domain
from rsportal.applications.criteria import add_default_criteria
from rsportal.applications.models import Application, Call, SectionVersion
from rsportal.funding.models import Pot

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


@pytest.fixture
def draft(world, personas):
    root = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet")
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.APPLICATION, name="Regional pott", parent=root)
    call = Call.objects.create(pot=pot, title="Utlysning", status=Call.Status.PUBLISHED, purpose="Formål", max_project_years=5, frame_amount=1_000_000, frame_year=2028)
    call.deadlines.create(at=timezone.now() + timezone.timedelta(days=30))
    add_default_criteria(call)
    return domain.start_application(personas.applicant, call=call, title="Samtidig lagring", type="project", helsefellesskap=world.hf)


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"sessionid={session.session_key}; csrftoken={CSRF}"


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
