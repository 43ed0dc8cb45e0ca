"""Merge fields: a tiny template grammar that can only print whitelisted values.

    Hello {{ contact.first_name | default: "there" }}, see {{ property.title | upper }}.

A template is text with `{{ field | filter: "argument" | filter }}` tags. Fields are names from a fixed list
(contact, org and property fields, and the unsubscribe link); there are no loops, no conditions, no calls and
no attribute access, so a template cannot reach settings, secrets, other contacts or anything else: the
renderer is handed one flat dict of already-whitelisted strings. Tags `{% ... %}` are refused outright.
Compiled once per send; rendering is a join.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "title",
    "company",
    "city",
    "region",
    "country",
)
ORG_FIELDS = ("name", "postal_address")
PROPERTY_FIELDS = ("title", "reference", "property_type", "city", "region", "price", "bedrooms", "url")
LINK_FIELDS = ("unsubscribe_url",)

FIELDS = frozenset(
    [f"contact.{name}" for name in CONTACT_FIELDS]
    + [f"org.{name}" for name in ORG_FIELDS]
    + [f"property.{name}" for name in PROPERTY_FIELDS]
    + list(LINK_FIELDS)
)
# Fields every recipient of a send shares: the only ones a link's address may hold.
SHARED_PREFIXES = ("org.", "property.")

FILTERS: dict[str, Callable[[str, str | None], str]] = {
    "default": lambda value, fallback: value if value.strip() else (fallback or ""),
    "upper": lambda value, _: value.upper(),
    "lower": lambda value, _: value.lower(),
    "capitalize": lambda value, _: value[:1].upper() + value[1:],
    "title": lambda value, _: value.title(),
    "trim": lambda value, _: value.strip(),
}
TAKES_ARGUMENT = frozenset({"default"})

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)|(?P<pipe>\|)|(?P<colon>:)"""
    r"""|(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<bad>\S))"""
)
# Private pieces the sender splices in (tracked links, the open pixel); a person's template cannot name them.
PRIVATE_PREFIX = "_"


class MergeError(ValueError):
    """A template that does not follow the grammar, with a sentence a person can act on."""


@dataclass(frozen=True)
class Field:
    name: str
    filters: tuple[tuple[str, str | None], ...] = ()

    def value(self, values: Mapping[str, str]) -> str:
        value = values.get(self.name, "")
        for name, argument in self.filters:
            value = FILTERS[name](value, argument)
        return value


Piece = str | Field


@dataclass(frozen=True)
class Template:
    pieces: tuple[Piece, ...]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(piece.name for piece in self.pieces if isinstance(piece, Field))

    def render(self, values: Mapping[str, str], *, escape: bool = False) -> str:
        if escape:
            return "".join(
                piece if isinstance(piece, str) else html.escape(piece.value(values), quote=True)
                for piece in self.pieces
            )
        return "".join(piece if isinstance(piece, str) else piece.value(values) for piece in self.pieces)


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _field(expression: str, *, private: bool) -> Field:
    tokens = [(m.lastgroup, m.group(m.lastgroup or "")) for m in _TOKEN.finditer(expression) if m.lastgroup]
    if not tokens or tokens[0][0] != "name":
        raise MergeError(f"`{{{{{expression}}}}}` must start with a field name, like `contact.first_name`.")
    name = tokens[0][1]
    if not (name in FIELDS or (private and name.startswith(PRIVATE_PREFIX))):
        known = ", ".join(sorted(FIELDS))
        raise MergeError(f"`{name}` is not a merge field. The merge fields are: {known}.")
    filters: list[tuple[str, str | None]] = []
    rest = tokens[1:]
    while rest:
        kind, text = rest[0]
        if kind != "pipe" or len(rest) < 2 or rest[1][0] != "name":
            raise MergeError(f"`{{{{{expression}}}}}`: expected `| filter` after the field, found `{text}`.")
        filter_name = rest[1][1]
        if filter_name not in FILTERS:
            raise MergeError(f"`{filter_name}` is not a filter. The filters are: {', '.join(sorted(FILTERS))}.")
        rest = rest[2:]
        argument = None
        if rest and rest[0][0] == "colon":
            if len(rest) < 2 or rest[1][0] != "string":
                raise MergeError(f'`{filter_name}:` takes a quoted text, like `{filter_name}: "there"`.')
            argument, rest = _unquote(rest[1][1]), rest[2:]
        if filter_name in TAKES_ARGUMENT and argument is None:
            raise MergeError(f'`{filter_name}` needs a quoted text, like `{filter_name}: "there"`.')
        filters.append((filter_name, argument))
    return Field(name, tuple(filters))


def compile_template(source: str, *, private: bool = False) -> Template:
    """The template, or a MergeError naming the first mistake."""
    if "{%" in source:
        raise MergeError("`{% ... %}` tags are not supported: use `{{ field }}` merge fields only.")
    pieces: list[Piece] = []
    position = 0
    for match in _TAG.finditer(source):
        if match.start() > position:
            pieces.append(source[position : match.start()])
        pieces.append(_field(match.group(1), private=private))
        position = match.end()
    if position < len(source):
        pieces.append(source[position:])
    if any(isinstance(piece, str) and ("{{" in piece or "}}" in piece) for piece in pieces):
        raise MergeError("A `{{` has no matching `}}` (or the other way round).")
    return Template(tuple(pieces))
