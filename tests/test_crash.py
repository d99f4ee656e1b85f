"""Issue 6: kill the server in the middle of a submission and find no half-written data.

A real server process (runserver, see tests/crash_server.py) answers a real applicant who
signs in and submits over HTTP, against an on-disk database this module creates: a
migrated SQLite file, or a PostgreSQL database of its own on the server the suite runs on.
The submission is stopped at a crash point and the process is SIGKILLed while the request
is still in flight. Then the database is opened directly, as a restarted server would find
it, and must hold either the whole submission or none of it. A restarted server must then
take the submission (again) without a duplicate.
"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.db import connection

from rsportal.applications.models import Application, ApplicationVersion
from rsportal.core.models import AuditEvent, Notification

from . import crash_server

ROOT = Path(__file__).resolve().parents[1]
# Generous: CI machines are small and may be busy. A passing run takes a fraction of this.
TIMEOUT = 60
# Each crash point gets its own draft; the invariant is the same, the expected side differs.
CASES = {"after-audit": "nothing", "before-commit": "nothing", "after-commit": "everything"}


# --- the database the server process uses -----------------------------------------------


@dataclass
class CrashDatabase:
    vendor: str
    url: str
    data_dir: Path
    sqlite_path: Path | None
    pg_params: dict | None
    applications: dict
    username: str
    password: str
    secretary_email: str

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in (crash_server.POINT_VARIABLE, crash_server.MARKER_VARIABLE)}
        env.update(
            DATABASE_URL=self.url,
            RSPORTAL_DATA_DIR=str(self.data_dir),
            RSPORTAL_DEBUG="true",
            DJANGO_SETTINGS_MODULE="rsportal.settings",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(extra)
        return env

    def query(self, sql: str, *params) -> list[tuple]:
        """A fresh connection each time, as after a restart (for SQLite this is what rolls back a hot journal)."""
        if self.vendor == "sqlite":
            db = sqlite3.connect(self.sqlite_path, timeout=20)
            try:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                db.close()
        import psycopg

        with psycopg.connect(**self.pg_params, autocommit=True) as db:
            return db.execute(sql, params).fetchall()


def _postgres_params(dbname: str) -> dict:
    s = connection.settings_dict
    params = {"dbname": dbname, "user": s["USER"], "host": s["HOST"] or "localhost", "port": s["PORT"] or 5432}
    if s["PASSWORD"]:
        params["password"] = s["PASSWORD"]
    return params


def _postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(**_postgres_params("postgres"), autocommit=True) as db:
        db.execute(sql)


@pytest.fixture(scope="module")
def crash_db(tmp_path_factory):
    """Migrated once for the module; one complete draft per crash point."""
    data_dir = tmp_path_factory.mktemp("crash")
    vendor = connection.vendor
    sqlite_path = pg_params = None
    if vendor == "sqlite":
        sqlite_path = data_dir / "crash.sqlite3"
        url = f"sqlite:///{sqlite_path}"
    elif vendor == "postgresql":
        name = f"test_crash_{os.getpid()}"
        pg_params = _postgres_params(name)
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres_admin(f'CREATE DATABASE "{name}"')
        s = connection.settings_dict
        auth = urllib.parse.quote(s["USER"]) + (":" + urllib.parse.quote(s["PASSWORD"]) if s["PASSWORD"] else "")
        url = f"postgres://{auth}@{pg_params['host']}:{pg_params['port']}/{name}"
    else:
        pytest.skip(f"no crash test for {vendor}")
    try:
        database = CrashDatabase(vendor, url, data_dir, sqlite_path, pg_params, {}, "", "", "")
        done = subprocess.run(
            [sys.executable, "-m", "tests.crash_server", "setup", str(len(CASES))],
            cwd=ROOT, env=database.env(), capture_output=True, text=True, timeout=180,
        )
        assert done.returncode == 0, f"setup failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        made = json.loads(done.stdout.strip().splitlines()[-1])
        database.applications = dict(zip(CASES, made["applications"]))
        database.username, database.password, database.secretary_email = made["username"], made["password"], made["secretary_email"]
        yield database
    finally:
        if vendor == "postgresql":
            _postgres_admin(f'DROP DATABASE IF EXISTS "{pg_params["dbname"]}" WITH (FORCE)')


# --- what the database says about one application ---------------------------------------


@dataclass
class Submission:
    status: str
    submitted_at: object
    versions: list[int]
    audit: int
    notifications: list[str]


def state(db: CrashDatabase, pk: int) -> Submission:
    app, version, event, note = (m._meta.db_table for m in (Application, ApplicationVersion, AuditEvent, Notification))
    ((status, submitted_at, title),) = db.query(f"SELECT status, submitted_at, title FROM {app} WHERE id = %s", pk)
    versions = [n for (n,) in db.query(f"SELECT number FROM {version} WHERE application_id = %s ORDER BY number", pk)]
    (audit,) = db.query(
        f"SELECT COUNT(*) FROM {event} WHERE action = %s AND object_type = %s AND object_id = %s",
        "application.submitted", Application._meta.label_lower, str(pk),
    )[0]
    # The subject starts with the case number the submission gave ("Sak 26/00001: Søknad mottatt: ...").
    notes = [r for (r,) in db.query(f"SELECT recipient FROM {note} WHERE subject LIKE %s ORDER BY recipient", f"Sak %: Søknad mottatt: {title}")]
    return Submission(status, submitted_at, versions, audit, notes)


def expected_recipients(db: CrashDatabase) -> list[str]:
    """One e-mail each to the two contact people and the secretariat."""
    return sorted([f"{db.username}@example.invalid", "trond@example.invalid", db.secretary_email])


def outcome(db: CrashDatabase, pk: int) -> str:
    """'nothing' or 'everything'; anything in between fails here."""
    s = state(db, pk)
    if s.status == "draft" and s.submitted_at is None and s.versions == [] and s.audit == 0 and not s.notifications:
        return "nothing"
    if s.status == "submitted" and s.submitted_at is not None and s.versions == [1] and s.audit == 1 and s.notifications == expected_recipients(db):
        return "everything"
    pytest.fail(f"half-written submission of application {pk}: {s}")


# --- a server process and a person talking to it -----------------------------------------


class Server:
    """runserver in its own process; `kill()` is SIGKILL, and the process never outlives the block.

    It binds port 0 and prints the port it got, so no other process can take the port in between."""

    LISTENING = re.compile(r"Starting development server at (http://127\.0\.0\.1:\d+)/")

    def __init__(self, db: CrashDatabase, log: Path, **env):
        self.url = None
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.crash_server", "serve", "0"],
                cwd=ROOT, env=db.env(**env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def __enter__(self):
        try:
            self._wait_until_up()
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, *exc):
        self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def _wait_until_up(self):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            listening = self.LISTENING.search(self.output())
            if listening:
                self.url = listening.group(1)
                return
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        pytest.fail(f"the server did not start in {TIMEOUT} s:\n{self.output()}")

    def kill(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


class Person:
    """A browser without JavaScript: cookies, CSRF tokens from the forms, redirects followed."""

    TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, server: Server, cookies: CookieJar):
        self.base = server.url
        self.cookies = cookies
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))

    def open(self, path: str, data: dict | None = None, timeout: float = TIMEOUT):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(self.base + path, body, timeout=timeout) as response:
            return response.geturl()[len(self.base):], response.read().decode()

    def token(self, path: str) -> str:
        """The CSRF token of the form on the page, as a browser that has the page open holds it."""
        _url, page = self.open(path)
        token = self.TOKEN.search(page)
        assert token, f"no form with a CSRF token on {path}"
        return token.group(1)

    def hidden_fields(self, path: str) -> dict:
        """The hidden fields of the page's forms (CSRF token, the submit page's fingerprint)."""
        _url, page = self.open(path)
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))

    def post(self, path: str, token: str, data: dict, timeout: float = TIMEOUT):
        return self.open(path, {"csrfmiddlewaretoken": token, **data}, timeout=timeout)

    def sign_in(self, username: str, password: str):
        """Through the login form, once: the session lives in the database, so it outlasts any server process."""
        if any(cookie.name == "sessionid" for cookie in self.cookies):
            return
        url, page = self.post("/logg-inn/", self.token("/logg-inn/"), {"username": username, "password": password, "next": ""})
        assert not url.startswith("/logg-inn/"), f"sign-in refused: {page[:500]}"


def submit_path(pk: int) -> str:
    return f"/soknader/{pk}/send-inn/"


SUBMIT = {"checked_similar": "1"}


# --- the test -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cookies():
    """The applicant's browser, kept across the tests and the server processes."""
    return CookieJar()


