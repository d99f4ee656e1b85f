import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from .forms import TokenForm
from .twofactor import must_verify, pending_device


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's login, then straight on to the code (or to setting up an app) when one is needed,
    instead of landing on the public front page with half a login."""

    def get_success_url(self):
        url = super().get_success_url()
        if must_verify(self.request.user):
            target = "security:verify" if user_has_device(self.request.user) else "security:setup"
            return f"{reverse(target)}?{urlencode({'next': url})}"
        return url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.RSPORTAL_OIDC_ENABLED
        return context


def qr_svg(data: str) -> str:
    """An inline SVG drawn on the server, so the secret never goes to a third-party QR service."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]


@login_required
def setup(request):
    device = pending_device(request.user)
    form = TokenForm(request.POST or None, device_check=lambda token: device if device.verify_token(token) else None)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        messages.success(request, _("Tofaktorinnlogging er slått på for kontoen din."))
        return redirect(_next_url(request))
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "config_url": device.config_url,
            "qr_svg": mark_safe(qr_svg(device.config_url)),  # generated here from our own data, no user input
            "next": _next_url(request),
            "required": must_verify(request.user) and not user_has_device(request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def verify(request):
    if not user_has_device(request.user):
        return redirect(f"{reverse('security:setup')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None, device_check=lambda token: match_token(request.user, token))
    if request.method == "POST" and form.is_valid():
        otp_login(request, form.device)
        return redirect(_next_url(request))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request)},
        status=400 if form.errors else 200,
    )
