"""Smoke test of the production set-up: `make smoke` (or scripts/smoke-production.sh).

Starts RS-portalen exactly as deploy/README.md says (RSPORTAL_DEBUG=false, PostgreSQL, Redis as the
shared cache, static files collected and served by whitenoise, gunicorn with deploy/gunicorn.conf.py)
against a fresh PostgreSQL database with the demo data, then walks the main pages as nginx would
hand them on (X-Forwarded-Proto: https, one X-Forwarded-For entry):

- the public pages, the open API and a collected, hashed stylesheet answer 200;
- every HTML page carries the security headers (HSTS, CSP, X-Frame-Options, nosniff, referrer policy);
- plain HTTP is redirected to HTTPS;
- an applicant signs in with the password, a committee chair and a secretary with the password and a
  two-factor code (computed here from the demo's published secret), and their main pages answer 200
  and are marked private;
- the optimiser's proposal on the ranking page lands in Redis, so the cache really is shared;
- the annual report PDF is built in the background by `rsportal build_documents` and downloaded.

Then it stops gunicorn, drops the database and deletes its Redis keys. Prints one line starting with
SMOKE PASS or SMOKE FAIL, and exits non-zero on failure.

Run it with the Python that RS-portalen is installed in. Environment: RSPORTAL_SMOKE_POSTGRES (server URL without database, default postgres://postgres@127.0.0.1:5432),
RSPORTAL_SMOKE_REDIS (default redis://127.0.0.1:6379/0).
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from base64 import b32decode
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable  # the interpreter RS-portalen is installed in (scripts/smoke-production.sh picks it)
POSTGRES = os.environ.get("RSPORTAL_SMOKE_POSTGRES", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("RSPORTAL_SMOKE_REDIS", "redis://127.0.0.1:6379/0")
# Published in README.md on purpose; `demo_totp` gives it to the demo users of this throwaway database.
DEMO_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "demo-passord"
HOST = "127.0.0.1"


class SmokeFailure(Exception):
    pass


def check(condition, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Browser:
    """A small cookie-keeping client that talks to gunicorn the way nginx does: plain HTTP on
    loopback with X-Forwarded-Proto: https, so Secure cookies are kept and sent back."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, *, proxied: bool = True) -> Response:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "rsportal-smoke"}
        if proxied:
            headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.10"})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            origin = f"https://{HOST}:{self.port}"
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + path})
        connection.request(method, path, body=body, headers=headers)
        raw = connection.getresponse()
        response = Response(raw.status, raw.headers, raw.read())
        connection.close()
        for value in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, expect: int = 200, **kwargs) -> Response:
        response = self.request("GET", path, **kwargs)
        check(response.status == expect, f"GET {path}: {response.status}, expected {expect}")
        return response

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, data)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    check(match, "no CSRF token in the form")
    return match.group(1)


def security_headers(path: str, response: Response, *, private: bool = False) -> None:
    check("max-age=" in response.header("Strict-Transport-Security"), f"{path}: no HSTS header")
    check("default-src 'self'" in response.header("Content-Security-Policy"), f"{path}: no CSP header")
    check(response.header("X-Frame-Options") == "DENY", f"{path}: X-Frame-Options is not DENY")
    check(response.header("X-Content-Type-Options") == "nosniff", f"{path}: no nosniff")
    check(response.header("Referrer-Policy") == "same-origin", f"{path}: referrer policy")
    if private:
        check("no-store" in response.header("Cache-Control"), f"{path}: a signed-in page is not marked no-store")


def totp_now() -> str:
    from django_otp.oath import totp

    return f"{totp(b32decode(DEMO_SECRET)):06d}"


