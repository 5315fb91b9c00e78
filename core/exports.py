"""Every CSV and XLSX file the platform hands out is written here, and only here.

What people typed (a holder's name, an organisation's address, a question) goes into cells that
administrators open in Excel or WPS. A text cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is a formula there (`=HYPERLINK(...)` sends whoever clicks it anywhere), so such
text gets a leading apostrophe, as OWASP's CSV-injection advice says; numbers stay numbers (a
negative count is not text) and dates are date cells in XLSX. CSV is UTF-8 with a byte-order
mark, which Excel needs to read Chinese. The file name says what the file is and the date or
period it describes (名册_350500_2026-12-05.xlsx), in RFC 5987 form for the Chinese."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Response

CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLATFORM_ZONE = ZoneInfo("Asia/Shanghai")
XLSX_CELL_LIMIT = 32_767  # Excel's longest cell text
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
# XML 1.0 cannot carry these (openpyxl refuses them); older rows may hold them from before input checks.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


@dataclass(frozen=True)
class Table:
    """One sheet: a title (the XLSX sheet's name), column titles, and rows of plain values
    (str, int, float, Decimal, date, datetime, bool or None)."""

    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


def neutralise(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """The text `neutralise` was given: for a file the platform exported and someone re-imports."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _local(moment: datetime) -> datetime:
    """A naive wall-clock time on the platform's clock (a spreadsheet has no time zones)."""
    return moment.astimezone(PLATFORM_ZONE).replace(tzinfo=None) if moment.tzinfo else moment


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if _is_number(value):
        return str(value)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(c) for c in table.columns])
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel reads Chinese text right


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, bool) or _is_number(value):
        return WriteOnlyCell(sheet, value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, _local(value))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
        return cell
    text = neutralise(_XML_ILLEGAL.sub("", str(value)))[:XLSX_CELL_LIMIT]
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # text, whatever it looks like
    return cell


def sheet_title(title: str) -> str:
    """An XLSX sheet name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1"


def xlsx_bytes(table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streams rows: a 20,000-row roster without a cell object each
    sheet = book.create_sheet(sheet_title(table.title))
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, c) for c in table.columns])
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    book.properties.title = table.title
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def file_name(stem: str, *qualifiers: str | date | int | None, fmt: str) -> str:
    """`stem_qualifier_…​.fmt`, e.g. 名册_350500_2026-12-05.xlsx; empty qualifiers are left out."""
    parts = [stem] + [q.isoformat() if isinstance(q, date) else str(q) for q in qualifiers if q not in (None, "")]
    return "_".join(_UNSAFE_IN_NAME.sub("-", p).strip() for p in parts) + "." + fmt


def content_disposition(name: str, fallback: str) -> str:
    """An attachment named `name` (RFC 5987, for Chinese) with an ASCII `fallback` for old clients."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in fallback)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(table: Table, fmt: str, *, stem: str, ascii_stem: str,
             qualifiers: Sequence[str | date | int | None] = ()) -> Response[bytes]:
    """The table as a CSV or XLSX attachment, named for what it is and the date or period it shows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    body = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table)
    ascii_qualifiers = [q for q in qualifiers if not isinstance(q, str) or q.isascii()]
    headers = {"Content-Disposition": content_disposition(file_name(stem, *qualifiers, fmt=fmt),
                                                          file_name(ascii_stem, *ascii_qualifiers, fmt=fmt)),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache"}
    return Response(body, media_type=CSV_MEDIA if fmt == "csv" else XLSX_MEDIA, headers=headers)
