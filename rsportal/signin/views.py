"""Sign-in through the providers: start, callback, the refusal page and logout that ends the
provider's session too. The decisions live in client.py (is the token genuine), rules.py (who is
it, may they come in that way) and domain.py (binding through an invitation)."""

import logging
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_otp import user_has_device

from rsportal.accounts import domain as accounts
from rsportal.accounts.models import Invitation
from rsportal.security.twofactor import must_verify

from . import client, domain, providers, rules
from .identity import identity_hash, seal, unseal

logger = logging.getLogger(__name__)

SESSION_KEY = "rsportal_signin"


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


REFUSALS = {
    "failed": (400, gettext_lazy("Innloggingen kunne ikke fullføres"), gettext_lazy("Svaret fra innloggingstjenesten kunne ikke bekreftes. Start innloggingen på nytt.")),
    "expired": (400, gettext_lazy("Innloggingen er utløpt"), gettext_lazy("Det gikk for lang tid før innloggingen kom tilbake hit. Start innloggingen på nytt.")),
    "replay": (400, gettext_lazy("Innloggingen er allerede brukt"), gettext_lazy("Denne innloggingen er allerede tatt i bruk og kan ikke brukes en gang til. Start innloggingen på nytt.")),
    "cancelled": (400, gettext_lazy("Innloggingen ble avbrutt"), gettext_lazy("Du avbrøt innloggingen, eller innloggingstjenesten avviste den. Du kan prøve igjen.")),
    "unavailable": (503, gettext_lazy("Innloggingstjenesten svarer ikke"), gettext_lazy("Vi får ikke kontakt med innloggingstjenesten akkurat nå. Prøv igjen om litt, eller logg inn på en annen måte.")),
    "low_level": (
        403,
        gettext_lazy("Rollen din krever et høyere sikkerhetsnivå"),
        gettext_lazy("Du logget inn på et sikkerhetsnivå som ikke er høyt nok for rollen din i RS-portalen. Logg inn på nytt med en elektronisk ID på høyt nivå, for eksempel BankID eller Buypass."),
    ),
    "not_bound": (
        403,
        gettext_lazy("Du har ingen konto knyttet til ID-porten ennå"),
        gettext_lazy("Første gang logger du inn fra invitasjonslenken du har fått på e-post. Da blir kontoen din knyttet til ID-porten, og senere holder det å logge inn med ID-porten."),
    ),
    "unknown": (
        403,
        gettext_lazy("Vi fant ingen konto for deg"),
        gettext_lazy("Du er logget inn hos arbeidsgiveren din, men har ingen konto i RS-portalen som kan brukes med denne innloggingen. Kontoer opprettes ikke automatisk."),
    ),
}


def refused(request, kind: str, *, contacts=()):
    status, heading, message = REFUSALS[kind]
    context = {
        "heading": heading,
        "message": message,
        "contacts": list(contacts),
        "ask": kind in ("not_bound", "unknown"),
        "contact_email": settings.RSPORTAL_CONTACT_EMAIL,
    }
    return render(request, "signin/refused.html", context, status=status)


@require_safe
@never_cache
def start(request, slug: str):
    """Off to the provider. From the invitation page (`?invitasjon=<token>`) the login binds the
    account; the session keeps only the token's digest."""
    provider = providers.get(slug)
    if provider is None:
        raise Http404(_("Fant ingen slik innloggingstjeneste."))
    invitation_hash = ""
    if token := request.GET.get("invitasjon", ""):
        invitation = accounts.find(token)
        if invitation is None or not provider.is_idporten:
            raise Http404(_("Vi fant ingen invitasjon med denne lenken."))
        if reason := accounts.problem(invitation):
            return render(request, "accounts/invitation_invalid.html", {"message": reason}, status=410)
        invitation_hash = invitation.token_hash
    try:
        url = client.begin(request, provider, next_url=_safe_next(request, request.GET.get("next", "")), invitation_hash=invitation_hash)
    except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured) as exc:
        logger.warning("Sign-in with %s could not start: %s", slug, type(exc).__name__)
        return refused(request, "unavailable")
    return HttpResponseRedirect(url)


