"""Comment bodies: Markdown made safe to store (no HTML, no script links) and the @mentions written in it."""

from __future__ import annotations

import html
import re
import uuid

import nh3

# `@[Ada Lovelace](0190f3c2-...)`: what a client's mention picker inserts; the id is a profile id.
MENTION = re.compile(r"@\[([^\[\]\n]{1,100})\]\(([0-9a-fA-F-]{36})\)")

# A `<` that does not open something tag-shaped is text ("a<b", "x < 5"); escaped first so the HTML parser
# keeps it instead of swallowing the rest of the line as an unfinished tag.
_LONE_LT = re.compile(r"<(?![A-Za-z/!?][^<>]*>)")
# What the HTML serializer escaped that is safe to give back: a `<` is only given back where it cannot open
# a tag, so the result never contains markup. One pass, so `&amp;lt;` becomes `&lt;`, not `<`.
_SAFE_ENTITY = re.compile(r"&(gt|amp|nbsp|quot);|&lt;(?![A-Za-z/!?])")
_ENTITY_TEXT = {"gt": ">", "amp": "&", "nbsp": "\u00a0", "quot": '"'}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Markdown links and reference definitions whose destination has a scheme; only these schemes survive.
_LINK_DESTINATION = re.compile(
    r"(\]\(\s*<?|^[ ]{0,3}\[[^\]\n]+\]:[ \t]*<?)((?:[^\s()<>]|\([^\s()<>]*\))+)", re.MULTILINE
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}


def _safe_destination(match: re.Match[str]) -> str:
    destination = match.group(2)
    # Browsers ignore entities, whitespace and control characters inside a scheme ("java&#x09;script:").
    decoded = re.sub(r"[\s\x00-\x1f]", "", html.unescape(destination))
    scheme = _SCHEME.match(decoded)
    if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
        destination = "#"
    return match.group(1) + destination


def sanitize_markdown(text: str) -> str:
    """Markdown with every HTML tag and comment removed (script and style with their content) and link
    destinations limited to http(s), mailto and tel. The text itself is kept; applying it twice changes
    nothing."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = nh3.clean(_LONE_LT.sub("&lt;", text), tags=set(), strip_comments=True)
    cleaned = _SAFE_ENTITY.sub(lambda m: _ENTITY_TEXT[m.group(1)] if m.group(1) else "<", cleaned)
    return _LINK_DESTINATION.sub(_safe_destination, cleaned)


def mentioned_ids(text: str) -> list[uuid.UUID]:
    """Profile ids of the @mention tokens, in order of first appearance; malformed ids are plain text."""
    found: dict[uuid.UUID, None] = {}
    for match in MENTION.finditer(text):
        try:
            found[uuid.UUID(match.group(2))] = None
        except ValueError:
            continue
    return list(found)


def plain_excerpt(text: str, length: int = 140) -> str:
    """For notification messages: mentions as "@Name", whitespace collapsed, cut at `length`."""
    plain = " ".join(MENTION.sub(lambda m: f"@{m.group(1)}", text).split())
    return plain if len(plain) <= length else plain[: length - 1].rstrip() + "…"
