"""Checking an uploaded file by its content: size, type (magic numbers, Office containers, Pillow for images)
and a file name that is safe to store and to offer for download."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings

from common.errors import ApiError
from common.images import ImageRefused, image_inspect

_HEAD_BYTES = 8192
_CONTENT_TYPES_MAX = 512 * 1024

PDF, PNG, JPEG, GIF, WEBP = "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"
TEXT, CSV, TSV = "text/plain", "text/csv", "text/tab-separated-values"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"

# The allowlist: content type -> the extensions a downloaded file of that type may carry (first: canonical).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg", "jpe"),
    GIF: ("gif",),
    WEBP: ("webp",),
    TEXT: ("txt", "md", "log", "text"),
    CSV: ("csv",),
    TSV: ("tsv",),
    DOCX: ("docx",),
    XLSX: ("xlsx",),
    PPTX: ("pptx",),
    ODT: ("odt",),
    ODS: ("ods",),
    ODP: ("odp",),
}
_KNOWN_EXTENSIONS = {ext for exts in EXTENSIONS.values() for ext in exts}
_IMAGE_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
# The main part of each Office Open XML document kind, as named in [Content_Types].xml. Macro-enabled
# variants (docm, xlsm, pptm) name a different main part, so they are refused.
_OOXML_MAIN_PARTS = {
    DOCX: b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    PPTX: b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
_ODF_TYPES = {ODT, ODS, ODP}
# Bytes that never appear in text files but do in binaries: NUL and most C0 controls (tab, newlines,
# form feed and escape are allowed).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")

ALLOWED_DESCRIPTION = "PDF, PNG, JPEG, GIF, WebP, plain text or CSV, Word, Excel, PowerPoint or OpenDocument"


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    file_name: str
    size: int
    sha256: str
    charset: str = ""


# Both limits come from the environment (ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_PIXELS in crm/settings/base.py);
# read per call so a test or a settings override takes effect at once.
def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def max_pixels() -> int:
    return int(settings.ATTACHMENT_MAX_PIXELS)


def _refuse(detail: str, code: str) -> ApiError:
    return ApiError(detail, code=code, fields={"file": [{"code": code, "detail": detail}]})


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _office_type(upload: Any) -> str | None:
    """A Word/Excel/PowerPoint or OpenDocument file, told apart by what the container says it holds. Only the
    directory and one small part are read, so a zip bomb costs nothing."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if any(
                name.lower().endswith("vbaproject.bin") or name.startswith(("Basic/", "Scripts/"))
                for name in names
            ):
                return None  # macros
            if names and names[0] == "mimetype":
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in _ODF_TYPES else None
            if "[Content_Types].xml" in names:
                info = archive.getinfo("[Content_Types].xml")
                if info.file_size > _CONTENT_TYPES_MAX:
                    return None
                declared_parts = archive.read("[Content_Types].xml")
                for content_type, main_part in _OOXML_MAIN_PARTS.items():
                    if main_part in declared_parts:
                        return content_type
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError, NotImplementedError):
        return None
    return None


def _check_image(upload: Any, content_type: str) -> None:
    try:
        facts = image_inspect(upload, max_pixels=max_pixels())
    except ImageRefused as refused:
        if refused.code == "image_too_large":
            raise _refuse(
                f"Images may have at most {max_pixels() // 1_000_000} megapixels.", refused.code
            ) from None
        raise _refuse("The image is damaged or not what it claims to be.", "invalid_image") from None
    if facts.format != _IMAGE_FORMATS[content_type]:
        raise _refuse("The image is damaged or not what it claims to be.", "invalid_image")


def _text_charset(upload: Any) -> str | None:
    """ "utf-8" for UTF-8 text, "" for text in some other 8-bit encoding (an Excel CSV in Windows-1252),
    None for anything binary."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    upload.seek(0)
    for chunk in upload.chunks():
        if _BINARY_BYTES.search(chunk):
            return None
        if is_utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return "utf-8" if is_utf8 else ""


def safe_file_name(name: str, content_type: str) -> str:
    """The name the file is stored and downloaded under: no directories, no control or shell-special
    characters, at most 120 characters, and an extension that matches what the file really is (so
    "invoice.html" holding text downloads as "invoice.html.txt")."""
    name = unicodedata.normalize("NFKC", name or "")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ()+,]", "_", name, flags=re.UNICODE)
    name = re.sub(r"\s+", " ", name).strip(" .") or "file"
    stem, dot, extension = name.rpartition(".")
    allowed = EXTENSIONS[content_type]
    if not dot or not stem:
        stem, extension = name, ""
    if extension.lower() in allowed:
        extension = extension.lower()
    elif extension.lower() in _KNOWN_EXTENSIONS:
        extension = allowed[0]  # a mislabelled allowed type (a JPEG named .png): the real extension
    else:
        stem, extension = name, allowed[0]
    stem = stem[: 120 - len(extension) - 1].rstrip(" .") or "file"
    return f"{stem}.{extension}"


def check_upload(upload: Any) -> CheckedUpload:
    """Refuse anything too big, empty, or not on the allowlist by content; the declared type and the file
    name's extension are not trusted."""
    size = upload.size
    if size > max_bytes():
        raise _refuse(f"Files may be at most {_megabytes(max_bytes())}.", "file_too_large")
    if size == 0:
        raise _refuse("The file is empty.", "empty_file")
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    sniffed = _sniff(head)
    charset = ""
    if sniffed == "zip":
        upload.seek(0)
        sniffed = _office_type(upload)
    elif sniffed in _IMAGE_FORMATS:
        upload.seek(0)
        _check_image(upload, sniffed)
    elif sniffed is None:
        found = _text_charset(upload)
        if found is not None:
            charset = found
            extension = (upload.name or "").rpartition(".")[2].lower()
            sniffed = CSV if extension == "csv" else TSV if extension == "tsv" else TEXT
    if sniffed is None:
        raise _refuse(f"This type of file is not accepted. Upload {ALLOWED_DESCRIPTION}.", "unsupported_file_type")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        content_type=sniffed,
        file_name=safe_file_name(upload.name or "", sniffed),
        size=size,
        sha256=digest.hexdigest(),
        charset=charset,
    )
