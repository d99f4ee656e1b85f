"""Excel workbooks and CSV files laid out for a Norwegian public body.

Every exporter describes its table once (a title, columns that declare what kind of value
they hold, rows, where the figures come from) and this module writes it. So every
workbook gets the same layout by construction: title, a "Kilde: ... Hentet <date>." line,
a bold header row that stays frozen when scrolling, real numbers and dates with Norwegian
number formats, column widths from the content, a bold sum row, and sheet names Excel
accepts. Cell values go through rsportal.core.spreadsheets, so user text never becomes
a formula.

CSV comes in two variants from the same columns and rows:
- for people (the download offered on the pages): what Norwegian Excel opens correctly
  by double-click: UTF-8 with byte order mark (without it Excel reads the file as
  Windows-1252 and "Tromsø" turns into "TromsÃ¸"), semicolon as separator (the list
  separator of Norwegian Windows; a comma is the decimal mark there), decimal comma,
  dates as dd.mm.yyyy;
- for machines: UTF-8 without BOM, comma, decimal point, ISO dates.
"""

import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from .spreadsheets import append_row, csv_writer

TEXT = "text"
AMOUNT = "amount"  # whole kroner
COUNT = "count"
SHARE = "share"  # a fraction: 0.25 is 25 %
DECIMAL = "decimal"  # a score or a mean
DATE = "date"
YEAR = "year"

# Format codes are stored in the file in Excel's neutral (en-US) notation: "," stands for
# "the thousands separator" and "." for "the decimal mark", and Excel and LibreOffice draw
# them with the reader's locale. So "#,##0" is what a Norwegian reader sees as "1 250 000"
# (and an English one as "1,250,000"). Writing the Norwegian "# ##0" into the file would
# not group at all: a space in a format code is a literal, so 1250000 would show as "1250 000".
AMOUNT_FORMAT = "#,##0"
YEAR_FORMAT = "0"  # 2026, not "2 026"
DATE_FORMAT = "dd.mm.yyyy"  # date codes are not localised; this is the Norwegian short date


def _share_format(decimals: int) -> str:
    # "%" in a format code multiplies by 100; the space before it is Norwegian typography.
    return ("0." + "0" * decimals if decimals else "0") + " %"


def _decimal_format(decimals: int) -> str:
    return "0." + "0" * decimals if decimals else "0"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    sum: bool = False  # add up in the sum row
    blank_zero: bool = False  # an empty cell where the value is 0: nothing is due there
    decimals: int = 1  # for SHARE and DECIMAL

    @property
    def number_format(self) -> str | None:
        return {
            AMOUNT: AMOUNT_FORMAT,
            COUNT: AMOUNT_FORMAT,
            YEAR: YEAR_FORMAT,
            DATE: DATE_FORMAT,
            SHARE: _share_format(self.decimals),
            DECIMAL: _decimal_format(self.decimals),
        }.get(self.kind)


# --- values ---


def _date(value):
    """Dates as dates; moments as the local calendar day (Excel has no time zones)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def cell_value(value, column: Column):
    """The value as it goes into a workbook cell."""
    if value is None or value == "":
        return None
    if column.kind == TEXT:
        return str(value)
    if column.kind == DATE:
        return _date(value)
    if column.blank_zero and value == 0:
        return None
    if isinstance(value, Decimal):
        return int(value) if column.kind in (AMOUNT, COUNT, YEAR) else float(value)
    return value


def csv_value(value, column: Column, *, people: bool):
    """The value as a CSV field. Shares are written in per cent (25,0), as the pages show
    them; a CSV field has no number format to do the multiplying."""
    if value is None or value == "":
        return ""
    if column.kind == TEXT:
        return str(value)
    if column.kind == DATE:
        day = _date(value)
        return day.strftime("%d.%m.%Y") if people else day.isoformat()
    if column.kind in (AMOUNT, COUNT, YEAR):
        return str(int(value))
    number = Decimal(str(value)) * (100 if column.kind == SHARE else 1)
    text = f"{number:.{column.decimals}f}"
    return text.replace(".", ",") if people else text


# --- workbooks ---


def new_book():
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # every sheet is added by add_sheet, with a proper name
    return book


_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str, taken=()) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, not blank and
    not already in the book (compared as Excel does, ignoring case). Æ, ø and å are fine."""
    name = _NOT_IN_SHEET_NAMES.sub("-", text).strip().strip("'")[:31].strip() or _("Ark")
    taken_lower = {t.lower() for t in taken}
    candidate, number = name, 2
    while candidate.lower() in taken_lower:
        suffix = f" ({number})"
        candidate, number = name[: 31 - len(suffix)] + suffix, number + 1
    return candidate


def add_sheet(book, name: str):
    return book.create_sheet(sheet_name(name, book.sheetnames))


