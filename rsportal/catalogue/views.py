"""Public pages: the project catalogue and the statistics. No login: everything shown
here is meant for anyone, and contact persons appear only with their consent."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from rsportal.followup import continuation
from rsportal.followup.models import AfterProject
from rsportal.privacy.domain import record_view

from rsportal.core import datacache as public_cache
from . import equality, queries, tables
from . import statistics as stats
from .forms import CatalogueFilterForm, StatisticsForm


def page_links(page, query: str) -> list[dict | None]:
    """First, last and the pages around the current one; None marks a gap ("…")."""
    last = page.paginator.num_pages
    numbers = sorted({n for n in (1, last, page.number - 1, page.number, page.number + 1) if 1 <= n <= last})
    prefix = f"?{query}&" if query else "?"
    links: list[dict | None] = []
    previous = 0
    for number in numbers:
        if number - previous > 1:
            links.append(None)
        links.append({"number": number, "href": f"{prefix}side={number}", "current": number == page.number})
        previous = number
    return links


def _query_without(request, *names) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    # Leave out empty fields so the links stay short and readable.
    return urlencode([(k, v) for k, values in params.lists() for v in values if v != ""])


@require_safe
def project_list(request):
    # The content depends on the query string alone (filters, page), so that is the key.
    parts = tuple(sorted((k, tuple(v)) for k, v in request.GET.lists()))
    content = public_cache.get_or_build("catalogue", parts, lambda: _project_list_content(request))
    return render(request, "catalogue/project_list.html", {"content": mark_safe(content)})


def _project_list_content(request) -> str:
    form = CatalogueFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(queries.matching(filters), queries.PAGE_SIZE).get_page(request.GET.get("side"))
    query = _query_without(request, "side")
    prefix = f"?{query}&" if query else "?"
    refusals, refusal_count = queries.published_refusals(filters)
    return render_to_string(
        "catalogue/_project_list.html",
        {
            "refusals": refusals,
            "refusal_count": refusal_count,
            "form": form,
            "filters": filters,
            "ignored": [str(form.fields[name].label) for name in form.errors],
            "page": page,
            "grants": queries.grants_for_ids(list(page.object_list)),
            "count": page.paginator.count,
            "links": page_links(page, query) if page.paginator.num_pages > 1 else [],
            "previous_href": f"{prefix}side={page.previous_page_number()}" if page.has_previous() else "",
            "next_href": f"{prefix}side={page.next_page_number()}" if page.has_next() else "",
        },
        request,
    )


@require_safe
def project_detail(request, pk: int):
    grant = queries.public_grant(pk)
    if grant is None:
        raise Http404(_("Fant ikke prosjektet i den åpne katalogen."))
    decision = queries.published_decision(grant)
    record_view(request.user, grant, "catalogue")
    return render(
        request,
        "catalogue/project_detail.html",
        {
            "grant": grant,
            "decision": decision,
            "participants": queries.public_participants(grant, decision),
            "updates": queries.public_updates(grant),
            "similar": queries.similar_projects(grant),
            "after_project": AfterProject.objects.filter(grant=grant, answered_at__isnull=False).first(),
            "chain": continuation.chain(grant, within=queries.public_grants()),
        },
    )


def _statistics(request):
    form = StatisticsForm(request.GET)
    year, region, exclude = form.values()
    grants = stats.portfolio(region)
    years = grants.years
    if year is None:
        year = stats.default_year(years)
    return form, years, year, region, exclude, tables.build(year, exclude=exclude, rhf=region, grants=grants, regions=form.regions)


@require_safe
def statistics(request):
    form = StatisticsForm(request.GET)
    year, region, exclude = form.values()
    # Without a year the page shows a default that depends on today's year, so that is part of the key.
    parts = (year or f"default-{timezone.localdate().year}", region.code if region else "", exclude or "")
    content = public_cache.get_or_build("statistics", parts, lambda: _statistics_content(request, form, year, region, exclude))
    return render(request, "catalogue/statistics.html", {"content": mark_safe(content)})


def _statistics_content(request, form, year, region, exclude) -> str:
    # One portfolio for the year list and every figure: the money per year is read once.
    grants = stats.portfolio(region)
    years = grants.years
    if year is None:
        year = stats.default_year(years)
    result = tables.build(year, exclude=exclude, rhf=region, grants=grants, regions=form.regions)
    params = {"ar": year}
    if region:
        params["rhf"] = region.code
    if result.per_inhabitant.excluded:
        params["uten"] = result.per_inhabitant.excluded.pk
    query = urlencode(params)
    suggestion = result.per_inhabitant.suggestion
    suggestion_href = ""
    if suggestion and not result.per_inhabitant.excluded:
        suggestion_href = "?" + urlencode({**params, "uten": suggestion.pk})
    for key, table in result.tables.items():
        table.csv_href = reverse("catalogue:statistics-export", args=[key, "csv"]) + "?" + query
        table.csv_machine_href = table.csv_href + "&" + urlencode({"format": MACHINE_READABLE})
        table.xlsx_href = reverse("catalogue:statistics-export", args=[key, "xlsx"]) + "?" + query
    return render_to_string(
        "catalogue/_statistics.html",
        {
            "form": form,
            "years": sorted(set(years) | {year}),
            "year": year,
            "region": region,
            "regions": form.regions,
            "asked_exclude": exclude,
            "result": result,
            "about": tables.about(result),
            "pi": result.per_inhabitant,
            "t": result.tables,
            "workbook_href": reverse("catalogue:statistics-workbook") + "?" + query,
            "suggestion": suggestion,
            "suggestion_href": suggestion_href,
            "without_href": "?" + urlencode({k: v for k, v in params.items() if k != "uten"}),
            "operation": equality.after_project(region),
        },
        request,
    )


def _filename(key: str, year: int, region, extension: str) -> str:
    parts = ["rs-statistikk", key, str(year)] + ([region.code.lower()] if region else [])
    return "-".join(parts) + "." + extension


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MACHINE_READABLE = "maskinlesbar"


@require_safe
def statistics_export(request, key: str, fmt: str):
    _form, _years, year, region, _exclude, result = _statistics(request)
    table = result.tables.get(key)
    if table is None:
        raise Http404(_("Ukjent tabell."))
    # The CSV offered to people opens in Norwegian Excel; ?format=maskinlesbar is the plain variant for programs.
    machines = fmt == "csv" and request.GET.get("format") == MACHINE_READABLE
    if fmt == "csv":
        response = HttpResponse(tables.to_csv(table, machines=machines), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(tables.to_xlsx([table], source=tables.source(year, region), notes=tables.about(result)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(key + ("-" + MACHINE_READABLE if machines else ""), year, region, fmt)}"'
    return response


@require_safe
def statistics_workbook(request):
    _form, _years, year, region, _exclude, result = _statistics(request)
    response = HttpResponse(tables.to_xlsx(list(result.tables.values()), source=tables.source(year, region), notes=tables.about(result)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename("alle", year, region, "xlsx")}"'
    return response


@require_safe
def application_equality(request):
    """Equality at every stage: the applications per owner side and municipality size."""
    form = StatisticsForm(request.GET)
    _year, region, _exclude = form.values()
    return render(
        request,
        "catalogue/equality.html",
        {"form": form, "region": region, "regions": form.regions, "result": equality.application_equality(region)},
    )
