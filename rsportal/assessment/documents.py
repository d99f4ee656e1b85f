"""Documents generated from the data: decision letters and minutes (PDF, WeasyPrint)
and the ranking tables (Excel). Nothing here is typed twice."""

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
    """The two ranking tables of the page (the committee's weights, equal weights) and
    every member's scores. Titles, names and comments are user text; the workbook module
    keeps them from becoming formulas."""
    from django.template.defaultfilters import floatformat
    from django.utils.translation import gettext as _

    from rsportal.core import workbooks as wb

    criteria = list(criteria)
    source = _("poeng fra vurderingsutvalget i utlysningen «%(title)s»") % {"title": call.title}
    note = _(
        "Poeng per kriterium er gjennomsnitt av medlemmenes poeng. Hvert kriterium gjøres om til 0–1 etter sin skala før vekting; skåren vises på 0–100."
    )
    # The page's columns: Rang, Søknad, K1..Kn, Skår; the case number, the helsefellesskap and the
    # number of members who scored are under the title there and get columns of their own here.
    columns = [
        wb.Column(_("Rang"), wb.COUNT),
        wb.Column(_("Søknad")),
        wb.Column(_("Saksnr.")),
        wb.Column(_("Helsefellesskap")),
        wb.Column(_("Har gitt poeng"), wb.COUNT),
    ]
    # The weight as the ranking page writes it ("×1,5"): Django's floatformat in the active language.
    columns += [wb.Column(f"K{n}: {c.name} ({c.scale_min}–{c.scale_max}, ×{floatformat(c.weight, '-2')})", wb.DECIMAL, decimals=2) for n, c in enumerate(criteria, 1)]
    columns.append(wb.Column(_("Skår"), wb.DECIMAL, decimals=1))

    book = wb.new_book()
    for caption, rank_of, score_of in (
        (_("Utvalgets vekter"), lambda r: r.weighted_rank, lambda r: r.weighted),
        (_("Alle kriterier vektet likt"), lambda r: r.equal_rank, lambda r: r.equal),
    ):
        ordered = sorted(rows, key=lambda r: (rank_of(r) or 10_000, r.application.title))
        table = [
            [rank_of(r), r.application.title, r.application.case_number, r.application.helsefellesskap.name, r.scorers] + [r.means.get(c.pk) for c in criteria] + [score_of(r)]
            for r in ordered
        ]
        wb.write_table(wb.add_sheet(book, caption), f"{call.title} – {caption.lower()}", columns, table, source=source, notes=[note])
    detail = [[s.application.title, s.member.name, s.criterion.name, s.value, s.comment] for s in member_scores]
    detail_columns = [wb.Column(_("Søknad")), wb.Column(_("Medlem")), wb.Column(_("Kriterium")), wb.Column(_("Poeng"), wb.COUNT), wb.Column(_("Kommentar"))]
    wb.write_table(wb.add_sheet(book, _("Poeng per medlem")), _("Poeng per medlem – %(title)s") % {"title": call.title}, detail_columns, detail, source=source)
    return wb.to_bytes(book)
