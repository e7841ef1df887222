"""Checks for lesson 04b-dask-diagnostics-memory: memory thresholds, a performance report, a bad graph fixed,
and a worker killed over its memory limit."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import dask
import numpy as np
from distributed import KilledWorker

from hpclab.checks import NotAttempted, Question, Wrong, check, plain, require, require_dask_array, source_of

LESSON = "04b-dask-diagnostics-memory"
Q1 = Question(LESSON, "q1", "a worker's memory thresholds in bytes", points=1, level=1)
Q2 = Question(LESSON, "q2", "a performance report that opens offline, and read", points=2, level=2)
Q3 = Question(LESSON, "q3", "the bad graph fixed at its source", points=2, level=2)
Q4 = Question(LESSON, "q4", "survive a worker killed over its memory limit", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4]

THRESHOLDS = ("target", "spill", "pause", "terminate")
HOG_LIMIT = 2 * 2**30  # Q4 fills a worker's memory: never on a worker allowed more than this


def _worker_limits(client) -> dict[str, int]:
    """Each worker's memory_limit in bytes, as the scheduler knows it."""
    return {
        address: int(info["memory_limit"]) for address, info in client.scheduler_info(n_workers=-1)["workers"].items()
    }


def _fractions(dask_worker) -> dict[str, float]:
    """The fractions a running worker really uses (the nanny's terminate comes from the same config)."""
    manager = dask_worker.memory_manager
    return {
        "target": manager.memory_target_fraction,
        "spill": manager.memory_spill_fraction,
        "pause": manager.memory_pause_fraction,
        "terminate": dask.config.get("distributed.worker.memory.terminate"),
    }


