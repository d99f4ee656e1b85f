"""The statistics as tables: what the page shows next to each chart, and what the CSV and
Excel exports contain. One StatTable feeds all three, so they cannot disagree."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rsportal.core import formatting
from rsportal.core import workbooks as wb
from rsportal.registry.models import RegionalHealthAuthority

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
    rows: list[list]  # in the order shown: by value, or the natural order of ordinal categories
    # The chart: (series name, index of the column it draws), written as chart_kind.
    chart_series: list[tuple[str, int]] = field(default_factory=list)
    chart_kind: str = "int"
    chart_title: str = ""
    notes: list[str] = field(default_factory=list)
    # The sum row of the exports (first value unused), where the rows add up to a whole.
    totals: list | None = None
    # Rows whose numbers are all zero are left out of the page's chart and table and named
    # in a note instead (the exports keep them). Off where a zero is the finding (coverage).
    fold: bool = True

    def _empty(self, row) -> bool:
        return self.fold and all(value in (0, None) for value, column in zip(row, self.columns) if column.num)

    @property
    def shown_rows(self) -> list[list]:
        return [row for row in self.rows if not self._empty(row)]

    @property
    def folded(self) -> list[str]:
        """Labels of the rows left out of the page because all their numbers are zero."""
        return [str(row[0]) for row in self.rows if self._empty(row)]

    @property
    def chart(self) -> Chart | None:
        if not self.chart_series:
            return None
        rows = self.shown_rows
        return Chart(self.chart_title or self.title, [row[0] for row in rows], [(name, [row[i] for row in rows]) for name, i in self.chart_series], self.chart_kind)

    def display_rows(self) -> list[list[dict]]:
        return [[display_cell(value, column.kind) for value, column in zip(row, self.columns)] for row in self.shown_rows]


def by_value(items, value, *, last=()):
    """Largest first; categories that are no finding ("not classified", "none", "not
    registered": codes in `last`) stay at the end in their own order."""
    known = [i for i in items if i[0] not in last]
    rest = [i for i in items if i[0] in last]
    return sorted(known, key=lambda i: -(value(i[1]) or 0)) + rest


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
        ("helsefellesskap", _("Tilsagn til prosjekter per innbygger per helsefellesskap %(year)s"), result.communities, _("Helsefellesskap")),
        ("rhf", _("Tilsagn til prosjekter per innbygger per RHF %(year)s"), result.regions, _("Regionalt helseforetak")),
    ):
        rows = [row for _key, row in by_value([("", r) for r in rows], lambda r: r.per_inhabitant)]
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
        per_head_column = len(columns) - (3 if excluded else 1)
        series = [(_("Alle tilskudd"), per_head_column)]
        if excluded:
            series.append((_("Uten «%(title)s»") % {"title": excluded.title}, len(columns) - 1))
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
                chart_series=series,
                chart_kind="kr",
                chart_title=_("Kroner per innbygger %(year)s") % {"year": year},
                notes=notes,
                totals=totals if rows else None,
            )
        )
    return tables


# Categories that are no finding of their own; they stay last when rows are sorted by value.
NOT_A_FINDING = (stats.UNCLASSIFIED, stats.NONE, "unknown")


