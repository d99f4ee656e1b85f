"""The user's notifications in the portal ("Varsler") and their choices (notifications.py)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rsportal.applications.models import CallInterest
from rsportal.registry.models import Helsefellesskap

from . import notifications
from .models import Notice, NotificationPreference

PAGE_SIZE = 50


@login_required
def notice_list(request):
    entries = Notice.objects.filter(user=request.user).order_by("-created_at", "-id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("side"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        category = notifications.CATEGORIES.get(entry.category)
        entry.label = category.label if category else ""
    return render(
        request,
        "core/notices.html",
        {
            "page": page,
            "unread": Notice.objects.filter(user=request.user, read_at__isnull=True).count(),
        },
    )


@require_POST
@login_required
def mark_read(request):
    """One entry (`varsel`) or all. An entry with a link is opened after it is marked."""
    notice_id = request.POST.get("varsel")
    if notice_id:
        notice = get_object_or_404(Notice, pk=notice_id if notice_id.isdigit() else 0, user=request.user)
        notifications.mark_read(request.user, [notice.pk])
        if request.POST.get("apne") and notice.link and url_has_allowed_host_and_scheme(notice.link, allowed_hosts=None):
            return redirect(notice.link)
    else:
        count = notifications.mark_read(request.user)
        messages.success(request, _("%(n)s varsler er merket som lest.") % {"n": count})
    return redirect("notices:list")


class PreferenceForm(forms.Form):
    interests = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Varsle meg når disse helsefellesskapene eller deres RHF lyser ut midler"),
        queryset=Helsefellesskap.objects.select_related("rhf").order_by("rhf__name", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for category in notifications.optional():
            self.fields[category.key] = forms.ChoiceField(
                label=category.label, help_text=category.help, choices=NotificationPreference.Mode.choices, widget=forms.RadioSelect
            )

    def category_fields(self):
        return [self[c.key] for c in notifications.optional()]


@login_required
def preferences(request):
    current = notifications.modes_for(request.user)
    interests = list(CallInterest.objects.filter(user=request.user).values_list("helsefellesskap_id", flat=True))
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            notifications.set_preferences(
                request.user,
                {c.key: form.cleaned_data[c.key] for c in notifications.optional()},
                interests={h.pk for h in form.cleaned_data["interests"]},
            )
            messages.success(request, _("Valgene dine er lagret."))
            return redirect("notices:settings")
        status = 400
    else:
        form = PreferenceForm(initial={**current, "interests": interests})
        status = 200
    return render(request, "core/notice_settings.html", {"form": form, "mandatory": notifications.mandatory()}, status=status)
