"""Geo search on plain PostgreSQL: a GiST-indexed point, a box prefilter and an exact great-circle distance.

No extension: `point(longitude, latitude)` is built in, and so is GiST's point operator class, so this runs the
same on the embedded server, a managed PostgreSQL and Citus. The index answers "inside this box" (`<@`); the
box is a little larger than the circle, and the haversine distance, computed in SQL, makes the exact cut and
the order. Degrees are treated as flat only inside the index, never in a distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import F, FloatField, Func, Q, Value
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt

# The mean Earth radius (IUGG), the one every distance here uses.
EARTH_RADIUS_KM = 6371.0088
# A radius search wider than this is a map view, not a "near": use a bbox.
MAX_RADIUS_KM = 1000.0


class GeoPoint(models.Field):
    """PostgreSQL's built-in `point`, as the output type of the expressions below (never a column)."""

    def db_type(self, connection: Any) -> str:
        return "point"


class GeoBox(models.Field):
    """PostgreSQL's built-in `box`."""

    def db_type(self, connection: Any) -> str:
        return "box"


def location_point() -> Func:
    """`point(longitude, latitude)` of a property: the expression the GiST index is built on. Queries must use
    this same expression for the planner to match the index."""
    return Func(F("longitude"), F("latitude"), function="point", output_field=GeoPoint())


def _point(x: float, y: float) -> Func:
    return Func(
        Value(float(x), output_field=FloatField()),
        Value(float(y), output_field=FloatField()),
        function="point",
        output_field=GeoPoint(),
    )


class _ContainedIn(Func):
    """`point <@ box`: the operator GiST's point_ops answers from the index."""

    arg_joiner = " <@ "
    template = "(%(expressions)s)"
    output_field = models.BooleanField()


@dataclass(frozen=True)
class Box:
    """An area between two latitudes and two longitudes, in degrees. `west > east` crosses the antimeridian."""

    south: float
    west: float
    north: float
    east: float

    def condition(self) -> Q:
        """Rows whose location lies inside (edges included), as one or two indexed box tests."""
        crosses_antimeridian = self.west > self.east
        parts = [(self.west, 180.0), (-180.0, self.east)] if crosses_antimeridian else [(self.west, self.east)]
        condition = Q()
        for west, east in parts:
            box = Func(_point(west, self.south), _point(east, self.north), function="box", output_field=GeoBox())
            condition |= Q(_ContainedIn(location_point(), box))
        return condition


def box_around(latitude: float, longitude: float, radius_km: float) -> Box:
    """The smallest latitude/longitude box holding every point within `radius_km` of the centre (J. Matuschek's
    bounding coordinates): exact at any latitude, widened to every longitude when the circle reaches a pole."""
    angular = radius_km / EARTH_RADIUS_KM
    lat = math.radians(latitude)
    south, north = lat - angular, lat + angular
    if south <= -math.pi / 2 or north >= math.pi / 2:
        return Box(math.degrees(max(south, -math.pi / 2)), -180.0, math.degrees(min(north, math.pi / 2)), 180.0)
    delta = math.asin(math.sin(angular) / math.cos(lat))
    west, east = math.degrees(math.radians(longitude) - delta), math.degrees(math.radians(longitude) + delta)
    if west < -180.0:
        west += 360.0
    if east > 180.0:
        east -= 360.0
    return Box(math.degrees(south), west, math.degrees(north), east)


def distance_km(latitude: float, longitude: float) -> Any:
    """The haversine great-circle distance (km) from a fixed point to each row's location, in SQL; NULL for a
    row without coordinates. `least(1, ...)` keeps rounding from taking asin out of its domain."""
    centre_lat = math.radians(latitude)
    row_lat = Radians(F("latitude"))
    half_dlat = (row_lat - Value(centre_lat)) / Value(2.0)
    half_dlng = (Radians(F("longitude")) - Value(math.radians(longitude))) / Value(2.0)
    haversine = Power(Sin(half_dlat), 2) + Value(math.cos(centre_lat)) * Cos(row_lat) * Power(Sin(half_dlng), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Sqrt(haversine), Value(1.0)))


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The same distance in Python, for demo data and checks."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
