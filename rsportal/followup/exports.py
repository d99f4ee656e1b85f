"""Roll-ups from the data: the RHF's annual report to the ministry and the half-yearly
project list to the Directorate of Health."""

import io

from django.db.models import Prefetch

from rsportal.core.spreadsheets import append_row
from rsportal.funding.models import Commitment, Grant

from . import money
from .models import Report


def _grants(rhf, year=None):
    grants = Grant.objects.filter(pot__rhf=rhf).select_related("helsefellesskap").prefetch_related(
        "municipalities", "trusts", Prefetch("reports", queryset=Report.objects.order_by("-submitted_at"))
    )
    if year is not None:
        grants = grants.filter(commitments__pot_year__year=year, commitments__status__in=Commitment.ACTIVE).distinct()
    return list(grants.order_by("helsefellesskap__name", "title"))


def annual_rows(rhf, year: int) -> list[money.MoneyRow]:
    grants = _grants(rhf, year)
    by_grant = {g.pk: g for g in grants}
    rows = [r for r in money.rows_for(list(by_grant)) if r.year == year]
    for row in rows:
        row.grant = by_grant[row.grant]
        reports = list(row.grant.reports.all())
        row.last_report = reports[0] if reports else None
    return sorted(rows, key=lambda r: ((r.grant.helsefellesskap.name if r.grant.helsefellesskap else ""), r.grant.title))


def _owners(grant) -> str:
    return ", ".join([m.name for m in grant.municipalities.all()] + [t.name for t in grant.trusts.all()])


def annual_workbook(rhf, year: int, rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"RS-tilskudd {year}"
    append_row(sheet, [f"Årsmelding om rekrutterings- og samhandlingstilskuddet {year} – {rhf.name}"])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [])
    append_row(sheet, ["Prosjekt", "Helsefellesskap", "Eiere", "Tilsagn (kr)", "Utbetalt (kr)", "Brukt (kr)", "Andel brukt (%)", "Framdrift", "Effekter", "Læringspunkter", "Spredning"])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        report = row.last_report
        append_row(
            sheet,
            [
                row.grant.title,
                row.grant.helsefellesskap.name if row.grant.helsefellesskap else "",
                _owners(row.grant),
                row.committed,
                row.paid,
                row.used,
                float(row.share_used) if row.share_used is not None else None,
                report.get_progress_display() if report else "Ingen rapport",
                report.effects if report else "",
                report.lessons if report else "",
                report.spreading if report else "",
            ]
        )
    total = money.totals(rows)
    append_row(sheet, ["Sum", "", "", total.committed, total.paid, total.used, float(total.share_used) if total.share_used is not None else None])
    sheet.column_dimensions["A"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def project_list_workbook(rhf, day) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Prosjekter"
    append_row(sheet, [f"Prosjekter med RS-tilskudd – {rhf.name} – per {day:%d.%m.%Y}"])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [])
    years = sorted({y for y in range(day.year - 2, day.year + 4)})
    append_row(sheet, ["Prosjekt", "Helsefellesskap", "Eiere", "Forprosjekt", "Tildelingsrunde"] + [f"Tilsagn {y} (kr)" for y in years] + ["Siste status"])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    grants = _grants(rhf)
    by_key = {(r.grant, r.year): r.committed for r in money.rows_for([g.pk for g in grants])}
    for grant in grants:
        reports = list(grant.reports.all())
        append_row(
            sheet,
            [grant.title, grant.helsefellesskap.name if grant.helsefellesskap else "", _owners(grant), grant.get_pre_project_display(), grant.round_label]
            + [by_key.get((grant.pk, y), 0) for y in years]
            + [reports[0].get_progress_display() if reports else ""]
        )
    sheet.column_dimensions["A"].width = 60
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
