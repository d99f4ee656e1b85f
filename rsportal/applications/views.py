from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rsportal.core.decorators import role_required
from rsportal.core.present import present
from rsportal.core.years import chosen_year
from rsportal.assessment.visibility import published_decision, what_may_see
from rsportal.privacy.domain import record_view
from rsportal.registry.models import Municipality

from . import domain, lifecycle, permissions, progress, variants
from .forms import AttachmentForm, BenefitRowForm, JoinRequestForm, ReopenForm, StartForm
from .models import Application, Attachment, BenefitRow, BudgetLine, Call, Participant
from .similar import find_similar


# --- calls (public) --------------------------------------------------------


def call_list(request):
    calls = (
        Call.objects.filter(status__in=[Call.Status.PUBLISHED, Call.Status.CLOSED])
        .select_related("pot__rhf", "pot__helsefellesskap")
        .prefetch_related("deadlines")
        .order_by("status", "-created_at")
    )
    now = timezone.now()
    rows = []
    for call in calls:
        upcoming = [d for d in call.deadlines.all() if d.at >= now]
        rows.append({"call": call, "deadline": upcoming[0] if upcoming else None, "open": call.status == Call.Status.PUBLISHED and (call.rolling or bool(upcoming))})
    return render(request, "applications/call_list.html", {"rows": rows, "is_applicant": permissions.is_applicant(request.user)})


def call_detail(request, pk: int):
    call = get_object_or_404(
        Call.objects.select_related("pot__rhf", "pot__helsefellesskap").prefetch_related("criteria", "deadlines", "pre_project_caps", "steps__body", "designed_projects__designed_by"),
        pk=pk,
    )
    if call.status == Call.Status.DRAFT and not domain.can_manage_calls(request.user, call.pot):
        raise Http404
    from rsportal.assessment.domain import takes_part

    context = {"call": call, "is_open": call.is_open(), "is_applicant": permissions.is_applicant(request.user), "handles": takes_part(request.user, call)}
    if context["is_applicant"] and context["is_open"]:
        if call.kind == Call.Kind.OPEN:
            communities = _communities_for(call, request.user)
            if communities.exists():
                context["start_form"] = StartForm(call, communities)
            else:
                context["not_member"] = True
        else:
            context["join_form"] = JoinRequestForm(_own_municipalities(request.user))
    return render(request, "applications/call_detail.html", context)


def _communities_for(call, user):
    """The call's helsefellesskap that one of the user's organisations belongs to today
    (domain.start_application checks the same, this only keeps the choice list honest)."""
    communities = permissions.communities_for(user).filter(rhf=call.pot.rhf)
    if call.pot.helsefellesskap_id:
        communities = communities.filter(pk=call.pot.helsefellesskap_id)
    return communities


def _own_municipalities(user):
    municipalities, _trusts = permissions.applicant_scopes(user)
    return Municipality.objects.filter(pk__in=municipalities)


@require_POST
@role_required
def application_start(request, pk: int):
    call = get_object_or_404(Call, pk=pk)
    if not permissions.is_applicant(request.user):
        raise PermissionDenied
    form = StartForm(call, _communities_for(call, request.user), request.POST)
    if form.is_valid():
        try:
            application = domain.start_application(request.user, call=call, **form.cleaned_data)
        except domain.ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Søknaden er opprettet. Den lagres fortløpende mens du skriver."))
            return redirect("applications:edit", pk=application.pk)
    return render(request, "applications/call_detail.html", {"call": call, "is_open": call.is_open(), "is_applicant": True, "start_form": form}, status=400)


@require_POST
@role_required
def join_request(request, pk: int, project_pk: int):
    call = get_object_or_404(Call, pk=pk)
    project = get_object_or_404(call.designed_projects, pk=project_pk)
    form = JoinRequestForm(_own_municipalities(request.user), request.POST)
    if form.is_valid():
        try:
            domain.request_to_join(request.user, project, form)
        except domain.ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Interessen er meldt. Utvalget tar kontakt."))
            return redirect("applications:call-detail", pk=call.pk)
    return render(request, "applications/call_detail.html", {"call": call, "is_open": call.is_open(), "is_applicant": True, "join_form": form, "join_project": project}, status=400)


# --- the applicant's pages -------------------------------------------------


