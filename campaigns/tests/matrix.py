"""How the role matrix calls the campaign routes: the record API and its reports, budget lines, spend, assets."""

from __future__ import annotations

import dataclasses
from typing import Any

from tenants.testing.fixtures import Cast
from tenants.testing.matrix import Call, made_pk, record_factory, record_specs

CAMPAIGN = "campaigns.models.Campaign"
BODY = {"name": "Matrix Campaign"}
_campaigns = record_factory(CAMPAIGN, channels=["email", "facebook"])


def _with_channels(specs: dict[str, dict[str, Call]]) -> dict[str, dict[str, Call]]:
    """The shared record specs; detail routes get a campaign with channels (archived where the spec needs)."""
    archived = {"api:campaigns-restore", "api:campaigns-purge"}
    return {
        route: {
            method: call if route == "api:campaigns-list" else dataclasses.replace(
                call, setup=record_factory(CAMPAIGN, channels=["email"], archived=route in archived)
            )
            for method, call in calls.items()
        }
        for route, calls in specs.items()
    }  # fmt: skip


def _campaign_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"campaign_id": made["pk"]}


def _with_line(cast: Cast) -> dict[str, Any]:
    from campaigns.models import BudgetLine
    from common.context import org_context

    made = _campaigns(cast)
    with org_context(cast.org_a):
        line = BudgetLine.objects.create(
            org=cast.org_a, campaign_id=made["pk"], channel="email", amount="10.00", created_by=cast.owner
        )
    return {**made, "line_id": line.pk}


def _with_spend(cast: Cast) -> dict[str, Any]:
    import datetime

    from campaigns.models import SpendEntry
    from common.context import org_context

    made = _campaigns(cast)
    with org_context(cast.org_a):
        entry = SpendEntry.objects.create(
            org=cast.org_a, campaign_id=made["pk"], channel="email", amount="5.00",
            spent_on=datetime.date(2025, 1, 2), created_by=cast.owner,
        )  # fmt: skip
    return {**made, "entry_id": entry.pk}


def _with_asset(cast: Cast) -> dict[str, Any]:
    from campaigns.models import Campaign
    from campaigns.tests.helpers import asset_row
    from common.context import org_context

    made = _campaigns(cast)
    with org_context(cast.org_a):
        campaign = Campaign.objects.get(pk=made["pk"])
    return {**made, "asset_id": asset_row(cast, campaign).pk}


def _line_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"campaign_id": made["pk"], "line_id": made["line_id"]}


def _entry_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"campaign_id": made["pk"], "entry_id": made["entry_id"]}


def _asset_url(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    return {"campaign_id": made["pk"], "asset_id": made["asset_id"]}


def _upload(cast: Cast, made: dict[str, Any]) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from campaigns.tests.helpers import png

    return {
        "file": SimpleUploadedFile("matrix.png", png(), "image/png"),
        "kind": "hero_image",
        "alt_text": "Front",
    }


MATRIX_SPECS = {
    **_with_channels(record_specs("campaigns", CAMPAIGN, BODY)),
    "api:campaigns-report": {"GET": Call(setup=_campaigns, kwargs=made_pk)},
    "api:campaigns-report-csv": {"GET": Call(setup=_campaigns, kwargs=made_pk)},
    "api:campaigns-report-pdf": {"GET": Call(setup=_campaigns, kwargs=made_pk)},
    "api:campaign-budget": {"GET": Call(setup=_campaigns, kwargs=_campaign_url)},
    "api:campaign-budget-lines": {
        "GET": Call(setup=_campaigns, kwargs=_campaign_url),
        "POST": Call(
            status=201,
            setup=_campaigns,
            kwargs=_campaign_url,
            body={"channel": "facebook", "amount": "25.00", "period": "weekly"},
        ),
    },
    "api:campaign-budget-line-detail": {
        "GET": Call(setup=_with_line, kwargs=_line_url),
        "PATCH": Call(setup=_with_line, kwargs=_line_url, body={"amount": "12.50"}),
        "DELETE": Call(status=204, setup=_with_line, kwargs=_line_url),
    },
    "api:campaign-spend": {
        "GET": Call(setup=_campaigns, kwargs=_campaign_url),
        "POST": Call(
            status=201,
            setup=_campaigns,
            kwargs=_campaign_url,
            body={"channel": "email", "amount": "3.10", "spent_on": "2025-01-03"},
        ),
    },
    "api:campaign-spend-detail": {
        "GET": Call(setup=_with_spend, kwargs=_entry_url),
        "PATCH": Call(setup=_with_spend, kwargs=_entry_url, body={"note": "Invoice 12"}),
        "DELETE": Call(status=204, setup=_with_spend, kwargs=_entry_url),
    },
    "api:campaign-assets": {
        "GET": Call(setup=_campaigns, kwargs=_campaign_url),
        "POST": Call(status=201, setup=_campaigns, kwargs=_campaign_url, body=_upload, format="multipart"),
    },
    "api:campaign-asset-detail": {
        "GET": Call(setup=_with_asset, kwargs=_asset_url),
        "PATCH": Call(setup=_with_asset, kwargs=_asset_url, body={"alt_text": "The harbour front"}),
        "DELETE": Call(status=204, setup=_with_asset, kwargs=_asset_url),
    },
    "api:campaign-asset-download": {"GET": Call(setup=_with_asset, kwargs=_asset_url)},
    "api:campaign-asset-approval": {
        "POST": Call(setup=_with_asset, kwargs=_asset_url, body={"approval_state": "approved"}),
    },
}