@pytest.mark.parametrize("point", list(CASES))
def test_server_killed_during_submission_leaves_all_or_nothing(crash_db, cookies, point, tmp_path):
    pk = crash_db.applications[point]
    assert outcome(crash_db, pk) == "nothing"
    marker = tmp_path / "paused.json"

    server = Server(crash_db, tmp_path / "crashed.log", **{crash_server.POINT_VARIABLE: point, crash_server.MARKER_VARIABLE: str(marker)})
    with server:
        person = Person(server, cookies)
        person.sign_in(crash_db.username, crash_db.password)
        fields = person.hidden_fields(submit_path(pk))
        token = fields.pop("csrfmiddlewaretoken")
        submit = {**SUBMIT, **fields}
        answer = {}

        def post():
            try:
                answer["response"] = person.post(submit_path(pk), token, submit, timeout=2 * TIMEOUT)
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                answer["error"] = exc

        request = threading.Thread(target=post, daemon=True)
        request.start()
        deadline = time.monotonic() + TIMEOUT
        while not marker.exists():
            assert request.is_alive(), f"the submission finished without reaching {point}: {answer}\n{server.output()}"
            assert time.monotonic() < deadline, f"the submission never reached {point}:\n{server.output()}"
            time.sleep(0.05)
        paused = json.loads(marker.read_text())
        assert paused["pid"] == server.process.pid
        # The first two points really are inside the submission's transaction, the last after it.
        assert paused["in_transaction"] == (CASES[point] == "nothing")
        server.kill()
        request.join(timeout=10)
        assert not request.is_alive() and "error" in answer, f"the client got an answer from a killed server: {answer}"

    assert outcome(crash_db, pk) == CASES[point]

    # A new server on the same database. The applicant, still signed in, sends the same form
    # again (as a browser does on reload): it is taken once, never twice.
    with Server(crash_db, tmp_path / "restarted.log") as server:
        person = Person(server, cookies)
        url, page = person.post(submit_path(pk), token, submit)
        assert url == f"/soknader/{pk}/vis/", f"submission not accepted after the restart (at {url}):\n{page[:1000]}\n{server.output()}"
    assert outcome(crash_db, pk) == "everything"
