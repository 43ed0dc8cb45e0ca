"""Search ignores accents and case in names, titles and subjects, both ways: "zoe" finds "Zoë" and "zoë" finds
"Zoe". The indexes that serve it are proven by contacts/tests/test_search_indexes.py (EXPLAIN)."""

from __future__ import annotations

from typing import Any

import pytest

from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db


def _names(cast: Cast, url: str, term: str, key: str) -> list[str]:
    response = client_for(cast.owner).get(url, {"search": term})
    assert response.status_code == 200, response.json()
    return sorted(row[key] for row in response.json()["results"])


def _make(cast: Cast, url: str, bodies: list[dict[str, Any]]) -> None:
    for body in bodies:
        response = client_for(cast.owner).post(url, body, format="json")
        assert response.status_code == 201, response.json()


def test_people_and_companies_are_found_without_their_accents_and_with_them(cast: Cast) -> None:
    _make(
        cast,
        "/api/contacts/",
        [{"first_name": "Zoë", "last_name": "Müller"}, {"first_name": "Zoe", "last_name": "Muller"}],
    )
    _make(cast, "/api/companies/", [{"name": "Café Lumière"}, {"name": "Brasserie Nord"}])
    _make(cast, "/api/leads/", [{"first_name": "Élodie", "company_name": "Crédit Agricole"}])

    assert _names(cast, "/api/contacts/", "zoe", "first_name") == ["Zoe", "Zoë"]
    assert _names(cast, "/api/contacts/", "ZOË", "first_name") == ["Zoe", "Zoë"]
    assert _names(cast, "/api/contacts/", "muller", "last_name") == ["Muller", "Müller"]
    assert _names(cast, "/api/companies/", "cafe lumiere", "name") == ["Café Lumière"]
    assert _names(cast, "/api/leads/", "elodie", "first_name") == ["Élodie"]
    assert _names(cast, "/api/leads/", "credit agri", "first_name") == ["Élodie"]


def test_titles_and_subjects_are_found_without_their_accents(cast: Cast) -> None:
    _make(cast, "/api/tasks/", [{"title": "Appeler le propriétaire"}])
    _make(cast, "/api/deals/", [{"name": "Résidence Bellevue"}])
    _make(cast, "/api/properties/", [{"title": "Château à Sète", "property_type": "house"}])

    assert _names(cast, "/api/tasks/", "proprietaire", "title") == ["Appeler le propriétaire"]
    assert _names(cast, "/api/deals/", "residence", "name") == ["Résidence Bellevue"]
    assert _names(cast, "/api/properties/", "chateau a sete", "title") == ["Château à Sète"]


def test_like_wildcards_in_the_term_are_literal(cast: Cast) -> None:
    _make(cast, "/api/contacts/", [{"first_name": "100% Zoë"}, {"first_name": "Zoë"}])

    assert _names(cast, "/api/contacts/", "100%", "first_name") == ["100% Zoë"]
    assert _names(cast, "/api/contacts/", "_oe", "first_name") == []
