"""Writing a campaign's assets: uploads checked by content, links to listing images, alt text and kind, approval.

- An upload is checked (campaigns.uploads) after the campaign (a caller who may not change the campaign learns
  nothing about the file), stored only once it passed, and removed again if the transaction does not complete.
  The same file twice in one campaign is a 409 `duplicate_asset` naming the first.
- A listing image is linked, never uploaded again: the id must be an image the caller can see
  (properties.media), else the same 400 `does_not_exist` as a random id; linking it twice is `duplicate_asset`.
- Changing an approved or rejected asset's kind or alt text sends it back to draft: what was approved is not
  what it is any more.
- Approving and rejecting is for managers and above (the route table says so, and so does the service).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import status

from campaigns import uploads
from campaigns.models import ApprovalState, Asset, Campaign
from common.access import MANAGERS
from common.errors import ApiError, Conflict, NotFound, field_error
from common.models import Profile
from records import services as records
from tenants.models import Org


def _campaign_for_write(org: Org, actor: Profile, campaign_id: Any) -> Campaign:
    return records.record_lock_for_write(Campaign, org=org, actor=actor, record_id=campaign_id)


def _duplicate(existing: Asset, what: str) -> Conflict:
    return Conflict(f"This campaign already has {what} (asset {existing.pk}).", code="duplicate_asset")


def _logged(campaign: Campaign, actor: Profile, verb: str, asset: Asset, **extra: Any) -> None:
    details = {"asset_id": str(asset.pk), "kind": asset.kind, **extra}
    if asset.file_name:
        details["file_name"] = asset.file_name
    records.log_activity(campaign, actor, verb, details)


def asset_upload(
    *, org: Org, actor: Profile, campaign_id: Any, upload: Any | None, kind: str, alt_text: str = ""
) -> Asset:
    stored_name = ""
    storage = Asset._meta.get_field("file").storage
    try:
        with transaction.atomic():
            campaign = _campaign_for_write(org, actor, campaign_id)
            if upload is None:
                raise field_error("file", "required", "No file was submitted.")
            checked = uploads.check_asset_upload(upload)
            existing = Asset.objects.for_org(org).filter(campaign=campaign, sha256=checked.sha256).first()
            if existing is not None:
                raise _duplicate(existing, "this file")
            asset = Asset(
                org=org, campaign=campaign, created_by=actor, updated_by=actor, kind=kind, alt_text=alt_text,
                file_name=checked.file_name, content_type=checked.content_type, size=checked.size,
                sha256=checked.sha256, width=checked.width, height=checked.height,
            )  # fmt: skip
            asset.file.save(checked.file_name, upload, save=False)
            stored_name = asset.file.name or ""
            asset.save()
            _logged(campaign, actor, "asset_added", asset, size=asset.size)
    except BaseException:
        if stored_name:
            storage.delete(stored_name)
        raise
    return asset


# The listing-image check of properties.media, looked up by name: `image_visible(*, org, actor, image_id)`
# returns the image if the caller may see it, and raises NotFound otherwise.
IMAGE_SELECTOR = ("properties.media.selectors", "image_visible")


def _listing_image_check(org: Org, actor: Profile, image_id: Any) -> Any:
    module_name, name = IMAGE_SELECTOR
    try:
        selector = getattr(importlib.import_module(module_name), name)
    except (ModuleNotFoundError, AttributeError):
        raise ApiError(
            "Listing images cannot be linked yet.", code="unavailable", status_code=status.HTTP_409_CONFLICT
        ) from None
    try:
        return selector(org=org, actor=actor, image_id=image_id)
    except NotFound:
        raise field_error(
            "property_image_id", "does_not_exist", f'Invalid pk "{image_id}" - object does not exist.'
        ) from None


def asset_link(
    *, org: Org, actor: Profile, campaign_id: Any, property_image_id: Any, kind: str, alt_text: str = ""
) -> Asset:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        _listing_image_check(org, actor, property_image_id)
        existing = (
            Asset.objects.for_org(org).filter(campaign=campaign, property_image_id=property_image_id).first()
        )
        if existing is not None:
            raise _duplicate(existing, "this listing image")
        asset = Asset(
            org=org, campaign=campaign, created_by=actor, updated_by=actor, kind=kind, alt_text=alt_text,
            property_image_id=property_image_id,
        )  # fmt: skip
        asset.save()
        _logged(campaign, actor, "asset_linked", asset, property_image_id=str(property_image_id))
    return asset


def _asset_for_write(org: Org, campaign: Campaign, asset_id: Any) -> Asset:
    asset: Asset | None = (
        Asset.objects.for_org(org).filter(campaign=campaign, pk=asset_id).select_for_update().first()
    )
    if asset is None:
        raise NotFound()
    return asset


def asset_update(*, org: Org, actor: Profile, campaign_id: Any, asset_id: Any, data: dict[str, Any]) -> Asset:
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        asset = _asset_for_write(org, campaign, asset_id)
        changes = {
            name: [getattr(asset, name), value] for name, value in data.items() if getattr(asset, name) != value
        }
        if not changes:
            return asset
        for name, value in data.items():
            setattr(asset, name, value)
        if asset.approval_state != ApprovalState.DRAFT:
            changes["approval_state"] = [asset.approval_state, ApprovalState.DRAFT]
            asset.approval_state, asset.decided_by, asset.decided_at = ApprovalState.DRAFT, None, None
            asset.approval_note = ""
        asset.updated_by = actor
        asset.save()
        _logged(campaign, actor, "asset_changed", asset, changes=changes)
    return asset


def asset_delete(*, org: Org, actor: Profile, campaign_id: Any, asset_id: Any) -> None:
    """The row goes now, its file (an upload's) once the deletion commits."""
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        asset = _asset_for_write(org, campaign, asset_id)
        stored_name, storage = asset.file.name, asset.file.storage
        _logged(campaign, actor, "asset_removed", asset)
        asset.delete()
        if stored_name:
            transaction.on_commit(lambda: storage.delete(stored_name))


def asset_decide(
    *, org: Org, actor: Profile, campaign_id: Any, asset_id: Any, state: str, note: str = ""
) -> Asset:
    """Approve or reject an asset (or send it back to draft), as a manager or above; who and when are kept."""
    if actor.role not in MANAGERS:
        raise ApiError("Only managers and above approve assets.", code="permission_denied", status_code=403)
    with transaction.atomic():
        campaign = _campaign_for_write(org, actor, campaign_id)
        asset = _asset_for_write(org, campaign, asset_id)
        before = asset.approval_state
        if state == ApprovalState.DRAFT:
            asset.decided_by, asset.decided_at = None, None
        else:
            asset.decided_by, asset.decided_at = actor, timezone.now()
        asset.approval_state, asset.approval_note, asset.updated_by = state, note, actor
        asset.save()
        _logged(campaign, actor, f"asset_{state}" if state != ApprovalState.DRAFT else "asset_reopened", asset,
                approval_state=[before, state], note=note)  # fmt: skip
    return asset
