"""Guessing which field each column of a file fills, from its header: the field's name, its label and the
module's synonyms, compared without case, accents, spaces or punctuation. Custom fields are targets too
(`custom:<key>`). The client confirms or edits the guess before anything runs."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from common.registry import ImportSpec

CUSTOM = "custom:"


def normalized(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def targets(spec: ImportSpec, model: Any, custom_keys: list[str]) -> dict[str, list[str]]:
    """Every target a column can fill, with the spellings that name it."""
    found: dict[str, list[str]] = {}
    for name in spec.fields:
        field = model._meta.get_field(name)
        found[name] = [name, str(field.verbose_name), *spec.synonyms.get(name, ())]
    for key in custom_keys:
        found[CUSTOM + key] = [key]
    return found


def guess(headers: list[str], options: dict[str, list[str]]) -> dict[str, str | None]:
    """Header -> target (None: not imported). A target fills from one column at most: the first naming it."""
    spellings = {normalized(spelling): target for target, names in options.items() for spelling in names}
    taken: set[str] = set()
    mapping: dict[str, str | None] = {}
    for header in headers:
        target = spellings.get(normalized(header))
        if target is not None and target not in taken:
            taken.add(target)
            mapping[header] = target
        else:
            mapping[header] = None
    return mapping
