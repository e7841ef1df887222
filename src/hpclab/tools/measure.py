"""Two ways of doing one thing, timed side by side: what every ``hpclab bench`` line is made of.

Both sides run alternately in the same run on the same machine, and each keeps its median, so
a machine that gets busier halfway slows both alike. Nothing here asserts a speed: the ratio
is printed for a person to read.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from hpclab.errors import UsageError

__all__ = ["Comparison", "side_by_side"]


@dataclass(frozen=True)
class Comparison:
    """Median seconds of a baseline and a contender, measured alternately."""

    name: str
    baseline: str
    baseline_s: float
    contender: str
    contender_s: float
    repeats: int

    @property
    def ratio(self) -> float:
        """How many times faster the contender was (below 1: slower)."""
        return self.baseline_s / self.contender_s


def side_by_side(
    name: str,
    baseline: tuple[str, Callable[[], float | None]],
    contender: tuple[str, Callable[[], float | None]],
    repeats: int,
) -> Comparison:
    """Time two callables alternately ``repeats`` times; keep each one's median.

    A callable may return its own measured seconds (an MPI program timing its
    slowest rank); otherwise the wall-clock time of the call is used.
    """
    if repeats < 1:
        raise UsageError(f"repeats must be at least 1, got {repeats}")
    times: dict[str, list[float]] = {baseline[0]: [], contender[0]: []}
    for _ in range(repeats):
        for label, func in (baseline, contender):
            start = time.perf_counter()
            reported = func()
            times[label].append(reported if reported is not None else time.perf_counter() - start)
    return Comparison(
        name,
        baseline[0],
        statistics.median(times[baseline[0]]),
        contender[0],
        statistics.median(times[contender[0]]),
        repeats,
    )
