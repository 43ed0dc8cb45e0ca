"""Fractional positions (Planka's gap scheme): a new place is the midpoint of its neighbours; only when they are
too close is the smallest run of neighbours around it re-spaced. A column is never renumbered on each move."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

GAP = 65536.0
# Below this distance two neighbours are "too close": the next midpoint would lose float precision.
MIN_GAP = 1e-6
# A re-spaced run leaves at least this much between its members.
RESPACE_GAP = 1.0


@dataclass(frozen=True)
class Placement:
    position: float
    # Neighbours to move to make room: (id, new position), the fewest that give the new place its gap.
    respaced: tuple[tuple[Any, float], ...] = ()


def between(lower: float | None, upper: float | None) -> float | None:
    """The midpoint of two neighbours (None for an open end), or None when they are too close."""
    if lower is None and upper is None:
        return GAP
    if lower is None:
        assert upper is not None
        return upper - GAP
    if upper is None:
        return lower + GAP
    if upper - lower <= MIN_GAP * 2:
        return None
    return (lower + upper) / 2


Window = Callable[[int], tuple[Sequence[tuple[Any, float]], Sequence[tuple[Any, float]]]]


def place(lower: float | None, upper: float | None, window: Window) -> Placement:
    """The position between `lower` and `upper`; when they are too close, `window(k)` gives up to k + 1
    neighbours on each side (nearest first: those at or below `lower`, those at or above `upper`), and the
    smallest run that fits is spread evenly between the positions just outside it."""
    position = between(lower, upper)
    if position is not None:
        return Placement(position)
    k = 2
    while True:
        below, above = window(k)
        run_below, run_above = list(below[:k]), list(above[:k])
        bound_low = below[k][1] if len(below) > k else None
        bound_high = above[k][1] if len(above) > k else None
        count = len(run_below) + 1 + len(run_above)
        if bound_low is None and bound_high is None:
            start, step = 0.0, GAP
        elif bound_low is None:
            assert bound_high is not None
            start, step = bound_high - GAP * (count + 1), GAP
        elif bound_high is None:
            start, step = bound_low, GAP
        else:
            step = (bound_high - bound_low) / (count + 1)
            start = bound_low
            if step < RESPACE_GAP and (len(below) > k or len(above) > k):
                k *= 2
                continue
        ordered = [*reversed(run_below), None, *run_above]
        moved: list[tuple[Any, float]] = []
        new_position = 0.0
        for index, item in enumerate(ordered, start=1):
            value = start + step * index
            if item is None:
                new_position = value
            else:
                moved.append((item[0], value))
        return Placement(new_position, tuple(moved))
