"""Saved searches (a member's, or a contact's requirements), what happened to listings, and who was told.

A saved search keeps the list filters it was made from (`criteria`, shown back to the client) and the same
criteria in typed, indexed columns, which is what matching reads: one SQL statement tests every search of the
org against a listing (properties.matching.matching).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField, DecimalRangeField, IntegerRangeField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db import models
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.db.models import Q

from common.models import BaseModel, Profile
from properties.geo import GeoBox
from properties.models import PriceChange, Property, PropertyStatus

# The value every "any of" array holds when the search does not narrow on it. The listing side of each test
# always offers it too, so "no constraint" and "one of these" are the same indexable overlap (`&&`), with no
# OR for the planner to give up on. Criteria refuse it as a value.
ANY_VALUE = "*"


class Frequency(models.TextChoices):
    INSTANT = "instant", "At once"
    DAILY = "daily", "A daily digest"
    WEEKLY = "weekly", "A weekly digest"


def _any() -> list[str]:
    return [ANY_VALUE]


def _active() -> list[str]:
    return [PropertyStatus.ACTIVE]


def _unbounded() -> NumericRange:
    return NumericRange(None, None)


def _any_of() -> ArrayField:
    return ArrayField(models.CharField(max_length=100), default=_any)


class SavedSearch(BaseModel):
    """A member's saved search (`owner`), or a requirement of a contact (`contact`, e.g. a buyer's budget and
    areas); exactly one of the two. Matching notices go in-app to the owner, or to the contact's assignees."""

    owner = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, null=True, blank=True, related_name="requirements"
    )
    name = models.CharField(max_length=120)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.INSTANT)
    # A member's search: email the member. A requirement: email the contact (off unless asked for).
    email_enabled = models.BooleanField(default=True)
    # A paused search is kept but matches nothing.
    is_active = models.BooleanField(default=True)
    # The list filters as the client gave them, cleaned; the columns below are derived from them.
    criteria = models.JSONField(default=dict)

    # --- the criteria, typed (see ANY_VALUE) ---
    statuses = ArrayField(models.CharField(max_length=16), default=_active)
    property_types = _any_of()
    listing_types = _any_of()
    cities = _any_of()  # upper-cased, compared like the list's case-insensitive `city`
    regions = _any_of()
    postal_code_prefixes = _any_of()  # upper-cased; a listing's code matches any prefix of it
    tags = _any_of()
    # All of them (an empty list asks for none).
    amenities = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # Both ends included; a missing end is unbounded, and a range unbounded at both ends asks for nothing (it
    # also matches listings without the amount). `range @> amount` is one GiST-indexable test.
    price_range = DecimalRangeField(default=_unbounded)
    rate_range = DecimalRangeField(default=_unbounded)
    area_sqm_range = DecimalRangeField(default=_unbounded)
    bedrooms_range = IntegerRangeField(default=_unbounded)
    listing_agent = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    # Where: a bbox, or the box around a near + radius_km circle (then the exact distance is checked too). A
    # box that crosses the antimeridian is split in two, the second half in `area_box_wrap`.
    area_box = GeoBox(null=True, blank=True)
    area_box_wrap = GeoBox(null=True, blank=True)
    near_latitude = models.FloatField(null=True, blank=True)
    near_longitude = models.FloatField(null=True, blank=True)
    radius_km = models.FloatField(null=True, blank=True)

    # When the last digest of a daily or weekly search was due (sent, or found nothing to send).
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False, contact__isnull=True)
                | Q(owner__isnull=True, contact__isnull=False),
                name="saved_search_owner_or_contact",
            ),
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values), name="saved_search_frequency"),
            models.CheckConstraint(
                condition=Q(radius_km__isnull=True) | Q(radius_km__gt=0), name="saved_search_radius_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="saved_search_owner"),
            models.Index(fields=["contact", "-created_at"], name="saved_search_contact"),
            # For the planner when a listing's values are selective; with 10,000 searches of varied criteria it
            # reads the table once (benchmarks/property_matching.py).
            GistIndex(fields=["area_box"], name="saved_search_area"),
            GinIndex(fields=["cities"], name="saved_search_cities"),
            GinIndex(fields=["postal_code_prefixes"], name="saved_search_postcodes"),
            GinIndex(fields=["property_types"], name="saved_search_types"),
            GistIndex(fields=["price_range"], name="saved_search_price"),
            # The digest run looks for daily and weekly searches that are due.
            models.Index(
                fields=["frequency", "last_digest_at"],
                name="saved_search_digest_due",
                condition=Q(is_active=True, email_enabled=True) & ~Q(frequency=Frequency.INSTANT),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    LISTED = "listed", "Became active"
    PRICE_DROP = "price_drop", "Price dropped"
    STATUS_CHANGED = "status_changed", "Status changed"


class ListingEvent(BaseModel):
    """Something that happened to a listing that savers may want to hear about, written in the transaction of
    the change. `matched_at` is set once the searches were matched; the sweep picks up any left unmatched."""

    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    # The listing's status right after the change (a status event is stale once the listing moved on).
    status = models.CharField(max_length=16, choices=PropertyStatus.choices)
    price_change = models.ForeignKey(
        PriceChange, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="listing_event_kind_valid"),
            # One event per drop, whoever records it.
            models.UniqueConstraint(fields=["org", "price_change"], name="listing_event_once_per_price_change"),
        ]
        indexes = [
            models.Index(fields=["property", "-created_at"], name="listing_event_history"),
            models.Index(
                fields=["created_at"], name="listing_event_unmatched", condition=Q(matched_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.property_id}"


class NoticeKind(models.TextChoices):
    NEW_LISTING = "new_listing", "A new listing matches"
    PRICE_DROP = "price_drop", "A matching listing's price dropped"
    STATUS_CHANGED = "status_changed", "A listing you were sent changed status"


class MatchNotice(BaseModel):
    """A saved search told about one event of one listing: at most once, by the unique row."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="notices")
    event = models.ForeignKey(ListingEvent, on_delete=models.CASCADE, related_name="+")
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    # When an email (at once, or a digest) carried it; never set twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "search", "event"], name="match_notice_once_per_event"),
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="match_notice_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["search", "-created_at"], name="match_notice_of_search"),
            # "Was this search sent this listing before?" and "who was sent this listing?".
            models.Index(fields=["property", "search"], name="match_notice_of_listing"),
            models.Index(
                fields=["search", "created_at"], name="match_notice_unmailed", condition=Q(emailed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.property_id} for {self.search_id}"
