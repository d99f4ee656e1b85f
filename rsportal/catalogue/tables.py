"""The statistics as tables: what the page shows next to each chart, and what the CSV and
Excel exports contain. One StatTable feeds all three, so they cannot disagree."""

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from rsportal.core import formatting
from rsportal.core.spreadsheets import append_row, csv_writer

from . import statistics as stats


@dataclass
class Column:
    label: str
    # text | kr | int | pct | flag (bool, True is good); decides display and export type
    kind: str = "text"

    @property
    def num(self) -> bool:
        return self.kind in ("kr", "int", "pct")


@dataclass
class Chart:
    title: str
    labels: list[str]
    series: list[tuple[str, list]]  # (name, one value per label)
    kind: str = "int"  # how the values are written next to the bars


@dataclass
class StatTable:
    key: str  # slug, also the export file name
    title: str
    columns: list[Column]
    rows: list[list]
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)

    def display_rows(self) -> list[list[dict]]:
        return [[display_cell(value, column.kind) for value, column in zip(row, self.columns)] for row in self.rows]


def format_value(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "kr":
        return formatting.kroner(value)
    if kind == "int":
        return formatting.group(value)
    if kind == "pct":
        return f"{value:.1f}".replace(".", ",") + formatting.NBSP + "%"
    if kind == "flag":
        return _("Ja") if value else _("Nei")
    return str(value)


def display_cell(value, kind: str) -> dict:
    cell = {"text": format_value(value, kind), "num": kind in ("kr", "int", "pct"), "tag": None}
    if kind == "flag" and value is not None:
        cell["tag"] = "success" if value else "danger"
        cell["text"] = _("Ja") if value else _("Ingen prosjekter")
    return cell


def export_value(value, kind: str):
    if value is None:
        return None
    if kind == "flag":
        return _("ja") if value else _("nei")
    return value


# --- Builders ---


def per_inhabitant_tables(result: stats.PerInhabitant) -> list[StatTable]:
    excluded = result.excluded
    year = result.year
    tables = []
    for key, title, rows, first in (
        ("helsefellesskap", _("Tilskudd per innbygger per helsefellesskap %(year)s"), result.communities, _("Helsefellesskap")),
        ("rhf", _("Tilskudd per innbygger per RHF %(year)s"), result.regions, _("Regionalt helseforetak")),
    ):
        columns = [Column(first)]
        if key == "helsefellesskap":
            columns.append(Column(_("RHF")))
        columns += [
            Column(_("Tilsagn %(year)s (kr)") % {"year": year}, "kr"),
            Column(_("Innbyggere"), "int"),
            Column(_("Kroner per innbygger"), "kr"),
        ]
        if excluded:
            # Short headers; the note names the grant, so wide tables stay readable.
            columns += [Column(_("Tilsagn uten tilskuddet (kr)"), "kr"), Column(_("Kroner per innbygger uten tilskuddet"), "kr")]
        table_rows = []
        for row in rows:
            values = [row.name] + ([row.rhf_name] if key == "helsefellesskap" else [])
            values += [row.committed, row.population, row.per_inhabitant_rounded]
            if excluded:
                values += [row.committed_without, row.per_inhabitant_without_rounded]
            table_rows.append(values)
        series = [(_("Alle tilskudd"), [r.per_inhabitant_rounded for r in rows])]
        if excluded:
            series.append((_("Uten «%(title)s»") % {"title": excluded.title}, [r.per_inhabitant_without_rounded for r in rows]))
        notes = []
        if excluded:
            notes.append(
                _("«%(title)s» (%(amount)s i %(year)s) er trukket fra i kolonnene «uten tilskuddet».")
                % {"title": excluded.title, "amount": formatting.kroner(result.excluded_amount), "year": year}
            )
        if key == "helsefellesskap" and result.unattributed:
            notes.append(
                _("%(amount)s går til prosjekter som ikke hører til ett helsefellesskap; de er bare med i tallene per RHF.")
                % {"amount": formatting.kroner(result.unattributed)}
            )
        tables.append(
            StatTable(
                key=key,
                title=title % {"year": year},
                columns=columns,
                rows=table_rows,
                chart=Chart(_("Kroner per innbygger %(year)s") % {"year": year}, [r.name for r in rows], series, "kr"),
                notes=notes,
            )
        )
    return tables


def breakdown_table(key: str, title: str, first: str, breakdown: stats.Breakdown, *, chart_money: bool = False, flag: bool = False) -> StatTable:
    columns = [Column(first), Column(_("Prosjekter"), "int"), Column(_("Andel av prosjektene"), "pct"), Column(_("Tilsagn (kr)"), "kr"), Column(_("Andel av midlene"), "pct")]
    if flag:
        columns.append(Column(_("Har prosjekt"), "flag"))
    rows = []
    for row in breakdown.rows:
        values = [row.label, row.projects, row.share, row.amount, row.amount_share]
        if flag:
            # "Not classified" is not a patient group; it has no coverage to flag.
            values.append(None if row.code == stats.UNCLASSIFIED else row.projects > 0)
        rows.append(values)
    if chart_money:
        chart = Chart(title, [r.label for r in breakdown.rows], [(_("Tilsagn"), [r.amount for r in breakdown.rows])], "kr")
    else:
        chart = Chart(title, [r.label for r in breakdown.rows], [(_("Prosjekter"), [r.projects for r in breakdown.rows])], "int")
    return StatTable(key=key, title=title, columns=columns, rows=rows, chart=chart)


def participation_table(result: stats.Participation) -> StatTable:
    title = _("Kommuner som deltar i minst ett prosjekt, etter størrelse")
    columns = [Column(_("Kommunestørrelse")), Column(_("Kommuner"), "int"), Column(_("Deltar i minst ett prosjekt"), "int"), Column(_("Andel som deltar"), "pct")]
    rows = [[r.label, r.municipalities, r.participating, r.share] for r in result.rows]
    chart = Chart(title, [r.label for r in result.rows], [(_("Andel som deltar"), [r.share for r in result.rows])], "pct")
    notes = []
    if result.population_date:
        notes.append(_("Størrelse etter siste folketall (per %(date)s).") % {"date": result.population_date.strftime("%d.%m.%Y")})
    return StatTable(key="kommunestorrelse", title=title, columns=columns, rows=rows, chart=chart, notes=notes)


@dataclass
class Statistics:
    per_inhabitant: stats.PerInhabitant
    tables: dict[str, StatTable]
    projects: int
    amount: int
    cooperation: stats.Breakdown
    coverage: stats.Breakdown

    @property
    def inter_municipal_share(self):
        return next(r.share for r in self.cooperation.rows if r.code == "two_or_more")

    @property
    def uncovered(self) -> list[str]:
        return [r.label for r in self.coverage.rows if r.code != stats.UNCLASSIFIED and not r.projects]


def build(year: int, exclude: int | None = None, rhf=None) -> Statistics:
    grants = stats.portfolio(rhf)
    result = stats.per_inhabitant(year, exclude=exclude, rhf=rhf, grants=grants)
    tables = per_inhabitant_tables(result)
    coop = stats.cooperation(grants)
    covered = stats.coverage(grants)
    tables += [
        breakdown_table("tema", _("Prosjekter etter tema (Fafo tabell 10)"), _("Tema"), stats.themes(grants)),
        breakdown_table("malgruppe", _("Prosjekter etter målgruppe (Fafo tabell 11)"), _("Målgruppe"), stats.target_groups(grants)),
        breakdown_table("storrelse", _("Prosjekter etter samlet tilskudd"), _("Samlet tilskudd per prosjekt"), stats.size_bands(grants)),
        breakdown_table("pasientgrupper", _("Dekning av de prioriterte pasientgruppene"), _("Pasientgruppe"), covered, flag=True),
        breakdown_table("interkommunalt", _("Interkommunalt samarbeid: antall kommuner per prosjekt"), _("Kommuner som eier prosjektet"), coop),
        breakdown_table("initiativ", _("Hvem tok initiativet"), _("Initiativ fra"), stats.initiative(grants)),
        breakdown_table("eierskap", _("Hvem eier prosjektene, og midlene per side"), _("Eiere"), stats.ownership(grants), chart_money=True),
        participation_table(stats.municipality_participation(grants, rhf)),
    ]
    counted = [g for g in grants if g.total]
    return Statistics(
        per_inhabitant=result,
        tables={t.key: t for t in tables},
        projects=len(counted),
        amount=sum(g.total for g in counted),
        cooperation=coop,
        coverage=covered,
    )


# --- Exports ---


def to_csv(table: StatTable) -> str:
    """Plain CSV for machines: comma separated, full stop as decimal mark, UTF-8.
    People who want Norwegian number formats take the Excel file."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if (v := export_value(value, c.kind)) is None else v for value, c in zip(row, table.columns)])
    return buffer.getvalue()


def _sheet(book, table: StatTable, first: bool):
    from openpyxl.styles import Font

    sheet = book.active if first else book.create_sheet()
    # Excel allows 31 characters and no ":" or "/" in a sheet name.
    sheet.title = table.key[:31]
    append_row(sheet, [table.title])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [])
    append_row(sheet, [c.label for c in table.columns])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in table.rows:
        append_row(sheet, [export_value(value, c.kind) for value, c in zip(row, table.columns)])
    for index, column in enumerate(table.columns):
        letter = sheet.cell(row=3, column=index + 1).column_letter
        if column.kind == "pct":
            for (cell,) in sheet.iter_rows(min_row=4, min_col=index + 1, max_col=index + 1):
                cell.number_format = "0.0"
        elif column.kind in ("kr", "int"):
            for (cell,) in sheet.iter_rows(min_row=4, min_col=index + 1, max_col=index + 1):
                cell.number_format = "#,##0"
        sheet.column_dimensions[letter].width = 50 if index == 0 else 18
    for note in table.notes:
        append_row(sheet, [])
        append_row(sheet, [note])


def to_xlsx(tables: list[StatTable]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for index, table in enumerate(tables):
        _sheet(book, table, index == 0)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
