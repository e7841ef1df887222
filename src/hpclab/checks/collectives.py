"""Checks for lesson 09-mpi-collectives: splitting work, bcast, Scatter/Gather, reductions, scaling, π,
Scatterv with Allgather, and an in-place Allreduce on a communicator made by Split.

MPI answers are whole programs in a string; the check runs them on
:data:`RANKS` ranks and compares what each rank holds afterwards, and what the
collectives delivered (:func:`hpclab.checks.mpicheck.run_traced`): values worked
out on each rank while a collective moves a stand-in do not pass.
"""

from __future__ import annotations

import ast
import math
from collections import defaultdict
from typing import Any

import numpy as np

from hpclab import scaling
from hpclab.checks import Question, Wrong, check, plain, require
from hpclab.checks.mpicheck import (
    DEFAULT_TIMEOUT,
    calls_in_program,
    expect,
    require_calls,
    require_delivered,
    run_answer,
    run_traced,
    same,
    show,
    validate_program,
)

LESSON = "09-mpi-collectives"
RANKS = 4
Q1 = Question(LESSON, "q1", "split the work evenly", points=1, level=1)
Q2 = Question(LESSON, "q2", "broadcast a dictionary", points=1, level=1)
Q3 = Question(LESSON, "q3", "Scatter and Gather NumPy buffers", points=2, level=2)
Q4 = Question(LESSON, "q4", "Reduce and Allreduce", points=2, level=2)
Q5 = Question(LESSON, "q5", "read a scaling table", points=2, level=2)
Q6 = Question(LESSON, "q6", "the Monte Carlo π program", points=3, level=3)
Q7 = Question(LESSON, "q7", "uneven pieces with Scatterv, sums with Allgather", points=2, level=2)
Q8 = Question(LESSON, "q8", "an in-place Allreduce inside a Split communicator", points=2, level=2)
QUESTIONS = [Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8]

SEED = 2024  # Q2: the seed in the broadcast dictionary
CONFIG = {"samples": 1_000_000, "seed": SEED, "method": "monte-carlo"}
PI_SAMPLES = 1_000_003  # not a multiple of 4 on purpose


def _reference_share(total: int, size: int, rank: int) -> int:
    base, extra = divmod(total, size)
    return base + (1 if rank < extra else 0)


