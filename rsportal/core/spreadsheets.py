"""Writing user text into spreadsheets (Excel and CSV) without it turning into formulas.

Titles, comments and names are typed by applicants, members and secretariats. A cell whose
text starts with = + - or @ (or a tab or carriage return) is read as a formula by Excel and
LibreOffice, and a formula can fetch URLs, leak other cells or run commands (CSV/formula
injection, OWASP). Every workbook and CSV file the portal produces is written through the
helpers here, so the rule lives in one place:

- Excel (openpyxl): text is always stored as a text cell (never a formula, never an error
  code like "#N/A"), and risky text also gets the cell's quote prefix, Excel's own
  apostrophe: it shows the text literally and keeps it text if someone edits the cell.
- CSV has no cell types, so risky text gets a leading apostrophe, as OWASP recommends.

Numbers, dates and empty cells are left alone, so negative amounts stay numbers.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@")
# Tab and carriage return start a formula in some programs even before the sign.
CONTROL_STARTS = ("\t", "\r")
NEUTRALISER = "'"


def is_risky(text: str) -> bool:
    """Whether a spreadsheet program could read this text as a formula.
    Leading spaces are looked past: some programs trim them before parsing."""
    return text.startswith(CONTROL_STARTS) or text.lstrip().startswith(FORMULA_STARTS)


def safe_text(value):
    """The value as it may go into a CSV field: risky text prefixed with an apostrophe,
    anything that is not text unchanged."""
    if isinstance(value, str) and is_risky(value):
        return NEUTRALISER + value
    return value


def csv_row(values) -> list:
    return [safe_text(value) for value in values]


class _SafeWriter:
    """csv.writer whose rows pass through csv_row."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, values):
        return self._writer.writerow(csv_row(values))

    def writerows(self, rows):
        for values in rows:
            self.writerow(values)


def csv_writer(file, **kwargs) -> _SafeWriter:
    return _SafeWriter(csv.writer(file, **kwargs))


def cell(sheet, value):
    """An openpyxl cell for `sheet` holding `value`; text is always a text cell."""
    from openpyxl.cell.cell import Cell

    result = Cell(sheet, value=value)
    if isinstance(value, str):
        # openpyxl turns text starting with "=" into a formula and "#N/A" and the like into
        # error cells; user text is neither.
        result.data_type = "s"
        if is_risky(value):
            result.quotePrefix = True
    return result


def append_row(sheet, values) -> None:
    """sheet.append(values), with every value written by cell()."""
    sheet.append([cell(sheet, value) for value in values])
