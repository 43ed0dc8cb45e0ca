"""Listing photos with Pillow: what a file really is (by content, within the byte and pixel budgets), and the
resized WebP variants the gallery shows. No database here: the worker and the benchmark call the same code."""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from PIL import ExifTags, Image, ImageOps

from common.images import ImageFacts, ImageRefused, image_inspect

# Pillow format -> (content type, file extension). Photos only: no GIF, no SVG, nothing that can carry script.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
ACCEPTED_DESCRIPTION = "JPEG, PNG or WebP"
WEBP_QUALITY = 80


@dataclass(frozen=True)
class VariantSpec:
    name: str
    # The longest side it is scaled down to (never up); None keeps the full size.
    longest_side: int | None


# Largest first: each variant is scaled from the one before it, not from the full photo again.
GALLERY_SPECS = (VariantSpec("large", 2048), VariantSpec("medium", 1024), VariantSpec("thumbnail", 320))
ENHANCED_SPECS = (
    VariantSpec("enhanced", None),
    VariantSpec("enhanced_large", 2048),
    VariantSpec("enhanced_medium", 1024),
    VariantSpec("enhanced_thumbnail", 320),
)


@dataclass(frozen=True)
class CheckedImage:
    facts: ImageFacts
    # As it is shown: the EXIF orientation applied (a portrait phone photo is stored landscape).
    width: int
    height: int
    content_type: str
    extension: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Rendered:
    name: str
    data: bytes
    width: int
    height: int


class ImageRejected(Exception):
    """A file that is not an acceptable listing photo; `code` and `detail` are what the client is told."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Undecodable(Exception):
    """The file passed the checks but Pillow cannot decode it all (a truncated or damaged photo)."""


def max_bytes() -> int:
    return int(settings.PROPERTY_IMAGE_MAX_BYTES)


def max_pixels() -> int:
    return int(settings.PROPERTY_IMAGE_MAX_PIXELS)


def image_check(source: IO[bytes], *, size: int) -> CheckedImage:
    """Refuse anything too big, empty, not a JPEG/PNG/WebP by content, over the pixel budget or a decompression
    bomb. `source` is rewound afterwards."""
    if size > max_bytes():
        raise ImageRejected("file_too_large", f"Images may be at most {max_bytes() / (1024 * 1024):g} MB.")
    if size == 0:
        raise ImageRejected("empty_file", "The file is empty.")
    try:
        facts = image_inspect(source, max_pixels=max_pixels())
    except ImageRefused as refused:
        if refused.code == "image_too_large":
            raise ImageRejected(
                "image_too_large", f"Images may have at most {max_pixels() / 1_000_000:g} megapixels."
            ) from None
        raise ImageRejected(
            "invalid_image", f"This is not a {ACCEPTED_DESCRIPTION} image, or it is damaged."
        ) from None
    if facts.format not in FORMATS:
        raise ImageRejected("unsupported_image_type", f"Upload a {ACCEPTED_DESCRIPTION} image.")
    digest = hashlib.sha256()
    source.seek(0)
    for chunk in iter(lambda: source.read(1024 * 1024), b""):
        digest.update(chunk)
    source.seek(0)
    content_type, extension = FORMATS[facts.format]
    width, height = _upright_size(source, facts)
    return CheckedImage(facts, width, height, content_type, extension, size, digest.hexdigest())


def _upright_size(source: IO[bytes], facts: ImageFacts) -> tuple[int, int]:
    """Width and height once the EXIF orientation is applied (read from the header; nothing is decoded)."""
    try:
        with Image.open(source) as image:
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a broken EXIF block is the variants' problem, not the upload's
        orientation = 1
    finally:
        source.seek(0)
    return (facts.height, facts.width) if orientation in (5, 6, 7, 8) else (facts.width, facts.height)


def _fitted(size: tuple[int, int], longest_side: int) -> tuple[int, int]:
    width, height = size
    scale = longest_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decoded(source: IO[bytes], largest: int | None) -> Image.Image:
    """The photo upright (EXIF orientation applied), in RGB or RGBA. A JPEG much larger than the largest
    variant is decoded at a half, quarter or eighth of its size straight away, which saves most of the memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(source)
        if largest is not None and max(image.size) > largest:
            image.draft(None, _fitted(image.size, largest))
        ImageOps.exif_transpose(image, in_place=True)
        image.load()
    if image.mode in ("RGB", "RGBA"):
        return image
    has_alpha = image.mode in ("LA", "PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _webp(image: Image.Image, icc_profile: Any) -> bytes:
    buffer = io.BytesIO()
    # No EXIF is written; the colour profile is kept so a wide-gamut photo keeps its colours.
    options: dict[str, Any] = {"quality": WEBP_QUALITY, "method": 4}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(buffer, format="WEBP", **options)
    return buffer.getvalue()


def variants_render(source: IO[bytes], specs: Sequence[VariantSpec] = GALLERY_SPECS) -> list[Rendered]:
    """Each spec's WebP, largest first. Raises Undecodable for a photo Pillow cannot read to the end."""
    largest = specs[0].longest_side
    try:
        image = _decoded(source, largest)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as failure:  # fmt: skip
        raise Undecodable(str(failure) or type(failure).__name__) from None
    icc_profile = image.info.get("icc_profile")
    rendered: list[Rendered] = []
    current = image
    for spec in specs:
        if spec.longest_side is not None and max(current.size) > spec.longest_side:
            # The size from the full photo, the pixels from the previous variant: no rounding carried along.
            size = _fitted(image.size, spec.longest_side)
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        rendered.append(Rendered(spec.name, _webp(current, icc_profile), *current.size))
    return rendered