@check(Q1)
def check_q1(share) -> str:
    """Check ``share``: how many of ``total`` samples each rank takes, evenly and with none lost.

    Tried on several totals and rank counts, 0 samples and a single rank included: the shares must add up to
    ``total``, differ by at most one, and the first ``total % size`` ranks take the extra ones.

    Parameters
    ----------
    share : callable
        Your function: ``share(total, size, rank) -> int``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(share, "share")
    for total, size in ((8, 4), (10, 4), (3, 4), (0, 3), (7, 1), (1_000_003, 4), (99, 7)):
        got = [share(total, size, rank) for rank in range(size)]
        want = [_reference_share(total, size, rank) for rank in range(size)]
        if None in got:
            raise Wrong(f"share({total}, {size}, rank) returned None for some rank: return the number of samples")
        got = [plain(g, int, f"share({total}, {size}, {rank})") for rank, g in enumerate(got)]
        if got != want:
            extra = (
                f" (they add up to {sum(got)}, not {total})"
                if sum(got) != total
                else " (the first total % size ranks should get one extra)"
            )
            raise Wrong(f"share({total}, {size}, rank) for ranks 0..{size - 1} gives {got}, expected {want}{extra}")
    return "every sample is counted once, and no rank has more than one extra"


@check(Q2)
def check_q2(bcast_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``bcast_program``: rank 0's ``config`` dictionary broadcast to every rank with ``bcast``.

    Runs the program on 4 ranks, watching its broadcasts: every rank must hold ``config`` and its own ``my_seed``,
    and have called ``bcast`` with root 0, where rank 0 gave it the dictionary.

    Parameters
    ----------
    bcast_program : str
        Your whole MPI program, as a string: it must call ``bcast``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_calls(bcast_program, "bcast_program", "bcast(")
    result, traffic = run_traced(
        bcast_program, "bcast_program", n=RANKS, collect=["config", "my_seed"], timeout=timeout
    )
    expected = {r: {"config": CONFIG, "my_seed": SEED + r} for r in range(RANKS)}
    expect(result, expected, verb="holds")
    for rank in range(RANKS):
        if not any(event["call"] == "bcast" and event["root"] == 0 for event in traffic[rank]):
            raise Wrong(
                f"rank {rank} holds the right config without taking part in a broadcast from rank 0: every rank "
                "calls config = comm.bcast(config, root=0), and only rank 0 writes the dictionary"
            )
    given = [event["data"] for event in traffic[0] if event["call"] == "bcast" and event["root"] == 0]
    if not any(same(data, CONFIG) for data in given):
        raise Wrong(
            f"every rank holds the right config, but rank 0 broadcast {show(given[0], 50)}, not the dictionary: "
            "the other ranks must learn it from the broadcast, not write it themselves"
        )
    return "one call, and every rank has its own copy of the dictionary"


@check(Q3)
def check_q3(scatter_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``scatter_program``: NumPy buffers dealt out with ``Scatter``, squared, and collected with ``Gather``.

    Runs the program on 4 ranks: every rank must hold its values in ``chunk`` and their squares in ``squared``, and
    rank 0 alone all the squares in ``result`` (None elsewhere), each as the Scatter delivered it or the Gather
    carried it.

    Parameters
    ----------
    scatter_program : str
        Your whole MPI program, as a string: it must call ``comm.Scatter`` and ``comm.Gather``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_calls(scatter_program, "scatter_program", ".Scatter(", ".Gather(")
    result, traffic = run_traced(
        scatter_program, "scatter_program", n=RANKS, collect=["chunk", "squared", "result"], timeout=timeout
    )
    per = 16 // RANKS
    expected = {
        r: {
            "chunk": np.arange(r * per, (r + 1) * per, dtype=float),
            "squared": np.arange(r * per, (r + 1) * per, dtype=float) ** 2,
            "result": np.arange(16, dtype=float) ** 2 if r == 0 else None,
        }
        for r in range(RANKS)
    }
    expect(result, expected, verb="holds")
    for rank in range(RANKS):
        require_delivered(traffic, rank, {"Scatter", "scatter"}, "chunk", expected[rank]["chunk"])
        require_delivered(traffic, rank, {"Gather", "gather"}, "squared", expected[rank]["squared"], side="gave")
    require_delivered(traffic, 0, {"Gather", "gather"}, "result", expected[0]["result"])
    return "four values out to each rank, sixteen squares back on the root"


@check(Q4)
def check_q4(reduce_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``reduce_program``: a sum on every rank with an all-reduce, a maximum on rank 0 with ``MPI.MAX``.

    Runs the program on 4 ranks: every rank must hold ``value`` and ``total``, and ``largest`` only on rank 0 (None
    elsewhere), as the reductions delivered them, each rank having given the all-reduce its own value.

    Parameters
    ----------
    reduce_program : str
        Your whole MPI program, as a string: it must use ``MPI.MAX`` and an all-reduce.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_calls(reduce_program, "reduce_program", "MPI.MAX")
    called = calls_in_program(reduce_program, "reduce_program")
    if not called & {"allreduce", "Allreduce", "Iallreduce"}:
        raise Wrong(
            "`reduce_program` computes `total` without an all-reduce: the question asks every rank to learn the "
            "sum from one comm.allreduce (or comm.Allreduce), not to work it out on its own"
        )
    if not called & {"reduce", "Reduce", "Ireduce", "allreduce", "Allreduce"}:
        raise Wrong("`reduce_program` should find `largest` with a reduce (comm.reduce or comm.Reduce) and MPI.MAX")
    result, traffic = run_traced(
        reduce_program, "reduce_program", n=RANKS, collect=["value", "total", "largest"], timeout=timeout
    )
    values = [(3 * r + 1) % 7 for r in range(RANKS)]
    expected = {
        r: {"value": values[r], "total": sum(values), "largest": max(values) if r == 0 else None} for r in range(RANKS)
    }
    expect(result, expected, verb="holds")
    for rank in range(RANKS):
        require_delivered(traffic, rank, {"allreduce", "Allreduce"}, "total", expected[rank]["total"])
        require_delivered(traffic, rank, {"allreduce", "Allreduce", "Iallreduce"}, "value", values[rank], side="gave")
    require_delivered(traffic, 0, {"reduce", "Reduce", "allreduce", "Allreduce"}, "largest", expected[0]["largest"])
    return "Allreduce told every rank; Reduce told only the root"


def _first_below(f: float, threshold: float = 0.8) -> int:
    p = 1
    while scaling.amdahl(f, p) / p >= threshold:
        p += 1
        if p > 1_000_000:
            raise Wrong(f"with serial fraction {f} the efficiency never falls below {threshold}")
    return p


def _reasonable_fits(speedups: dict[int, float]) -> tuple[float, float]:
    """The range of serial fractions a sound fit of Amdahl's law to ``speedups`` gives.

    From the linearised least-squares fit of :func:`hpclab.scaling.fit_amdahl` (the one
    the question names) to a direct least-squares fit of S(p), which weights the many-core
    runs more, with a little room on either side.
    """
    counts, values = np.array(list(speedups), dtype=float), np.array(list(speedups.values()), dtype=float)
    linear = scaling.fit_amdahl(list(speedups), list(speedups.values()))
    grid = np.linspace(0.0, 1.0, 100_001)
    model = 1.0 / (grid[:, None] + (1.0 - grid[:, None]) / counts[None, :])
    direct = float(grid[np.argmin(((model - values[None, :]) ** 2).sum(axis=1))])
    return min(linear, direct) - 0.002, max(linear, direct) + 0.004


@check(Q5)
def check_q5(cluster_times, speedups, serial_fraction, cores_below_80) -> str:
    """Check the scaling table read: speedups, a fitted serial fraction, and where efficiency drops below 80%.

    ``speedups`` must be T(1) / T(p) for every core count, ``serial_fraction`` a sound fit of Amdahl's law to all of
    them (not to one measurement), and ``cores_below_80`` the first core count at which amdahl(f, p) / p is below
    0.8 for your fraction f.

    Parameters
    ----------
    cluster_times : dict of int to float
        The measured times in seconds per number of cores, as the lesson gives them.
    speedups : dict of int to float
        Your speedup for every core count.
    serial_fraction : float
        The serial fraction you fitted.
    cores_below_80 : int
        The smallest core count at which the efficiency falls below 0.8.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(speedups, "speedups")
    require(serial_fraction, "serial_fraction")
    require(cores_below_80, "cores_below_80")
    want = {p: cluster_times[1] / t for p, t in cluster_times.items()}
    if not isinstance(speedups, dict) or set(speedups) != set(want):
        raise Wrong(
            f"`speedups` should be a dict with the same counts as cluster_times {sorted(want)}; got {show(speedups)}"
        )
    speedups = plain(speedups, dict, "speedups", of=float)
    for p, s in want.items():
        if not math.isclose(speedups[p], s, rel_tol=1e-6):
            raise Wrong(f"speedups[{p}] is {show(speedups[p])}, expected T(1)/T({p}) = {s:.3f}")
    f = plain(serial_fraction, float, "serial_fraction")
    low, high = _reasonable_fits(want)
    if not low <= f <= high:
        raise Wrong(
            f"serial_fraction = {f:.4f} does not fit these speedups: fit Amdahl's law to all of them "
            "with scaling.fit_amdahl(counts, speedups), not to one measurement"
        )
    first = _first_below(f)
    cores_below_80 = plain(cores_below_80, int, "cores_below_80")
    if cores_below_80 != first:
        raise Wrong(
            f"cores_below_80 = {show(cores_below_80)}, but with f = {f:.4f} the efficiency "
            f"amdahl(f, p) / p first drops below 0.8 at p = {first}"
        )
    return f"about {f:.1%} serial work: from {first} cores on, more than a fifth of the cores' time is wasted"


