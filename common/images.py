"""Reading an uploaded image safely: its real format and size from the content, and a decompression bomb refused
before anything is decoded (Pillow's bomb warning is an error here, not a warning)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError


class ImageRefused(Exception):
    """`code` is `invalid_image` (not an image, damaged) or `image_too_large` (over the pixel budget)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ImageFacts:
    format: str  # Pillow's name: PNG, JPEG, GIF, WEBP...
    width: int
    height: int


def image_inspect(upload: Any, *, max_pixels: int) -> ImageFacts:
    """The image's format and size, checked whole (`verify`), with at most `max_pixels` pixels. The upload is
    rewound afterwards."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload) as image:
                facts = ImageFacts(str(image.format), *image.size)
                if facts.width * facts.height > max_pixels:
                    raise ImageRefused("image_too_large")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("image_too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused("invalid_image") from None
    finally:
        upload.seek(0)
    return facts