@role_required
def my_applications(request):
    """The applications of the user's organisations sent in one year (a selector, this year by
    default), and every draft or reopened application whatever its year: what still needs work
    is never hidden behind the selector. The page's cost follows the year shown, not the history."""
    own = permissions.own_applications(request.user)
    years = sorted(
        # One row per year, not per application: the page's cost must not follow the history.
        own.filter(submitted_at__isnull=False).annotate(sent=ExtractYear("submitted_at")).order_by().values_list("sent", flat=True).distinct(),
        reverse=True,
    )
    this_year = timezone.localdate().year
    year = chosen_year(request.GET.get("ar"), years, this_year)
    applied = (
        BudgetLine.objects.filter(application=OuterRef("pk"), kind=BudgetLine.Kind.GRANT)
        .order_by()
        .values("application")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    applications = (
        own.filter(Q(submitted_at__year=year) | Q(status__in=[Application.Status.DRAFT, Application.Status.REVISION]))
        .select_related("call__pot", "helsefellesskap")
        .annotate(applied=Coalesce(Subquery(applied), 0))
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.select_related("municipality", "trust", "district")),
            "decisions",
        )
        .order_by("-updated_at")
    )
    return render(
        request,
        "applications/my_applications.html",
        {
            "applications": applications,
            "is_applicant": permissions.is_applicant(request.user),
            "year": year,
            "years": sorted(set(years) | {year}, reverse=True),
        },
    )


def _application(request, pk, *, edit=False):
    application = get_object_or_404(
        Application.objects.select_related("call__pot__rhf", "call__pot__helsefellesskap", "helsefellesskap").prefetch_related(
            "participants__municipality", "participants__trust", "participants__district", "decisions"
        ),
        pk=pk,
    )
    allowed = permissions.is_participant(request.user, application) if edit else permissions.can_view(request.user, application)
    if not allowed:
        raise PermissionDenied(_("Du har ikke tilgang til denne søknaden."))
    return application


_PART_TITLES = {"deltakere": _("Deltakere"), "budsjett": _("Budsjett"), "nyttetabell": _("Nyttetabell"), "vedlegg": _("Vedlegg")}


def _section_nav(application, problems, variant=None) -> list[dict]:
    """The form's parts for its navigation, each "done" when submission_problems has nothing
    left for it. The parts without a problem rule of their own count as done."""
    variant = variant or variants.for_application(application)
    missing = {}
    for problem in problems:
        missing[problem.section] = missing.get(problem.section, 0) + 1
    parts = [(key, form_class.title_text) for key, (form_class, _fields) in variants.sections(variant).items()]
    parts += [(key, _PART_TITLES[key]) for key in variants.parts(variant)]
    return [{"key": key, "title": title, "missing": missing.get(key, 0)} for key, title in parts]


def _edit_context(request, application, **overrides):
    versions = {v.section: v for v in application.section_versions.select_related("saved_by")}
    variant = variants.for_application(application)
    sections = []
    for key in variants.sections(variant):
        form = overrides.pop(f"form_{key}", None) or variants.section_form(variant, key, instance=application, prefix=key)
        version = versions.get(key)
        sections.append({"key": key, "form": form, "version": version.version if version else 0, "saved": version})
    participants = list(application.participants.all())
    for participant in participants:
        participant.removable = lifecycle.allowed(application, lifecycle.REMOVE_PARTICIPANT, request.user, participant=participant)
    participant_form = variants.participant_form(variant, auto_id="participant_%s")
    if not lifecycle.allowed(application, lifecycle.ADD_PARTICIPANT, request.user, is_owner=True):
        del participant_form.fields["is_owner"]  # only a project owner's applicants add another owner
    context = {
        "application": application,
        "variant": variant,
        "light": variant == variants.LIGHT,
        "parts": variants.parts(variant),
        "sections": sections,
        "participants": participants,
        "budget_lines": application.budget_lines.select_related("participant__municipality", "participant__trust"),
        "applied_by_year": application.applied_by_year(),
        "benefits": application.benefits.all(),
        "attachments": application.attachments.all(),
        "participant_form": participant_form,
        "budget_form": variants.budget_form(variant, application, auto_id="budget_%s"),
        "benefit_form": BenefitRowForm(auto_id="benefit_%s"),
        "attachment_form": AttachmentForm(auto_id="attachment_%s"),
        "problems": domain.submission_problems(application),
        "editable": permissions.can_edit(request.user, application),
    }
    context["section_nav"] = _section_nav(application, context["problems"], variant)
    context.update(overrides)
    return context


@role_required
def application_edit(request, pk: int):
    application = _application(request, pk, edit=True)
    if not application.editable:
        return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/edit.html", _edit_context(request, application))


