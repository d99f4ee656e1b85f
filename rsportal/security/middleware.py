import re
from urllib.parse import unquote_to_bytes, urlencode

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.http.request import UnreadablePostError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .twofactor import must_verify

# Pages a signed-in user may reach before giving a code: the front page, signing in and out,
# giving the code or setting up the first app, the open API and static files. Everything else
# needs the code, the page for managing one's app included. The set-up page itself sends anyone
# who already has an app to give its code first.
PUBLIC_PATHS = ("/", "/logg-inn/", "/logg-inn/tofaktor/oppsett/", "/logg-inn/tofaktor/kode/")
PUBLIC_PREFIXES = ("/logg-ut/", "/oidc/", "/api/v1/")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if must_verify(request.user) and not self._is_public(request.path):
            target = "security:verify" if user_has_device(request.user) else "security:setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _is_public(path: str) -> bool:
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return True
        return bool(settings.STATIC_URL) and path.startswith(settings.STATIC_URL)


class ApiDocsCSPMiddleware:
    """Swagger UI sets style attributes on its elements, so its page alone may use inline
    styles. Its scripts are the vendored files django-ninja serves from /static/ (no CDN),
    so script-src stays 'self' there too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response


# --- Malformed input: refused at the door, for the whole site -------------------------------

# The C0 control characters XML 1.0 does not allow. PostgreSQL refuses NUL in text (a server
# error wherever a value reaches a query), and the Excel and PDF exports refuse the others, so
# a value saved with one would break those later. Tab, line feed and carriage return are
# ordinary text in a textarea. The open API declares the same set (rsportal.api.errors).
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
# A path has no business with any control character, tab and line breaks included.
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
API_PREFIX = "/api/v1/"


class MalformedRequestMiddleware:
    """Answers a request with control characters in its path (404), query string or form fields,
    or with form data that is not UTF-8 (400), before any view or database sees it. Django itself
    lets both through: NUL reaches PostgreSQL, which refuses it with a server error, and bytes that
    are not UTF-8 are read as Latin-1 or replaced, so the form saved garbled text. Early in
    MIDDLEWARE, so the refusal is plain and cannot touch the session or the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _PATH_CONTROL.search(request.path):
            return self._refuse(request, 404, _("Fant ikke siden: adressen inneholder ugyldige tegn."))
        problem = self._query_problem(request) or self._form_problem(request)
        if problem:
            return self._refuse(request, 400, problem)
        return self.get_response(request)

    @staticmethod
    def _query_problem(request) -> str:
        if not _decodes(_query_bytes(request)):
            return _("Adressen er ikke gyldig UTF-8.")
        if any(_CONTROL.search(key) or any(_CONTROL.search(v) for v in values) for key, values in request.GET.lists()):
            return _("Adressen inneholder kontrolltegn (for eksempel NUL), som ikke er tillatt.")
        return ""

    @staticmethod
    def _form_problem(request) -> str:
        if request.method != "POST" or request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return ""
        try:
            if request.content_type == "application/x-www-form-urlencoded" and not _decodes(request.body):
                return _("Skjemaet ble ikke sendt som UTF-8 og kan ikke leses. Send det på nytt fra nettleseren.")
            fields = list(request.POST.lists())
            names = [f.name or "" for _key, files in request.FILES.lists() for f in files]
        except UnreadablePostError:
            return ""  # the client went away; nothing to answer, and the view sees the same as before
        texts = [key for key, _values in fields] + [v for _key, values in fields for v in values] + names
        if request.content_type == "multipart/form-data" and any("\ufffd" in text for text in texts):
            # Django reads the parts with errors="replace": a replacement character is what is left
            # of bytes that were not UTF-8.
            return _("Skjemaet ble ikke sendt som UTF-8 og kan ikke leses. Send det på nytt fra nettleseren.")
        if any(_CONTROL.search(text) for text in texts):
            return _("Skjemaet inneholder kontrolltegn (for eksempel NUL), som ikke er tillatt.")
        return ""

    @staticmethod
    def _refuse(request, status: int, message: str) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": message}, status=status)
        # Plain text: the site's error pages need the signed-in user, who is not known this early.
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _query_bytes(request) -> bytes:
    # As Django reads it: WSGI hands the raw bytes over as a Latin-1 string (PEP 3333).
    query = request.META.get("QUERY_STRING", "")
    try:
        return query.encode("iso-8859-1")
    except UnicodeEncodeError:
        return query.encode()


def _decodes(raw: bytes) -> bool:
    """Whether URL-encoded data is UTF-8 once its %XX escapes are undone."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode()
    except UnicodeDecodeError:
        return False
    return True


class PrivateCacheMiddleware:
    """Pages and downloads for a signed-in person carry their name and often personal data: neither
    a shared cache nor the browser may keep them (the back button on a shared computer after
    logging out). A view that sets its own Cache-Control keeps it; anonymous pages are untouched.
    After AuthenticationMiddleware in MIDDLEWARE, so request.user is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
        return response
