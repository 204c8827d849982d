"""Excel workbooks of the platform (openpyxl): one place for the sheet layout, for keeping cell text
from being run as a formula, and for opening an uploaded workbook only when its content is one."""

from __future__ import annotations

import datetime
import io
import unicodedata
import zipfile
from collections.abc import Iterable

from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """Text as text: a leading = + - @ would make a spreadsheet run it as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def workbook_sheet(wb: Workbook, title: str, header: list[str], rows: list[list], *, first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([cell_text(v) if isinstance(v, str) else v for v in row])
    for index, column in enumerate(header, 1):
        width = max([len(str(column))] + [len(str(r[index - 1] or "")) for r in rows[:200]]) + 4
        ws.column_dimensions[get_column_letter(index)].width = min(60, width * 1.6)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    ws.freeze_panes = "A2"
    return ws


# Parts every Office Open XML workbook has, whatever program wrote it.
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
# An upload's parts unpacked together may be this many times its size at most: a real workbook
# compresses about 5–20×; a "zip bomb" that would fill the worker's memory compresses far more.
MAX_UNPACK_RATIO = 100


class SpreadsheetError(Exception):
    """An upload that is not a workbook we open: `code` is "not_xlsx" or "too_large"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def xlsx_open(data: bytes, *, max_unpacked: int):
    """An openpyxl read-only workbook from uploaded bytes, judged by content, never by file name.

    A file is an .xlsx when it is a ZIP archive holding a workbook part (an .xls, a CSV, a renamed
    picture or a macro-enabled .xlsm all fail); its parts together may unpack to `max_unpacked` bytes.
    """
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise SpreadsheetError("not_xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise SpreadsheetError("not_xlsx") from None
    if not all(part in names for part in XLSX_PARTS) or b"spreadsheetml.sheet.main+xml" not in content_types:
        raise SpreadsheetError("not_xlsx")
    if unpacked > max_unpacked or unpacked > max(len(data), 1) * MAX_UNPACK_RATIO:
        raise SpreadsheetError("too_large")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise SpreadsheetError("not_xlsx") from None


def write_only_sheet(wb: Workbook, title: str, header: list[str], rows: Iterable[list]) -> int:
    """A sheet of a `Workbook(write_only=True)`: rows streamed to disk, not held in memory (exports of a
    whole city). Returns the number of rows written."""
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet(title)
    for index, column in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(index)].width = min(40, max(10, len(column) * 2.4 + 4))
    ws.freeze_panes = "A2"
    bold = []
    for column in header:
        cell = WriteOnlyCell(ws, value=column)
        cell.font = Font(bold=True)
        bold.append(cell)
    ws.append(bold)
    count = 0
    for row in rows:
        ws.append([cell_text(v) if isinstance(v, str) else v for v in row])
        count += 1
    return count


# --- Reading cells -------------------------------------------------------------------------------


def cell_str(value) -> str:
    """A cell as text: 3.0 → "3", full-width digits and letters folded (NFKC), a text guard ' dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    # Our own exports guard text that starts like a formula with a quote (cell_text): read it back.
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        text = text[1:]
    return text


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def cell_date(value, *, formats: tuple[str, ...] = DATE_FORMATS) -> datetime.date | None:
    """A date cell (a real date, or text in a usual Chinese form); ValueError when it is neither."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_str(value)
    for fmt in formats:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def choice_lookup(choices, *extra: tuple[str, str]) -> dict[str, str]:
    """A choice's value by any name it goes by in a sheet: the value, its English or Chinese label."""
    names: dict[str, str] = {}
    for value, label in choices:
        names[str(value).lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                text = str(label).strip().lower()
            names[text] = value
            # "孙子女/外孙子女": either part names it too.
            for part in text.split("/"):
                names.setdefault(part.strip(), value)
    for name, value in extra:
        names[name.lower()] = value
    return names


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, filename: str):
    """A download of a workbook; the (Chinese) file name encoded as RFC 6266 asks."""
    from urllib.parse import quote

    from django.http import HttpResponse

    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response
