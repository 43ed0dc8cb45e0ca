"""Standard codes clients send: ISO 4217 currencies and ISO 3166-1 alpha-2 countries, from pycountry's tables
(kept current with the standards), so "XYZ" is refused while every real code, old or new, is accepted."""

from __future__ import annotations

import functools

import pycountry

CURRENCY_HELP = "A three-letter ISO 4217 code, such as EUR."
COUNTRY_HELP = "A two-letter ISO 3166-1 code, such as GB."


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def is_currency(code: str) -> bool:
    """`code` (upper case) names a currency of ISO 4217."""
    return code in _currencies()


def is_country(code: str) -> bool:
    """`code` (upper case) names a country of ISO 3166-1."""
    return code in _countries()


def currency_codes() -> list[str]:
    """Every ISO 4217 code, sorted (what the API documents as the values of a currency)."""
    return sorted(_currencies())