@require_POST
@role_required
def section_save(request, pk: int, section: str):
    """Saves one section. HTMX autosave gets a status fragment; a plain form post is redirected."""
    application = _application(request, pk, edit=True)
    # The section is saved with the fields of the variant the page was shown in: if a co-author
    # has moved the application to the other variant since, nothing typed is lost, and no field
    # the page did not show is emptied.
    variant = request.POST.get("variant")
    if variant not in (variants.FULL, variants.LIGHT):
        variant = variants.for_application(application)
    if section not in variants.sections(variant):
        raise Http404
    form = variants.section_form(variant, section, request.POST, instance=Application.objects.get(pk=application.pk), prefix=section)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        expected = int(request.POST.get("version", "0"))
    except ValueError:
        expected = -1
    context = {"application": application, "section": section}
    if not form.is_valid():
        context["errors"] = form.errors
        if htmx:
            return render(request, "applications/_save_status.html", context)
        return render(request, "applications/edit.html", _edit_context(request, application, **{f"form_{section}": form}), status=400)
    try:
        version = domain.save_section(request.user, application, section, form, expected)
    except domain.SectionConflict as exc:
        current = variants.section_form(variant, section, instance=Application.objects.get(pk=application.pk), prefix=f"{section}-current")
        context.update({"conflict": str(exc), "current": current, "current_version": domain.section_version(application, section).version})
        if htmx:
            return render(request, "applications/_save_status.html", context)
        return render(request, "applications/edit.html", _edit_context(request, application, **{f"form_{section}": form, "conflict_section": section, "conflict": str(exc), "conflict_current": current}), status=409)
    except domain.ApplicationError as exc:
        context["errors"] = {"__all__": [str(exc)]}
        if htmx:
            return render(request, "applications/_save_status.html", context)
        messages.error(request, str(exc))
        return redirect("applications:edit", pk=application.pk)
    context["version"] = version
    if htmx:
        # The section navigation follows along: a part may just have become done.
        context["section_nav"] = _section_nav(application, domain.submission_problems(Application.objects.get(pk=application.pk)))
        return render(request, "applications/_save_status.html", context)
    messages.success(request, _("Lagret."))
    return _back_to(application, section)


def _back_to(application, anchor: str):
    return redirect(reverse("applications:edit", args=[application.pk]) + f"#{anchor}")


def _add_row(request, application, form, form_name, action, success, anchor):
    """Adds a row (participant, budget line, benefit, attachment) from `form`. A refused row
    comes back on the edit page as `form_name`, with the message and what was typed."""
    if form.is_valid():
        try:
            action(form)
        except domain.ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, success)
            return _back_to(application, anchor)
    return render(request, "applications/edit.html", _edit_context(request, application, **{form_name: form}), status=400)


def _remove_row(request, pk, model, item, remove, anchor, success=""):
    """Removes one of the application's rows through the domain function `remove`."""
    application = _application(request, pk, edit=True)
    row = get_object_or_404(model, pk=item, application=application)
    try:
        remove(request.user, row)
    except domain.ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        if success:
            messages.success(request, success)
    return _back_to(application, anchor)


@require_POST
@role_required
def participant_add(request, pk: int):
    application = _application(request, pk, edit=True)
    form = variants.participant_form(variants.for_application(application), request.POST, auto_id="participant_%s")
    return _add_row(request, application, form, "participant_form", lambda f: domain.add_participant(request.user, application, **f.cleaned_data), _("Deltakeren er lagt til."), "deltakere")


@require_POST
@role_required
def participant_remove(request, pk: int, item: int):
    response = _remove_row(request, pk, Participant, item, domain.remove_participant, "deltakere", _("Deltakeren er fjernet."))
    application = Application.objects.prefetch_related("participants").get(pk=pk)
    if not permissions.is_participant(request.user, application):
        return redirect("applications:mine")  # the user removed their own organisation and left the application
    return response


@require_POST
@role_required
def budget_add(request, pk: int):
    application = _application(request, pk, edit=True)
    # The form the page showed: a full-form line posted just as a co-author made the application
    # light must not turn an own contribution into applied grant.
    variant = request.POST.get("variant")
    if variant not in (variants.FULL, variants.LIGHT):
        variant = variants.for_application(application)
    form = variants.budget_form(variant, application, request.POST, auto_id="budget_%s")
    return _add_row(request, application, form, "budget_form", lambda f: domain.add_budget_line(request.user, application, f), _("Budsjettlinjen er lagt til."), "budsjett")


@require_POST
@role_required
def budget_remove(request, pk: int, item: int):
    return _remove_row(request, pk, BudgetLine, item, domain.remove_budget_line, "budsjett")


@require_POST
@role_required
def benefit_add(request, pk: int):
    application = _application(request, pk, edit=True)
    form = BenefitRowForm(request.POST, auto_id="benefit_%s")
    return _add_row(request, application, form, "benefit_form", lambda f: domain.add_benefit(request.user, application, f), _("Nytteraden er lagt til."), "nyttetabell")


@require_POST
@role_required
def benefit_remove(request, pk: int, item: int):
    return _remove_row(request, pk, BenefitRow, item, domain.remove_benefit, "nyttetabell")


@require_POST
@role_required
def attachment_add(request, pk: int):
    application = _application(request, pk, edit=True)
    form = AttachmentForm(request.POST, request.FILES, auto_id="attachment_%s")
    return _add_row(
        request, application, form, "attachment_form",
        lambda f: domain.upload_attachment(request.user, application, kind=f.cleaned_data["kind"], uploaded=f.cleaned_data["file"]),
        _("Vedlegget er lastet opp."), "vedlegg",
    )


