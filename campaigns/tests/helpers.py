"""Making campaigns, budget lines, spend and assets for the campaign tests, each in its org."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

from PIL import Image

from campaigns import budget_services, services
from campaigns.models import Asset, BudgetLine, Campaign, SpendEntry
from common.context import org_context
from common.models import Profile
from tenants.testing.fixtures import Cast

CAMPAIGNS = "/api/campaigns/"
RANDOM_ID = "00000000-0000-7000-8000-00000000abcd"


def campaign(cast: Cast, *, actor: Profile | None = None, org: Any = None, **data: Any) -> Campaign:
    """A campaign made through the service, by org A's owner unless another member (or org B) is named."""
    org = org or cast.org_a
    actor = actor or (cast.owner if org == cast.org_a else cast.other_owner)
    data.setdefault("name", "Harbour Offices launch")
    data.setdefault("channels", ["email", "facebook", "google_ads"])
    with org_context(org):
        return services.campaign_create(org=org, actor=actor, data=data)


def dated(cast: Cast, start: datetime.datetime, days: int, **data: Any) -> Campaign:
    return campaign(cast, starts_at=start, ends_at=start + datetime.timedelta(days=days), **data)


def line(cast: Cast, campaign_: Campaign, channel: str, amount: str, period: str = "daily") -> BudgetLine:
    org = campaign_.org
    with org_context(org):
        return budget_services.budget_line_create(
            org=org, actor=_actor(cast, org), campaign_id=campaign_.pk,
            data={"channel": channel, "amount": Decimal(amount), "period": period},
        )  # fmt: skip


def spend(cast: Cast, campaign_: Campaign, channel: str, amount: str, on: datetime.date) -> SpendEntry:
    org = campaign_.org
    with org_context(org):
        return budget_services.spend_create(
            org=org, actor=_actor(cast, org), campaign_id=campaign_.pk,
            data={"channel": channel, "amount": Decimal(amount), "spent_on": on},
        )  # fmt: skip


def _actor(cast: Cast, org: Any) -> Profile:
    return cast.owner if org == cast.org_a else cast.other_owner


def stored(campaign_: Campaign) -> Campaign:
    with org_context(campaign_.org):
        return Campaign.objects.get(pk=campaign_.pk)


def png(size: tuple[int, int] = (4, 3), color: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def asset_row(cast: Cast, campaign_: Campaign, **fields: Any) -> Asset:
    """An uploaded asset's row with its file in storage, without going through the upload checks."""
    from django.core.files.base import ContentFile

    with org_context(campaign_.org):
        fields.setdefault("sha256", "a" * 64)
        asset = Asset(org=campaign_.org, campaign=campaign_, created_by=cast.owner, kind="hero_image",
                      file_name="hero.png", content_type="image/png", size=10, **fields)  # fmt: skip
        asset.file.save("hero.png", ContentFile(png()), save=False)
        asset.save()
    return asset