@require_safe
@never_cache
def callback(request):
    try:
        entry = client.take_pending(request, request.GET.get("state", ""))
    except client.SignInRefused as exc:
        logger.info("Sign-in callback refused: %s", exc)
        return refused(request, "failed")
    provider = providers.get(entry["provider"])
    if provider is None:
        return refused(request, "failed")
    if request.GET.get("error") or not request.GET.get("code"):
        return refused(request, "cancelled")
    try:
        claims, raw = client.exchange(request, provider, entry, request.GET["code"])
    except client.SignInRefused as exc:
        logger.warning("Sign-in with %s refused: %s", provider.slug, exc)
        return refused(request, exc.kind)
    except (requests.RequestException, ValueError, KeyError, ImproperlyConfigured) as exc:
        logger.warning("Sign-in with %s failed: %s", provider.slug, type(exc).__name__)
        return refused(request, "unavailable")
    if provider.is_idporten:
        return _idporten(request, provider, entry, claims, raw)
    return _by_address(request, provider, entry, claims, raw)


def _idporten(request, provider, entry, claims, raw):
    pid, acr = claims.get("pid"), claims.get("acr")
    if not isinstance(pid, str) or not pid.strip() or rules.level(acr) == 0:
        # Never log the claims: the pid is a national identity number.
        logger.warning("ID-porten token from %s without pid or with an unknown acr", provider.slug)
        return refused(request, "failed" if rules.level(acr) else "low_level")
    hashed = identity_hash(pid)
    strong = rules.level(acr) >= rules.TWO_FACTOR_LEVEL
    if entry.get("invitation"):
        invitation = Invitation.objects.filter(token_hash=entry["invitation"]).first()
        if invitation is None:
            return refused(request, "failed")
        try:
            user = domain.accept_with_idporten(invitation, identity_hash=hashed, acr=acr)
        except PermissionDenied:
            return refused(request, "low_level")
        except accounts.InvitationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"message": str(exc)}, status=410)
        messages.success(request, _("Kontoen din er knyttet til ID-porten, og du er nå %(grants)s.") % {"grants": invitation.grants})
        return _sign_in(request, user, provider, raw, strong=strong, next_url=reverse("core:home"))
    user = rules.user_by_identity(hashed)
    if user is None:
        return refused(request, "not_bound")
    if rules.level(acr) < rules.required_level(user):
        return refused(request, "low_level")
    domain.touch(user)
    return _sign_in(request, user, provider, raw, strong=strong, next_url=entry["next"])


def _by_address(request, provider, entry, claims, raw):
    tid = claims.get("tid")
    user = rules.user_by_address(rules.verified_address(claims, entra=provider.is_entra))
    if user is None or (provider.is_entra and not rules.tenant_allowed(user, tid)):
        logger.info("Sign-in with %s: no account for this person in an allowed tenant", provider.slug)
        return refused(request, "unknown", contacts=rules.contacts_for_tenant(tid) if provider.is_entra else ())
    return _sign_in(request, user, provider, raw, strong=False, next_url=entry["next"])


def _sign_in(request, user, provider, raw_id_token: str, *, strong: bool, next_url: str):
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # After login(), which starts the session afresh for this user (see signals.py).
    request.session[SESSION_KEY] = {"user": user.pk, "provider": provider.slug, "strong": strong, "id_token": seal(raw_id_token)}
    next_url = _safe_next(request, next_url)
    if not strong and must_verify(user):
        # Only ID-porten at a substantial level or higher proves a second factor; after any other
        # provider, people who need one give their code here as after a password.
        target = "security:verify" if user_has_device(user) else "security:setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': next_url})}")
    return redirect(next_url)


class LogoutView(auth_views.LogoutView):
    """Django's logout, then on to the provider's end_session_endpoint (with id_token_hint and
    post_logout_redirect_uri) when the person came in through a provider, so that a shared
    computer is not left signed in at ID-porten either.

    The way on is a page that forwards at once (meta refresh, and a link), not a redirect: the
    logout button is a form, and the content security policy lets a form lead only to the portal
    itself (form-action 'self'), which browsers apply to the redirects after it too."""

    def post(self, request, *args, **kwargs):
        info = request.session.get(SESSION_KEY) or {}
        response = super().post(request, *args, **kwargs)
        provider = providers.get(info.get("provider", "")) if info else None
        if provider is not None:
            url = client.end_session_url(request, provider, unseal(info.get("id_token", "")))
            if url:
                return render(request, "signin/logged_out.html", {"end_session_url": url, "provider": provider})
        return response
