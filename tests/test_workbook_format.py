"""Every Excel and CSV export is laid out for a Norwegian public body (issue 12, item 3).

Each workbook is fetched through its real view and opened again: number formats, the
frozen header row, sum rows that add up, Norwegian sheet names, the "Kilde" line, empty
cells where nothing is due, shares as fractions with a per cent format, and column names
as on the page the figures come from. The statistics CSV comes for Norwegian Excel and
for machines, with the same numbers."""

import csv
import datetime
import io
import re

import pytest
from django.template.defaultfilters import floatformat
from django.utils import timezone
from openpyxl import load_workbook

from rsportal.core import workbooks as wb
from rsportal.followup.models import Payment
from rsportal.funding import domain as funding
from rsportal.funding.models import Grant

from .test_assessment import forward_all, round_, score_all  # noqa: F401 (round_ is a fixture)
from .test_catalogue import projects  # noqa: F401 (a fixture)
from .test_followup import grant, report_post  # noqa: F401 (grant is a fixture)

M = 1_000_000
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober", "november", "desember"]
BOM = b"\xef\xbb\xbf"


def norwegian_date(day: datetime.date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def book_of(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.content))


class Table:
    """One sheet as written by rsportal.core.workbooks, read back."""

    def __init__(self, sheet, first_label: str):
        self.sheet = sheet
        self.header_row = next(c.row for c in sheet["A"] if c.value == first_label)
        self.header = [c.value for c in sheet[self.header_row]]
        rows = list(sheet.iter_rows(min_row=self.header_row + 1))
        self.sum = rows[-1] if rows and rows[-1][0].value == "Sum" else None
        self.rows = rows[:-1] if self.sum else rows

    def column(self, label: str) -> int:
        return self.header.index(label)

    def values(self, label: str) -> list:
        return [row[self.column(label)].value for row in self.rows]

    def formats(self, label: str) -> set[str]:
        return {row[self.column(label)].number_format for row in self.rows}


def assert_layout(table: Table, source_part: str) -> None:
    """Title, "Kilde" line with today's date in Norwegian, a bold frozen header row, widths."""
    sheet = table.sheet
    assert sheet["A1"].font.bold and sheet["A1"].value
    kilde = sheet["A2"].value
    assert kilde.startswith("Kilde: RS-portalen, ") and source_part in kilde
    assert kilde.endswith(f"Hentet {norwegian_date(timezone.localdate())}.")
    assert sheet.freeze_panes == f"A{table.header_row + 1}"
    assert all(sheet.cell(row=table.header_row, column=i + 1).font.bold for i in range(len(table.header)))
    for index in range(len(table.header)):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        assert 8 <= sheet.column_dimensions[letter].width <= 60
    assert sheet.print_title_rows == f"${table.header_row}:${table.header_row}"
    assert len(sheet.title) <= 31 and not re.search(r"[\[\]:*?/\\]", sheet.title)
    if table.sum:
        assert all(c.font.bold for c in table.sum)


