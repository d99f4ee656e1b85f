from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
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
