"""Measure how a program scales, and compare it with Amdahl's and Gustafson's laws.

A scaling study runs the same job on 1, 2, 4, ... workers (Dask workers, MPI
ranks), keeps the median of a few repeats, and reports

* **speedup** ``S(p) = T(1) / T(p)`` and **efficiency** ``E(p) = S(p) / p`` for
  *strong* scaling (the total work is fixed), or
* **efficiency** ``E(p) = T(1) / T(p)`` and the **scaled speedup** ``p E(p)``
  for *weak* scaling (the work per worker is fixed, so the total grows with p).

Both are compared with the ideal and with a one-number model fitted to the
measurement: the serial fraction ``f`` of Amdahl's law (strong scaling) or of
Gustafson's law (weak scaling; the same "serial part + perfectly parallel part"
model, with the parallel part growing with p).

Times are plain ``{count: seconds}`` dictionaries, so results measured
elsewhere (a cluster run, a published table) can be analysed the same way::

    times = measure(program, [1, 2, 4], time_variable="elapsed")
    print(table(times, cores=available_cores()))
    fig = plot(times, cores=available_cores())
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hpclab import mpi
from hpclab.errors import UsageError

Times = Mapping[int, float]


# --------------------------------------------------------------------------- input checks


def _counts(counts: Iterable[int], what: str = "counts") -> list[int]:
    counts = list(counts)
    if not counts:
        raise UsageError(f"{what} is empty: give the worker/rank counts to use, e.g. [1, 2, 4]")
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            raise UsageError(f"{what} must be whole numbers of at least 1 worker; got {count!r} in {counts}")
    if len(set(counts)) != len(counts):
        raise UsageError(f"{what} has repeated entries: {counts}; list each count once")
    return [int(c) for c in counts]


def _times(times: Times) -> dict[int, float]:
    """Validated copy of ``times``, sorted by count, with a 1-worker baseline."""
    if not isinstance(times, Mapping):
        raise UsageError(
            f"times must be a mapping {{workers: seconds}}, e.g. {{1: 8.0, 2: 4.2}}; got {type(times).__name__}"
        )
    counts = _counts(times.keys(), "the counts in times")
    clean = {}
    for count in sorted(counts):
        seconds = times[count]
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            raise UsageError(f"the time for {count} worker(s) is {seconds!r}, not a number of seconds") from None
        if not math.isfinite(seconds) or seconds <= 0:
            raise UsageError(
                f"the time for {count} worker(s) is {seconds!r}; every time must be a positive number of seconds"
            )
        clean[count] = seconds
    if 1 not in clean:
        raise UsageError(
            f"times has no 1-worker baseline (counts {sorted(clean)}): speedup and efficiency are "
            "relative to one worker, so measure with 1 as well, e.g. counts [1, 2, 4]"
        )
    return clean


def _pairs(counts: Sequence[int], speedups: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    counts = _counts(counts)
    speedups = list(speedups)
    if len(speedups) != len(counts):
        raise UsageError(f"{len(counts)} counts but {len(speedups)} speedups; give one speedup per count")
    s = np.asarray(speedups, dtype=float)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise UsageError(f"speedups must be positive numbers; got {speedups}")
    p = np.asarray(counts, dtype=float)
    if not np.any(p > 1):
        raise UsageError(f"counts {counts} have nothing above 1 worker: a fit needs at least one parallel run")
    return p, s


def _fraction(f: float) -> float:
    f = float(f)
    if not 0.0 <= f <= 1.0:
        raise UsageError(f"a serial fraction is between 0 and 1; got {f}")
    return f


def _workers(p: float | np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if np.any(p < 1) or not np.all(np.isfinite(p)):
        raise UsageError(f"the number of workers must be at least 1; got {p}")
    return p


# --------------------------------------------------------------------------- measuring


def measure(
    target: Callable[[int], object] | str | os.PathLike,
    counts: Iterable[int],
    repeats: int = 3,
    *,
    args: Sequence[str] | Callable[[int], Sequence[str]] = (),
    time_variable: str | None = None,
    timeout: float = 120,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[int, float]:
    """Median run time of ``target`` for each worker/rank count: ``{count: seconds}``.

    For MPI programs the whole ``mpiexec`` run is timed, start-up included,
    unless ``time_variable`` names a global each rank sets to its own timing
    (e.g. measured with ``MPI.Wtime()``); then the slowest rank's value is used,
    because the job is finished only when its last rank is.

    The repeats go round the counts (1, 2, 4, 1, 2, 4, ...) rather than one
    count at a time, so a spell when the machine is busy with something else
    slows down every count a little instead of one count a lot.

    Parameters
    ----------
    target : callable, str or path
        Either a callable, called as ``target(count)`` (it starts its own
        workers, e.g. a Dask cluster of that size), or an MPI program (source
        text or a path to a ``.py`` file) run with :func:`hpclab.mpi.run` on
        ``count`` ranks.
    counts : iterable of int
        The worker/rank counts to run, each at least 1 and listed once.
    repeats : int, default 3
        Timed runs per count; the median is kept.
    args : sequence of str, or callable, default ()
        Command-line arguments of an MPI program: a list, or a function of the
        count (for weak scaling, where the problem grows with the ranks).
    time_variable : str, optional
        A global each rank of an MPI program sets to its own timing in seconds;
        None times the whole ``mpiexec`` run.
    timeout : float, default 120
        Seconds one MPI run may take.
    clock : callable, default time.perf_counter
        Where times of a callable ``target`` are read from.

    Returns
    -------
    dict of int to float
        The median time in seconds for each count, in the order of ``counts``.

    Raises
    ------
    UsageError
        If the counts, ``repeats`` or ``target`` cannot be used, or a rank set
        ``time_variable`` to something that is not a number.
    """
    counts = _counts(counts)
    if repeats < 1:
        raise UsageError(f"repeats must be at least 1, got {repeats}")
    if callable(target):

        def once(count: int) -> float:
            start = clock()
            target(count)
            return clock() - start
    elif isinstance(target, (str, os.PathLike)):

        def once(count: int) -> float:
            run_args = args(count) if callable(args) else args
            collect = [time_variable] if time_variable else []
            result = mpi.run(target, count, timeout=timeout, args=list(run_args), collect=collect)
            if not time_variable:
                return result.elapsed
            reported = []
            for rank in range(count):
                value: Any = result.values.get(rank, {}).get(time_variable, mpi.NOT_DEFINED)
                try:
                    reported.append(float(value))
                except (TypeError, ValueError):
                    raise UsageError(
                        f"on {count} rank(s), rank {rank} set `{time_variable}` to {value!r}, not a number "
                        f"of seconds: set it at the top level of the program on every rank (e.g. "
                        f"`{time_variable} = MPI.Wtime() - start`), or pass time_variable=None to time "
                        "the whole mpiexec run"
                    ) from None
            return max(reported)
    else:
        raise UsageError(
            f"cannot measure a {type(target).__name__}: pass a function of the worker count, "
            "or an MPI program (source text or a .py path)"
        )
    samples: dict[int, list[float]] = {count: [] for count in counts}
    for _ in range(repeats):  # round robin: a busy spell on the machine hits every count alike
        for count in counts:
            samples[count].append(once(count))
    return {count: statistics.median(values) for count, values in samples.items()}


# --------------------------------------------------------------------------- derived numbers


def speedups(times: Times, *, weak: bool = False) -> dict[int, float]:
    """The speedup for each count: ``T(1)/T(p)``, or for weak scaling ``p T(1)/T(p)``.

    One speedup per worker/rank count of a scaling study (compare two single
    timings with :func:`hpclab.timing.speedup`). The weak-scaling (scaled)
    speedup says how much more work per second p workers got done than one
    worker.

    Parameters
    ----------
    times : mapping of int to float
        Seconds per worker/rank count, ``{1: 8.0, 2: 4.2, ...}``; it must
        include the 1-worker baseline.
    weak : bool, default False
        True for weak scaling (the work per worker is fixed): the scaled speedup.

    Returns
    -------
    dict of int to float
        The speedup for each count, sorted by count (1.0 for the baseline).

    Raises
    ------
    UsageError
        If ``times`` is not such a mapping, a time is not a positive number, or
        there is no 1-worker time.
    """
    t = _times(times)
    return {p: (p if weak else 1) * t[1] / tp for p, tp in t.items()}


def efficiency(times: Times, *, weak: bool = False) -> dict[int, float]:
    """Parallel efficiency for each count: the fraction of the ideal you got.

    Strong scaling: ``S(p)/p``. Weak scaling: ``T(1)/T(p)`` (ideal: the time
    stays the same as work and workers grow together). Both equal 1 when ideal.

    Parameters
    ----------
    times : mapping of int to float
        Seconds per worker/rank count, including the 1-worker baseline.
    weak : bool, default False
        True for weak scaling (the work per worker is fixed).

    Returns
    -------
    dict of int to float
        The efficiency for each count, sorted by count.

    Raises
    ------
    UsageError
        If ``times`` cannot be used (see :func:`speedups`).
    """
    t = _times(times)
    return {p: t[1] / tp if weak else t[1] / tp / p for p, tp in t.items()}


def amdahl(f: float, p: float | np.ndarray) -> float | np.ndarray:
    """Amdahl's law: the speedup on ``p`` workers of a fixed job with serial fraction ``f``.

    ``S = 1 / (f + (1 - f) / p)``: the serial part takes as long on any number
    of workers, so no number of workers gets past ``1/f``.

    Parameters
    ----------
    f : float
        The serial fraction of the work, between 0 and 1.
    p : float or numpy.ndarray
        The number of workers (at least 1), or an array of them.

    Returns
    -------
    float or numpy.ndarray
        The speedup, a float for one ``p`` and an array for an array.

    Raises
    ------
    UsageError
        If ``f`` is outside [0, 1] or a ``p`` is below 1.
    """
    f, p = _fraction(f), _workers(p)
    out = 1.0 / (f + (1.0 - f) / p)
    return out if out.ndim else float(out)


def gustafson(f: float, p: float | np.ndarray) -> float | np.ndarray:
    """Gustafson's law: the scaled speedup on ``p`` workers when the work grows with ``p``.

    ``f`` is the serial share of the run time on p workers: ``S = p - f (p - 1)``.

    Parameters
    ----------
    f : float
        The serial share of the run time, between 0 and 1.
    p : float or numpy.ndarray
        The number of workers (at least 1), or an array of them.

    Returns
    -------
    float or numpy.ndarray
        The scaled speedup, a float for one ``p`` and an array for an array.

    Raises
    ------
    UsageError
        If ``f`` is outside [0, 1] or a ``p`` is below 1.
    """
    f, p = _fraction(f), _workers(p)
    out = p - f * (p - 1.0)
    return out if out.ndim else float(out)


def fit_amdahl(counts: Sequence[int], speedups: Sequence[float]) -> float:
    """Serial fraction f that makes Amdahl's law fit the measured speedups best.

    Amdahl's law is linear in f when written as ``1/S - 1/p = f (1 - 1/p)``, so
    f is a one-parameter least-squares fit, clipped to [0, 1]. Runs with more
    workers than cores make f look larger than the code's own serial part:
    leave them out of the fit.

    Parameters
    ----------
    counts : sequence of int
        The worker/rank counts, at least one of them above 1.
    speedups : sequence of float
        The measured speedup for each count, in the same order (e.g. the values
        of :func:`speedups`).

    Returns
    -------
    float
        The serial fraction, between 0 and 1.

    Raises
    ------
    UsageError
        If the counts and speedups differ in length, a speedup is not a
        positive number, or no count is above 1.
    """
    p, s = _pairs(counts, speedups)
    x, y = 1.0 - 1.0 / p, 1.0 / s - 1.0 / p
    return float(np.clip(np.dot(x, y) / np.dot(x, x), 0.0, 1.0))


def fit_gustafson(counts: Sequence[int], speedups: Sequence[float]) -> float:
    """Serial fraction f that makes Gustafson's law fit measured scaled speedups best.

    ``p - S = f (p - 1)`` is linear in f: a one-parameter least-squares fit,
    clipped to [0, 1].

    Parameters
    ----------
    counts : sequence of int
        The worker/rank counts, at least one of them above 1.
    speedups : sequence of float
        The measured scaled speedup for each count, in the same order (e.g. the
        values of ``speedups(times, weak=True)``).

    Returns
    -------
    float
        The serial fraction, between 0 and 1.

    Raises
    ------
    UsageError
        If the counts and speedups differ in length, a speedup is not a
        positive number, or no count is above 1.
    """
    p, s = _pairs(counts, speedups)
    x, y = p - 1.0, p - s
    return float(np.clip(np.dot(x, y) / np.dot(x, x), 0.0, 1.0))


def _model(
    times: dict[int, float], weak: bool, serial_fraction: float | None, cores: int | None
) -> tuple[float, str, Callable[[float | np.ndarray], float | np.ndarray], str]:
    """The fitted (or given) serial fraction, the model's name, its S(p), and where f came from."""
    name = "Gustafson" if weak else "Amdahl"
    law = gustafson if weak else amdahl
    if serial_fraction is None:
        s = speedups(times, weak=weak)
        usable = [p for p in s if cores is None or p <= cores]
        if not any(p > 1 for p in usable):  # nothing parallel within the cores: use every run
            usable = list(s)
        fit = fit_gustafson if weak else fit_amdahl
        serial_fraction = fit(usable, [s[p] for p in usable])
        source = f"fitted to the runs on {', '.join(map(str, usable))}"
    else:
        source = "given"
    f = _fraction(serial_fraction)
    return f, name, lambda p: law(f, p), source


