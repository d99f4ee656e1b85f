"""The sheet of grants decided elsewhere: its layout, reading it, and turning rows into grants.

Layout (the template from template_workbook() has it): the first sheet of an .xlsx workbook, or a
.csv file (UTF-8 with or without byte order mark, separated by ';' or ','), with a header row and
ONE ROW PER PROJECT AND YEAR:

    Prosjektnavn | Helsefellesskap | Eiere | Deltakere | År | Beløp | Vedtatt av | Vedtaksdato |
    Begrunnelse | Forprosjekt | Betinget | Beskrivelse | Vises i katalogen

- A project with money in three years has three rows with the same Prosjektnavn. Its other
  columns are filled in on its first row; on the next rows they may be left empty (or repeat the
  same values: different values are an error).
- Eiere / Deltakere: municipalities and health trusts, by name ("Tromsø", "Tromsø kommune") or
  number (kommunenummer "5501", foretakskode "UNN"), separated by ';'.
- Beløp in whole kroner: "1 250 000", "1250000" and "1 250 000 kr" are all read.
- Vedtaksdato: "15.01.2026" or "15. januar 2026" (or a date cell).
- Vedtatt av: the name of one of the region's bodies (then linked to it) or any other text.
- Forprosjekt: ja / nei / kombinert (empty = nei). Betinget: ja / nei, whether the year's money
  is conditional on progress (empty = nei). Vises i katalogen: ja / nei (empty = ja).
- Required: Prosjektnavn, Eiere, År, Beløp, Vedtatt av, Vedtaksdato, Begrunnelse.
  Helsefellesskap may be left empty for a helsefellesskap's own pot.
"""

import csv
import datetime
import io
import re
from collections import defaultdict

from django.utils.translation import gettext as _

from rsportal.core import uploads, workbooks
from rsportal.core.dates import parse_datetime
from rsportal.registry.models import Body, HealthTrust, Helsefellesskap, Municipality

from .models import Grant, Pot
from .registration import PlannedGrant, bodies_for, problems

MAX_ROWS = 2000
# A sheet of grants is small; the preview posts it back to be saved, so it must fit in a form field.
MAX_SHEET_BYTES = 1024 * 1024

# (header, key, required on a project's first row, shared by the project's rows)
COLUMNS = [
    ("Prosjektnavn", "title", True, True),
    ("Helsefellesskap", "helsefellesskap", False, True),
    ("Eiere", "owners", True, True),
    ("Deltakere", "partners", False, True),
    ("År", "year", True, False),
    ("Beløp", "amount", True, False),
    ("Vedtatt av", "decided_by", True, True),
    ("Vedtaksdato", "decided_on", True, True),
    ("Begrunnelse", "reason", True, True),
    ("Forprosjekt", "pre_project", False, True),
    ("Betinget", "conditional", False, False),
    ("Beskrivelse", "description", False, True),
    ("Vises i katalogen", "publish", False, True),
]
HEADERS = {header.casefold(): key for header, key, _required, _shared in COLUMNS}
LABELS = {key: header for header, key, _required, _shared in COLUMNS}
SHARED = [key for _header, key, _required, shared in COLUMNS if shared]
REQUIRED = [key for _header, key, required, _shared in COLUMNS if required]

YES = {"ja", "j", "x", "yes", "1", "true", "sann"}
NO = {"nei", "n", "no", "0", "false", "usann", ""}
PRE_PROJECT = {"ja": Grant.PreProject.YES, "nei": Grant.PreProject.NO, "": Grant.PreProject.NO, "kombinert": Grant.PreProject.COMBINED, "komb": Grant.PreProject.COMBINED}


class SheetError(Exception):
    def __init__(self, messages: list[str]):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


# --- reading -----------------------------------------------------------------


def _header_key(text) -> str | None:
    name = " ".join(str(text or "").split()).casefold()
    name = re.sub(r"\s*\(.*\)$", "", name).rstrip(":")  # "Beløp (kr)" is "Beløp"
    return HEADERS.get(name)