def sign_in(port: int, username: str, two_factor: bool) -> Browser:
    browser = Browser(port)
    page = browser.get("/logg-inn/")
    response = browser.post("/logg-inn/", {"csrfmiddlewaretoken": csrf_token(page.text), "username": username, "password": PASSWORD})
    check(response.status == 302, f"login of {username}: {response.status}")
    check("sessionid" in browser.cookies, f"login of {username}: no session cookie")
    if two_factor:
        target = response.header("Location")
        check("/logg-inn/tofaktor/kode/" in target, f"{username} was not asked for a code: {target}")
        form = browser.get(target)
        response = browser.post(target, {"csrfmiddlewaretoken": csrf_token(form.text), "token": totp_now()})
        check(response.status == 302, f"two-factor code of {username}: {response.status}")
    return browser


class Server:
    def __init__(self, env: dict, log: Path):
        self.env, self.log_path = env, log
        self.process = None

    def start(self) -> None:
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait(self, port: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            check(self.process.poll() is None, f"gunicorn exited with {self.process.returncode}")
            try:
                if Browser(port).request("GET", "/api/v1/rhf").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.3)
        raise SmokeFailure("gunicorn did not answer in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its own workers gracefully
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])
        except OSError:
            return ""


def manage(env: dict, *args: str, background: bool = False):
    command = [PYTHON, "manage.py", *args]
    if background:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    check(result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
    return result


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def walk(port: int, env: dict, redis_client, prefix: str) -> int:
    """The checks against the running server; returns how many requests were made."""
    anonymous = Browser(port)
    count = 0

    redirect = anonymous.request("GET", "/", proxied=False)
    check(redirect.status == 301 and redirect.header("Location").startswith("https://"), f"plain HTTP is not redirected to HTTPS: {redirect.status}")
    count += 1

    home = anonymous.get("/")
    security_headers("/", home)
    for path in ("/prosjekter/", "/prosjekter/?q=digital", "/statistikk/", "/soknader/utlysninger/", "/logg-inn/"):
        security_headers(path, anonymous.get(path))
    for path in ("/api/v1/rhf", "/api/v1/helsefellesskap", "/api/v1/projects", "/api/v1/openapi.json", "/api/v1/allocation-per-inhabitant?year=2025"):
        response = anonymous.get(path)
        check(response.header("Content-Type").startswith("application/json"), f"{path}: not JSON")
    count += 11

    stylesheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', home.text)
    check(stylesheets, "the home page links no stylesheet")
    for href in stylesheets:
        check(re.search(r"\.[0-9a-f]{12}\.css$", href), f"{href} is not a hashed (collected) file name")
        css = anonymous.get(href)
        check(css.header("Content-Type").startswith("text/css"), f"{href}: {css.header('Content-Type')}")
        check("immutable" in css.header("Cache-Control"), f"{href}: not cached for long")
        count += 1

    applicant = sign_in(port, "soker.tromso", two_factor=False)
    for path in ("/", "/soknader/", "/oppfolging/"):
        security_headers(path, applicant.get(path), private=True)
        count += 1
    refused = applicant.request("GET", f"/oppfolging/rhf/HN/arsmelding-{time.localtime().tm_year}.xlsx").status
    check(refused == 403, f"an applicant opened the RHF's annual report: {refused}")

    chair = sign_in(port, "stu.leder", two_factor=True)
    index = chair.get("/vurdering/")
    security_headers("/vurdering/", index, private=True)
    calls = sorted(set(re.findall(r'href="/vurdering/utlysning/(\d+)/"', index.text)))
    check(calls, "the chair sees no calls on /vurdering/")
    for pk in calls:
        chair.get(f"/vurdering/utlysning/{pk}/")
        chair.get(f"/vurdering/utlysning/{pk}/rangering/")
        count += 2
    cached = redis_client.keys(f"{prefix}:*assessment:proposal:*")
    check(cached, "no optimiser proposal in Redis after the ranking pages: the cache is not shared")

    secretary = sign_in(port, "sekretariat.nord", two_factor=True)
    for path in ("/midler/", "/oppfolging/", "/helsefellesskap/"):
        security_headers(path, secretary.get(path), private=True)
        count += 1
    count += annual_report_pdf(secretary, env)
    return count + 12  # the sign-ins


def annual_report_pdf(secretary: Browser, env: dict) -> int:
    """Ask for the annual report PDF, let the timer's command build it, download it."""
    overview = secretary.get("/oppfolging/")
    match = re.search(r'href="(/oppfolging/rhf/[^"/]+/arsmelding-\d+\.pdf)"', overview.text)
    check(match, "no annual report PDF link on /oppfolging/")
    order_page = secretary.get(match.group(1))
    ordered = secretary.post(match.group(1), {"csrfmiddlewaretoken": csrf_token(order_page.text)})
    check(ordered.status == 302, f"ordering the PDF: {ordered.status}")
    job_page = ordered.header("Location")
    check("Dokumentet lages" in secretary.get(job_page).text, "the ordered PDF was built in the request, not in the background")
    manage(env, "build_documents")
    page = secretary.get(job_page)
    link = re.search(r'href="(/oppfolging/dokument/\d+/[^"]+\.pdf)"', page.text)
    check(link, "no download link after build_documents")
    pdf = secretary.get(link.group(1))
    check(pdf.body.startswith(b"%PDF") and pdf.header("Content-Type") == "application/pdf", "the download is not a PDF")
    return 6


def main() -> int:
    started = time.monotonic()
    pid = os.getpid()
    database = f"rsportal_smoke_{pid}"
    prefix = f"rsportal-smoke-{pid}"
    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="rsportal-smoke-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSPORTAL_") and k != "DATABASE_URL"}
    env.update(
        RSPORTAL_DEBUG="false",
        RSPORTAL_SECRET_KEY=secrets.token_urlsafe(50),
        RSPORTAL_ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"{POSTGRES}/{database}",
        RSPORTAL_CACHE_URL=REDIS,
        RSPORTAL_CACHE_KEY_PREFIX=prefix,
        RSPORTAL_PROXY_COUNT="1",
        RSPORTAL_DATA_DIR=str(data_dir),
        RSPORTAL_BIND=f"{HOST}:{port}",
        RSPORTAL_WORKERS="2",
    )
    server = Server(env, data_dir / "gunicorn.log")
    redis_client = None
    requests = 0
    created = False
    try:
        import redis

        redis_client = redis.Redis.from_url(REDIS)
        redis_client.ping()
        admin_sql(f'CREATE DATABASE "{database}"')
        created = True
        # collectstatic compresses every file and needs no database: run it beside the migrations.
        static = manage(env, "collectstatic", "--noinput", background=True)
        manage(env, "check", "--deploy", "--fail-level", "WARNING")
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        # The demo's published two-factor secret, on purpose: this database lives for a minute.
        manage(env, "demo_totp", "--allow-production")
        output, _ = static.communicate()
        check(static.returncode == 0, f"collectstatic failed:\n{output[-3000:]}")
        server.start()
        server.wait(port)
        ready = time.monotonic() - started
        requests = walk(port, env, redis_client, prefix)
    except Exception as error:  # noqa: BLE001 - every failure ends in one FAIL line
        server.stop()
        tail = server.log_tail()
        if tail:
            print("--- gunicorn log (last lines)\n" + tail + "\n---")
        print(f"SMOKE FAIL after {time.monotonic() - started:.0f} s: {type(error).__name__}: {error}")
        return 1
    finally:
        server.stop()
        if created:
            admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if redis_client is not None:
            keys = redis_client.keys(f"{prefix}:*")
            if keys:
                redis_client.delete(*keys)
        shutil.rmtree(data_dir, ignore_errors=True)
    total = time.monotonic() - started
    print(f"SMOKE PASS: {requests} requests against gunicorn + PostgreSQL + Redis in {total:.0f} s ({ready:.0f} s to set up and start, {total - ready:.0f} s of checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
