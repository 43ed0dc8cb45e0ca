"""Search that ignores accents: "zoe" finds "Zoë", "Muller" finds "Müller", and the trigram indexes still serve it.

PostgreSQL's `unaccent()` cannot be indexed (it is only STABLE: its dictionary could change), so migration
common 0004 wraps it in `public.keystone_unaccent(text)`, IMMUTABLE with the dictionary named. Indexes are built
on `UPPER(public.keystone_unaccent(column))` with `gin_trgm_ops` (`accent_free_trigram_index`), and the lookup
`accentfree_icontains` writes exactly that expression, so the planner matches the one with the other.

In a view's `search_fields`, a leading `~` asks for the accent-free match (names, titles, subjects); other fields
(emails, phones, numbers) keep the plain case-insensitive match and their own indexes.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import CharField, Func, Lookup, TextField
from django.db.models.functions import Upper
from rest_framework import filters

UNACCENT_FUNCTION = "public.keystone_unaccent"


class AccentFree(Func):
    """`public.keystone_unaccent(<expression>::text)`: the text without its accents, and indexable."""

    function = UNACCENT_FUNCTION
    template = "%(function)s(%(expressions)s::text)"
    output_field = TextField()


def accent_free_trigram_index(column: str, name: str) -> GinIndex:
    """The index `accentfree_icontains` on `column` uses."""
    return GinIndex(OpClass(Upper(AccentFree(column)), name="gin_trgm_ops"), name=name)


class AccentFreeIContains(Lookup):
    """`UPPER(keystone_unaccent(col)) LIKE UPPER(keystone_unaccent('%term%'))`, LIKE wildcards escaped."""

    lookup_name = "accentfree_icontains"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[str]]:
        return "%s", (f"%{connection.ops.prep_for_like_query(str(value))}%",)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = f"UPPER({UNACCENT_FUNCTION}({lhs}::text)) LIKE UPPER({UNACCENT_FUNCTION}({rhs}))"
        return sql, (*lhs_params, *rhs_params)


CharField.register_lookup(AccentFreeIContains)
TextField.register_lookup(AccentFreeIContains)


class SearchFilter(filters.SearchFilter):
    """DRF's search with one more prefix: `~field` matches without regard to accents (or case)."""

    lookup_prefixes = {**filters.SearchFilter.lookup_prefixes, "~": "accentfree_icontains"}