def page_headers(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", html)]


# --- the followup exports ---


@pytest.fixture
def two_grants(world, personas, grant, login):  # noqa: F811
    """The grant with a report (688 000 used in 2025) and a second one, half paid, with no report."""
    login(personas.applicant).post(f"/oppfolging/tilskudd/{grant.pk}/rapport/", report_post(grant))
    second = Grant.objects.create(pot=grant.pot, title="Ambulant team", helsefellesskap=world.hf)
    second.municipalities.add(world.harstad)
    funding.commit_grant(personas.sysadmin, grant=second, amounts={2025: 500_000})
    Payment.objects.create(grant=second, year=2025, amount=250_000, paid_on=datetime.date(2025, 3, 1), recorded_by=personas.sysadmin)
    return grant, second


def test_annual_report_workbook(personas, two_grants, login):
    grant, _second = two_grants
    client = login(personas.rhf_admin)
    book = book_of(client.get("/oppfolging/rhf/HN/arsmelding-2025.xlsx"))

    assert book.sheetnames == ["Årsmelding 2025", "Utbetalinger 2025"]
    table = Table(book.active, "Prosjekt")
    assert_layout(table, "tilsagn, utbetalinger og prosjektrapporter i Helse Nord")
    assert table.header == ["Prosjekt", "Helsefellesskap", "Eiere", "Tilsagn", "Utbetalt", "Brukt", "Andel brukt", "Framdrift", "Effekter", "Læring", "Spredning"]
    # The money columns are named as on the pot page.
    pot_headers = page_headers(client.get(f"/oppfolging/pott/{grant.pot.pk}/").content.decode())
    assert {"Tilsagn", "Utbetalt", "Brukt", "Andel brukt"} <= set(pot_headers)

    assert table.values("Prosjekt") == ["Ambulant team", "Trygg hjemkomst"]
    assert table.values("Tilsagn") == [500_000, 2 * M]
    # Nothing paid or used is an empty cell, not 0.
    assert table.values("Utbetalt") == [250_000, None] and table.values("Brukt") == [None, 688_000]
    assert table.formats("Tilsagn") == table.formats("Utbetalt") == table.formats("Brukt") == {"#,##0"}
    assert table.values("Andel brukt") == [0, 0.344] and table.formats("Andel brukt") == {"0.0 %"}

    total = {label: table.sum[table.column(label)] for label in ("Tilsagn", "Utbetalt", "Brukt", "Andel brukt")}
    assert total["Tilsagn"].value == sum(table.values("Tilsagn")) == 2_500_000
    assert total["Utbetalt"].value == 250_000 and total["Brukt"].value == 688_000
    assert total["Tilsagn"].number_format == "#,##0"
    # The share of the totals (688 000 / 2 500 000, to 0.1 % as on the page), not a sum of shares.
    assert total["Andel brukt"].value == 0.275 and total["Andel brukt"].number_format == "0.0 %"


def test_project_list_workbook(personas, two_grants, login):
    book = book_of(login(personas.rhf_admin).get("/oppfolging/rhf/HN/prosjektliste.xlsx"))

    assert book.sheetnames == ["Prosjektliste"]
    table = Table(book.active, "Prosjekt")
    assert_layout(table, "tilsagn og prosjektrapporter i Helse Nord")
    this_year = timezone.localdate().year
    years = list(range(this_year - 2, this_year + 4))
    assert table.header == ["Prosjekt", "Helsefellesskap", "Eiere", "Forprosjekt", "Tildelingsrunde"] + [f"Tilsagn {y}" for y in years] + ["Framdrift", "Siste rapport"]
    committed = {2025: [500_000, 2 * M], 2026: [None, M]}
    for year in years:
        label = f"Tilsagn {year}"
        # A year with nothing committed is empty, in the rows and in the sum row.
        assert table.values(label) == committed.get(year, [None, None])
        assert table.formats(label) == {"#,##0"}
        assert table.sum[table.column(label)].value == (sum(v or 0 for v in committed[year]) if year in committed else None)
    assert table.values("Siste rapport")[0] is None
    reported = table.rows[1][table.column("Siste rapport")]
    assert reported.is_date and reported.value.date() == timezone.localdate() and reported.number_format == "dd.mm.yyyy"


# --- the ranking tables ---


def test_ranking_workbook(world, personas, round_, login):  # noqa: F811
    call, apps = round_
    forward_all(world, personas, call, apps)
    for i, app in enumerate(apps):
        score_all(personas.member, app, [3] * 6)
        score_all(personas.chair, app, [i + 1] * 6)  # the last application ranks first
    # A weight with decimals, written "×1,5" on the page and in the workbook (the order is unchanged:
    # every application has the same score on every criterion).
    call.criteria.filter(pk=call.criteria.last().pk).update(weight="1.5")
    client = login(personas.rhf_admin)
    page = client.get(f"/vurdering/utlysning/{call.pk}/rangering/").content.decode()
    book = book_of(client.get(f"/vurdering/utlysning/{call.pk}/rangering.xlsx"))

    # The page's one table holds both rankings; the workbook gives each its own sheet, and the scores behind them.
    assert book.sheetnames == ["Utvalgets vekter", "Alle kriterier vektet likt", "Poeng per medlem"]
    assert {"Rang, utvalgets vekter", "Søknad", "Skår, utvalgets vekter", "Rang, likt vektet", "Skår, likt vektet"} <= set(page_headers(page))
    criteria = list(call.criteria.all())
    for name in book.sheetnames[:2]:
        table = Table(book[name], "Rang")
        assert_layout(table, f"«{call.title}»")
        assert table.header[:2] == ["Rang", "Søknad"] and table.header[-1] == "Skår"
        assert table.header[2] == "Saksnr." and table.header[5:-1] == [f"K{n}: {c.name} ({c.scale_min}–{c.scale_max}, ×{floatformat(c.weight, '-2')})" for n, c in enumerate(criteria, 1)]
        assert not any(re.search(r"×\d+\.\d", h) for h in table.header)  # "×1,5", as on the page
        assert table.values("Rang") == [1, 2, 3, 4] and table.values("Søknad") == [a.title for a in reversed(apps)]
        assert table.formats("Skår") == {"0.0"} and table.formats(table.header[5]) == {"0.00"}
        assert table.values(table.header[5]) == [3.5, 3.0, 2.5, 2.0] and table.values("Har gitt poeng") == [2] * 4
        assert table.sum is None  # ranks and scores do not add up
    detail = Table(book["Poeng per medlem"], "Søknad")
    assert_layout(detail, f"«{call.title}»")
    assert len(detail.rows) == 4 * 2 * 6 and set(detail.values("Poeng")) == {1, 2, 3, 4}


# --- the statistics ---


SHEETS = {
    "helsefellesskap": "Helsefellesskap",
    "rhf": "RHF",
    "tema": "Tema",
    "malgruppe": "Målgruppe",
    "storrelse": "Størrelse",
    "pasientgrupper": "Pasientgrupper",
    "hjemmeoppfolging": "Digital hjemmeoppfølging",
    "oppgavedeling": "Oppgavedeling",
    "interkommunalt": "Interkommunalt samarbeid",
    "initiativ": "Initiativ",
    "eierskap": "Eierskap",
    "kommunestorrelse": "Kommunestørrelse",
    "utvikling": "Tilsagn per år",
}


def test_statistics_workbook(client, projects):  # noqa: F811
    page = client.get("/statistikk/?ar=2026")
    tables = page.context["t"]
    book = book_of(client.get("/statistikk/alle.xlsx?ar=2026"))

    assert book.sheetnames == [SHEETS[key] for key in tables]
    for key, stat in tables.items():
        table = Table(book[SHEETS[key]], stat.columns[0].label)
        assert_layout(table, "statistikk, valgt år 2026, alle RHF")
        # The columns of the table on the page, in its order.
        assert table.header == [c.label for c in stat.columns]
        assert len(table.rows) == len(stat.rows)
        for column in stat.columns[1:]:
            values, formats = table.values(column.label), table.formats(column.label)
            if column.kind == "pct":
                assert formats == {"0.0 %"}
                expected = [None if v is None else float(v) / 100 for v in (row[stat.columns.index(column)] for row in stat.rows)]
                assert values == pytest.approx(expected)
            elif column.kind in ("kr", "int"):
                assert formats == {"#,##0"}
                assert values == [row[stat.columns.index(column)] for row in stat.rows]
        if table.sum:
            for column in stat.columns[1:]:
                # A column without a total (projects per year: one project counts in several years) has an empty sum cell.
                if column.kind in ("kr", "int") and "per innbygger" not in column.label and stat.totals[stat.columns.index(column)] is not None:
                    assert table.sum[table.column(column.label)].value == sum(v or 0 for v in table.values(column.label))

    sizes = Table(book["Størrelse"], "Samlet tilskudd per prosjekt")
    assert sizes.sum[sizes.column("Prosjekter")].value == 4 and sizes.sum[sizes.column("Andel av prosjektene")].value == 1
    # A project can have several themes: no sum row that would count it twice.
    assert Table(book["Tema"], "Tema").sum is None
    communities = Table(book["Helsefellesskap"], "Helsefellesskap")
    total = communities.sum
    per_head = total[communities.column("Kroner per innbygger")].value
    assert per_head == round(total[communities.column("Tilsagn 2026 (kr)")].value / total[communities.column("Innbyggere")].value)


def test_statistics_csv_for_excel_and_for_machines(client, projects):  # noqa: F811
    page = client.get("/statistikk/?ar=2026").content.decode()
    assert "format=maskinlesbar" in page and "CSV (maskinlesbar)" in page

    people = client.get("/statistikk/storrelse.csv?ar=2026")
    machines = client.get("/statistikk/storrelse.csv?ar=2026&format=maskinlesbar")
    assert people.content.startswith(BOM) and not machines.content.startswith(BOM)
    assert b"\r\n" in people.content
    for_people = list(csv.reader(io.StringIO(people.content.decode("utf-8-sig")), delimiter=";"))
    for_machines = list(csv.reader(io.StringIO(machines.content.decode("utf-8"))))
    assert for_people[0] == for_machines[0] == ["Samlet tilskudd per prosjekt", "Prosjekter", "Andel av prosjektene", "Tilsagn (kr)", "Andel av midlene"]
    assert len(for_people) == len(for_machines) > 1
    shares = [row[2] for row in for_people[1:]]
    assert all("," in s and "." not in s for s in shares)  # decimal comma
    for row_people, row_machines in zip(for_people[1:], for_machines[1:]):
        assert row_people[0] == row_machines[0]
        assert [float(v.replace(",", ".")) for v in row_people[1:]] == [float(v) for v in row_machines[1:]]
    # The same numbers as the workbook (shares there as fractions).
    sheet = Table(book_of(client.get("/statistikk/storrelse.xlsx?ar=2026"))["Størrelse"], "Samlet tilskudd per prosjekt")
    assert [float(row[3]) for row in for_machines[1:]] == sheet.values("Tilsagn (kr)")
    assert [float(row[2]) for row in for_machines[1:]] == pytest.approx([v * 100 for v in sheet.values("Andel av prosjektene")])


# --- the module itself ---


def test_csv_variants_write_dates_and_decimals_their_way():
    columns = [wb.Column("Dato", wb.DATE), wb.Column("Beløp", wb.AMOUNT), wb.Column("Andel", wb.SHARE), wb.Column("Skår", wb.DECIMAL, decimals=2), wb.Column("Sted")]
    rows = [[datetime.date(2026, 3, 5), 1_250_000, 0.344, 3.5, "Tromsø"], [None, 0, None, None, "=1+1"]]
    people = wb.csv_for_people(columns, rows)
    assert people == BOM + "Dato;Beløp;Andel;Skår;Sted\r\n05.03.2026;1250000;34,4;3,50;Tromsø\r\n;0;;;'=1+1\r\n".encode()
    machines = wb.csv_for_machines(columns, rows)
    assert machines == "Dato,Beløp,Andel,Skår,Sted\n2026-03-05,1250000,34.4,3.50,Tromsø\n,0,,,'=1+1\n".encode()


@pytest.mark.parametrize(
    "text, taken, expected",
    [
        ("Kommunestørrelse", [], "Kommunestørrelse"),
        ("Tilsagn 2026/2027: [utkast]?", [], "Tilsagn 2026-2027- -utkast--"),
        ("Prosjekter etter målgruppe (Fafo tabell 11)", [], "Prosjekter etter målgruppe (Faf"),
        ("Målgruppe", ["målgruppe"], "Målgruppe (2)"),
        ("", [], "Ark"),
    ],
)
def test_sheet_names_excel_accepts(text, taken, expected):
    name = wb.sheet_name(text, taken)
    assert name == expected and len(name) <= 31


def test_a_table_on_its_own_sheet():
    """The layout, on a table with every kind of column: blanks, sums and formats."""
    columns = [
        wb.Column("Prosjekt"),
        wb.Column("År", wb.YEAR),
        wb.Column("Tilsagn", wb.AMOUNT, sum=True, blank_zero=True),
        wb.Column("Andel", wb.SHARE),
        wb.Column("Frist", wb.DATE),
    ]
    rows = [["Ålesund – æ ø å", 2026, 1_250_000, 0.5, datetime.date(2026, 2, 1)], ["Bodø", 2027, 0, None, None]]
    day = datetime.date(2026, 12, 1)
    book = load_workbook(io.BytesIO(wb.table_workbook("Tittel", columns, rows, source="test", sheet="Årsoversikt", totals={3: 0.25}, day=day)))
    table = Table(book["Årsoversikt"], "Prosjekt")
    assert book["Årsoversikt"]["A2"].value == "Kilde: RS-portalen, test. Hentet 1. desember 2026."
    assert table.values("Tilsagn") == [1_250_000, None] and table.sum[2].value == 1_250_000
    assert table.formats("År") == {"0"} and table.formats("Frist") == {"dd.mm.yyyy"}
    assert table.values("Frist")[0] == datetime.datetime(2026, 2, 1)
    assert table.sum[3].value == 0.25 and table.sum[3].number_format == "0.0 %" and table.sum[1].value is None