def breakdown_table(
    key: str, title: str, first: str, breakdown: stats.Breakdown, *, chart_money: bool = False, flag: bool = False, exclusive: bool = False, ordinal: bool = False
) -> StatTable:
    """exclusive: every project is in exactly one row, so the rows add up to the whole
    (a sum row in the exports); otherwise a project can count under several rows.
    ordinal: the categories have a natural order (sizes, counts) that the rows keep;
    otherwise the rows are sorted by the charted value, largest first."""
    ordered = list(breakdown.rows)
    if not ordinal:
        ordered = [row for _code, row in by_value([(r.code, r) for r in ordered], (lambda r: r.amount) if chart_money else (lambda r: r.projects), last=NOT_A_FINDING)]
    columns = [Column(first), Column(_("Prosjekter"), "int"), Column(_("Andel av prosjektene"), "pct"), Column(_("Tilsagn (kr)"), "kr"), Column(_("Andel av midlene"), "pct")]
    if flag:
        columns.append(Column(_("Har prosjekt"), "flag"))
    rows = []
    for row in ordered:
        values = [row.label, row.projects, row.share, row.amount, row.amount_share]
        if flag:
            # "Not classified" and "none" are not patient groups; they have no coverage to flag.
            values.append(None if row.code in (stats.UNCLASSIFIED, stats.NONE) else row.projects > 0)
        rows.append(values)
    chart = [(_("Tilsagn"), 3)] if chart_money else [(_("Prosjekter"), 1)]
    totals = None
    if exclusive and breakdown.projects:
        totals = [None, breakdown.projects, Decimal(100), breakdown.amount, Decimal(100) if breakdown.amount else None]
    return StatTable(key=key, title=title, columns=columns, rows=rows, chart_series=chart, chart_kind="kr" if chart_money else "int", totals=totals, fold=not flag)


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
    notes = []
    if result.population_date:
        notes.append(_("Størrelse etter siste folketall (per %(date)s).") % {"date": result.population_date.strftime("%d.%m.%Y")})
    municipalities, participating = sum(r.municipalities for r in result.rows), sum(r.participating for r in result.rows)
    totals = [None, municipalities, participating, stats.percent(participating, municipalities)] if result.rows else None
    # Ordinal (small, middle, large): the rows keep their order; the chart is a share, 0-100.
    return StatTable(key="kommunestorrelse", title=title, columns=columns, rows=rows, chart_series=[(_("Andel som deltar"), 3)], chart_kind="pct", notes=notes, totals=totals)


def development_table(rows: list[stats.YearRow]) -> StatTable:
    """Committed money per year over the scheme's years; ordinal, so the years keep their
    order and a year without money stays in the table (the chart shows it as zero)."""
    columns = [Column(_("År")), Column(_("Prosjekter med tilsagn"), "int"), Column(_("Tilsagn (kr)"), "kr")]
    table_rows = [[str(r.year), r.projects, r.amount] for r in rows]
    totals = [None, None, sum(r.amount for r in rows)] if rows else None
    return StatTable(
        key="utvikling",
        title=_("Tilsagn per år %(first)s–%(last)s") % {"first": rows[0].year, "last": rows[-1].year},
        columns=columns,
        rows=table_rows,
        chart_series=[(_("Tilsagn"), 2)],
        chart_kind="kr",
        notes=[_("Et prosjekt med tilsagn i flere år telles i hvert av årene.")],
        totals=totals,
        fold=False,
    )


@dataclass
class Statistics:
    per_inhabitant: stats.PerInhabitant
    tables: dict[str, StatTable]
    projects: int
    amount: int
    cooperation: stats.Breakdown
    coverage: stats.Coverage
    regions: list[str] = field(default_factory=list)  # RHFs whose projects the figures cover
    other_regions: list[str] = field(default_factory=list)  # RHFs with no project registered
    updated: object = None  # date of the latest change to grants or commitments

    @property
    def inter_municipal_share(self):
        return next(r.share for r in self.cooperation.rows if r.code == "two_or_more")

    @property
    def coverage_note(self) -> str:
        return coverage_note(self.coverage)

    @property
    def uncovered(self) -> list[str]:
        return [r.label for r in self.coverage.rows if r.code not in (stats.UNCLASSIFIED, stats.NONE) and not r.projects]


