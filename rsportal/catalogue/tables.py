"""The statistics as tables: what the page shows next to each chart, and what the CSV and
Excel exports contain. One StatTable feeds all three, so they cannot disagree."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.core import formatting
from rsportal.core import workbooks as wb

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
    # The sum row of the exports (first value unused), where the rows add up to a whole.
    totals: list | None = None

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
        committed, population = sum(r.committed for r in rows), sum(r.population for r in rows)
        totals = [None] + ([None] if key == "helsefellesskap" else []) + [committed, population, stats.whole(stats.per_head(committed, population))]
        if excluded:
            without = sum(r.committed_without or 0 for r in rows)
            totals += [without, stats.whole(stats.per_head(without, population))]
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
                totals=totals if rows else None,
            )
        )
    return tables


def breakdown_table(
    key: str, title: str, first: str, breakdown: stats.Breakdown, *, chart_money: bool = False, flag: bool = False, exclusive: bool = False
) -> StatTable:
    """exclusive: every project is in exactly one row, so the rows add up to the whole
    (a sum row in the exports); otherwise a project can count under several rows."""
    columns = [Column(first), Column(_("Prosjekter"), "int"), Column(_("Andel av prosjektene"), "pct"), Column(_("Tilsagn (kr)"), "kr"), Column(_("Andel av midlene"), "pct")]
    if flag:
        columns.append(Column(_("Har prosjekt"), "flag"))
    rows = []
    for row in breakdown.rows:
        values = [row.label, row.projects, row.share, row.amount, row.amount_share]
        if flag:
            # "Not classified" and "none" are not patient groups; they have no coverage to flag.
            values.append(None if row.code in (stats.UNCLASSIFIED, stats.NONE) else row.projects > 0)
        rows.append(values)
    if chart_money:
        chart = Chart(title, [r.label for r in breakdown.rows], [(_("Tilsagn"), [r.amount for r in breakdown.rows])], "kr")
    else:
        chart = Chart(title, [r.label for r in breakdown.rows], [(_("Prosjekter"), [r.projects for r in breakdown.rows])], "int")
    totals = None
    if exclusive and breakdown.projects:
        totals = [None, breakdown.projects, Decimal(100), breakdown.amount, Decimal(100) if breakdown.amount else None]
    return StatTable(key=key, title=title, columns=columns, rows=rows, chart=chart, totals=totals)


def coverage_table(covered: stats.Coverage) -> StatTable:
    table = breakdown_table("pasientgrupper", _("Dekning av de prioriterte pasientgruppene"), _("Pasientgruppe"), covered, flag=True)
    table.notes.append(coverage_note(covered))
    return table


def coverage_note(covered: stats.Coverage) -> str:
    """What the coverage counts; with unclassified projects, that it may be larger."""
    if covered.unclassified:
        return _("%(unclassified)s av %(all)s prosjekter er ikke klassifisert; dekningen kan være større. Tabellen teller de %(classified)s som er klassifisert.") % {
            "unclassified": covered.unclassified,
            "all": covered.all_projects,
            "classified": covered.projects,
        }
    return _("Alle prosjektene er klassifisert.")


def participation_table(result: stats.Participation) -> StatTable:
    title = _("Kommuner som deltar i minst ett prosjekt, etter størrelse")
    columns = [Column(_("Kommunestørrelse")), Column(_("Kommuner"), "int"), Column(_("Deltar i minst ett prosjekt"), "int"), Column(_("Andel som deltar"), "pct")]
    rows = [[r.label, r.municipalities, r.participating, r.share] for r in result.rows]
    chart = Chart(title, [r.label for r in result.rows], [(_("Andel som deltar"), [r.share for r in result.rows])], "pct")
    notes = []
    if result.population_date:
        notes.append(_("Størrelse etter siste folketall (per %(date)s).") % {"date": result.population_date.strftime("%d.%m.%Y")})
    municipalities, participating = sum(r.municipalities for r in result.rows), sum(r.participating for r in result.rows)
    totals = [None, municipalities, participating, stats.percent(participating, municipalities)] if result.rows else None
    return StatTable(key="kommunestorrelse", title=title, columns=columns, rows=rows, chart=chart, notes=notes, totals=totals)


@dataclass
class Statistics:
    per_inhabitant: stats.PerInhabitant
    tables: dict[str, StatTable]
    projects: int
    amount: int
    cooperation: stats.Breakdown
    coverage: stats.Coverage

    @property
    def inter_municipal_share(self):
        return next(r.share for r in self.cooperation.rows if r.code == "two_or_more")

    @property
    def coverage_note(self) -> str:
        return coverage_note(self.coverage)

    @property
    def uncovered(self) -> list[str]:
        return [r.label for r in self.coverage.rows if r.code not in (stats.UNCLASSIFIED, stats.NONE) and not r.projects]


def build(year: int, exclude: int | None = None, rhf=None) -> Statistics:
    grants = stats.portfolio(rhf)
    result = stats.per_inhabitant(year, exclude=exclude, rhf=rhf, grants=grants)
    tables = per_inhabitant_tables(result)
    coop = stats.cooperation(grants)
    covered = stats.coverage(grants)
    tables += [
        breakdown_table("tema", _("Prosjekter etter tema (Fafo tabell 10)"), _("Tema"), stats.themes(grants)),
        breakdown_table("malgruppe", _("Prosjekter etter målgruppe (Fafo tabell 11)"), _("Målgruppe"), stats.target_groups(grants), exclusive=True),
        breakdown_table("storrelse", _("Prosjekter etter samlet tilskudd"), _("Samlet tilskudd per prosjekt"), stats.size_bands(grants), exclusive=True),
        coverage_table(covered),
        breakdown_table("hjemmeoppfolging", _("Prosjekter med digital hjemmeoppfølging"), _("Digital hjemmeoppfølging"), stats.home_follow_up(grants), exclusive=True),
        breakdown_table("oppgavedeling", _("Prosjekter med oppgavedeling mellom kommune og sykehus"), _("Oppgavedeling"), stats.task_shifting(grants), exclusive=True),
        breakdown_table("interkommunalt", _("Interkommunalt samarbeid: antall kommuner per prosjekt"), _("Kommuner som eier prosjektet"), coop, exclusive=True),
        breakdown_table("initiativ", _("Hvem tok initiativet"), _("Initiativ fra"), stats.initiative(grants), exclusive=True),
        breakdown_table("eierskap", _("Hvem eier prosjektene, og midlene per side"), _("Eiere"), stats.ownership(grants), chart_money=True, exclusive=True),
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

# Excel sheet names: what the table is about, in Norwegian (the keys are ASCII for URLs).
SHEET_NAMES = {
    "helsefellesskap": gettext_lazy("Helsefellesskap"),
    "rhf": gettext_lazy("RHF"),
    "tema": gettext_lazy("Tema"),
    "malgruppe": gettext_lazy("Målgruppe"),
    "storrelse": gettext_lazy("Størrelse"),
    "pasientgrupper": gettext_lazy("Pasientgrupper"),
    "hjemmeoppfolging": gettext_lazy("Digital hjemmeoppfølging"),
    "oppgavedeling": gettext_lazy("Oppgavedeling"),
    "interkommunalt": gettext_lazy("Interkommunalt samarbeid"),
    "initiativ": gettext_lazy("Initiativ"),
    "eierskap": gettext_lazy("Eierskap"),
    "kommunestorrelse": gettext_lazy("Kommunestørrelse"),
}

_KINDS = {"text": wb.TEXT, "kr": wb.AMOUNT, "int": wb.COUNT, "pct": wb.SHARE, "flag": wb.TEXT}


def export_columns(table: StatTable) -> list[wb.Column]:
    """The page's columns, as the workbook module writes them."""
    return [wb.Column(c.label, _KINDS[c.kind]) for c in table.columns]