# --------------------------------------------------------------------------- reporting


def table(
    times: Times,
    *,
    weak: bool = False,
    serial_fraction: float | None = None,
    cores: int | None = None,
    label: str = "workers",
) -> str:
    """A plain-text table of time, speedup, efficiency and the fitted model per count.

    With ``cores``, rows with more workers than cores are marked and left out
    of the fit: taking turns on a core is not the program's fault.

    Parameters
    ----------
    times : mapping of int to float
        Seconds per worker/rank count, including the 1-worker baseline.
    weak : bool, default False
        True for weak scaling: scaled speedups and Gustafson's law.
    serial_fraction : float, optional
        The model's serial fraction; by default fitted to the times (Amdahl's
        law for strong, Gustafson's for weak scaling).
    cores : int, optional
        The cores the runs had; counts above it are marked and not fitted.
    label : str, default "workers"
        What the counts count (e.g. "ranks"), for the header.

    Returns
    -------
    str
        One line per count, then a line naming the model and its serial fraction.

    Raises
    ------
    UsageError
        If ``times`` or ``serial_fraction`` cannot be used.
    """
    t = _times(times)
    s, e = speedups(t, weak=weak), efficiency(t, weak=weak)
    f, name, model, source = _model(t, weak, serial_fraction, cores)
    head_s = "scaled S" if weak else "speedup"
    lines = [f"{label:>8} {'time [s]':>10} {head_s:>9} {'efficiency':>10} {name + ' S':>11}"]
    for p in t:
        mark = "  (more than the cores)" if cores is not None and p > cores else ""
        lines.append(f"{p:>8} {t[p]:>10.3f} {s[p]:>9.2f} {e[p]:>10.2f} {float(model(p)):>11.2f}{mark}")
    where = f"{source} {label}" if source != "given" else "given"
    lines.append(f"{'weak' if weak else 'strong'} scaling; {name}'s law with serial fraction f = {f:.3f} ({where})")
    return "\n".join(lines)