def build(year: int, exclude: int | None = None, rhf=None, grants: stats.Portfolio | None = None, regions=None) -> Statistics:
    """Every figure of the page, each computed once. grants: the portfolio of `rhf` and
    regions: every RHF by name, when the caller has already read them."""
    grants = stats.portfolio(rhf) if grants is None else grants
    result = stats.per_inhabitant(year, exclude=exclude, rhf=rhf, grants=grants)
    tables = per_inhabitant_tables(result)
    coop = stats.cooperation(grants)
    covered = stats.coverage(grants)
    tables += [
        breakdown_table("tema", _("Prosjekter etter tema (Fafo tabell 10)"), _("Tema"), stats.themes(grants)),
        breakdown_table("malgruppe", _("Prosjekter etter målgruppe (Fafo tabell 11)"), _("Målgruppe"), stats.target_groups(grants), exclusive=True),
        breakdown_table("storrelse", _("Prosjekter etter samlet tilskudd"), _("Samlet tilskudd per prosjekt"), stats.size_bands(grants), exclusive=True, ordinal=True),
        coverage_table(covered),
        breakdown_table("hjemmeoppfolging", _("Prosjekter med digital hjemmeoppfølging"), _("Digital hjemmeoppfølging"), stats.home_follow_up(grants), exclusive=True),
        breakdown_table("oppgavedeling", _("Prosjekter med oppgavedeling mellom kommune og sykehus"), _("Oppgavedeling"), stats.task_shifting(grants), exclusive=True),
        breakdown_table("interkommunalt", _("Interkommunalt samarbeid: antall kommuner per prosjekt"), _("Kommuner som eier prosjektet"), coop, exclusive=True, ordinal=True),
        breakdown_table("initiativ", _("Hvem tok initiativet"), _("Initiativ fra"), stats.initiative(grants), exclusive=True),
        breakdown_table("eierskap", _("Hvem eier prosjektene, og midlene per side"), _("Eiere"), stats.ownership(grants), chart_money=True, exclusive=True),
        participation_table(stats.municipality_participation(grants, rhf)),
        development_table(stats.development(grants)),
    ]
    projects, amount = grants.total
    with_data = stats.regions_with_data(grants)
    if rhf is not None:
        all_regions = [rhf]
    else:
        all_regions = list(RegionalHealthAuthority.objects.order_by("name")) if regions is None else regions
    return Statistics(
        per_inhabitant=result,
        tables={t.key: t for t in tables},
        projects=projects,
        amount=amount,
        cooperation=coop,
        coverage=covered,
        regions=[r.name for r in all_regions if r.pk in with_data],
        other_regions=[r.name for r in all_regions if r.pk not in with_data],
        updated=stats.last_change(),
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
    "utvikling": gettext_lazy("Tilsagn per år"),
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


def about(result: "Statistics") -> list[str]:
    """What the page says under its introduction and the workbooks under their Kilde line."""
    lines = []
    if result.regions and result.other_regions:
        lines.append(
            _("Tallene dekker %(regions)s; de andre regionene har ikke registrert prosjekter.") % {"regions": _and(result.regions)}
        )
    if result.updated:
        lines.append(_("Sist oppdatert %(date)s.") % {"date": formatting.long_date(result.updated)})
    return lines


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " " + _("og") + " " + names[-1]


def to_csv(table: StatTable, *, machines: bool = False) -> bytes:
    """The CSV offered to people opens in Norwegian Excel; `machines` gives the plain variant."""
    write = wb.csv_for_machines if machines else wb.csv_for_people
    return write(export_columns(table), export_rows(table))


def to_xlsx(tables: list[StatTable], *, source: str, notes=()) -> bytes:
    """notes: lines about all the tables (which regions the figures cover, when they last
    changed), written under the Kilde line of every sheet as under every figure on the page."""
    book = wb.new_book()
    for table in tables:
        totals = {i: _exported(value, c) for i, (value, c) in enumerate(zip(table.totals or [], table.columns)) if i and value is not None}
        wb.write_table(
            wb.add_sheet(book, str(SHEET_NAMES.get(table.key, table.title))),
            table.title,
            export_columns(table),
            export_rows(table),
            source=source,
            notes=[*notes, *table.notes],
            totals=totals or None,
        )
    return wb.to_bytes(book)
