"""Honest timings for the lessons: warm-up runs first, then the median of a few.

Lesson 01 teaches why: the first call pays for imports, caches and worker
start-up, and one run on a shared machine can be off by half. Every lesson that
compares speeds uses :func:`median_time`, so each printed claim is a
measurement taken the same way, on the machine the notebook runs on.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hpclab.errors import UsageError


@dataclass(frozen=True)
class Timing:
    """The timed runs of one callable (warm-up runs excluded) and their median."""

    label: str
    times: tuple[float, ...]
    warmup: int
    result: Any = field(default=None, repr=False, compare=False)

    @property
    def median(self) -> float:
        """The median of the timed runs, in seconds."""
        return statistics.median(self.times)

    def __str__(self) -> str:
        warm = f", {self.warmup} warm-up" if self.warmup else ""
        return f"{self.label}: {_seconds(self.median)} (median of {len(self.times)}{warm})"


def _seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def median_time(func: Callable[[], Any], *, repeat: int = 3, warmup: int = 1, label: str = "") -> Timing:
    """Call ``func`` ``warmup`` times untimed, then ``repeat`` times timed; keep every time.

    The last call's return value is kept as ``result`` so a lesson can check it
    computed the right thing without paying for one more run.
    """
    if repeat < 1:
        raise UsageError(f"repeat must be at least 1, got {repeat}")
    if warmup < 0:
        raise UsageError(f"warmup cannot be negative, got {warmup}")
    result = None
    for _ in range(warmup):
        result = func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return Timing(label or getattr(func, "__name__", "call"), tuple(times), warmup, result)


def speedup(baseline: Timing, contender: Timing) -> float:
    """How many times faster ``contender`` ran than ``baseline`` (medians; below 1: slower)."""
    return baseline.median / contender.median
