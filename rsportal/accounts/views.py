"""The invitation link: set a password (or sign in) and take up the seat or role."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_otp import user_has_device

from rsportal.security.twofactor import requires_two_factor

from . import domain
from .forms import NewAccountForm


def _gone(request, message: str, status: int):
    return render(request, "accounts/invitation_invalid.html", {"message": message}, status=status)


def _next_step(request, user):
    """Straight on to the authenticator app when the seat or role needs one."""
    if requires_two_factor(user):
        target = "security:verify" if user_has_device(user) else "security:setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': reverse('core:home')})}")
    return redirect("core:home")


@never_cache
def accept_invitation(request, token: str):
    invitation = domain.find(token)
    if invitation is None:
        return _gone(request, _("Vi fant ingen invitasjon med denne lenken. Sjekk at hele lenken fra e-posten er med, eller be sekretariatet om en ny."), 404)
    if reason := domain.problem(invitation):
        return _gone(request, reason, 410)
    context = {"invitation": invitation, "token": token}
    if request.user.is_authenticated:
        if (request.user.email or "").strip().lower() != invitation.email.strip().lower():
            context["wrong_account"] = True
            return render(request, "accounts/invitation.html", context, status=403)
        if request.method == "POST":
            try:
                domain.accept(invitation, request.user)
            except (domain.InvitationError, PermissionDenied) as exc:
                return _gone(request, str(exc), 410)
            messages.success(request, _("Du er nå %(grants)s.") % {"grants": invitation.grants})
            return _next_step(request, request.user)
        context["signed_in"] = True
        return render(request, "accounts/invitation.html", context)
    from rsportal.signin.providers import all_providers

    # Signing in with ID-porten from here binds the account to the person (see rsportal/signin).
    context["idporten"] = [p for p in all_providers() if p.is_idporten]
    if get_user_model().objects.filter(email__iexact=invitation.email.strip()).exists():
        context["login_url"] = f"{reverse('login')}?{urlencode({'next': request.path})}"
        return render(request, "accounts/invitation.html", context)
    form = NewAccountForm(invitation, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = domain.create_account_and_accept(invitation, password=form.cleaned_data["password1"])
        except domain.InvitationError as exc:
            return _gone(request, str(exc), 410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Kontoen din er opprettet, og du er nå %(grants)s.") % {"grants": invitation.grants})
        return _next_step(request, user)
    context["form"] = form
    return render(request, "accounts/invitation.html", context, status=400 if form.is_bound else 200)


@login_required
def represent(request):
    """Any signed-in person asks to apply for a municipality or a trust, and sees the answers."""
    from django.core.exceptions import ValidationError

    from .forms import RepresentationRequestForm

    form = RepresentationRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                made = domain.request_to_represent(request.user, message=form.cleaned_data["message"], **form.organisation_kwargs())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Forespørselen om å representere %(org)s er sendt til sekretariatet.") % {"org": made.organisation})
                return redirect("mypage:representation")
        status = 400
    own = request.user.representation_requests.select_related("municipality", "trust")
    return render(request, "accounts/representation.html", {"form": form, "requests": own}, status=status)