def _pi_run(pi_program: str, timeout: float):
    result = run_answer(
        pi_program,
        "pi_program",
        n=RANKS,
        args=[str(PI_SAMPLES)],
        timeout=timeout,
        collect=["my_samples", "hits", "pi_estimate", "elapsed"],
    )
    return {r: result.values[r] for r in range(RANKS)}


@check(Q6)
def check_q6(pi_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``pi_program``: the Monte Carlo estimate of π, split over the ranks, timed, and combined with a reduce.

    Runs the program twice on 4 ranks with the number of samples as ``sys.argv[1]``. Every rank must hold
    ``my_samples``, ``hits`` and a positive ``elapsed`` from ``MPI.Wtime``; the shares must add up and differ by at
    most one, the ranks must draw different random numbers, rank 0 alone holds ``pi_estimate`` (close to π), and
    both runs must give the same estimate.

    Parameters
    ----------
    pi_program : str
        Your whole MPI program, as a string: it must call ``MPI.Wtime`` and a reduce.
    timeout : float, optional
        Seconds each run may take before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require_calls(pi_program, "pi_program", "Wtime")
    calls = calls_in_program(pi_program, "pi_program")
    if "Wtime" not in calls:
        raise Wrong("`pi_program` should time its work with MPI.Wtime() (call it before and after)")
    if not calls & {"Reduce", "reduce", "Allreduce", "allreduce"}:
        raise Wrong(
            "`pi_program` should combine the ranks' hits with comm.Reduce (or comm.reduce), as the "
            "question asks: a comment or a name that mentions it does not combine anything"
        )
    first = _pi_run(pi_program, timeout)
    counts: list[int] = []
    hits: list[int] = []
    for rank, held in first.items():
        try:
            counts.append(int(held["my_samples"]))
            hit = int(np.asarray(held["hits"]).ravel()[0]) if np.size(held["hits"]) == 1 else None
        except (TypeError, ValueError):
            raise Wrong(
                f"rank {rank} holds my_samples = {show(held['my_samples'])} and hits = {show(held['hits'])}; "
                "both should be whole numbers, defined on every rank"
            ) from None
        if hit is None:
            raise Wrong(f"rank {rank} holds hits = {show(held['hits'])}; it should be one whole number")
        hits.append(hit)
        try:
            elapsed = float(held["elapsed"])
        except (TypeError, ValueError):
            raise Wrong(f"rank {rank} holds elapsed = {show(held['elapsed'])}; store MPI.Wtime() differences") from None
        if not elapsed > 0:
            raise Wrong(f"rank {rank} holds elapsed = {elapsed}; it should be the positive time MPI.Wtime() measured")
    if sum(counts) != PI_SAMPLES or max(counts) - min(counts) > 1:
        raise Wrong(
            f"ranks 0..{RANKS - 1} drew {counts} samples for a total of {PI_SAMPLES} (read from sys.argv[1]): "
            "split it so they add up exactly and differ by at most one"
        )
    for rank, (n, h) in enumerate(zip(counts, hits)):
        if not 0 <= h <= n:
            raise Wrong(f"rank {rank} counts {h} hits out of {n} samples")
    same_size = defaultdict(list)
    for n, h in zip(counts, hits):
        same_size[n].append(h)
    for group in same_size.values():
        if len(group) >= 3 and len(set(group)) == 1:
            raise Wrong(
                f"ranks with the same number of samples all counted exactly {group[0]} hits: they drew the same "
                "random numbers. Give every rank its own stream, e.g. SeedSequence(seed).spawn(size)[rank]"
            )
    estimate = first[0]["pi_estimate"]
    want = 4 * sum(hits) / PI_SAMPLES
    try:
        estimate = float(np.asarray(estimate).ravel()[0])
    except (TypeError, ValueError, IndexError):
        raise Wrong(f"rank 0 holds pi_estimate = {show(estimate)}; it should be a number") from None
    if not math.isclose(estimate, want, rel_tol=1e-9):
        raise Wrong(f"rank 0 holds pi_estimate = {estimate!r} but 4 × (sum of hits) / {PI_SAMPLES} = {want!r}")
    for rank in range(1, RANKS):
        if first[rank]["pi_estimate"] is not None:
            raise Wrong(
                f"rank {rank} holds pi_estimate = {show(first[rank]['pi_estimate'])} but expected None: "
                "reduce to root 0 and set pi_estimate only there"
            )
    sigma = math.sqrt(math.pi * (4 - math.pi) / PI_SAMPLES)
    if abs(estimate - math.pi) > 6 * sigma:
        raise Wrong(
            f"pi_estimate = {estimate:.5f} is {abs(estimate - math.pi):.4f} away from π, far more than the "
            f"random error (about {sigma:.4f}): is a hit x² + y² ≤ 1 with x, y uniform in [0, 1)?"
        )
    again = _pi_run(pi_program, timeout)
    if again[0]["pi_estimate"] != first[0]["pi_estimate"]:
        raise Wrong(
            f"two runs gave {first[0]['pi_estimate']!r} and {again[0]['pi_estimate']!r}: seed each rank's "
            "generator from a fixed seed so the result can be reproduced"
        )
    return f"π ≈ {estimate:.5f} from {PI_SAMPLES:,} samples, the same every run"


UNEVEN_TOTAL = 10
UNEVEN_COUNTS = [r + 1 for r in range(RANKS)]  # 1, 2, 3, 4: rank r gets r + 1 values


@check(Q7)
def check_q7(scatterv_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``scatterv_program``: uneven pieces dealt out with ``Scatterv``, their sums shared with ``Allgather``.

    Runs the program on 4 ranks: rank r must hold the next r + 1 values of ``data`` in ``piece``, and every rank the
    sums of all the pieces in ``sums``, as the Scatterv and the Allgather delivered them.

    Parameters
    ----------
    scatterv_program : str
        Your whole MPI program, as a string: it must call ``Scatterv`` and ``Allgather`` (or ``allgather``).
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(scatterv_program, "scatterv_program")
    calls = calls_in_program(program, "scatterv_program")
    if "Scatterv" not in calls:
        raise Wrong(
            "`scatterv_program` should deal out the pieces with comm.Scatterv, giving the counts and "
            "displacements on the root: the upper-case Scatter only cuts equal blocks, and the lower-case "
            "scatter pickles a list"
        )
    if not calls & {"Allgather", "allgather"}:
        raise Wrong(
            "`scatterv_program` should give every rank the sums with comm.Allgather (or comm.allgather): "
            "one call, no root, everybody ends up with the list"
        )
    result, traffic = run_traced(program, "scatterv_program", n=RANKS, collect=["piece", "sums"], timeout=timeout)
    starts = [sum(UNEVEN_COUNTS[:r]) for r in range(RANKS)]
    pieces = [np.arange(start, start + count, dtype=float) for start, count in zip(starts, UNEVEN_COUNTS)]
    for rank in range(RANKS):
        got: Any = result.values[rank]["piece"]  # whatever the learner's rank held
        if got is None or np.size(got) != UNEVEN_COUNTS[rank]:
            raise Wrong(
                f"rank {rank} holds piece = {show(got)}, but it should receive {UNEVEN_COUNTS[rank]} "
                f"value(s): rank r's count is r + 1, and its receive buffer needs room for exactly that many"
            )
        if not same(got, pieces[rank]):
            raise Wrong(
                f"rank {rank} holds piece = {show(got)} but expected {show(pieces[rank])}: the displacements "
                "say where each piece starts in `data`, the sum of the counts of the ranks before it"
            )
    sums = [float(piece.sum()) for piece in pieces]
    expect(result, {r: {"sums": np.array(sums)} for r in range(RANKS)}, verb="holds")
    for rank in range(RANKS):
        require_delivered(traffic, rank, {"Scatterv"}, "piece", pieces[rank])
        require_delivered(traffic, rank, {"Allgather", "allgather"}, "sums", sums)
    return (
        f"pieces of {', '.join(map(str, UNEVEN_COUNTS))} values out, and every rank knows all the sums "
        f"{', '.join(f'{s:g}' for s in sums)}"
    )


def _in_place_allreduce(program: str) -> tuple[bool, bool]:
    """(does the program call Allreduce, does one of those calls pass MPI.IN_PLACE as its send buffer)."""
    called = in_place = False
    for node in ast.walk(ast.parse(program)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name != "Allreduce":
            continue
        called = True
        send = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "sendbuf"), None)
        if (isinstance(send, ast.Attribute) and send.attr == "IN_PLACE") or (
            isinstance(send, ast.Name) and send.id == "IN_PLACE"
        ):
            in_place = True
    return called, in_place


@check(Q8)
def check_q8(split_program, timeout: float = DEFAULT_TIMEOUT) -> str:
    """Check ``split_program``: an in-place ``Allreduce`` on the even or the odd ranks' communicator from ``Split``.

    Looks for ``Split`` and an ``Allreduce`` with ``MPI.IN_PLACE`` as its send buffer, then runs the program on 4
    ranks: every rank's ``values`` must hold the sum over its half, as the Allreduce left it, and ``half_rank`` its
    rank in that half.

    Parameters
    ----------
    split_program : str
        Your whole MPI program, as a string: it must call ``Split`` and ``Allreduce``.
    timeout : float, optional
        Seconds the program may run before the check stops it as stuck (default ``DEFAULT_TIMEOUT``, 20).

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    program = validate_program(split_program, "split_program")
    if "Split" not in calls_in_program(program, "split_program"):
        raise Wrong(
            "`split_program` should make the even and the odd ranks' communicator with "
            "comm.Split(color, key), the colour being rank % 2"
        )
    called, in_place = _in_place_allreduce(program)
    if not called:
        raise Wrong(
            "`split_program` should add up `values` with the upper-case Allreduce on the new communicator "
            "(the lower-case allreduce has no in-place form)"
        )
    if not in_place:
        raise Wrong(
            "pass MPI.IN_PLACE as the send buffer, Allreduce(MPI.IN_PLACE, values, op=MPI.SUM), so the sum "
            "is written over `values` itself: no second array"
        )
    result, traffic = run_traced(program, "split_program", n=RANKS, collect=["values", "half_rank"], timeout=timeout)
    own = [np.array([r, r**2], dtype=float) for r in range(RANKS)]
    everyone = sum(own)
    halves = {r: sum(own[q] for q in range(RANKS) if q % 2 == r % 2) for r in range(RANKS)}
    for rank in range(RANKS):
        got = result.values[rank]["values"]
        if same(got, everyone) and not same(got, halves[rank]):
            raise Wrong(
                f"rank {rank} holds values = {show(got)}, the sum over all {RANKS} ranks: call Allreduce on "
                "the communicator Split returned, not on COMM_WORLD"
            )
    try:
        expect(result, {r: {"half_rank": r // 2} for r in range(RANKS)}, verb="holds")
    except Wrong as exc:
        raise Wrong(
            f"{exc}: with colour rank % 2 and key rank, world ranks 0 and 2 become ranks 0 and 1 of the "
            "even half, 1 and 3 of the odd one"
        ) from None
    expect(result, {r: {"values": halves[r]} for r in range(RANKS)}, verb="holds")
    for rank in range(RANKS):
        require_delivered(traffic, rank, {"Allreduce"}, "values", halves[rank])
    return "two halves, one collective each, and the sums sit in the arrays that held the inputs"
