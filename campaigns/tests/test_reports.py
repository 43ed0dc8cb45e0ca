"""The campaign report: JSON, one-figure-a-row CSV and a client PDF, with the AI-usage slot filled by the AI-copy
module's selector when it is installed, and the send figures null until bulk email exists."""

from __future__ import annotations

import csv
import datetime
import io
import re
import zlib
from typing import Any

import pytest

from campaigns import selectors
from campaigns.tests.helpers import CAMPAIGNS, asset_row, dated, line, spend
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def usage_for_tests(*, org: Any, campaign: Any) -> dict[str, Any]:
    """Stands in for campaigns.ai.selectors.usage_of_campaign, so the slot is tested whatever that module holds."""
    return {"tokens_used": 1234, "campaign": campaign.name}


@pytest.fixture
def planned(cast: Cast) -> Any:
    made = dated(cast, datetime.datetime(2025, 3, 1, tzinfo=UTC), 30, name="Harbour launch = best",
                 channels=["email", "facebook"])  # fmt: skip
    line(cast, made, "email", "100")
    spend(cast, made, "email", "2500.00", datetime.date(2025, 3, 3))
    asset_row(cast, made)
    return made


def _pdf_text(content: bytes) -> str:
    """The text the PDF's pages draw, from its (deflated) content streams."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return "".join(text)


def test_the_report_has_budget_pacing_assets_ai_usage_and_no_sends_yet(
    cast: Cast, planned: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "AI_USAGE_SELECTOR", ("campaigns.tests.test_reports", "usage_for_tests"))

    body = client_for(cast.viewer).get(f"{CAMPAIGNS}{planned.pk}/report/").json()

    assert body["campaign"]["name"] == "Harbour launch = best"
    assert body["budget"]["total"] == {
        "planned": "3000.00", "planned_to_date": "3000.00", "spent": "2500.00", "remaining": "500.00",
        "percent_spent": "83.33", "pacing": "behind",
    }  # fmt: skip
    assert body["assets"] == {"total": 1, "by_state": {"draft": 1, "approved": 0, "rejected": 0},
                              "by_kind": {"hero_image": 1}}  # fmt: skip
    assert body["ai_usage"] == {"tokens_used": 1234, "campaign": "Harbour launch = best"}
    assert body["sends"] is None


def test_without_the_ai_module_the_usage_is_null(
    cast: Cast, planned: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "AI_USAGE_SELECTOR", ("campaigns.not_installed.selectors", "usage_of_campaign"))

    body = client_for(cast.viewer).get(f"{CAMPAIGNS}{planned.pk}/report/").json()

    assert body["ai_usage"] is None


def test_the_csv_has_one_figure_a_row_and_is_safe_in_a_spreadsheet(cast: Cast, planned: Any) -> None:
    response = client_for(cast.viewer).get(f"{CAMPAIGNS}{planned.pk}/report/csv/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="harbour-launch-best-report.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "name", "channel", "value"]
    assert ["campaign", "name", "", "Harbour launch = best"] in rows
    assert ["channel", "planned", "email", "3000.00"] in rows
    assert ["channel", "pacing", "email", "behind"] in rows
    assert ["total", "remaining", "", "500.00"] in rows
    assert ["sends", "available", "", "no"] in rows


def test_a_formula_in_a_name_is_neutralised_in_the_csv(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2025, 3, 1, tzinfo=UTC), 3, name="=HYPERLINK(1)")

    rows = list(csv.reader(io.StringIO(client_for(cast.owner).get(f"{CAMPAIGNS}{made.pk}/report/csv/")
                                       .content.decode("utf-8-sig"))))  # fmt: skip

    assert ["campaign", "name", "", "'=HYPERLINK(1)"] in rows


def test_the_pdf_is_a_pdf_with_the_campaign_and_its_figures(cast: Cast, planned: Any) -> None:
    response = client_for(cast.viewer).get(f"{CAMPAIGNS}{planned.pk}/report/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    for shown in (
        "Harbour launch = best",
        "Budget and pacing",
        "30 of 30 days",
        "USD 3,000.00",
        "USD 2,500.00",
        "Behind plan",
        "Alpha Realty",
    ):
        assert shown in text, shown


def test_the_pdf_draws_names_outside_its_fonts_characters(cast: Cast) -> None:
    made = dated(cast, datetime.datetime(2025, 3, 1, tzinfo=UTC), 3, name="Café 東京 launch €")

    response = client_for(cast.owner).get(f"{CAMPAIGNS}{made.pk}/report/pdf/")

    assert response.status_code == 200
    assert "Caf\xe9 ?? launch \x80" in _pdf_text(response.content)  # é and € are in the font's encoding
