"""Shared fixtures for the browser tests: one Debian chromium for all browser tests, a fresh
browser context (cookies, storage) per test, axe-core for accessibility checks.

Playwright's sync API runs an asyncio event loop in the main thread; Django refuses
ORM calls from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set.
That is safe here (the test database is a file, so the test and the server's threads
each have their own connection; see the settings), but only here: the variable is set
while the browser package runs and removed afterwards, and the browser (with its loop)
is closed when the last browser test is done, so the rest of the suite keeps Django's async-safety check and
`check --deploy` (async.E001) does not see the variable.
"""

import base64
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = os.environ.get("RSPORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    """The browser tests drive the pages, which are the same whatever the database; CI runs the
    suite once per database, and the browser half (a flushed database per test) is the slowest
    part of it. They run on SQLite, and on PostgreSQL only when RSPORTAL_PAGES_ON_POSTGRES=1;
    what differs between the databases (row locks, concurrent saves) has its own tests that run
    on PostgreSQL (the postgres_only marker)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres") and os.environ.get("RSPORTAL_PAGES_ON_POSTGRES") != "1":
        skip = pytest.mark.skip(reason="browser tests run on SQLite in CI (RSPORTAL_PAGES_ON_POSTGRES=1 runs them here)")
        for item in items:
            if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _transactional_db(transactional_db):
    """The live server answers from another thread, so it must see committed data:
    request the transactional database before `world`/`personas` ask for `db`."""


@pytest.fixture(scope="package")
def _async_unsafe_allowed():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# One chromium for the whole run of the browser tests. Package scope rather than session
# scope: a session-scoped Playwright would keep its event loop "running" in the main
# thread for every test after this package, and Django would then refuse their ORM calls.
@pytest.fixture(scope="package")
def browser(_async_unsafe_allowed):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"No chromium at {CHROMIUM}: run `make browser` (apt-get install chromium) or set RSPORTAL_CHROMIUM.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_context(browser, live_server):
    # bypass_csp: the app's CSP (script-src 'self') would refuse axe, which Playwright injects inline.
    context = browser.new_context(
        base_url=live_server.url, locale="nb-NO", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def page(browser, live_server) -> Page:
    """A page in a fresh context (no cookies) whose relative URLs go to the live server."""
    context = _new_context(browser, live_server)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Another person at another computer: each call gives a page in its own fresh context
    (own cookies and local storage), closed when the test ends."""
    contexts = []

    def _new_page() -> Page:
        context = _new_context(browser, live_server)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def submit(page: Page, locator, timeout: int = 30_000):
    """Click a button or link that leads to a new page, wait until that page has loaded and
    return its response.

    On a loaded two-core machine chromium now and then drops such a click: in CI the page
    stayed where it was, no request left the browser and every server thread sat idle.
    Only then is it clicked once more. A click that did send its request is never
    repeated, so nothing is posted twice. The wait is generous: a post that builds an
    agenda or books commitments can be slow on such a machine; this tests what happens,
    not how fast."""

    def leaves_page(request):
        return request.is_navigation_request() and request.frame == page.main_frame

    with page.expect_navigation(timeout=timeout) as navigation:
        try:
            with page.expect_request(leaves_page, timeout=10_000):
                locator.click()
        except PlaywrightTimeout:
            with page.expect_request(leaves_page, timeout=10_000):
                locator.click()
    return navigation.value


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the page as it is now; return the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        })""",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def format_violations(violations: list[dict], where: str = "") -> str:
    """A readable report: rule, impact, help URL, and each offending element with axe's explanation."""
    lines = [f"{len(violations)} serious/critical axe violation(s){' on ' + where if where else ''}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"      {summary[:400]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page: Page, where: str) -> None:
    """Fail with a readable report when axe finds serious or critical WCAG 2.1 A/AA violations."""
    violations = axe_violations(page)
    assert not violations, format_violations(violations, where)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/ (git-ignored) for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def normalise(text: str) -> str:
    """Collapse (non-breaking, narrow) spaces so that '78\u00a0745' compares equal to '78 745'."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def totp_code(device) -> str:
    """The code an authenticator app would show now for a django-otp TOTP device."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def sign_in(page: Page, user, password: str | None = None, audit: bool = False) -> Page:
    """Sign in through the real login form, as a person would, and through the two-factor
    step when the portal asks for it (setting up the app on first login, or giving the code).

    With audit=True every sign-in page is screenshotted and checked with axe on the way."""
    from tests.factories import PASSWORD

    def _audit(name):
        screenshot(page, name)
        assert_accessible(page, name)

    page.goto("/logg-inn/")
    if audit:
        _audit("00-login")
    page.get_by_label(re.compile("^Brukernavn")).fill(user.username)
    page.get_by_label(re.compile("^Passord")).fill(password or PASSWORD)
    submit(page, page.get_by_role("button", name="Logg inn", exact=True))
    assert not page.url.endswith("/logg-inn/"), f"the login form refused {user.username}: " + page.locator("body").inner_text()[:300]
    if "/logg-inn/tofaktor/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        setting_up = "/oppsett/" in page.url
        if audit:
            _audit("00-two-factor-" + ("setup" if setting_up else "code"))
        if setting_up:
            # The secret being set up lives in the session until confirmed; read it as a person would.
            secret = re.search(r"secret=([A-Z2-7]+)", page.locator("#otpauth-uri").inner_text()).group(1)
            device = TOTPDevice(key=base64.b32decode(secret + "=" * (-len(secret) % 8)).hex())
        else:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
            assert device is not None, f"no confirmed TOTP device for {user}"
        page.get_by_label(re.compile("^Engangskode")).fill(totp_code(device))
        submit(page, page.locator("main form button[type=submit]"))
        assert "/logg-inn/" not in page.url, f"still on {page.url} after the one-time code"
    return page


@pytest.fixture
def log_in(page):
    """Sign in on the test's `page` (see sign_in)."""

    def _log_in(user, password: str | None = None, audit: bool = False):
        return sign_in(page, user, password, audit)

    return _log_in
