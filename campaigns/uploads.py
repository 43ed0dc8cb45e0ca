"""Checking a campaign asset by its content: an image (PNG, JPEG, GIF, WebP: decoded headers checked, within the
pixel budget), a PDF, or a short video (MP4, QuickTime, WebM), each within its size limit. The declared type and
the file name are never trusted; the name is only made safe and given the extension the content deserves."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings

from common.errors import ApiError
from common.images import ImageRefused, image_inspect

IMAGE, PDF, VIDEO = "image", "pdf", "video"
_HEAD_BYTES = 64
# The largest file of each kind, in bytes; `CAMPAIGN_ASSET_MAX_BYTES` in the settings may override any of them.
DEFAULT_MAX_BYTES = {IMAGE: 15 * 1024 * 1024, PDF: 25 * 1024 * 1024, VIDEO: 100 * 1024 * 1024}
# Content type -> (media, Pillow's format for images, the extensions a download may carry, first: canonical).
TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "image/png": (IMAGE, "PNG", ("png",)),
    "image/jpeg": (IMAGE, "JPEG", ("jpg", "jpeg")),
    "image/gif": (IMAGE, "GIF", ("gif",)),
    "image/webp": (IMAGE, "WEBP", ("webp",)),
    "application/pdf": (PDF, "", ("pdf",)),
    "video/mp4": (VIDEO, "", ("mp4", "m4v")),
    "video/quicktime": (VIDEO, "", ("mov",)),
    "video/webm": (VIDEO, "", ("webm",)),
}
# ISO base media brands of MP4 files (the `ftyp` box's major brand); `qt  ` is QuickTime.
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"MSNV"}
ACCEPTED = "PNG, JPEG, GIF or WebP images, PDF documents, or MP4, QuickTime or WebM videos"


@dataclass(frozen=True)
class CheckedAsset:
    content_type: str
    media: str
    file_name: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None


def max_bytes(media: str) -> int:
    overrides = getattr(settings, "CAMPAIGN_ASSET_MAX_BYTES", None) or {}
    return int(overrides.get(media, DEFAULT_MAX_BYTES[media]))


ARTICLED = {IMAGE: "An image", PDF: "A PDF", VIDEO: "A video"}


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def _refuse(detail: str, code: str) -> ApiError:
    return ApiError(detail, code=code, fields={"file": [{"code": code, "detail": detail}]})


def sniff(head: bytes) -> str | None:
    """The content type the first bytes say the file is, among the accepted ones."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return "video/webm"
    return None


def safe_file_name(name: str, content_type: str) -> str:
    """No directories, no control or shell-special characters, at most 120 characters, and an extension that
    says what the file really is ("flyer.html" holding a PDF downloads as "flyer.html.pdf")."""
    name = unicodedata.normalize("NFKC", name or "")
    name = PurePosixPath(name.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ()+,]", "_", name, flags=re.UNICODE)
    name = re.sub(r"\s+", " ", name).strip(" .") or "file"
    allowed = TYPES[content_type][2]
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in allowed:
        stem, extension = stem, extension.lower()
    else:
        stem, extension = name, allowed[0]
    stem = stem[: 120 - len(extension) - 1].rstrip(" .") or "file"
    return f"{stem}.{extension}"


def check_asset_upload(upload: Any) -> CheckedAsset:
    """Refuse anything empty, not an accepted type by content, damaged (images), or over its kind's limit."""
    size = int(upload.size or 0)
    if size == 0:
        raise _refuse("The file is empty.", "empty_file")
    upload.seek(0)
    content_type = sniff(upload.read(_HEAD_BYTES))
    upload.seek(0)
    if content_type is None:
        raise _refuse(f"This type of file is not accepted. Upload {ACCEPTED}.", "unsupported_file_type")
    media, image_format, _ = TYPES[content_type]
    if size > max_bytes(media):
        raise _refuse(f"{ARTICLED[media]} may be at most {_size_text(max_bytes(media))}.", "file_too_large")
    width = height = None
    if media == IMAGE:
        pixels = int(settings.ATTACHMENT_MAX_PIXELS)
        try:
            facts = image_inspect(upload, max_pixels=pixels)
        except ImageRefused as refused:
            if refused.code == "image_too_large":
                raise _refuse(f"Images may have at most {pixels // 1_000_000} megapixels.", refused.code) from None
            raise _refuse("The image is damaged or not what it claims to be.", "invalid_image") from None
        if facts.format != image_format:
            raise _refuse("The image is damaged or not what it claims to be.", "invalid_image")
        width, height = facts.width, facts.height
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedAsset(
        content_type=content_type, media=media, file_name=safe_file_name(upload.name or "", content_type),
        size=size, sha256=digest.hexdigest(), width=width, height=height,
    )  # fmt: skip
