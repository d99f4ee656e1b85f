"""Documents generated from the data: decision letters and minutes (PDF, WeasyPrint)
and the ranking tables (Excel, openpyxl). Nothing here is typed twice."""

import io

from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone

from . import ranking

PDF_STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "pdf.css"


def pdf(template: str, context: dict) -> bytes:
    # Imported here: WeasyPrint loads Pango at import, which costs a second that only PDF requests should pay.
    from weasyprint import CSS, HTML

    html = render_to_string(template, {**context, "generated_at": timezone.now()})
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PDF_STYLESHEET))])


def ranking_workbook(call, rows: list[ranking.Row], criteria, member_scores) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    # Titles, names and score comments are user text: append_row keeps them from becoming formulas.
    from rsportal.core.spreadsheets import append_row

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Rangering"
    append_row(sheet, [call.title])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, ["Poeng per kriterium er gjennomsnitt av medlemmenes poeng. Hvert kriterium normaliseres til 0-1 etter sin skala før vekting; vektet skår vises på 0-100."])
    append_row(sheet, [])
    header = ["Søknad", "Helsefellesskap", "Antall som har gitt poeng"] + [f"{c.name} ({c.scale_min}-{c.scale_max}, ×{c.weight:g})" for c in criteria]
    header += ["Skår, like vekter", "Rang, like vekter", "Skår, utvalgets vekter", "Rang, utvalgets vekter"]
    append_row(sheet, header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in sorted(rows, key=lambda r: (r.weighted_rank or 10_000, r.application.title)):
        append_row(
            sheet,
            [row.application.title, row.application.helsefellesskap.name, row.scorers]
            + [float(row.means[c.pk]) if row.means.get(c.pk) is not None else None for c in criteria]
            + [float(row.equal) if row.equal is not None else None, row.equal_rank, float(row.weighted) if row.weighted is not None else None, row.weighted_rank]
        )
    sheet.column_dimensions["A"].width = 60
    sheet.column_dimensions["B"].width = 28
    detail = workbook.create_sheet("Poeng per medlem")
    append_row(detail, ["Søknad", "Medlem", "Kriterium", "Poeng", "Kommentar"])
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for score in member_scores:
        append_row(detail, [score.application.title, score.member.name, score.criterion.name, score.value, score.comment])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
