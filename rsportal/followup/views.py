from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rsportal.accounts import permissions as account_permissions
from rsportal.applications import variants
from rsportal.core import uploads
from rsportal.core.decorators import role_required
from rsportal.core.years import chosen_year
from rsportal.core.formatting import kroner
from rsportal.funding import domain as funding
from rsportal.funding import research
from rsportal.funding.models import Commitment, Grant, Pot
from rsportal.funding.queries import money_scope
from rsportal.registry.models import RegionalHealthAuthority

from . import continuation, documents, domain, exports, money, queries
from .forms import AfterProjectForm, ContributionForm, PaymentForm, ReleaseForm, SpendingForm
from .models import AfterProject, DocumentJob, Report, ReportDue, Spending


def _grant(request, pk) -> Grant:
    grant = get_object_or_404(Grant.objects.select_related("pot__rhf", "pot__helsefellesskap", "pot__parent", "helsefellesskap"), pk=pk)
    if not domain.may_view(request.user, grant):
        raise PermissionDenied(_("Du har ikke tilgang til dette prosjektet."))
    return grant


@role_required
def overview(request):
    """The applicant's projects to report on, and the pots the user follows up."""
    scope = money_scope(request.user)
    return render(
        request,
        "followup/overview.html",
        {
            "grants": queries.own_grants(request.user),
            "pots": queries.followed_pots(request.user, scope),
            "rhfs": queries.reporting_rhfs(request.user, scope),
            "today": timezone.localdate(),
        },
    )


@role_required
def grant_detail(request, pk: int):
    return _grant_page(request, _grant(request, pk))


def _grant_page(request, grant, *, payment_form=None, payment_error: str = "", release_form=None, release_error: str = ""):
    """The project page. After a refusal, the error and the form as typed (`payment_form`, or
    `release_form` for the commitment it names) are shown again, with status 400."""
    rows = money.grant_years(grant)
    reports = grant.reports.select_related("submitted_by").prefetch_related("spending", "contributions")
    dues = grant.reports_due.select_related("report").order_by("due_date")
    manages = domain.manages(request.user, grant)
    release_for = move_for = None
    if release_form is not None:
        try:
            typed_for = int(release_form.data.get("commitment", ""))
        except (TypeError, ValueError):
            typed_for = None
        # The release and the move are two forms per commitment: the typed values go back to the one sent.
        if release_form.moving:
            move_for = typed_for
        else:
            release_for = typed_for
    return render(
        request,
        "followup/grant.html",
        {
            "grant": grant,
            "year_rows": [(r.year, r) for r in rows],
            "totals": money.totals(rows),
            "research": research.for_grant(grant),
            "reports": reports,
            "dues": dues,
            "manages": manages,
            "may_report": domain.may_report(request.user, grant),
            "after_project": AfterProject.objects.filter(grant=grant).first(),
            "chain": continuation.chain(grant),
            "payment_form": payment_form or PaymentForm(initial={"paid_on": timezone.localdate(), "year": timezone.localdate().year}),
            "payment_error": payment_error,
            "release_error": release_error,
            "release_for": release_for,
            "release_reason": release_form.data.get("reason", "") if release_for is not None else "",
            "release_field_errors": " ".join(release_form.errors.get("reason", [])) if release_for is not None else "",
            "move_for": move_for,
            "move_reason": release_form.data.get("reason", "") if move_for is not None else "",
            "move_amount": release_form.data.get("amount", "") if move_for is not None else "",
            "move_reason_errors": " ".join(release_form.errors.get("reason", [])) if move_for is not None else "",
            "move_amount_errors": " ".join(release_form.errors.get("amount", [])) if move_for is not None else "",
            "pot_version": grant.pot.version,
            "commitments": _commitments(grant) if manages else [],
            "today": timezone.localdate(),
        },
        status=400 if payment_error or release_error else 200,
    )


def _commitments(grant: Grant) -> list[Commitment]:
    """The grant's commitments, each with `unpaid`: what releasing it would free."""
    commitments = list(grant.commitments.select_related("pot_year__pot").order_by("pot_year__year", "created_at", "pk"))
    for commitment in commitments:
        commitment.unpaid = funding.releasable(commitment)
    return commitments


