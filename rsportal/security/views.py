import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import devices
from .forms import PasswordLoginForm, RemoveForm, TokenForm
from .twofactor import forget_pending_key, must_use_two_factor, must_verify, pending_key


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's login, then straight on to the code (or to setting up an app) when one is needed,
    instead of landing on the public front page with half a login."""

    form_class = PasswordLoginForm

    def get_success_url(self):
        url = super().get_success_url()
        if must_verify(self.request.user):
            target = "security:verify" if user_has_device(self.request.user) else "security:setup"
            return f"{reverse(target)}?{urlencode({'next': url})}"
        return url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from rsportal.signin.providers import all_providers

        context["signin_providers"] = all_providers()
        return context


def qr_svg(data: str) -> str:
    """An inline SVG drawn on the server, so the secret never goes to a third-party QR service."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]


def _to_verify(request):
    return redirect(f"{reverse('security:verify')}?{urlencode({'next': _next_url(request)})}")


@require_http_methods(["GET", "POST"])
@login_required
def setup(request):
    """Set up the authenticator app, or replace it from a session that gave a code from the old one.

    A password alone never gets as far as a secret when the person already has an app: they are
    sent to give a code from it first (the domain function refuses too)."""
    user = request.user
    if not devices.may_change_devices(user):
        return _to_verify(request)
    replacing = devices.has_device(user)
    key = pending_key(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = devices.enrol_device(user, key=key, token=form.cleaned_data["token"])
        except devices.WrongCode as error:
            form.add_error("token", str(error))
        else:
            forget_pending_key(request)
            otp_login(request, device)
            if replacing:
                messages.success(request, _("Den nye appen er tatt i bruk. Den gamle virker ikke lenger."))
            else:
                messages.success(request, _("Tofaktorinnlogging er slått på for kontoen din."))
            return redirect(_next_url(request))
    config_url = TOTPDevice(user=user, key=key).config_url  # unsaved: only to draw the QR code
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "config_url": config_url,
            "qr_svg": mark_safe(qr_svg(config_url)),  # generated here from our own data, no user input
            "next": _next_url(request),
            "required": must_use_two_factor(user) and not replacing,
            "replacing": replacing,
        },
        status=400 if form.errors else 200,
    )


@require_safe
@login_required
def manage(request):
    """"Tofaktorinnlogging": whether the person has an app, and replacing or turning it off."""
    if must_verify(request.user):  # the middleware sends them there first; this page must not rely on it
        return _to_verify(request)
    return _manage_page(request, RemoveForm())


@require_POST
@login_required
def remove(request):
    """Turn two-factor login off (applicants only; those whose role requires it may only replace)."""
    if not devices.may_remove(request.user):
        raise PermissionDenied(_("Rollen din krever tofaktorinnlogging. Du kan bytte app, men ikke slå den av."))
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return _manage_page(request, form, status=400)
    try:
        devices.remove_device(request.user)
    except devices.TwoFactorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Tofaktorinnlogging er slått av."))
    return redirect("security:manage")


def _manage_page(request, form, status=200):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    context = {"device": device, "may_remove": devices.may_remove(request.user), "form": form}
    return render(request, "registration/two_factor_manage.html", context, status=status)


@require_http_methods(["GET", "POST"])
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
