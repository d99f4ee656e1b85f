"""Importers for the registry: the bundled snapshot and the authoritative SSB formats.

All importers are idempotent (update_or_create on natural keys), so running one
twice or loading a newer SSB file on top of the snapshot is safe.
"""

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from . import models

SNAPSHOT_DIR = Path(__file__).resolve().parent / "data"


class ImportFailed(Exception):
    """The file could not be read as the expected format; nothing was saved."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)

    def count(self, created: bool) -> None:
        if created:
            self.created += 1
        else:
            self.updated += 1


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a snapshot CSV; lines starting with '#' are comments describing sources."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#") and line.strip()]
    return list(csv.DictReader(lines))


def _optional(path: Path) -> list[dict[str, str]]:
    """A file later snapshots added (national figures, districts, private hospitals): an older
    snapshot without it loads as before."""
    return read_csv(path) if path.exists() else []


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "ja", "yes", "x")


@transaction.atomic
def load_snapshot(data_dir: Path = SNAPSHOT_DIR) -> dict[str, int]:
    """Load the bundled registry snapshot. Returns row counts per file."""
    counts: dict[str, int] = {}

    rows = read_csv(data_dir / "rhf.csv")
    for row in rows:
        models.RegionalHealthAuthority.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})
    counts["rhf"] = len(rows)
    rhfs = {r.code: r for r in models.RegionalHealthAuthority.objects.all()}

    rows = read_csv(data_dir / "counties.csv")
    for row in rows:
        models.County.objects.update_or_create(number=row["number"], defaults={"name": row["name"]})
    counts["counties"] = len(rows)
    counties = {c.number: c for c in models.County.objects.all()}

    rows = read_csv(data_dir / "municipalities.csv")
    for row in rows:
        municipality, _ = models.Municipality.objects.update_or_create(
            number=row["number"],
            defaults={"name": row["name"], "county": counties[row["county_number"]], "sami_area": _flag(row["sami_area"])},
        )
        if row.get("population"):
            models.PopulationFigure.objects.update_or_create(
                municipality=municipality,
                date=_date(row["population_date"]),
                defaults={"population": int(row["population"]), "source": row.get("population_source", "") or "SSB 07459"},
            )
    counts["municipalities"] = len(rows)
    municipalities = {m.number: m for m in models.Municipality.objects.all()}

    rows = read_csv(data_dir / "health_trusts.csv")
    for row in rows:
        models.HealthTrust.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "rhf": rhfs[row["rhf_code"]]}
        )
    counts["health_trusts"] = len(rows)
    trusts = {t.code: t for t in models.HealthTrust.objects.all()}

    rows = _optional(data_dir / "private_hospitals.csv")
    for row in rows:
        models.HealthTrust.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "rhf": rhfs[row["rhf_code"]], "kind": models.HealthTrust.Kind.PRIVATE, "area_trust": trusts[row["area_trust_code"]]},
        )
    counts["private_hospitals"] = len(rows)

    rows = read_csv(data_dir / "hospitals.csv")
    for row in rows:
        models.Hospital.objects.update_or_create(
            trust=trusts[row["trust_code"]],
            name=row["name"],
            defaults={"acute": _flag(row["acute"]), "smallest": _flag(row["smallest"])},
        )
    counts["hospitals"] = len(rows)

    rows = read_csv(data_dir / "helsefellesskap.csv")
    for row in rows:
        models.Helsefellesskap.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "trust": trusts[row["trust_code"]], "rhf": rhfs[row["rhf_code"]]},
        )
    counts["helsefellesskap"] = len(rows)
    communities = {h.code: h for h in models.Helsefellesskap.objects.all()}

    rows = read_csv(data_dir / "helsefellesskap_members.csv")
    for row in rows:
        models.Membership.objects.update_or_create(
            helsefellesskap=communities[row["helsefellesskap_code"]],
            municipality=municipalities[row["municipality_number"]],
            valid_from=_date(row["valid_from"]),
            defaults={"valid_to": _date(row["valid_to"])},
        )
    counts["memberships"] = len(rows)

    rows = _optional(data_dir / "city_districts.csv")
    for row in rows:
        models.CityDistrict.objects.update_or_create(
            municipality=municipalities[row["municipality_number"]], name=row["name"], defaults={"number": row["number"]}
        )
    counts["city_districts"] = len(rows)

    rows = read_csv(data_dir / "bodies.csv")
    for row in rows:
        owner = (
            {"helsefellesskap": communities[row["helsefellesskap_code"]], "rhf": None}
            if row["helsefellesskap_code"]
            else {"helsefellesskap": None, "rhf": rhfs[row["rhf_code"]]}
        )
        models.Body.objects.update_or_create(kind=row["kind"], name=row["name"], **owner, defaults={})
    counts["bodies"] = len(rows)

    rows = _optional(data_dir / "national_grant.csv")
    for row in rows:
        models.NationalGrant.objects.update_or_create(
            year=int(row["year"]),
            defaults={"amount": int(row["amount"]) if row["amount"] else None, "source": row["source"], "note": row["note"]},
        )
    counts["national_grant"] = len(rows)
    return counts


# --- SSB formats -----------------------------------------------------------

_REGION = re.compile(r"^(?:K-)?(\d{4})\b\s*(.*)$")
_YEAR = re.compile(r"(\d{4})")


def _decode(raw: bytes) -> str:
    # SSB serves CSV as UTF-8 from the API and as ISO-8859-1/Windows-1252 from older downloads.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed("Filen er verken UTF-8 eller Windows-1252.")


def _rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ImportFailed("Filen er tom.")
    sample = "\n".join(lines[:5])
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    return [row for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter) if row]


def _int(value: str) -> int | None:
    cleaned = value.replace("\xa0", "").replace(" ", "").strip()
    return int(cleaned) if cleaned.isdigit() else None


@transaction.atomic
def import_ssb_population(raw: bytes, source: str = "SSB 07459") -> ImportReport:
    """Import population from an SSB table 07459 CSV download.

    Accepts both layouts SSB offers: long (region;statistic;year;value) and wide
    (region;"Personer 2024";"Personer 2025"...). The figure is dated 1 January of
    its year, as 07459 counts the population at the start of the year. Regions that
    are not a known municipality (counties, the whole country, old numbers) are
    reported as skipped rather than guessed.
    """
    rows = _rows(_decode(raw))
    header_index = next((i for i, row in enumerate(rows) if row and row[0].strip().lower() == "region"), None)
    if header_index is None:
        raise ImportFailed("Fant ingen kolonne «region». Last ned tabell 07459 som CSV med overskrifter.")
    header = [h.strip() for h in rows[header_index]]
    body = rows[header_index + 1 :]
    lower = [h.lower() for h in header]
    year_column = next((i for i, h in enumerate(lower) if h in ("år", "ar", "tid", "year")), None)

    values: list[tuple[str, int, int]] = []  # (municipality number, year, population)
    for row in body:
        match = _REGION.match(row[0].strip())
        if not match:
            continue
        number = match.group(1)
        if year_column is not None:
            year = _YEAR.search(row[year_column])
            population = _int(row[-1])
            if year and population is not None:
                values.append((number, int(year.group(1)), population))
        else:
            for column, title in enumerate(header[1:], start=1):
                year = _YEAR.search(title)
                population = _int(row[column]) if column < len(row) else None
                if year and population is not None:
                    values.append((number, int(year.group(1)), population))
    if not values:
        raise ImportFailed("Fant ingen folketall for kommuner i filen.")

    report = ImportReport()
    known = {m.number: m for m in models.Municipality.objects.all()}
    for number, year, population in values:
        municipality = known.get(number)
        if municipality is None:
            report.skipped.append(number)
            continue
        _, created = models.PopulationFigure.objects.update_or_create(
            municipality=municipality,
            date=datetime.date(year, 1, 1),
            defaults={"population": population, "source": source},
        )
        report.count(created)
    return report


@transaction.atomic
def import_municipality_list(raw: bytes) -> ImportReport:
    """Import municipalities from an SSB classification 131 CSV (Klass export).

    Columns used: code and name (others are ignored). The county is the first two
    digits of the number and must already exist. Existing municipalities keep their
    Sami-area flag and memberships; only the name is updated.
    """
    rows = _rows(_decode(raw))
    header = [h.strip().strip('"').lower() for h in rows[0]]
    try:
        code_column = header.index("code")
        name_column = header.index("name")
    except ValueError as exc:
        raise ImportFailed("Filen må ha kolonnene «code» og «name» (SSB Klass, klassifikasjon 131).") from exc
    counties = {c.number: c for c in models.County.objects.all()}
    report = ImportReport()
    for row in rows[1:]:
        number = row[code_column].strip()
        if not re.fullmatch(r"\d{4}", number):
            continue
        county = counties.get(number[:2])
        if county is None:
            report.skipped.append(number)
            continue
        _, created = models.Municipality.objects.update_or_create(
            number=number, defaults={"name": row[name_column].strip(), "county": county}
        )
        report.count(created)
    return report