def _rows(header: list, body) -> list[tuple[int, dict]]:
    """(sheet row number, {key: cell}) for every row that is not empty, header checked."""
    keys = [_header_key(h) for h in header]
    unknown = [str(h).strip() for h, k in zip(header, keys) if k is None and str(h or "").strip()]
    errors = []
    if unknown:
        errors.append(_("Ukjente kolonner: %(names)s. Bruk malen.") % {"names": ", ".join(f"«{u}»" for u in unknown)})
    missing = [LABELS[k] for k in REQUIRED if k not in keys]
    if missing:
        errors.append(_("Disse kolonnene mangler: %(names)s. Bruk malen.") % {"names": ", ".join(f"«{m}»" for m in missing)})
    if errors:
        raise SheetError(errors)
    rows = []
    for number, cells in body:
        values = {k: cells[i] if i < len(cells) else None for i, k in enumerate(keys) if k}
        if all(_text(v) == "" for v in values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise SheetError([_("Regnearket har mer enn %(n)s rader. Del det opp.") % {"n": MAX_ROWS}])
        rows.append((number, values))
    return rows


def read(file) -> list[tuple[int, dict]]:
    """The rows of an uploaded .xlsx or .csv sheet, after the upload checks."""
    extension = "." + file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    try:
        if extension == ".csv":
            uploads.check_csv(file, max_bytes=MAX_SHEET_BYTES)
        elif extension == ".xlsx":
            uploads.check(file)
            if file.size > MAX_SHEET_BYTES:
                raise uploads.RejectedUpload(_("Regnearket er for stort (høyst %(mb)s MB).") % {"mb": MAX_SHEET_BYTES // 2**20})
        else:
            raise uploads.RejectedUpload(_("Last opp regnearket som Excel (.xlsx) eller CSV (.csv)."))
    except uploads.RejectedUpload as exc:
        raise SheetError([str(exc)]) from None
    file.seek(0)
    data = file.read()
    return _read_csv(data) if extension == ".csv" else _read_xlsx(data)


def _read_csv(data: bytes) -> list[tuple[int, dict]]:
    text = data.decode("utf-8-sig")  # check_csv has made sure it decodes
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        raise SheetError([_("Regnearket er tomt.")])
    return _rows(records[0], ((number, record) for number, record in enumerate(records[1:], start=2)))


def _read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    try:
        records = workbooks.read_rows(data, max_rows=MAX_ROWS + 2)
    except workbooks.UnreadableWorkbook:
        raise SheetError([_("Regnearket kan ikke leses. Lagre det på nytt som Excel-arbeidsbok (.xlsx).")]) from None
    if not records:
        raise SheetError([_("Regnearket er tomt.")])
    if len(records) > MAX_ROWS + 1:
        # Rows past the cap were not read; better refused than silently left out.
        raise SheetError([_("Regnearket har mer enn %(n)s rader. Del det opp.") % {"n": MAX_ROWS}])
    return _rows(records[0], ((number, record) for number, record in enumerate(records[1:], start=2)))


# --- one cell ----------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_amount(value) -> int | None:
    """Whole kroner: 1250000, "1 250 000", "1 250 000 kr", "kr 1.250.000", "1 250 000,00"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value or "")).lower()
    text = re.sub(r"^kr\.?|kr\.?$|,-$|,00$", "", text)
    text = re.sub(r"\.(?=\d{3}(\.|$))", "", text)
    return int(text) if re.fullmatch(r"\d+", text) else None


def parse_year(value) -> int | None:
    text = _text(value)
    return int(text) if re.fullmatch(r"\d{4}", text) and 2000 <= int(text) <= 2100 else None


def parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    parsed = parse_datetime(_text(value), require_time=False)
    return parsed.date() if parsed else None


class Registry:
    """Municipalities, health trusts, helsefellesskap and bodies, looked up by what people type."""

    def __init__(self, pot: Pot):
        self.pot = pot
        self.municipalities = {m.number: m for m in Municipality.objects.all()}
        self.by_name = defaultdict(list)
        for m in self.municipalities.values():
            self.by_name[m.name.casefold()].append(m)
        self.trusts = {}
        for t in HealthTrust.objects.all():
            self.trusts[t.code.casefold()] = t
            self.trusts[t.name.casefold()] = t
        self.communities = {}
        for hf in Helsefellesskap.objects.all():
            self.communities[hf.code.casefold()] = hf
            self.communities[hf.name.casefold()] = hf
        self.members = defaultdict(set)  # helsefellesskap pk -> municipality pks
        for hf_id, m_id in Helsefellesskap.municipalities.through.objects.values_list("helsefellesskap_id", "municipality_id"):
            self.members[hf_id].add(m_id)
        self.bodies = {b.name.casefold(): b for b in bodies_for(pot)}

    def organisation(self, token: str, helsefellesskap: Helsefellesskap | None):
        """The municipality or trust `token` names, or raise ValueError with the message."""
        key = token.casefold()
        if re.fullmatch(r"\d{1,4}", token):
            found = self.municipalities.get(token.zfill(4))
            if found is None:
                raise ValueError(_("Ukjent kommunenummer «%(token)s»") % {"token": token})
            return found
        if key in self.trusts:
            return self.trusts[key]
        candidates = self.by_name.get(key) or self.by_name.get(re.sub(r"\s+kommune$", "", key), [])
        if len(candidates) > 1 and helsefellesskap is not None:
            # Herøy, Våler, Os ...: the one in the project's helsefellesskap is meant.
            inside = [m for m in candidates if m.pk in self.members[helsefellesskap.pk]]
            candidates = inside or candidates
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            numbers = " / ".join(m.number for m in candidates)
            raise ValueError(_("Det finnes flere kommuner som heter «%(token)s»; skriv kommunenummeret (%(numbers)s)") % {"token": token, "numbers": numbers})
        raise ValueError(_("Ukjent kommune eller helseforetak «%(token)s»") % {"token": token})

    def helsefellesskap(self, text: str) -> Helsefellesskap:
        found = self.communities.get(text.casefold())
        if found is None:
            raise ValueError(_("Ukjent helsefellesskap «%(text)s»") % {"text": text})
        return found

    def body(self, text: str) -> Body | str:
        return self.bodies.get(text.casefold(), text)


# --- rows to grants ------------------------------------------------------------


def _flag(value, allowed: dict, what: str):
    text = _text(value).casefold()
    if text not in allowed:
        raise ValueError(_("Skriv ja eller nei i «%(column)s», ikke «%(value)s»") % {"column": what, "value": _text(value)})
    return allowed[text]


def plan(pot: Pot, rows: list[tuple[int, dict]]) -> tuple[list[PlannedGrant], list[str]]:
    """The projects of the rows, and every error as "Rad N: ..."."""
    registry = Registry(pot)
    errors: list[str] = []

    def error(number, message):
        errors.append(_("Rad %(row)s: %(message)s") % {"row": number, "message": message})

    # Group the rows by project name, in the order the projects first appear.
    projects: dict[str, list[tuple[int, dict]]] = {}
    for number, values in rows:
        title = _text(values.get("title"))
        if not title:
            error(number, _("Prosjektnavn mangler."))
            continue
        projects.setdefault(title.casefold(), []).append((number, values))

    existing = {t.casefold() for t in Grant.objects.filter(pot=pot).values_list("title", flat=True)}
    planned = []
    for project_rows in projects.values():
        first_number, first = project_rows[0]
        before = len(errors)
        # Shared columns: from the first row; later rows leave them empty or repeat them.
        for number, values in project_rows[1:]:
            for key in SHARED:
                if _text(values.get(key)) and _text(values.get(key)).casefold() != _text(first.get(key)).casefold():
                    error(number, _("«%(column)s» er ikke den samme som på rad %(first)s for samme prosjekt.") % {"column": LABELS[key], "first": first_number})
        for key in REQUIRED:
            if not _text(first.get(key)) and key not in ("year", "amount"):
                error(first_number, _("«%(column)s» mangler.") % {"column": LABELS[key]})
        title = _text(first.get("title"))
        if title.casefold() in existing:
            error(first_number, _("Potten har allerede et tilskudd som heter «%(title)s». Er regnearket importert før?") % {"title": title})

        helsefellesskap = pot.helsefellesskap
        if _text(first.get("helsefellesskap")):
            try:
                helsefellesskap = registry.helsefellesskap(_text(first.get("helsefellesskap")))
            except ValueError as exc:
                error(first_number, str(exc))

        def organisations(key):
            found = []
            for token in (t.strip() for t in _text(first.get(key)).split(";")):
                if not token:
                    continue
                try:
                    organisation = registry.organisation(token, helsefellesskap)
                except ValueError as exc:
                    error(first_number, str(exc))
                    continue
                if organisation not in found:
                    found.append(organisation)
            return found

        owners, partners = organisations("owners"), organisations("partners")
        decided_on = None
        if _text(first.get("decided_on")):
            decided_on = parse_date(first.get("decided_on"))
            if decided_on is None:
                error(first_number, _("Vedtaksdatoen «%(value)s» er ikke en dato. Skriv for eksempel 15.01.2026 eller 15. januar 2026.") % {"value": _text(first.get("decided_on"))})
        pre_project = Grant.PreProject.NO
        try:
            pre_project = _flag(first.get("pre_project"), PRE_PROJECT, LABELS["pre_project"])
        except ValueError:
            error(first_number, _("Skriv ja, nei eller kombinert i «Forprosjekt», ikke «%(value)s».") % {"value": _text(first.get("pre_project"))})
        publish = True
        try:
            publish = _flag(first.get("publish"), {**{y: True for y in YES}, **{n: False for n in NO}, "": True}, LABELS["publish"])
        except ValueError as exc:
            error(first_number, str(exc))

        amounts, conditional = {}, set()
        year_rows = {}
        for number, values in project_rows:
            year, amount = parse_year(values.get("year")), parse_amount(values.get("amount"))
            if year is None:
                error(number, _("«År» må være et årstall, ikke «%(value)s».") % {"value": _text(values.get("year"))} if _text(values.get("year")) else _("«År» mangler."))
            if amount is None or amount <= 0:
                error(number, _("«Beløp» må være et helt antall kroner større enn null, for eksempel 1 250 000, ikke «%(value)s».") % {"value": _text(values.get("amount"))} if _text(values.get("amount")) else _("«Beløp» mangler."))
            try:
                is_conditional = _flag(values.get("conditional"), {**{y: True for y in YES}, **{n: False for n in NO}}, LABELS["conditional"])
            except ValueError as exc:
                error(number, str(exc))
                is_conditional = False
            if year is None or amount is None or amount <= 0:
                continue
            if year in year_rows:
                error(number, _("%(year)s står allerede på rad %(other)s for samme prosjekt.") % {"year": year, "other": year_rows[year]})
                continue
            year_rows[year] = number
            amounts[year] = amount
            if is_conditional:
                conditional.add(year)

        decided_by = registry.body(_text(first.get("decided_by")))
        grant = PlannedGrant(
            row=first_number,
            rows=[n for n, _values in project_rows],
            title=title,
            helsefellesskap=helsefellesskap,
            owners=owners,
            partners=partners,
            amounts_by_year=amounts,
            conditional_years=conditional,
            decided_by=decided_by,
            decided_on=decided_on,
            reason=_text(first.get("reason")),
            pre_project=pre_project,
            description=str(first.get("description") or "").strip(),
            publish=publish,
        )
        if len(errors) == before:
            # The rules register_grant applies; only once the row itself reads well, so no message twice.
            for message in problems(pot, **{k: v for k, v in grant.kwargs().items() if k not in ("description", "pre_project", "publish")}):
                error(first_number, message)
        planned.append(grant)
    return planned, errors


# --- the template --------------------------------------------------------------

EXAMPLE = [
    ["Trygg utskrivning", "Troms og Ofoten", "Tromsø; UNN", "Harstad", 2026, "1 250 000", "SSU Troms og Ofoten", "15.01.2026", "Tildelt fra den lokale potten etter SSU-sak 3/26", "nei", "nei", "Felles utskrivningsteam", "ja"],
    ["Trygg utskrivning", "", "", "", 2027, "1 000 000", "", "", "", "", "ja", "", ""],
]


def template_workbook() -> bytes:
    """The sheet to fill in: the header row, two example rows of one project, and the rules."""
    from rsportal.core import spreadsheets

    book = workbooks.new_book()
    sheet = workbooks.add_sheet(book, _("Tilskudd"))
    spreadsheets.append_row(sheet, [header for header, _key, _req, _shared in COLUMNS])
    for row in EXAMPLE:
        spreadsheets.append_row(sheet, row)
    rules = workbooks.add_sheet(book, _("Slik fyller du ut"))
    for line in [
        _("Én rad per prosjekt og år. Et prosjekt med penger i tre år har tre rader med samme prosjektnavn."),
        _("Fyll ut prosjektets opplysninger på første rad; på de neste radene kan de stå tomme."),
        _("Må fylles ut: Prosjektnavn, Eiere, År, Beløp, Vedtatt av, Vedtaksdato, Begrunnelse."),
        _("Eiere og Deltakere: kommuner og helseforetak med navn eller nummer (kommunenummer, foretakskode), skilt med semikolon."),
        _("Beløp i hele kroner, for eksempel 1 250 000. Vedtaksdato som 15.01.2026 eller 15. januar 2026."),
        _("Forprosjekt: ja, nei eller kombinert. Betinget (av framdrift): ja eller nei. Vises i katalogen: ja eller nei (tomt = ja)."),
        _("Slett eksempelradene før du laster opp. Ingenting lagres før hele regnearket er uten feil."),
    ]:
        spreadsheets.append_row(rules, [line])
    return workbooks.to_bytes(book)