def _exported(value, column: Column):
    """A value as exported: flags as words, per cent as the fraction (25.0 -> 0.25) that
    a percentage cell holds."""
    if column.kind == "pct":
        return None if value is None else value / 100
    return export_value(value, column.kind)


def export_rows(table: StatTable) -> list[list]:
    return [[_exported(value, c) for value, c in zip(row, table.columns)] for row in table.rows]


def source(year: int, region=None) -> str:
    """What the Kilde line names: the statistics page with the year and region chosen."""
    return _("statistikk, valgt år %(year)s, %(region)s") % {"year": year, "region": region.name if region else _("alle RHF")}


def to_csv(table: StatTable, *, machines: bool = False) -> bytes:
    """The CSV offered to people opens in Norwegian Excel; `machines` gives the plain variant."""
    write = wb.csv_for_machines if machines else wb.csv_for_people
    return write(export_columns(table), export_rows(table))


def to_xlsx(tables: list[StatTable], *, source: str) -> bytes:
    book = wb.new_book()
    for table in tables:
        totals = {i: _exported(value, c) for i, (value, c) in enumerate(zip(table.totals or [], table.columns)) if i and value is not None}
        wb.write_table(
            wb.add_sheet(book, str(SHEET_NAMES.get(table.key, table.title))),
            table.title,
            export_columns(table),
            export_rows(table),
            source=source,
            notes=table.notes,
            totals=totals or None,
        )
    return wb.to_bytes(book)
