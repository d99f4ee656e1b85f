"""Privacy pages: export of a person's data, anonymisation, and the log of viewed personal data."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rsportal.accounts import permissions
from rsportal.core.decorators import role_required

from . import domain
from .forms import PersonForm, ViewLogFilterForm

PAGE_SIZE = 100


@require_http_methods(["GET", "POST"])
@role_required
def export(request):
    """Everyone with a role downloads their own data; a system administrator anyone's."""
    admin = permissions.is_system_admin(request.user)
    form = PersonForm(request.POST if request.method == "POST" and request.POST.get("egne") != "1" else None) if admin else None
    if request.method == "POST":
        if request.POST.get("egne") == "1":
            person = domain.person_for_user(request.user)
        elif form is not None and form.is_valid():
            person = form.person
        else:
            if form is None:
                messages.error(request, _("Velg hvilke opplysninger du vil hente ut."))
            return render(request, "privacy/export.html", {"form": form, "admin": admin}, status=400)
        data = domain.export_person(request.user, person)
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        # No name or address in the file name: it ends up in download folders and browser history.
        who = f"bruker-{person.user.pk}" if person.user is not None else "kontaktperson"
        response["Content-Disposition"] = f'attachment; filename="personopplysninger-{who}-{timezone.localdate():%Y-%m-%d}.json"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return render(request, "privacy/export.html", {"form": form, "admin": admin})


@require_http_methods(["GET", "POST"])
@role_required
def anonymise(request):
    """Two steps: choose the person and see what happens, then confirm by typing their username."""
    if not permissions.is_system_admin(request.user):
        raise PermissionDenied(_("Bare systemadministratorer kan anonymisere personopplysninger."))
    if request.method == "GET":
        return render(request, "privacy/anonymise.html", {"form": PersonForm()})
    form = PersonForm(request.POST)
    if not form.is_valid():
        return render(request, "privacy/anonymise.html", {"form": form}, status=400)
    person = form.person
    error = ""
    if "bekreftelse" in request.POST:
        try:
            domain.anonymise_person(request.user, person, confirmation=request.POST["bekreftelse"])
        except domain.PrivacyError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Personopplysningene er anonymisert. Handlingen er ført i revisjonssporet."))
            return redirect("privacy:anonymise")
    context = {"form": form, "person": person, "preview": domain.preview_anonymisation(person), "error": error, "own": person.user is not None and person.user.pk == request.user.pk}
    return render(request, "privacy/anonymise_confirm.html", context, status=400 if error else 200)


@require_safe
@role_required
def view_log(request):
    """Who was shown whose personal data, newest first, filtered by person or object."""
    if not domain.can_see_view_log(request.user):
        raise PermissionDenied(_("Visningsloggen er for sekretariatet og systemadministratorer."))
    form = ViewLogFilterForm(request.GET)
    values = form.cleaned_data if form.is_valid() else {}
    rows = domain.view_log(request.user, person=values.get("person", ""), obj=values.get("objekt", ""))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("side"))
    query = urlencode({k: v for k, v in values.items() if v})
    prefix = f"?{query}&" if query else "?"
    return render(
        request,
        "privacy/view_log.html",
        {
            "form": form,
            "page": page,
            "previous_href": f"{prefix}side={page.previous_page_number()}" if page.has_previous() else "",
            "next_href": f"{prefix}side={page.next_page_number()}" if page.has_next() else "",
        },
    )