@require_POST
@role_required
def attachment_remove(request, pk: int, item: int):
    return _remove_row(request, pk, Attachment, item, domain.remove_attachment, "vedlegg")


@login_required
def attachment_download(request, token: str):
    """Files live outside the web root and are only served through this permission check."""
    attachment = get_object_or_404(Attachment.objects.select_related("application"), token=token)
    if not permissions.can_view(request.user, attachment.application):
        raise PermissionDenied(_("Du har ikke tilgang til dette vedlegget."))
    record_view(request.user, attachment, "attachment")
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required
def application_submit(request, pk: int):
    application = _application(request, pk, edit=True)
    if not application.editable:
        return redirect("applications:detail", pk=application.pk)
    similar = find_similar(application.title, f"{application.goal} {application.activities}", application.target_group, exclude_application_id=application.pk)
    if request.method == "POST":
        if not request.POST.get("checked_similar"):
            messages.error(request, _("Bekreft at dere har sett på lignende prosjekter før dere sender inn."))
        else:
            try:
                version = domain.submit(request.user, application, expected_fingerprint=request.POST.get("fingerprint", ""))
            except domain.ApplicationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Søknaden er sendt inn (versjon %(n)s).") % {"n": version.number})
                return redirect("applications:detail", pk=application.pk)
    return render(
        request,
        "applications/submit.html",
        {
            "application": application,
            "problems": domain.submission_problems(application),
            "similar": similar,
            "applied_by_year": application.applied_by_year(),
            "fingerprint": domain.fingerprint(application),
        },
    )


@role_required
def application_detail(request, pk: int, number: int | None = None):
    return _detail_page(request, _application(request, pk), number=number)


def _detail_page(request, application, *, number: int | None = None, reopen_form=None, reopen_error: str = ""):
    """The application as submitted (the latest version, or version `number`). After a refused
    reopening, the error and the reason as typed (`reopen_form`) are shown again, with status 400."""
    versions = list(application.versions.select_related("submitted_by"))
    version = None
    if number is not None:
        version = next((v for v in versions if v.number == number), None)
        if version is None:
            raise Http404
    elif versions:
        version = versions[0]
    record_view(request.user, version or application, "application" if number is None else "application_version")
    # The Saksgang: only what the reader may know of the handling (its authors: the outcomes, never the assessment).
    seen = what_may_see(request.user, application)
    saksgang = progress.steps(application) if seen.progress else []
    in_handling = lifecycle.state(application) in (lifecycle.SUBMITTED, lifecycle.IN_VOTE)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "versions": versions,
            "version": version,
            "data": version.data if version else domain.snapshot(application),
            "can_edit": permissions.can_edit(request.user, application),
            "can_reopen": lifecycle.allowed(application, lifecycle.REOPEN, request.user),
            "can_withdraw": lifecycle.allowed(application, lifecycle.WITHDRAW, request.user),
            "reopen_form": reopen_form or ReopenForm(),
            "reopen_error": reopen_error,
            "decision": published_decision(application.decisions.all()),
            "saksgang": saksgang,
            "thread_open": seen.thread or seen.notes,
            "current_step": progress.current_step(saksgang) if in_handling else None,
            "readable": _readable(version.data if version else domain.snapshot(application)),
        },
        status=400 if reopen_error else 200,
    )


def _readable(data: dict) -> list[tuple[str, list[tuple[str, object]]]]:
    """The frozen fields with their Norwegian labels, section by section, as the form variant
    the version was submitted in asked for them."""
    result = []
    for form_class, fields in variants.sections(variants.of_data(data)).values():
        rows = []
        for name in fields:
            field = Application._meta.get_field(name)
            rows.append((field.verbose_name, present(data.get(name), field)))
        result.append((form_class.title_text, rows))
    return result


@require_POST
@role_required
def application_reopen(request, pk: int):
    application = _application(request, pk)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, application, reopen_form=form, reopen_error=_("Skriv hva søkerne skal endre."))
    try:
        domain.reopen_for_revision(request.user, application, form.cleaned_data["reason"])
    except domain.ApplicationError as exc:
        # The application page again with the reason as typed, so nothing is lost.
        return _detail_page(request, application, reopen_form=form, reopen_error=str(exc))
    messages.success(request, _("Søknaden er åpnet for revisjon, og søkerne er varslet."))
    return redirect("applications:detail", pk=application.pk)


@require_POST
@role_required
def application_withdraw(request, pk: int):
    application = _application(request, pk)
    try:
        domain.withdraw(request.user, application)
    except domain.ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Søknaden er trukket."))
    return redirect("applications:mine")