def plot(
    times: Times,
    *,
    weak: bool = False,
    serial_fraction: float | None = None,
    cores: int | None = None,
    label: str = "workers",
    title: str | None = None,
):
    """Speedup and efficiency against the ideal and the fitted model; returns the figure.

    With ``cores``, counts above it are shaded as oversubscribed, and the best
    speedup those cores allow is drawn.

    Parameters
    ----------
    times, weak, serial_fraction, cores, label
        As for :func:`table`.
    title : str, optional
        The figure's title; by default "Strong scaling" or "Weak scaling".

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: speedup and efficiency against the count.

    Raises
    ------
    UsageError
        If ``times`` or ``serial_fraction`` cannot be used.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415  matplotlib is slow to import; only plots need it

    t = _times(times)
    s, e = speedups(t, weak=weak), efficiency(t, weak=weak)
    f, name, model, _ = _model(t, weak, serial_fraction, cores)
    counts = np.array(list(t), dtype=float)
    dense = np.linspace(1, counts.max(), 200)

    fig, (ax_s, ax_e) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_s.plot(dense, dense, "k--", label="ideal")
    ax_s.plot(dense, model(dense), ":", color="tab:orange", label=f"{name}, f = {f:.3f}")
    ax_s.plot(counts, list(s.values()), "o-", color="tab:blue", label="measured")
    ax_s.set_ylabel("scaled speedup" if weak else "speedup")
    ax_e.axhline(1.0, color="k", ls="--", label="ideal")
    ax_e.plot(dense, model(dense) / dense, ":", color="tab:orange", label=f"{name}, f = {f:.3f}")
    ax_e.plot(counts, list(e.values()), "o-", color="tab:blue", label="measured")
    ax_e.set_ylabel("efficiency")
    ax_e.set_ylim(0, max(1.1, max(e.values()) * 1.1))
    if cores is not None and counts.max() > cores:
        # p workers sharing `cores` cores can at best go min(p, cores) times as fast.
        cap = np.minimum(dense, cores)
        ax_s.plot(dense, cap, color="grey", lw=3, alpha=0.5, label=f"best possible on {cores} cores")
        ax_e.plot(dense, cap / dense, color="grey", lw=3, alpha=0.5, label=f"best possible on {cores} cores")
        for ax in (ax_s, ax_e):
            ax.axvspan(cores, counts.max(), color="grey", alpha=0.12, label=f"more {label} than cores")
    for ax in (ax_s, ax_e):
        ax.set_xlabel(label)
        ax.set_xticks(counts)
        ax.grid(alpha=0.3)
    ax_s.legend(fontsize="small")
    fig.suptitle(title or f"{'Weak' if weak else 'Strong'} scaling")
    fig.tight_layout()
    return fig


def __getattr__(name: str) -> object:
    """Say where a name of an older release went, instead of a bare AttributeError."""
    if name == "speedup":
        raise AttributeError(
            "hpclab.scaling.speedup was renamed speedups (one speedup per process count; CHANGELOG.md); "
            "hpclab.timing.speedup compares two timings"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
