"""CSV cells that a spreadsheet will not run as formulas (CSV/formula injection).

Excel, LibreOffice and Google Sheets treat a cell that starts with = + - @ (and, in some
versions, a tab or carriage return) as a formula, so a track named `=HYPERLINK(...)` in an
export would run when the file is opened. Every text cell we export that starts with one of
those gets a leading apostrophe, which spreadsheets show as text and hide. Numbers we write as
numbers are left alone. Our own CSV importers remove the apostrophe again (`restore`), so an
exported blocklist imports back unchanged.
"""

from __future__ import annotations

import csv

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo `neutralise` on a cell read back from one of our exports."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(TRIGGERS):
        return value[1:]
    return value


class SafeWriter:
    """csv.writer whose rows are neutralised cell by cell."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> SafeWriter:
    return SafeWriter(out, **options)