def to_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def source_line(source: str, day: datetime.date | None = None) -> str:
    day = day or timezone.localdate()
    return _("Kilde: RS-portalen, %(source)s. Hentet %(date)s.") % {"source": source, "date": dateformat.format(day, "j. F Y")}


def _display_width(value, column: Column) -> int:
    if value is None:
        return 0
    if column.kind in (AMOUNT, COUNT):
        return len(f"{int(value):,}")
    if column.kind == SHARE:
        return 4 + column.decimals + 2
    if column.kind == DATE:
        return 10
    if column.kind == DECIMAL:
        return len(f"{value:.{column.decimals}f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


TEXT_WIDTH_MAX = 60
NUMBER_WIDTH_MAX = 18


def write_table(sheet, title: str, columns: list[Column], rows, *, source: str, notes=(), totals: dict[int, object] | None = None, day=None) -> None:
    """Write one table onto an empty sheet.

    Title, the source line and any notes come first, then the header row (frozen, so it
    stays in view, and repeated on every printed page), the rows, and a bold sum row if a
    column is marked sum=True or `totals` gives a value (by column index) that is not a
    plain sum, such as the share of the totals. Sums are numbers, not formulas: a workbook
    from the portal holds no formulas at all.
    """
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    rows = [list(row) for row in rows]
    append_row(sheet, [title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    append_row(sheet, [source_line(source, day)])
    sheet.cell(row=2, column=1).font = Font(italic=True)
    for note in notes:
        append_row(sheet, [note])
    append_row(sheet, [])
    append_row(sheet, [c.label for c in columns])
    header_row = sheet.max_row  # (the empty row above has no cells, so count from here)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        cell.border = Border(bottom=Side(style="thin"))

    widths = [max((len(word) for word in c.label.split()), default=0) for c in columns]
    for row in rows:
        values = [cell_value(value, column) for value, column in zip(row, columns)]
        append_row(sheet, values)
        for cell, value, column in zip(sheet[sheet.max_row], values, columns):
            if column.number_format:
                cell.number_format = column.number_format
            widths[cell.column - 1] = max(widths[cell.column - 1], _display_width(value, column))
    last_data_row = sheet.max_row

    sums = dict(totals or {})
    for index, column in enumerate(columns):
        if column.sum and index not in sums:
            sums[index] = sum(row[index] or 0 for row in rows)
    if sums:
        values = [_("Sum")] + [cell_value(sums.get(index), column) for index, column in enumerate(columns)][1:]
        append_row(sheet, values)
        for cell, column in zip(sheet[sheet.max_row], columns):
            cell.font = Font(bold=True)
            cell.border = Border(top=Side(style="thin"))
            if column.number_format:
                cell.number_format = column.number_format
            widths[cell.column - 1] = max(widths[cell.column - 1], _display_width(cell.value, column))

    for index, column in enumerate(columns):
        limit = TEXT_WIDTH_MAX if column.kind == TEXT else NUMBER_WIDTH_MAX
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(widths[index], 6) + 2, limit)
        if column.kind == TEXT and widths[index] > TEXT_WIDTH_MAX:
            # Long text (report texts) wraps inside its column instead of running off the page.
            for (cell,) in sheet.iter_rows(min_row=header_row + 1, max_row=last_data_row, min_col=index + 1, max_col=index + 1):
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    last_column = get_column_letter(len(columns))
    if rows:
        sheet.auto_filter.ref = f"A{header_row}:{last_column}{last_data_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def table_workbook(title: str, columns: list[Column], rows, *, source: str, sheet: str, **options) -> bytes:
    """A workbook of one sheet holding one table."""
    book = new_book()
    write_table(add_sheet(book, sheet), title, columns, rows, source=source, **options)
    return to_bytes(book)


# --- CSV ---


def csv_for_people(columns: list[Column], rows) -> bytes:
    """CSV that Norwegian Excel opens correctly by double-click (see the module docstring)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    for row in rows:
        writer.writerow([csv_value(value, column, people=True) for value, column in zip(row, columns)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_for_machines(columns: list[Column], rows) -> bytes:
    """Plain CSV for programs: comma separated, decimal point, ISO dates, UTF-8 without BOM."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow([c.label for c in columns])
    for row in rows:
        writer.writerow([csv_value(value, column, people=False) for value, column in zip(row, columns)])
    return buffer.getvalue().encode("utf-8")


# --- reading ---


class UnreadableWorkbook(Exception):
    pass


def read_rows(data: bytes, *, max_rows: int) -> list[list]:
    """The cell values of the first sheet of an .xlsx workbook, row by row, at most `max_rows`
    rows. A formula cell gives the value Excel last saved for it, never the formula. Run the
    upload checks (rsportal.core.uploads.check) on the file first: they refuse zip bombs."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise UnreadableWorkbook from None
    try:
        if not book.worksheets:
            return []
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True, max_row=max_rows)]
    except Exception:
        raise UnreadableWorkbook from None
    finally:
        book.close()
