"""Pages of payment requests and money between partners. Thin: the rules are in domain.py,
who sees what in the permission helpers below and in followup.domain."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rsportal.accounts import permissions as account_permissions
from rsportal.core import workbooks as wb
from rsportal.core.decorators import role_required
from rsportal.core.formatting import long_date
from rsportal.core.years import chosen_year
from rsportal.followup import domain as followup
from rsportal.funding.models import Grant, Pot, PotYear
from rsportal.funding.queries import money_scope

from . import domain, queries
from .forms import DecideForm, MarkPaidForm, PartnerRecordForm, PlanForm, RequestForm, ReturnForm
from .models import CostLine, PaymentRequest


def _grant(request, pk) -> Grant:
    """The grant, for its owners' and partners' applicants and those who manage its money."""
    grant = get_object_or_404(Grant.objects.select_related("pot__rhf", "pot__helsefellesskap", "pot__parent", "helsefellesskap"), pk=pk)
    if not (followup.may_view(request.user, grant) or domain.represented_partners(request.user, grant)):
        raise PermissionDenied(_("Du har ikke tilgang til dette prosjektet."))
    return grant


def _payment_request(request, pk) -> PaymentRequest:
    """A request, for the owner's applicants and those who manage the grant's money."""
    payment_request = get_object_or_404(queries.with_details(PaymentRequest.objects.all()), pk=pk)
    if not followup.may_view(request.user, payment_request.grant):
        raise PermissionDenied(_("Du har ikke tilgang til denne anmodningen."))
    return payment_request


def _managed_request(request, pk) -> PaymentRequest:
    """A request for those who handle it; the domain function adds separation of duties."""
    payment_request = _payment_request(request, pk)
    if not followup.manages(request.user, payment_request.grant):
        raise PermissionDenied(_("Bare sekretariatet behandler utbetalingsanmodninger."))
    return payment_request


@role_required
def request_list(request):
    """The secretariat's work: requests to check, approved ones to export and mark paid; and the
    applicant's own requests."""
    scope = money_scope(request.user)
    managed = queries.with_details(queries.managed_requests(scope)) if scope.classifies else PaymentRequest.objects.none()
    rows = queries.export_rows(scope) if scope.classifies else []
    own = queries.with_details(PaymentRequest.objects.filter(requested_by=request.user))
    return render(
        request,
        "payments/list.html",
        {
            "waiting": list(managed.filter(status=PaymentRequest.Status.SUBMITTED).order_by("submitted_at", "pk")),
            "approved": rows,
            "done": list(managed.filter(status__in=[PaymentRequest.Status.PAID, PaymentRequest.Status.RETURNED]).order_by("-decided_at", "-pk")[:20]),
            "own": list(own.order_by("-submitted_at", "-pk")),
            "mark_form": MarkPaidForm(rows=rows, initial={"paid_on": timezone.localdate()}),
            "reports_for": scope.system_admin or scope.admin_rhfs or scope.secretariat_rhfs,
        },
    )


def _grant_page(request, grant, *, form=None, form_kind="", status=200):
    today = timezone.localdate()
    records = list(grant.partner_records.select_related("municipality", "trust", "recorded_by"))
    owners = domain.represented_owners(request.user, grant)
    own_partners = domain.represented_partners(request.user, grant)
    balances = queries.partner_balances(grant, records, today)
    if own_partners and not owners and not followup.manages(request.user, grant):
        # A partner sees its own balance, not the other partners'.
        keys = {domain.org_key(p) for p in own_partners}
        balances = [b for b in balances if b.organisation is not None and domain.org_key(b.organisation) in keys]
        records = [r for r in records if domain.org_key(r.organisation) in keys]
    requests = list(grant.payment_requests.select_related("requested_by", "decided_by", "recipient_municipality", "recipient_trust")) if (owners or followup.may_view(request.user, grant)) else []
    partners = domain.partners(grant)
    return render(
        request,
        "payments/grant.html",
        {
            "grant": grant,
            "requests": requests,
            "may_request": bool(owners),
            "may_register": not owners and followup.manages(request.user, grant),
            "balances": balances,
            "records": records,
            "transfer_form": form if form_kind == "transfer" else (PartnerRecordForm(partners=partners, initial={"on": today, "year": today.year}) if owners and partners else None),
            "invoice_form": form if form_kind == "invoice" else (PartnerRecordForm(partners=own_partners, initial={"on": today, "year": today.year}) if own_partners else None),
            "plan": domain.plan_for(grant.pot),
            "payment_days": domain.PAYMENT_DAYS,
        },
        status=status,
    )


@role_required
def grant_payments(request, pk: int):
    return _grant_page(request, _grant(request, pk))