def _prefill(grant: Grant) -> dict:
    """What is already known, so nobody types it twice: the last report, else the application."""
    last = grant.reports.order_by("-submitted_at").first()
    if last:
        return {
            "owner": last.owner,
            "agreements": last.agreements,
            "user_involvement": last.user_involvement,
            "milestones_text": "\n".join(" | ".join([m.get("name", ""), m.get("status", ""), m.get("comment", "")]).rstrip(" |") for m in last.milestones),
            "public_update": last.public_update,
        }
    decision = getattr(grant, "decision", None)
    if decision is not None:
        application = decision.application
        return {"owner": application.project_owners, "user_involvement": application.involvement_users}
    return {}


def _contribution_initial(grant: Grant) -> list[dict]:
    last = grant.reports.order_by("-submitted_at").first()
    if last:
        return [{"party": c.party, "side": c.side, "hours": c.hours, "amount": c.amount} for c in last.contributions.all()]
    parties = [{"party": m.name, "side": "municipality"} for m in grant.municipalities.all()]
    parties += [{"party": t.name, "side": "trust"} for t in grant.trusts.all()]
    return parties


ContributionFormSet = forms.formset_factory(ContributionForm, extra=1)
SpendingFormSet = forms.formset_factory(SpendingForm, extra=0)


@role_required
def report_new(request, pk: int):
    grant = _grant(request, pk)
    if not domain.may_report(request.user, grant):
        raise PermissionDenied(_("Bare søkere for eierne av prosjektet kan rapportere."))
    years = [y for y in domain.grant_years(grant) if y <= timezone.localdate().year] or domain.grant_years(grant)[:1]
    # A small grant from a light application reports on the light form: fewer questions and no
    # table of own contributions (the light application did not ask for them).
    light = variants.for_grant(grant) == variants.LIGHT
    if request.method == "POST":
        form = variants.report_form(variants.LIGHT if light else variants.FULL, request.POST)
        spending = SpendingFormSet(request.POST, request.FILES, prefix="spending")
        contributions = None if light else ContributionFormSet(request.POST, prefix="contribution")
        if form.is_valid() and spending.is_valid() and (light or contributions.is_valid()):
            spent = {f.cleaned_data["year"]: (f.cleaned_data.get("amount"), f.cleaned_data.get("accounts")) for f in spending if f.cleaned_data.get("year") in years}
            rows = [
                {"party": c.cleaned_data["party"], "side": c.cleaned_data["side"], "hours": c.cleaned_data.get("hours") or 0, "amount": c.cleaned_data.get("amount") or 0}
                for c in (contributions or [])
                if c.cleaned_data.get("party")
            ]
            try:
                report = domain.submit_report(request.user, grant, form=form, spending=spent, contributions=rows)
            except domain.FollowupError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Rapporten er levert. Takk!"))
                return redirect("followup:report", pk=report.pk)
    else:
        form = variants.report_form(variants.LIGHT if light else variants.FULL, initial=_prefill(grant))
        spending = SpendingFormSet(prefix="spending", initial=[{"year": y} for y in years])
        contributions = None if light else ContributionFormSet(prefix="contribution", initial=_contribution_initial(grant))
    for f, year in zip(spending, years):
        f.year_label = year
    return render(
        request,
        "followup/report_form.html",
        {"grant": grant, "form": form, "light": light, "spending": spending, "contributions": contributions, "committed": money.committed_by_year(grant)},
        status=400 if request.method == "POST" else 200,
    )


@role_required
def report_detail(request, pk: int):
    report = get_object_or_404(Report.objects.select_related("grant__pot__rhf", "grant__pot__helsefellesskap", "submitted_by"), pk=pk)
    _grant(request, report.grant_id)
    return render(request, "followup/report.html", {"report": report, "grant": report.grant, "light": variants.for_grant(report.grant) == variants.LIGHT})


