"""Two-factor login, login throttling, the content security policy and the demo TOTP command,
all with two-factor login switched on as in production."""

import re
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from rsportal.security.testing import app_for, force_verified_login, secret_on_page
from rsportal.security.twofactor import requires_two_factor

from . import factories as f

SETUP = "/logg-inn/tofaktor/oppsett/"
VERIFY = "/logg-inn/tofaktor/kode/"


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.RSPORTAL_REQUIRE_2FA = True
    # django-otp blocks a device for a growing delay after each wrong code; these tests give
    # wrong codes on purpose and test that delay separately.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device, steps_ahead=0):
    """The code an authenticator app shows now (or a later window: django-otp refuses a code twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device):
    right = {code_for(device, step) for step in (-1, 0, 1)}
    return next(candidate for candidate in ("000000", "111111", "222222", "333333") if candidate not in right)


def password_login(client, user, next_url="/midler/"):
    return client.post("/logg-inn/", {"username": user.username, "password": f.PASSWORD, "next": next_url})


# --- who must use two-factor login --------------------------------------------------------


def test_who_needs_two_factor(personas):
    needs = {name for name, user in vars(personas).items() if requires_two_factor(user)}
    # Every seat in a body (secretariat, member, chair, observer), RHF admins and superusers;
    # applicants and outsiders do not.
    assert needs == {"secretariat", "other_secretariat", "member", "chair", "observer", "rhf_admin", "sysadmin"}


# --- the flow: password, setup, code -------------------------------------------------------


def test_password_login_sends_secretariat_to_setup_and_a_confirmed_code_opens_the_portal(client, personas):
    response = password_login(client, personas.secretariat)
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fmidler%2F"

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "otpauth://totp/" in html and "secret=" in html
    assert "<svg" in html and "<?xml" not in html

    app = app_for(secret_on_page(html))
    done = client.post(SETUP, {"token": code_for(app), "next": "/midler/"})
    assert done.status_code == 302 and done["Location"] == "/midler/"
    device = TOTPDevice.objects.get(user=personas.secretariat)
    assert device.confirmed and device.key == app.key
    assert client.get("/midler/").status_code == 200


def test_wrong_code_at_setup_gives_a_norwegian_error_and_no_device(client, personas):
    client.force_login(personas.member)
    app = app_for(secret_on_page(client.get(SETUP).content.decode()))
    response = client.post(SETUP, {"token": wrong_code(app)})
    assert response.status_code == 400
    assert "Koden er feil eller utløpt" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=personas.member).exists()
    assert client.get("/midler/")["Location"].startswith(SETUP)


def test_reloading_setup_keeps_the_same_secret(client, personas):
    client.force_login(personas.chair)
    first = client.get(SETUP).content
    second = client.get(SETUP).content
    secret = re.compile(rb"secret=([A-Z2-7]+)")
    assert secret.search(first).group(1) == secret.search(second).group(1)
    # The secret waits in the session: no device row until the person confirms a code.
    assert not TOTPDevice.objects.filter(user=personas.chair).exists()


def test_user_with_a_device_must_give_a_code_after_the_password(client, personas):
    device = TOTPDevice.objects.create(user=personas.rhf_admin, name="app", confirmed=True)
    response = password_login(client, personas.rhf_admin, next_url="/helsefellesskap/")
    assert response["Location"] == f"{VERIFY}?next=%2Fhelsefellesskap%2F"
    assert client.get("/helsefellesskap/")["Location"].startswith(VERIFY)

    wrong = client.post(VERIFY, {"token": wrong_code(device), "next": "/helsefellesskap/"})
    assert wrong.status_code == 400
    assert "Koden er feil eller utløpt" in wrong.content.decode()

    right = client.post(VERIFY, {"token": code_for(device, 1), "next": "/helsefellesskap/"})
    assert right["Location"] == "/helsefellesskap/"
    assert client.get("/helsefellesskap/").status_code == 200


def test_a_code_cannot_be_used_twice(client, personas):
    device = TOTPDevice.objects.create(user=personas.observer, name="app", confirmed=True)
    code = code_for(device)
    client.force_login(personas.observer)
    assert client.post(VERIFY, {"token": code}).status_code == 302
    client.logout()
    client.force_login(personas.observer)
    assert client.post(VERIFY, {"token": code}).status_code == 400


@pytest.mark.parametrize("name", ["secretariat", "member", "chair", "observer", "rhf_admin", "sysadmin"])
def test_role_holders_without_a_code_are_refused_every_portal_page(client, personas, name):
    user = getattr(personas, name)
    client.force_login(user)
    for url in ("/helsefellesskap/", "/midler/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(SETUP), url
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    assert client.get("/midler/")["Location"].startswith(VERIFY)


def test_unverified_role_holder_still_reaches_the_public_pages(client, personas):
    client.force_login(personas.secretariat)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/rhf").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_verified_session_reaches_the_portal(client, personas):
    force_verified_login(client, personas.secretariat)
    assert client.get("/midler/").status_code == 200


def test_applicant_is_not_forced(client, personas):
    response = password_login(client, personas.applicant, next_url="/helsefellesskap/")
    assert response["Location"] == "/helsefellesskap/"
    assert client.get("/helsefellesskap/").status_code == 200


def test_applicant_may_turn_it_on_and_is_then_asked_for_the_code(client, personas):
    client.force_login(personas.applicant)
    page = client.get(SETUP)
    assert page.status_code == 200
    app = app_for(secret_on_page(page.content.decode()))
    assert client.post(SETUP, {"token": code_for(app)}).status_code == 302
    assert TOTPDevice.objects.get(user=personas.applicant).confirmed
    client.logout()
    assert password_login(client, personas.applicant)["Location"].startswith(VERIFY)


def test_next_must_stay_on_this_site(client, personas):
    device = TOTPDevice.objects.create(user=personas.secretariat, name="app", confirmed=True)
    client.force_login(personas.secretariat)
    response = client.post(VERIFY, {"token": code_for(device), "next": "https://angriper.example/"})
    assert response["Location"] == "/"


def test_wrong_codes_slow_the_device_down(client, personas, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = TOTPDevice.objects.create(user=personas.secretariat, name="app", confirmed=True)
    client.force_login(personas.secretariat)
    assert client.post(VERIFY, {"token": wrong_code(device)}).status_code == 400
    # Right code, but straight after a wrong one: refused until the delay has passed.
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 400


def test_switch_off_lets_role_holders_through(client, personas, settings):
    settings.RSPORTAL_REQUIRE_2FA = False
    client.force_login(personas.secretariat)
    assert client.get("/midler/").status_code == 200


# --- login throttling (django-axes) ---------------------------------------------------------


def test_five_wrong_passwords_lock_that_username_from_that_address(client, personas):
    for _attempt in range(5):
        response = client.post("/logg-inn/", {"username": "applicant", "password": "feil"}, REMOTE_ADDR="10.0.0.1")
    # The fifth failure locks; now even the right password is refused, with a Norwegian page.
    locked = client.post("/logg-inn/", {"username": "applicant", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Innlogging midlertidig sperret" in text and "15 minuttene" in text
    assert "_auth_user_id" not in client.session

    # The same person from another address, and another person from the same address, get in.
    assert client.post("/logg-inn/", {"username": "applicant", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.2").status_code == 302
    client.logout()
    other = client.post("/logg-inn/", {"username": "other_applicant", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert other.status_code == 302


def test_four_wrong_passwords_then_the_right_one_resets(client, personas):
    for _attempt in range(4):
        client.post("/logg-inn/", {"username": "applicant", "password": "feil"})
    assert client.post("/logg-inn/", {"username": "applicant", "password": f.PASSWORD}).status_code == 302
    client.logout()
    for _attempt in range(4):
        client.post("/logg-inn/", {"username": "applicant", "password": "feil"})
    assert client.post("/logg-inn/", {"username": "applicant", "password": f.PASSWORD}).status_code == 302


def test_proxy_count_takes_the_address_the_proxy_saw(rf, settings):
    from rsportal.security.throttling import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.9")
    assert client_ip(request) == "10.0.0.9"
    settings.RSPORTAL_PROXY_COUNT = 1
    # The left entry is whatever the client sent; only the one our proxy appended counts.
    assert client_ip(request) == "203.0.113.7"


# --- content security policy and cookies ----------------------------------------------------


def test_pages_get_a_strict_content_security_policy(client, personas):
    force_verified_login(client, personas.secretariat)
    policy = client.get("/midler/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_only_the_swagger_page_may_use_inline_styles(client, db):
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    policy = docs["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy or policy.endswith("script-src 'self'")
    # django-ninja serves Swagger UI from our own static files, not from a CDN.
    assert "cdn" not in docs.content.decode().lower()


TEMPLATE_DIRS = [Path(__file__).resolve().parent.parent / "rsportal"]


def _templates():
    root = TEMPLATE_DIRS[0]
    return sorted(path for path in root.rglob("templates/**/*.html"))


# Templates that only WeasyPrint renders (documents.pdf): no browser and no CSP ever sees them,
# and a document's own page rules (the "UTKAST" running head) need a <style> element there.
PDF_ONLY = {"assessment/minutes_pdf.html", "assessment/letter_pdf.html", "followup/annual_pdf.html"}


def test_pdf_only_templates_are_rendered_only_as_pdf():
    """The exemption below holds only while no view renders these templates as a page
    (documents.pdf, or the archive's PDF/A writer pdfa.render)."""
    root = TEMPLATE_DIRS[0]
    for path in root.rglob("*.py"):
        text = path.read_text()
        for name in PDF_ONLY:
            for match in re.finditer(re.escape(f'"{name}"'), text):
                line = text[: match.start()].rsplit("\n", 1)[-1]
                assert "pdf(" in line or "pdfa.render(" in line, f"{path} uses {name} outside documents.pdf: {line.strip()}"


def test_no_template_has_inline_script_or_style():
    """The policy forbids them; a browser would silently drop them, so catch them here."""
    offenders = []
    for path in _templates():
        text = path.read_text()
        if any(str(path).endswith(name) for name in PDF_ONLY):
            text = re.sub(r"<style\b.*?</style>", "", text, flags=re.IGNORECASE | re.DOTALL)
        for match in re.finditer(r"<script\b([^>]*)>", text, re.IGNORECASE):
            attrs = match.group(1)
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offenders.append(f"{path}: inline <script>")
        if re.search(r"<style\b", text, re.IGNORECASE):
            offenders.append(f"{path}: <style> element")
        if re.search(r"\sstyle\s*=", text, re.IGNORECASE):
            offenders.append(f"{path}: style attribute")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text, re.IGNORECASE):
            offenders.append(f"{path}: inline event handler")
        if re.search(r"javascript:", text, re.IGNORECASE):
            offenders.append(f"{path}: javascript: URL")
    assert offenders == []


def test_session_cookie_is_http_only_and_same_site(client, personas):
    response = client.post("/logg-inn/", {"username": "applicant", "password": f.PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


# --- demo command ---------------------------------------------------------------------------


def test_demo_totp_gives_demo_role_holders_the_published_secret(personas, world, settings, capsys):
    from rsportal.security.management.commands.demo_totp import DEMO_SECRET_BASE32

    settings.DEBUG = True
    secretary = f.UserFactory(username="sekretariat.demo", email="sekretariat.demo@demo.invalid")
    f.seat(world.secretariat_body, secretary)
    applicant = f.UserFactory(username="soker.demo", email="soker.demo@demo.invalid")
    call_command("demo_totp")
    out = capsys.readouterr().out
    assert DEMO_SECRET_BASE32 in out
    device = TOTPDevice.objects.get(user=secretary, confirmed=True)
    assert re.search(rf"sekretariat\.demo\s+{code_for(device)}", out)
    assert not TOTPDevice.objects.filter(user=applicant).exists()
    assert not TOTPDevice.objects.filter(user=personas.secretariat).exists()


def test_demo_totp_refuses_production(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_totp")