@role_required
@require_http_methods(["GET", "POST"])
def request_new(request, pk: int):
    """The owner's applicants request payment; the secretariat registers a request that came by letter."""
    grant = _grant(request, pk)
    owners = domain.represented_owners(request.user, grant)
    registering = not owners and followup.manages(request.user, grant)
    if not owners and not registering:
        raise PermissionDenied(_("Bare søkere for eierne av prosjektet kan be om utbetaling."))
    years = followup.grant_years(grant)
    reports = list(grant.reports.order_by("-submitted_at"))
    options = {"grant": grant, "years": years, "reports": reports, "owners": owners or grant.owners(), "registering": registering}
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, **options)
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "year": data["year"],
                "period_start": data["period_start"],
                "period_end": data["period_end"],
                "costs": form.costs(),
                "own_contribution": data.get("own_contribution") or 0,
                "report": next((r for r in reports if r.pk == data["report"]), None),
                "recipient": form.owners[data["recipient"]],
            }
            try:
                if registering:
                    made = domain.register_request(request.user, grant, requested_by_name=data["requested_by_name"], **fields)
                else:
                    made = domain.submit_request(request.user, grant, **fields)
            except domain.PaymentError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Anmodningen om utbetaling er sendt til sekretariatet."))
                return redirect("payments:request", pk=made.pk)
    else:
        this_year = timezone.localdate().year
        form = RequestForm(initial={"year": this_year if this_year in years else (years[0] if years else None)}, **options)
    return render(
        request,
        "payments/request_form.html",
        {"grant": grant, "form": form, "registering": registering, "plan": domain.plan_for(grant.pot), "committed": {y: domain.committed(grant, y) for y in years}},
        status=400 if request.method == "POST" else 200,
    )


def _request_page(request, payment_request, *, return_form=None, error="", status=200):
    manages = followup.manages(request.user, payment_request.grant)
    separated = request.user.pk not in (payment_request.requested_by_id, payment_request.registered_by_id)
    return render(
        request,
        "payments/request.html",
        {
            "req": payment_request,
            "grant": payment_request.grant,
            "costs": payment_request.costs.select_related("municipality", "trust"),
            "reference": domain.reference(payment_request.grant),
            "may_decide": manages and separated and payment_request.status == PaymentRequest.Status.SUBMITTED,
            "own_request": manages and not separated and payment_request.status == PaymentRequest.Status.SUBMITTED,
            "return_form": return_form or ReturnForm(initial={"version": payment_request.version}),
            "error": error,
        },
        status=status,
    )


@role_required
def request_detail(request, pk: int):
    return _request_page(request, _payment_request(request, pk))


