"""Roll-ups from the data: the RHF's annual report to the ministry and the half-yearly
project list to the Directorate of Health."""

from django.db.models import Prefetch
from django.utils import dateformat
from django.utils.translation import gettext as _

from rsportal.core import workbooks as wb
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


def _share(value):
    """A share in per cent (34.4) as the fraction a percentage cell holds (0.344)."""
    return None if value is None else value / 100


def annual_workbook(rhf, year: int, rows) -> bytes:
    """The annual report as a table; the columns are named as on the pot page and the PDF."""
    columns = [
        wb.Column(_("Prosjekt")),
        wb.Column(_("Helsefellesskap")),
        wb.Column(_("Eiere")),
        # Nothing paid or used (yet) is an empty cell, not a row of zeros.
        wb.Column(_("Tilsagn"), wb.AMOUNT, sum=True, blank_zero=True),
        wb.Column(_("Utbetalt"), wb.AMOUNT, sum=True, blank_zero=True),
        wb.Column(_("Brukt"), wb.AMOUNT, sum=True, blank_zero=True),
        wb.Column(_("Andel brukt"), wb.SHARE),
        wb.Column(_("Framdrift")),
        wb.Column(_("Effekter")),
        wb.Column(_("Læring")),
        wb.Column(_("Spredning")),
    ]
    table = []
    for row in rows:
        report = row.last_report
        table.append(
            [
                row.grant.title,
                row.grant.helsefellesskap.name if row.grant.helsefellesskap else "",
                _owners(row.grant),
                row.committed,
                row.paid,
                row.used,
                _share(row.share_used),
                report.get_progress_display() if report else _("Ingen rapport"),
                report.effects if report else "",
                report.lessons if report else "",
                report.spreading if report else "",
            ]
        )
    from rsportal.payments import queries as payments

    book = wb.new_book()
    wb.write_table(
        wb.add_sheet(book, _("Årsmelding %(year)s") % {"year": year}),
        _("Årsmelding om rekrutterings- og samhandlingstilskuddet %(year)s – %(rhf)s") % {"year": year, "rhf": rhf.name},
        columns,
        table,
        source=_("tilsagn, utbetalinger og prosjektrapporter i %(rhf)s") % {"rhf": rhf.name},
        notes=[_("Beløp i kroner. Brukt er det prosjektene har rapportert.")],
        totals={6: _share(money.totals(rows).share_used)},
    )
    # Money out per pot: requested, approved, paid, passed on to partners and how long payment took.
    figure_columns, figure_rows = payments.figures_sheet(payments.figures([rhf.pk], year))
    wb.write_table(
        wb.add_sheet(book, _("Utbetalinger %(year)s") % {"year": year}),
        _("Utbetalinger per pott %(year)s – %(rhf)s") % {"year": year, "rhf": rhf.name},
        figure_columns,
        figure_rows,
        source=_("tilsagn, utbetalingsanmodninger, utbetalinger og overføringer til partnere i %(rhf)s") % {"rhf": rhf.name},
        notes=[_("Beløp i kroner. Dager fra anmodning til utbetaling gjelder utbetalte anmodninger.")],
    )
    return wb.to_bytes(book)


def project_list_workbook(rhf, day) -> bytes:
    """The project list for the Directorate of Health: commitments per year, blank where
    a project has nothing committed that year."""
    years = list(range(day.year - 2, day.year + 4))
    columns = [
        wb.Column(_("Prosjekt")),
        wb.Column(_("Helsefellesskap")),
        wb.Column(_("Eiere")),
        wb.Column(_("Forprosjekt")),
        wb.Column(_("Tildelingsrunde")),
    ]
    columns += [wb.Column(_("Tilsagn %(year)s") % {"year": y}, wb.AMOUNT, sum=True, blank_zero=True) for y in years]
    columns += [wb.Column(_("Framdrift")), wb.Column(_("Siste rapport"), wb.DATE)]
    grants = _grants(rhf)
    by_key = {(r.grant, r.year): r.committed for r in money.rows_for([g.pk for g in grants])}
    table = []
    for grant in grants:
        reports = list(grant.reports.all())
        latest = reports[0] if reports else None
        table.append(
            [grant.title, grant.helsefellesskap.name if grant.helsefellesskap else "", _owners(grant), grant.get_pre_project_display(), grant.round_label]
            + [by_key.get((grant.pk, y)) for y in years]
            + [latest.get_progress_display() if latest else "", latest.submitted_at if latest else None]
        )
    return wb.table_workbook(
        _("Prosjekter med RS-tilskudd – %(rhf)s – per %(day)s") % {"rhf": rhf.name, "day": dateformat.format(day, "j. F Y")},
        columns,
        table,
        source=_("tilsagn og prosjektrapporter i %(rhf)s") % {"rhf": rhf.name},
        notes=[_("Beløp i kroner.")],
        sheet=_("Prosjektliste"),
        day=day,
    )