@role_required
def accounts_download(request, pk: int):
    """A report's accounts file, for those who may see the grant. Files live outside the web
    root under random names and are only served here, as a download with the original name."""
    spending = get_object_or_404(Spending.objects.select_related("report").exclude(accounts=""), pk=pk)
    _grant(request, spending.report.grant_id)
    content_type = spending.accounts_content_type
    try:
        file = spending.accounts.open("rb")
    except FileNotFoundError:
        raise Http404(_("Filen finnes ikke lenger.")) from None
    if not content_type:
        # Stored before uploads were checked: served only if it passes the check now.
        try:
            content_type = uploads.check(file, name=spending.accounts_name)
        except uploads.RejectedUpload:
            file.close()
            raise Http404(_("Filen er ikke kontrollert og kan ikke lastes ned.")) from None
    response = FileResponse(file, as_attachment=True, filename=spending.accounts_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@role_required
def payment_add(request, pk: int):
    grant = _grant(request, pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _grant_page(request, grant, payment_form=form, payment_error=_("Sjekk år, beløp og dato for utbetalingen."))
    try:
        domain.record_payment(request.user, grant, **form.cleaned_data)
    except domain.FollowupError as exc:
        # The project page again with the payment as typed, so nothing is lost.
        return _grant_page(request, grant, payment_form=form, payment_error=str(exc))
    messages.success(request, _("Utbetalingen er registrert."))
    return redirect("followup:grant", pk=grant.pk)


@require_POST
@role_required
def commitment_release(request, pk: int):
    """Re-allocation: a project that does not start gives its money back to the pot; or, with
    action "move", a delayed project keeps unpaid money for next year."""
    grant = _grant(request, pk)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        if form.moving:
            error = _("Oppgi beløpet som flyttes og hvorfor.")
        else:
            error = _("Oppgi hvorfor tilsagnet frigjøres.")
        return _grant_page(request, grant, release_form=form, release_error=error)
    commitment = get_object_or_404(Commitment, pk=form.cleaned_data["commitment"], grant=grant)
    if form.moving:
        try:
            carried = funding.carry_over_commitment(
                request.user, commitment, form.cleaned_data["amount"], form.cleaned_data["reason"], expected_version=form.cleaned_data["version"]
            )
        except funding.FundingError as exc:
            return _grant_page(request, grant, release_form=form, release_error=str(exc))
        messages.success(
            request,
            _("%(amount)s av tilsagnet er flyttet fra %(year)s til %(next)s.")
            % {"amount": kroner(carried.amount), "year": carried.pot_year.year - 1, "next": carried.pot_year.year},
        )
        return redirect("followup:grant", pk=grant.pk)
    try:
        released = funding.release_commitment(request.user, commitment, form.cleaned_data["reason"])
    except funding.FundingError as exc:
        return _grant_page(request, grant, release_form=form, release_error=str(exc))
    messages.success(
        request,
        _("%(amount)s av tilsagnet for %(year)s er frigjort og kan tildeles på nytt.")
        % {"amount": kroner(released.amount), "year": released.pot_year.year},
    )
    return redirect("followup:grant", pk=grant.pk)


def _managed_pot(request, pk):
    pot = get_object_or_404(Pot.objects.select_related("rhf", "helsefellesskap"), pk=pk)
    if not account_permissions.can_manage_money(request.user, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap):
        raise PermissionDenied(_("Du følger ikke opp denne potten."))
    return pot


@role_required
def pot_followup(request, pk: int):
    """The secretariat's view: reports late and next due, and money committed, paid and used
    (per year, and per project for one chosen year). Everything is chosen in SQL, so the page's
    cost follows what it shows and not the pot's closed history."""
    pot = _managed_pot(request, pk)
    today = timezone.localdate()
    dues = ReportDue.objects.filter(grant__pot=pot).select_related("grant").only("due_date", "grant__title").order_by("grant_id", "due_date", "pk")
    late = [(d.grant, d) for d in domain.late_reports_due(dues, today)]
    upcoming = [(d.grant, d) for d in domain.next_reports_due(dues, today)]
    years_rows = money.pot_years(pot)
    years = [r.year for r in years_rows]
    year = chosen_year(request.GET.get("ar"), years, today.year)
    return render(
        request,
        "followup/pot.html",
        {
            "pot": pot,
            "late": late,
            "upcoming": upcoming,
            "year": year,
            "years": sorted(set(years) | {year}),
            "year_rows": [(r.year, r) for r in years_rows],
            "project_rows": [(g.title, r) for g, r in money.pot_projects(pot, year)],
            "total": money.totals(years_rows),
            "today": today,
        },
    )


def _rhf(request, code):
    rhf = get_object_or_404(RegionalHealthAuthority, code=code)
    if not (account_permissions.is_rhf_admin(request.user, rhf) or account_permissions.is_secretariat(request.user, rhf=rhf)):
        raise PermissionDenied(_("Rapportene til departementet og direktoratet lages av RHF-et."))
    return rhf


@role_required
@require_http_methods(["GET", "POST"])
def annual_report(request, code: str, year: int, fmt: str):
    """The RHF's annual report to the ministry, from the data: Excel at once; the PDF is ordered
    here (GET shows the order button, POST orders) and built in the background (documents.py)."""
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    rhf = _rhf(request, code)
    if fmt == "pdf":
        return _order_annual_pdf(request, rhf, year)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    rows = exports.annual_rows(rhf, year)
    response = HttpResponse(exports.annual_workbook(rhf, year, rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="arsmelding-rs-{rhf.code}-{year}.xlsx"'
    return response


def _order_annual_pdf(request, rhf, year: int):
    if request.method == "POST":
        job = documents.order_annual_pdf(request.user, rhf, year)
        if settings.RSPORTAL_BUILD_DOCUMENTS_INLINE:
            documents.build(job)
        return redirect("followup:document", pk=job.pk)
    earlier = DocumentJob.objects.filter(kind=DocumentJob.Kind.ANNUAL_REPORT_PDF, rhf=rhf, year=year, requested_by=request.user)[:5]
    return render(request, "followup/document_order.html", {"rhf": rhf, "year": year, "earlier": earlier})


def _job(request, pk) -> DocumentJob:
    job = get_object_or_404(DocumentJob.objects.select_related("rhf"), pk=pk)
    if not documents.may_download(request.user, job):
        raise PermissionDenied(_("Rapportene til departementet og direktoratet lages av RHF-et."))
    return job


@role_required
def document(request, pk: int):
    """An ordered document: "being made" (the page asks again every few seconds) or its download link."""
    job = _job(request, pk)
    template = "followup/_document_status.html" if request.headers.get("HX-Request") == "true" else "followup/document.html"
    return render(request, template, {"job": job})


@role_required
def document_download(request, pk: int, filename: str):
    job = _job(request, pk)
    if job.status != DocumentJob.Status.READY or filename != job.filename:
        raise Http404
    try:
        handle = default_storage.open(job.file, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="application/pdf", filename=job.filename)


@role_required
def project_list(request, code: str):
    """The half-yearly list of projects to the Directorate of Health (Excel)."""
    rhf = _rhf(request, code)
    response = HttpResponse(exports.project_list_workbook(rhf, timezone.localdate()), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="prosjektliste-rs-{rhf.code}-{timezone.localdate():%Y-%m-%d}.xlsx"'
    return response


@role_required
@require_http_methods(["GET", "POST"])
def after_project(request, pk: int):
    """The three questions one year after the project ended: the owners answer (and may
    correct), the secretariat reads."""
    grant = _grant(request, pk)
    row = AfterProject.objects.filter(grant=grant).first()
    if row is None:
        raise Http404(_("Prosjektet har ingen tilsagn ennå, så det er ingenting å svare på."))
    may_answer = domain.may_report(request.user, grant)
    status = 200
    error = ""
    form = AfterProjectForm(instance=row, initial={"version": row.version})
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied(_("Bare søkere for kommunene og helseforetakene som eier prosjektet kan svare."))
        form = AfterProjectForm(request.POST, instance=AfterProject.objects.get(pk=row.pk))
        if form.is_valid():
            data = form.cleaned_data
            try:
                domain.answer_after_project(
                    request.user, grant, in_operation=data["in_operation"], payer=data["payer"],
                    payer_note=data["payer_note"], spread=data["spread"], version=data["version"],
                )
            except domain.FollowupError as exc:
                error = str(exc)
                row.refresh_from_db()
            else:
                messages.success(request, _("Svarene er lagret. Takk!"))
                return redirect("followup:grant", pk=grant.pk)
        status = 400
    return render(
        request,
        "followup/after_project.html",
        {"grant": grant, "row": row, "form": form, "may_answer": may_answer, "error": error, "chain": continuation.chain(grant), "link_name": "followup:grant"},
        status=status,
    )