@require_POST
@role_required
def request_approve(request, pk: int):
    payment_request = _managed_request(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _request_page(request, payment_request, error=_("Skjemaet mangler versjonen. Last siden på nytt."), status=400)
    try:
        domain.approve_request(request.user, payment_request, version=form.cleaned_data["version"])
    except domain.StaleRequest as exc:
        return _request_page(request, _payment_request(request, pk), error=str(exc), status=409)
    except domain.PaymentError as exc:
        return _request_page(request, payment_request, error=str(exc), status=400)
    messages.success(request, _("Anmodningen er godkjent og klar for utbetaling."))
    return redirect("payments:request", pk=pk)


@require_POST
@role_required
def request_return(request, pk: int):
    payment_request = _managed_request(request, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _request_page(request, payment_request, return_form=form, error=_("Skriv hvorfor anmodningen sendes tilbake."), status=400)
    try:
        domain.return_request(request.user, payment_request, reason=form.cleaned_data["reason"], version=form.cleaned_data["version"])
    except domain.StaleRequest as exc:
        # The reason as typed stays in the form.
        return _request_page(request, _payment_request(request, pk), return_form=form, error=str(exc), status=409)
    except domain.PaymentError as exc:
        return _request_page(request, payment_request, return_form=form, error=str(exc), status=400)
    messages.success(request, _("Anmodningen er sendt tilbake til søkeren med begrunnelsen."))
    return redirect("payments:request", pk=pk)


@role_required
def documentation_download(request, pk: int):
    """A cost line's documentation, for those who may see the request; served as a download under
    the name it came with, from outside the web root."""
    line = get_object_or_404(CostLine.objects.exclude(documentation=""), pk=pk)
    _payment_request(request, line.request_id)
    try:
        file = line.documentation.open("rb")
    except FileNotFoundError:
        raise Http404(_("Filen finnes ikke lenger.")) from None
    response = FileResponse(file, as_attachment=True, filename=line.documentation_name, content_type=line.documentation_content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _partner_record(request, pk: int, kind: str):
    grant = _grant(request, pk)
    # Asked before the form is read, so nobody without the right learns what the form would check.
    if kind == "transfer" and not domain.represented_owners(request.user, grant):
        raise PermissionDenied(_("Bare eierne av prosjektet registrerer overføringer til partnerne."))
    if kind == "invoice" and not domain.represented_partners(request.user, grant):
        raise PermissionDenied(_("Bare partneren selv registrerer hva den har fakturert."))
    if kind == "transfer":
        partners, record = domain.partners(grant), domain.record_transfer
    else:
        partners, record = domain.represented_partners(request.user, grant), domain.record_invoice
    form = PartnerRecordForm(request.POST, partners=partners)
    if not form.is_valid():
        return _grant_page(request, grant, form=form, form_kind=kind, status=400)
    data = form.cleaned_data
    try:
        record(request.user, grant, partner=form.partners[data["partner"]], year=data["year"], amount=data["amount"], on=data["on"], reference=data["reference"])
    except domain.PaymentError as exc:
        form.add_error(None, str(exc))
        return _grant_page(request, grant, form=form, form_kind=kind, status=400)
    messages.success(request, _("Overføringen er registrert.") if kind == "transfer" else _("Fakturaen er registrert."))
    return redirect("payments:grant", pk=grant.pk)


@require_POST
@role_required
def transfer_add(request, pk: int):
    return _partner_record(request, pk, "transfer")


@require_POST
@role_required
def invoice_add(request, pk: int):
    return _partner_record(request, pk, "invoice")


def _export_table(rows):
    columns = [
        wb.Column(_("Organisasjonsnummer")),
        wb.Column(_("Mottaker")),
        wb.Column(_("Referanse (saksnummer)")),
        wb.Column(_("Tilskuddsår"), wb.YEAR),
        wb.Column(_("Beløp"), wb.AMOUNT, sum=True),
        wb.Column(_("Prosjekt")),
        wb.Column(_("Anmodning")),
    ]
    return columns, [[r.org_number, r.recipient, r.reference, r.year, r.amount, r.title, str(r.request.pk)] for r in rows]


@role_required
def export(request, fmt: str):
    """Approved, unpaid requests for the accounting system: Excel, or CSV for import."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    scope = money_scope(request.user)
    if not scope.classifies:
        raise PermissionDenied(_("Bare sekretariatet og RHF-et eksporterer utbetalinger."))
    columns, table = _export_table(queries.export_rows(scope))
    day = timezone.localdate()
    if fmt == "csv":
        response = HttpResponse(wb.csv_for_machines(columns, table), content_type="text/csv; charset=utf-8")
    else:
        content = wb.table_workbook(
            _("Godkjente utbetalinger per %(day)s") % {"day": long_date(day)}, columns, table, source=_("godkjente utbetalingsanmodninger"), sheet=_("Utbetalinger"), day=day
        )
        response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="utbetalinger-{day:%Y-%m-%d}.{fmt}"'
    return response


@require_POST
@role_required
def mark_paid(request):
    scope = money_scope(request.user)
    if not scope.classifies:
        raise PermissionDenied(_("Bare sekretariatet og RHF-et markerer utbetalinger."))
    rows = queries.export_rows(scope)
    form = MarkPaidForm(request.POST, rows=rows)
    if not form.is_valid():
        messages.error(request, _("Velg anmodningene som er utbetalt, og datoen."))
        return redirect("payments:list")
    chosen = [r.request for r in rows if r.request.pk in form.cleaned_data["requests"]]
    try:
        domain.mark_paid(request.user, chosen, paid_on=form.cleaned_data["paid_on"])
    except domain.PaymentError as exc:
        messages.error(request, str(exc))
        return redirect("payments:list")
    messages.success(request, _("%(n)s anmodninger er markert som utbetalt.") % {"n": len(chosen)})
    return redirect("payments:list")


@role_required
def figures(request):
    """Seen from above: per pot and year, committed, requested, approved, paid and passed on to
    partners, and the time from request to payment."""
    scope = money_scope(request.user)
    rhf_ids = sorted(scope.admin_rhfs | scope.secretariat_rhfs)
    if scope.system_admin:
        from rsportal.registry.models import RegionalHealthAuthority

        rhf_ids = list(RegionalHealthAuthority.objects.values_list("pk", flat=True))
    if not rhf_ids:
        raise PermissionDenied(_("Oversikten over utbetalinger er for RHF-ets administratorer og sekretariat."))
    # One year at a time (this year by default), like the money overview: the page's cost follows
    # the year shown, not the years of history behind it.
    years = list(PotYear.objects.filter(pot__rhf_id__in=rhf_ids).order_by("-year").values_list("year", flat=True).distinct())
    year = chosen_year(request.GET.get("ar"), years, timezone.localdate().year)
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    rows = queries.figures(rhf_ids, year)
    pots = Pot.objects.filter(rhf_id__in=rhf_ids).select_related("payment_plan").order_by("rhf__code", "name")
    return render(request, "payments/figures.html", {"rows": rows, "year": year, "years": years, "pots": pots})


@role_required
@require_http_methods(["GET", "POST"])
def plan(request, pk: int):
    pot = get_object_or_404(Pot.objects.select_related("rhf", "helsefellesskap", "parent"), pk=pk)
    if not account_permissions.can_manage_money(request.user, rhf=pot.rhf, helsefellesskap=pot.helsefellesskap):
        raise PermissionDenied(_("Bare de som forvalter potten setter utbetalingsplanen."))
    current = domain.plan_for(pot)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            domain.set_payment_plan(request.user, pot, advance_percent=form.cleaned_data["advance_percent"])
            messages.success(request, _("Utbetalingsplanen er lagret."))
            return redirect("payments:plan", pk=pot.pk)
    else:
        form = PlanForm(initial={"advance_percent": current.advance_percent if current else 100})
    return render(request, "payments/plan.html", {"pot": pot, "form": form, "current": current}, status=400 if request.method == "POST" else 200)
