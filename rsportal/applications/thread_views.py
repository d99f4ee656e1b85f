"""Pages for the thread on an application (thread.py holds the rules)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rsportal.assessment.visibility import what_may_see
from rsportal.core.decorators import role_required

from . import thread
from .models import Application, DraftReview, Message


class MessageForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Hvem skal lese meldingen"), choices=Message.Kind.choices, widget=forms.RadioSelect, initial=Message.Kind.SHARED)
    body = forms.CharField(label=gettext_lazy("Melding"), widget=forms.Textarea(attrs={"rows": 5}), max_length=thread.MAX_LENGTH)

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in Message.Kind.choices if c[0] in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
            self.fields["kind"].widget = forms.HiddenInput()


class InviteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Hva ønsker dere hjelp med? (valgfritt)"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


def _load(request, pk):
    application = get_object_or_404(
        Application.objects.select_related("call__pot", "helsefellesskap").prefetch_related("participants", "conflicts"), pk=pk
    )
    seen = what_may_see(request.user, application)
    if not (seen.thread or seen.notes):
        raise PermissionDenied(_("Du har ikke tilgang til samtalen om denne søknaden."))
    return application, seen


def _kinds(seen) -> list[str]:
    kinds = []
    if seen.thread and (seen.draft or seen.secretariat):
        kinds.append(Message.Kind.SHARED)
    if seen.notes:
        kinds.append(Message.Kind.INTERNAL)
    return kinds


def _page(request, application, seen, *, form=None, invite_form=None, status=200):
    review = DraftReview.objects.filter(application=application).select_related("invited_by").first()
    kinds = _kinds(seen)
    return render(
        request,
        "applications/thread.html",
        {
            "application": application,
            "seen": seen,
            "review": review,
            "is_draft": application.status == Application.Status.DRAFT and application.submitted_at is None,
            "form": form or (MessageForm(kinds=kinds) if kinds else None),
            "invite_form": invite_form or InviteForm(),
            **thread.messages_for(request.user, application, seen),
        },
        status=status,
    )


@role_required
def thread_page(request, pk: int):
    application, seen = _load(request, pk)
    if request.method != "POST":
        return _page(request, application, seen)
    kinds = _kinds(seen)
    form = MessageForm(request.POST, kinds=kinds)
    if not kinds or not form.is_valid():
        return _page(request, application, seen, form=form, status=400)
    try:
        thread.post(request.user, application, form.cleaned_data["body"], kind=form.cleaned_data["kind"])
    except ValidationError as exc:
        form.add_error("body", exc)
        return _page(request, application, seen, form=form, status=400)
    messages.success(request, _("Meldingen er lagret.") if form.cleaned_data["kind"] == Message.Kind.INTERNAL else _("Meldingen er sendt."))
    return redirect("applications:thread", pk=application.pk)


@require_POST
@role_required
def invite(request, pk: int):
    application, seen = _load(request, pk)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, application, seen, invite_form=form, status=400)
    try:
        thread.invite_secretariat(request.user, application, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Sekretariatet er invitert til å lese utkastet og er varslet."))
    return redirect("applications:thread", pk=application.pk)


@require_POST
@role_required
def withdraw_invitation(request, pk: int):
    application, seen = _load(request, pk)
    try:
        thread.withdraw_invitation(request.user, application)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitasjonen er trukket. Sekretariatet kan ikke lenger lese utkastet."))
    return redirect("applications:thread", pk=application.pk)
