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
    """The timed runs of one callable (warm-up runs excluded) and their median.

    What :func:`median_time` returns. It keeps every time, not just the median,
    so a lesson can show how much the runs varied; printed, it is one line such
    as ``numpy: 12.3 ms (median of 3, 1 warm-up)``.

    Attributes
    ----------
    label : str
        What was timed, for printing.
    times : tuple of float
        The timed runs, in seconds, in the order they ran.
    warmup : int
        How many untimed runs came first.
    result : object
        The last call's return value (not compared, not printed).
    """

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

    The first call pays for imports, caches and start-up, and one run on a
    shared machine can be off by half: warm-up runs and the median of several
    make a claim about speed that holds. The last call's return value is kept
    as ``result`` so a lesson can check it computed the right thing without
    paying for one more run.

    Parameters
    ----------
    func : callable
        Called with no arguments (wrap others: ``lambda: f(x)``).
    repeat : int, default 3
        Timed calls, at least 1.
    warmup : int, default 1
        Untimed calls first, 0 or more.
    label : str, optional
        The name printed with the timing; by default ``func.__name__``.

    Returns
    -------
    Timing
        Every timed run, their ``median`` and the last ``result``.

    Raises
    ------
    UsageError
        If ``repeat`` is below 1 or ``warmup`` is negative.
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
    """How many times faster ``contender`` ran than ``baseline``: the ratio of their medians.

    For two ways of doing one thing, each timed with :func:`median_time`; for a
    scaling study (one time per worker count) use :func:`hpclab.scaling.speedups`.

    Parameters
    ----------
    baseline : Timing
        The reference, e.g. the serial version.
    contender : Timing
        The version compared with it.

    Returns
    -------
    float
        ``baseline.median / contender.median``: above 1 when ``contender`` was
        faster, below 1 when it was slower.
    """
    return baseline.median / contender.median