@check(Q1)
def check_q1(thresholds, client) -> str:
    """Check ``thresholds``: the bytes at which one worker reaches its target, spill, pause and terminate thresholds.

    Each value must be one worker's ``memory_limit`` times the fraction the workers use for that threshold; the
    hints catch fractions given instead of bytes, the whole cluster's memory, and GB taken for GiB.

    Parameters
    ----------
    thresholds : dict of str to float
        Keys ``"target"``, ``"spill"``, ``"pause"`` and ``"terminate"``; values in bytes.
    client : distributed.Client
        The client of the lesson's cluster; the check reads the workers' limits and fractions through it.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(thresholds, "thresholds")
    thresholds = plain(thresholds, dict, "thresholds", of=float)
    if set(thresholds) != set(THRESHOLDS):
        raise Wrong(f"`thresholds` has the keys {sorted(thresholds)}; it needs exactly {list(THRESHOLDS)}")
    limits = _worker_limits(client)
    limit = min(limits.values())
    fractions = next(iter(client.run(_fractions).values()))
    if all(value <= 1 for value in thresholds.values()):
        raise Wrong(
            "`thresholds` holds fractions; the question asks for bytes: multiply each fraction by one "
            f"worker's memory_limit ({limit:,} bytes, from client.scheduler_info())"
        )
    expected = {name: fractions[name] * limit for name in THRESHOLDS}
    for name in THRESHOLDS:
        got, want = thresholds[name], expected[name]
        if abs(got - want) <= 0.001 * want:
            continue
        if abs(got - want * len(limits)) <= 0.001 * want * len(limits):
            raise Wrong(
                f"thresholds[{name!r}] is the whole cluster's ({len(limits)} workers): every worker has a "
                "memory_limit of its own, and each one spills, pauses and stops on its own"
            )
        for unit, decimal, binary in (("GiB", 10**9, 2**30), ("MiB", 10**6, 2**20)):
            if abs(got - want * decimal / binary) <= 0.001 * want:
                raise Wrong(
                    f"thresholds[{name!r}] counts a {unit} as {decimal:,} bytes; 1 {unit} is {binary:,} bytes: "
                    "take the limit in bytes from client.scheduler_info() instead of typing it"
                )
        others = [other for other in THRESHOLDS if other != name and abs(got - expected[other]) <= 0.001 * want]
        if others:
            raise Wrong(
                f"thresholds[{name!r}] is the {others[0]} threshold: {name} is at "
                f"{fractions[name]:g} of the limit (dask.config.get('distributed.worker.memory.{name}'))"
            )
        raise Wrong(
            f"thresholds[{name!r}] is {got:,.0f} bytes; one worker's limit x the {name} fraction is "
            f"{limit:,} x {fractions[name]:g}"
        )
    return (
        f"a worker of {limit / 2**20:,.0f} MiB spills from {expected['target'] / 2**20:,.0f} MiB of data, "
        f"pauses at {expected['pause'] / 2**20:,.0f} MiB and is restarted at {expected['terminate'] / 2**20:,.0f} MiB"
    )


def report_summary(path: str | Path) -> dict[str, str]:
    """What the Summary tab of a Dask performance report says: duration, number of tasks, time per action."""
    text = html.unescape(Path(path).read_text(encoding="utf-8", errors="replace"))
    start = text.find("Dask Performance Report </h1>")
    if start < 0:
        raise ValueError(f"{path} is not a Dask performance report")
    summary = text[start : text.find("Calling Code", start)]
    found = {
        "duration": re.search(r"Duration: ([^<]+?) </h2>", summary),
        "tasks": re.search(r"number of tasks: (\d+)", summary),
    }
    out = {key: match.group(1) for key, match in found.items() if match}
    out.update(re.findall(r"<li> ([\w-]+ time): ([^<]+?) </li>", summary))
    return out


def _cdn_scripts(text: str) -> list[str]:
    return re.findall(r'<script[^>]*src="(https?://[^"]+)"', text)


@check(Q2)
def check_q2(report_path, n_tasks, bad) -> str:
    """Check the performance report at ``report_path``, and ``n_tasks`` read from it.

    The file must be a Dask performance report that opens offline (no JavaScript loaded from the internet), record
    the computation of ``bad.sum()``, and ``n_tasks`` must be the number of tasks on its Summary tab.

    Parameters
    ----------
    report_path : str or pathlib.Path
        The report's file.
    n_tasks : int
        The number of tasks you read on the report's Summary tab.
    bad : dask.array.Array
        The lesson's array of many tiny chunks, whose sum the report recorded.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(report_path, "report_path")
    path = Path(plain(str(report_path) if isinstance(report_path, Path) else report_path, str, "report_path"))
    if not path.is_file():
        raise Wrong(
            f"there is no file {path}: write the report with "
            "`with performance_report(filename=report_path, ...):` around the computation"
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        summary = report_summary(path)
    except ValueError:
        raise Wrong(f"{path} is not a Dask performance report: make it with distributed.performance_report") from None
    remote = _cdn_scripts(text)
    if remote:
        raise Wrong(
            f"the report loads its JavaScript from {remote[0].split('/')[2]}: on a compute node (or a laptop "
            "on a train) with no internet it opens as a blank page. Ask for a self-contained file with "
            "performance_report(..., mode='inline')"
        )
    counted = int(summary.get("tasks", "0"))
    if counted < bad.npartitions:
        raise Wrong(
            f"the report counts {counted} tasks, fewer than the {bad.npartitions} chunks of `bad`: "
            "compute bad.sum() inside the `with performance_report(...)` block"
        )
    require(n_tasks, "n_tasks")
    n_tasks = plain(n_tasks, int, "n_tasks")
    if n_tasks != counted:
        hint = (
            f"{bad.npartitions} is the number of chunks; besides one task per chunk, the sum adds a tree of "
            "tasks that combine partial sums"
            if n_tasks == bad.npartitions
            else "open the report and read 'number of tasks' on its Summary tab"
        )
        raise Wrong(f"n_tasks is {n_tasks}, but the report says {counted} tasks ran: {hint}")
    size = path.stat().st_size / 1e6
    return f"{counted} tasks in {summary.get('duration', '?')}, in a {size:.1f} MB file that opens offline"


@check(Q3)
def check_q3(good, bad, client) -> str:
    """Check ``good``: the same data as ``bad``, created with bigger chunks from the start.

    ``good`` must not be built from ``bad`` (rechunking keeps the tiny tasks) nor wrap a NumPy array; it needs at
    least one chunk per worker thread, at most four, and the same sum as ``bad``.

    Parameters
    ----------
    good : dask.array.Array
        Your array, not computed.
    bad : dask.array.Array
        The lesson's array of many tiny chunks.
    client : distributed.Client
        The lesson's client; its workers' threads set how many chunks are right.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(good, "good")
    good = require_dask_array(good, "good")
    if good.shape != bad.shape or good.dtype != bad.dtype:
        raise Wrong(
            f"`good` has shape {good.shape} and dtype {good.dtype}; it must describe the same data as `bad`: "
            f"shape {bad.shape}, dtype {bad.dtype}"
        )
    if bad.name in {key[0] if isinstance(key, tuple) else key for key in good.__dask_graph__()}:
        raise Wrong(
            f"`good` is built from `bad`, so its graph still makes the {bad.npartitions} tiny chunks first "
            "and then glues them together (rechunk moves data; it does not undo small tasks). Create the "
            "array with bigger chunks from the start"
        )
    if any(str(name).startswith("array-") for name in good.__dask_graph__().layers):
        raise Wrong(
            "`good` wraps a NumPy array that was made in the notebook (da.from_array): every byte then travels "
            "from here to the workers. Let Dask make each chunk where it is used, as `bad` does"
        )
    threads = sum(client.nthreads().values())
    if good.npartitions < threads:
        raise Wrong(
            f"`good` has {good.npartitions} chunk{'s' if good.npartitions != 1 else ''} for {threads} worker "
            "threads: one task per chunk, so some threads sit idle (the task stream shows one row busy). "
            "Give every thread at least one chunk"
        )
    if good.npartitions > 4 * threads:
        raise Wrong(
            f"`good` still has {good.npartitions} chunks of {good.nbytes / good.npartitions / 1e3:,.0f} kB: "
            f"with {threads} threads, a few chunks per thread (at most {4 * threads}) is plenty here"
        )
    got = float(good.sum().compute())
    want = float(bad.sum().compute())
    if abs(got - want) > 1e-9 * max(1.0, abs(want)):
        raise Wrong(f"good.sum() is {got:g}, bad.sum() is {want:g}: `good` must hold the same values")
    return f"{good.npartitions} chunks of {good.nbytes / good.npartitions / 1e6:.0f} MB: every thread busy, few tasks"


# ----------------------------------------------------------------------------- Q4: functions run on the workers


def _double(n):
    return 2 * n


def _broken(n):
    raise ValueError(f"a bug in the learner's own function (argument {n})")


def _hog(limit: int):
    """Fill more than a worker's memory limit, and hold it until the nanny steps in."""
    block = np.ones(int(limit), dtype=np.uint8)  # ones, not zeros: every page is really touched
    time.sleep(15)
    return int(block[:: 2**20].sum())


def _set_allowed_failures(value, dask_scheduler=None):
    """Run on the scheduler (client.run_on_scheduler passes it in): set allowed-failures, return the old value."""
    old = dask_scheduler.allowed_failures
    dask_scheduler.allowed_failures = value
    return old


@check(Q4)
def check_q4(run_guarded, client) -> str:
    """Check ``run_guarded``: run a function on the cluster; None when its worker is killed over its memory limit.

    Calls it with a function that returns a result, with one that raises ValueError (which must still raise), and
    with one that fills a worker's memory, so that the worker is killed on purpose: that call must return None, and
    only once the cluster has all its workers back. Needs workers with a memory limit of at most 2 GiB, as the
    lesson starts them.

    Parameters
    ----------
    run_guarded : callable
        Your function, defined with ``def`` in a cell: ``run_guarded(client, func, *args)``, the result of
        ``func(*args)``, or None when the worker running it was killed.
    client : distributed.Client
        The client of the lesson's cluster, whose workers have nannies.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    source_of(run_guarded, "run_guarded")
    require(client, "client")
    try:
        answer = run_guarded(client, _double, 21)
    except NotImplementedError:
        raise NotAttempted("write the body of `run_guarded`, then run this cell again") from None
    if answer is None:
        raise Wrong("run_guarded(client, double, 21) returned None: return future.result() when the task finishes")
    if plain(answer, int, "run_guarded(client, double, 21)") != 42:
        raise Wrong(
            f"run_guarded(client, double, 21) gave {answer!r}, not 42: submit func(*args) and return its result"
        )
    try:
        swallowed = run_guarded(client, _broken, 1)
    except ValueError:
        pass
    else:
        raise Wrong(
            f"a function that raises ValueError came back as {swallowed!r}: catch only KilledWorker, so that a "
            "bug in the learner's own function still raises and shows its traceback"
        )
    limits = _worker_limits(client)
    if max(limits.values()) > HOG_LIMIT or min(limits.values()) <= 0:
        raise Wrong(
            f"this check fills a worker's memory, so it needs workers with a memory_limit of at most "
            f"{HOG_LIMIT // 2**30} GiB (these have {max(limits.values()) / 2**30:.1f} GiB): start the cluster "
            "as the first cell does"
        )
    before = len(limits)
    old = client.run_on_scheduler(_set_allowed_failures, 0)  # one kill is enough to show it, not four
    try:
        try:
            result = run_guarded(client, _hog, max(limits.values()))
        except KilledWorker:
            raise Wrong(
                "KilledWorker reached the caller: a worker over its memory limit is stopped by its nanny "
                "(not by Python), so the client sees distributed.KilledWorker, never a MemoryError. "
                "Catch KilledWorker"
            ) from None
        after = len(client.scheduler_info(n_workers=-1)["workers"])
    finally:
        client.run_on_scheduler(_set_allowed_failures, old)
        client.wait_for_workers(before, timeout=60)
    if result is not None:
        raise Wrong(
            f"a task that filled its worker's memory returned {result!r} instead of None: was it run on this "
            "cluster (client.submit), whose workers have nannies that stop them at their limit?"
        )
    if after < before:
        raise Wrong(
            f"run_guarded returned while the cluster had {after} of its {before} workers: the nanny is still "
            "starting a new one. Wait for it (client.wait_for_workers(n)) before returning"
        )
    return f"the killed task gave None, bugs still raise, and all {before} workers were back before it returned"
