"""Request body parsers. A JSON body sent with a form content type (`curl -d '{...}'` without `-H 'Content-Type:
application/json'`) is a 415 that says how to send it, not a form with one strange field that is then ignored."""

from __future__ import annotations

import io
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import UnsupportedMediaType


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = stream.read() if stream is not None else b""
        if body.lstrip()[:1] in (b"{", b"["):
            raise UnsupportedMediaType(
                media_type or self.media_type,
                detail="This body is JSON: send it with the header Content-Type: application/json.",
            )
        return super().parse(io.BytesIO(body), media_type, parser_context)
