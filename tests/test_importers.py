"""SSB formats: table 07459 population and classification 131 municipality lists."""

import datetime

import pytest

from rsportal.registry import importers
from rsportal.registry.models import Municipality, PopulationFigure

LONG = """"07459: Befolkning, etter region, statistikkvariabel og år"

"region";"statistikkvariabel";"år";"07459: Befolkning, etter region, statistikkvariabel og år"
"5501 Tromsø";"Personer";"2024";78745
"5501 Tromsø";"Personer";"2025";79600
"5503 Harstad";"Personer";"2025";25001
"0 Hele landet";"Personer";"2025";5594340
"1902 Tromsø (1838-2019)";"Personer";"2025";0
"""

WIDE = """region;Personer 2024;Personer 2025
K-5501 Tromsø;78745;79600
K-5503 Harstad;24915;25001
"""


def figures(number):
    return dict(PopulationFigure.objects.filter(municipality__number=number).values_list("date", "population"))


def test_long_layout_in_windows_1252(world):
    report = importers.import_ssb_population(LONG.encode("cp1252"))
    assert report.created == 2 and report.updated == 1
    assert figures("5501") == {datetime.date(2024, 1, 1): 78745, datetime.date(2025, 1, 1): 79600}
    assert report.skipped == ["1902"]  # an old number is reported, never guessed onto a new municipality


def test_wide_layout_in_utf8(world):
    report = importers.import_ssb_population(WIDE.encode("utf-8"))
    assert (report.created, report.updated) == (2, 2)
    assert figures("5503")[datetime.date(2025, 1, 1)] == 25001
    assert PopulationFigure.objects.get(municipality__number="5503", date=datetime.date(2025, 1, 1)).source == "SSB 07459"


def test_rerun_updates_instead_of_duplicating(world):
    importers.import_ssb_population(WIDE.encode())
    importers.import_ssb_population(WIDE.replace("25001", "25002").encode())
    assert figures("5503")[datetime.date(2025, 1, 1)] == 25002


@pytest.mark.parametrize("content", [b"", b"kommune;folketall\nTroms\xc3\xb8;1\n", b"region;Personer 2025\nHele landet;1\n"])
def test_unreadable_files_save_nothing(world, content):
    before = PopulationFigure.objects.count()
    with pytest.raises(importers.ImportFailed):
        importers.import_ssb_population(content)
    assert PopulationFigure.objects.count() == before


def test_municipality_list_from_klass(world):
    csv = '"code";"parentCode";"level";"name";"shortName";"validFrom"\n"5501";"";"1";"Tromsø";"";"2024-01-01"\n"5599";"";"1";"Nykommune";"";"2024-01-01"\n"9999";"";"1";"Uten fylke";"";""\n'
    report = importers.import_municipality_list(csv.encode("utf-8"))
    assert (report.created, report.updated, report.skipped) == (1, 1, ["9999"])
    assert Municipality.objects.get(number="5599").county.name == "Troms"


def test_municipality_list_needs_code_and_name(world):
    with pytest.raises(importers.ImportFailed, match="code"):
        importers.import_municipality_list(b"nummer;navn\n5501;Troms\xc3\xb8\n")


def test_management_command(world, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "07459.csv"
    path.write_bytes(WIDE.encode())
    call_command("import_population", str(path))
    assert figures("5501")[datetime.date(2025, 1, 1)] == 79600
