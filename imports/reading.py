"""Reading an uploaded CSV or XLSX file as rows of text, streaming (memory stays flat with file size): the
encoding is detected (UTF-8, UTF-8 with a BOM, else Latin-1), the CSV delimiter sniffed, XLSX read with
openpyxl's read-only mode. Anything unreadable is a `FileProblem` with a code, never an exception escaping."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

CHUNK = 1 << 20


class FileProblem(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class FileShape:
    file_format: str  # csv | xlsx
    encoding: str
    delimiter: str
    headers: list[str]
    total_rows: int


def detect_format(name: str, head: bytes) -> str:
    lowered = name.lower()
    if head.startswith(b"PK\x03\x04"):
        if lowered.endswith((".xlsx", ".xlsm")):
            return "xlsx"
        raise FileProblem("unsupported_file", "Upload a .csv or .xlsx file.")
    if lowered.endswith((".csv", ".txt", ".tsv")):
        if b"\x00" in head[:4096]:
            raise FileProblem("unsupported_file", "This file is not text. Upload a .csv or .xlsx file.")
        return "csv"
    raise FileProblem("unsupported_file", "Upload a .csv or .xlsx file.")


def detect_encoding(stream: IO[bytes]) -> str:
    """utf-8-sig with a BOM, utf-8 when the whole file decodes, else latin-1 (which decodes anything)."""
    stream.seek(0)
    encoding = "utf-8-sig" if stream.read(3) == codecs.BOM_UTF8 else "utf-8"
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "latin-1"
    stream.seek(0)
    return encoding


def _sniff_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else ","


def _csv_rows(stream: IO[bytes], encoding: str, delimiter: str) -> Iterator[list[str]]:
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from csv.reader(text, delimiter=delimiter)
    finally:
        text.detach()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    import openpyxl

    stream.seek(0)
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileProblem(
            "unreadable_file", f"This spreadsheet cannot be read ({type(error).__name__})."
        ) from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in row]
    finally:
        book.close()


def rows(stream: IO[bytes], shape: FileShape) -> Iterator[list[str]]:
    """Every row after the header, as text cells (a blank row comes out as an empty list)."""
    source = (
        _xlsx_rows(stream) if shape.file_format == "xlsx" else _csv_rows(stream, shape.encoding, shape.delimiter)
    )
    try:
        next(source)
    except StopIteration:
        return
    except csv.Error as error:
        raise FileProblem("unreadable_file", f"The CSV cannot be read: {error}.") from None
    try:
        for row in source:
            yield [cell.strip() for cell in row] if any(cell.strip() for cell in row) else []
    except csv.Error as error:
        raise FileProblem("unreadable_file", f"The CSV cannot be read: {error}.") from None


def inspect(stream: IO[bytes], name: str, *, max_rows: int) -> FileShape:
    """The file's format, encoding, headers and number of data rows (blank rows at the end not counted)."""
    stream.seek(0)
    head = stream.read(8192)
    if not head.strip():
        raise FileProblem("empty_file", "The file is empty.")
    file_format = detect_format(name, head)
    encoding, delimiter = "utf-8", ","
    if file_format == "csv":
        encoding = detect_encoding(stream)
        first_line = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0]
        delimiter = _sniff_delimiter(first_line)
        source: Iterator[list[str]] = _csv_rows(stream, encoding, delimiter)
    else:
        source = _xlsx_rows(stream)
    try:
        header = next(source, None)
        headers = [cell.strip() for cell in header or []]
        while headers and not headers[-1]:
            headers.pop()
        if not headers:
            raise FileProblem("empty_file", "The file has no header row.")
        if len(set(h.lower() for h in headers if h)) != len([h for h in headers if h]):
            raise FileProblem("duplicate_headers", "Two columns have the same header.")
        last_filled = 0
        for total, row in enumerate(source, start=1):
            if any(cell.strip() for cell in row):
                last_filled = total
            if total > max_rows:
                raise FileProblem("too_many_rows", f"The file has more than {max_rows} rows.")
    except csv.Error as error:
        raise FileProblem("unreadable_file", f"The CSV cannot be read: {error}.") from None
    if not last_filled:
        raise FileProblem("empty_file", "The file has a header but no rows.")
    return FileShape(file_format, encoding, delimiter, headers, last_filled)
