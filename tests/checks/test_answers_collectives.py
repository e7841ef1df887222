"""Lesson 09-mpi-collectives' checks (hpclab.checks.collectives): bcast, Scatter/Gather, reductions,
scaling, π, Scatterv and an in-place Allreduce on a Split communicator.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import sys

import cloudpickle
import numpy as np
import pytest

from hpclab.checks import collectives
from tests.support.answers import MPI_HEAD as HEAD
from tests.support.answers import Answers

#: The end of the q4 answers that fake the all-reduce: every rank works the total out from the formula.
TOTAL_WORKED_OUT = """total = sum((3 * r + 1) % 7 for r in range(comm.size))
largest = comm.reduce(value, op=MPI.MAX, root=0)
"""

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("09-mpi-collectives")
right, wrong = ANSWERS.right, ANSWERS.wrong


def share_bool(total, size, rank):
    return total // size + (rank < total % size)


def share_floor(total, size, rank):
    return total // size


CLUSTER_TIMES = {1: 96.0, 2: 49.5, 4: 26.1, 8: 14.9, 16: 9.6, 32: 7.2}


def _direct_fit(speedups):
    """Least squares on S(p) itself, by a fine grid: the 'other sensible fit' the question allows."""
    grid = np.linspace(0, 0.2, 20_001)
    errors = sum((1 / (grid + (1 - grid) / p) - s) ** 2 for p, s in speedups.items())
    return float(grid[int(np.argmin(errors))])


def _scaling(how):
    from hpclab import scaling

    speedups = {p: np.float64(CLUSTER_TIMES[1] / t) for p, t in CLUSTER_TIMES.items()}
    f = _direct_fit(speedups)
    cores = 1
    while scaling.amdahl(f, cores) / cores >= 0.8:
        cores += 1
    if how == "one point":
        s2 = speedups[2]
        f = (2 / s2 - 1) / (2 - 1)
    if how == "cores of the other fit":
        cores = 8
    if how == "times over":
        speedups = {p: t / CLUSTER_TIMES[1] for p, t in CLUSTER_TIMES.items()}
    return CLUSTER_TIMES, speedups, f, cores


PI = (
    HEAD
    + """
import sys
total = int(sys.argv[1])
my_samples = total // comm.size + (comm.rank < total % comm.size)
seq = np.random.SeedSequence(99).spawn(comm.size)[comm.rank]
rng = np.random.default_rng(seq)
t0 = MPI.Wtime()
points = rng.random((my_samples, 2))
hits = int(((points ** 2).sum(axis=1) <= 1).sum())
COMBINE
elapsed = MPI.Wtime() - t0
pi_estimate = 4 * total_hits / total if comm.rank == 0 else None
"""
)

right("q1", "a boolean added to the floor", lambda c: (share_bool,), fast=True)
wrong("q1", "the floor only", lambda c: (share_floor,), "(they add up to 8, not 10)", fast=True)
wrong(
    "q1",
    "the check's own share()",
    lambda c: (collectives._reference_share,),
    "comes from the course's own checks",
    fast=True,
)
right(
    "q2",
    "bcast of a conditional expression",
    lambda c: (
        HEAD
        + """
config = comm.bcast({"samples": 1_000_000, "seed": 2024, "method": "monte-carlo"} if comm.rank == 0 else None)
my_seed = config["seed"] + comm.rank
""",
    ),
)
wrong(
    "q2",
    "every rank builds its own",
    lambda c: (
        HEAD
        + """
config = {"samples": 1_000_000, "seed": 2024, "method": "monte-carlo"}  # no need to bcast(
my_seed = config["seed"] + comm.rank
""",
    ),
    "`bcast(`",
    fast=True,
)
wrong(
    "q2",
    "a dummy broadcast, the dictionary written on every rank",
    lambda c: (
        HEAD
        + """
comm.bcast(None, root=0)
config = {"samples": 1_000_000, "seed": 2024, "method": "monte-carlo"}
my_seed = config["seed"] + comm.rank
""",
    ),
    "but rank 0 broadcast None, not the dictionary",
)
right(
    "q2",
    "bcast on a duplicate of COMM_WORLD, the root by name",
    lambda c: (
        HEAD
        + """
mine = comm.Dup()
config = mine.bcast(obj={"samples": 1_000_000, "seed": 2024, "method": "monte-carlo"} if mine.rank == 0 else None,
                    root=0)
my_seed = config["seed"] + mine.rank
mine.Free()
""",
    ),
)
right(
    "q3",
    "explicit [buffer, MPI.DOUBLE]",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = np.empty(4)
comm.Scatter([data, MPI.DOUBLE] if comm.rank == 0 else None, [chunk, MPI.DOUBLE], root=0)
squared = chunk ** 2
result = np.empty(16) if comm.rank == 0 else None
comm.Gather([squared, MPI.DOUBLE], [result, MPI.DOUBLE] if comm.rank == 0 else None, root=0)
""",
    ),
)
wrong(
    "q3",
    "lower-case scatter of a list",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = comm.scatter(np.split(data, comm.size) if comm.rank == 0 else None, root=0)
squared = chunk ** 2
parts = comm.gather(squared, root=0)
result = np.concatenate(parts) if comm.rank == 0 else None
""",
    ),
    "`.Scatter(`",
    fast=True,
)
wrong(
    "q4",
    "the total worked out by every rank from the formula, no all-reduce",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
"""
        + TOTAL_WORKED_OUT,
    ),
    "without an all-reduce",
    fast=True,
)
right(
    "q4",
    "Iallreduce and an in-place Reduce on the root",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
total = np.zeros(1, dtype="i")
MPI.Request.Wait(comm.Iallreduce(np.array([value], dtype="i"), total, op=MPI.SUM))
largest = np.array([value], dtype="i") if comm.rank == 0 else None
comm.Reduce(MPI.IN_PLACE if comm.rank == 0 else np.array([value], dtype="i"), largest, op=MPI.MAX, root=0)
""",
    ),
)
right(
    "q4",
    "upper-case calls on NumPy buffers",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
total = np.zeros(1, dtype="i")
comm.Allreduce(np.array([value], dtype="i"), total, op=MPI.SUM)
largest = np.zeros(1, dtype="i") if comm.rank == 0 else None
comm.Reduce(np.array([value], dtype="i"), largest, op=MPI.MAX, root=0)
""",
    ),
)
wrong(
    "q4",
    "gather, then Python's max",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
total = comm.allreduce(value)
values = comm.gather(value, root=0)
largest = max(values) if comm.rank == 0 else None
""",
    ),
    "`MPI.MAX`",
    fast=True,
)
right("q5", "least squares on S(p): f = 0.044, 7 cores", lambda c: _scaling("direct"), fast=True)
wrong("q5", "f from the 2-core run alone", lambda c: _scaling("one point"), "does not fit these speedups", fast=True)
wrong(
    "q5",
    "cores that do not follow from f",
    lambda c: _scaling("cores of the other fit"),
    "first drops below 0.8 at p = 7",
    fast=True,
)
wrong("q5", "T(p) / T(1)", lambda c: _scaling("times over"), "expected T(1)/T(2) = 1.939", fast=True)
right(
    "q6",
    "lower-case reduce, one 2-column draw",
    lambda c: (PI.replace("COMBINE", "total_hits = comm.reduce(hits, op=MPI.SUM, root=0)"),),
)
wrong(
    "q6",
    "reduce only in a comment; gather does the work",
    lambda c: (PI.replace("COMBINE", "total_hits = sum(comm.gather(hits, root=0) or [])  # instead of reduce"),),
    "a comment or a name that mentions it does not combine anything",
    fast=True,
)

UNEVEN = (
    HEAD
    + """
counts = np.arange(1, comm.size + 1)
displs = DISPLS
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = np.zeros(counts[comm.rank])
comm.Scatterv([data, (counts, displs), MPI.DOUBLE] if comm.rank == 0 else None, [piece, MPI.DOUBLE], root=0)
sums = comm.allgather(float(piece.sum()))
"""
)
right(
    "q7",
    "tuple of counts and cumsum displacements, lower-case allgather",
    lambda c: (UNEVEN.replace("DISPLS", "np.concatenate([[0], np.cumsum(counts)[:-1]])"),),
)
wrong(
    "q7",
    "displacements one apart",
    lambda c: (UNEVEN.replace("DISPLS", "np.arange(comm.size)"),),
    "the displacements say where each piece starts",
)
wrong(
    "q7",
    "lower-case scatter of np.split pieces",
    lambda c: (
        HEAD
        + """
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = comm.scatter(np.split(data, [1, 3, 6]) if comm.rank == 0 else None, root=0)
sums = comm.allgather(piece.sum())
""",
    ),
    "deal out the pieces with comm.Scatterv",
    fast=True,
)
wrong(
    "q7",
    "gather, then bcast",
    lambda c: (
        UNEVEN.replace("DISPLS", "[0, 1, 3, 6]").replace(
            "sums = comm.allgather(float(piece.sum()))", "sums = comm.bcast(comm.gather(piece.sum(), root=0), root=0)"
        ),
    ),
    "comm.Allgather (or comm.allgather)",
    fast=True,
)

SPLIT = (
    HEAD
    + """
values = np.array([comm.rank, comm.rank ** 2], dtype="d")
half = comm.Split(comm.rank % 2, comm.rank)
half_rank = half.Get_rank()
REDUCE
"""
)
right(
    "q8",
    "positional colour and key, [buffer, MPI.DOUBLE]",
    lambda c: (
        SPLIT.replace("REDUCE", "half.Allreduce(sendbuf=MPI.IN_PLACE, recvbuf=[values, MPI.DOUBLE], op=MPI.SUM)"),
    ),
)
wrong(
    "q8",
    "Allreduce on COMM_WORLD",
    lambda c: (SPLIT.replace("REDUCE", "comm.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)"),),
    "the communicator Split returned",
)
wrong(
    "q8",
    "a second array, IN_PLACE only in a comment",
    lambda c: (
        SPLIT.replace(
            "REDUCE",
            "total = np.empty(2)\nhalf.Allreduce(values, total, op=MPI.SUM)  # instead of MPI.IN_PLACE\nvalues = total",
        ),
    ),
    "pass MPI.IN_PLACE as the send buffer",
    fast=True,
)
wrong(
    "q8",
    "split into first and second half",
    lambda c: (
        SPLIT.replace("comm.rank % 2", "comm.rank // 2").replace(
            "REDUCE", "half.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)"
        ),
    ),
    "rank 1 holds half_rank = 1 but expected 0",
)


# ------------------------------------------------ the checks watch what the collectives moved, not only the results

wrong(
    "q3",
    "a Scatter of zeros for show, the chunks worked out on each rank",
    lambda c: (
        HEAD
        + """
chunk = np.empty(4)
comm.Scatter(np.zeros(16) if comm.rank == 0 else None, chunk, root=0)
chunk = np.arange(4 * comm.rank, 4 * comm.rank + 4, dtype="d")
squared = chunk ** 2
result = np.empty(16) if comm.rank == 0 else None
comm.Gather(squared, result, root=0)
""",
    ),
    "rank 0 holds the right chunk, but its Scatter delivered",
)
wrong(
    "q3",
    "a Gather of zeros for show, the squares worked out on the root",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = np.empty(4)
comm.Scatter(data, chunk, root=0)
squared = chunk ** 2
result = np.empty(16) if comm.rank == 0 else None
comm.Gather(np.zeros(4), result, root=0)
result = np.arange(16, dtype="d") ** 2 if comm.rank == 0 else None
""",
    ),
    "rank 0 holds the right squared, but it gave its Gather",
)
right(
    "q3",
    "Gather into a 4 x 4 buffer, flattened afterwards",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d").reshape(4, 4) if comm.rank == 0 else None
chunk = np.empty(4)
comm.Scatter(data, chunk, root=0)
squared = chunk ** 2
rows = np.empty((4, 4)) if comm.rank == 0 else None
comm.Gather(squared, rows, root=0)
result = rows.ravel() if comm.rank == 0 else None
""",
    ),
)
wrong(
    "q4",
    "an allreduce of 0 for show, the total worked out on each rank",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
comm.allreduce(0, op=MPI.SUM)
"""
        + TOTAL_WORKED_OUT,
    ),
    "rank 0 holds the right total, but its allreduce delivered 0",
)
right(
    "q4",
    "upper-case Allreduce and Reduce on one-element arrays",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
mine = np.array([value], dtype="i8")
summed = np.zeros(1, dtype="i8")
comm.Allreduce(mine, summed, op=MPI.SUM)
total = int(summed[0])
biggest = np.zeros(1, dtype="i8") if comm.rank == 0 else None
comm.Reduce(mine, biggest, op=MPI.MAX, root=0)
largest = int(biggest[0]) if comm.rank == 0 else None
""",
    ),
)
wrong(
    "q7",
    "a Scatterv of zeros for show, the pieces cut on each rank",
    lambda c: (
        HEAD
        + """
counts = [r + 1 for r in range(comm.size)]
displs = [sum(counts[:r]) for r in range(comm.size)]
piece = np.empty(counts[comm.rank])
comm.Scatterv([np.zeros(10), counts, displs, MPI.DOUBLE] if comm.rank == 0 else None, piece, root=0)
piece = np.arange(10, dtype="d")[displs[comm.rank]:displs[comm.rank] + counts[comm.rank]]
sums = np.empty(comm.size)
comm.Allgather(np.array([piece.sum()]), sums)
""",
    ),
    "rank 1 holds the right piece, but its Scatterv delivered",
)
right(
    "q7",
    "the sums with the lower-case allgather",
    lambda c: (
        HEAD
        + """
counts = [r + 1 for r in range(comm.size)]
displs = [sum(counts[:r]) for r in range(comm.size)]
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = np.empty(counts[comm.rank])
comm.Scatterv([data, counts, displs, MPI.DOUBLE] if comm.rank == 0 else None, piece, root=0)
sums = np.array(comm.allgather(float(piece.sum())))
""",
    ),
)
wrong(
    "q8",
    "an in-place Allreduce of zeros for show, the sums worked out on each rank",
    lambda c: (
        HEAD
        + """
values = np.array([comm.rank, comm.rank ** 2], dtype="d")
half = comm.Split(color=comm.rank % 2, key=comm.rank)
half_rank = half.rank
half.Allreduce(MPI.IN_PLACE, np.zeros(2), op=MPI.SUM)
mates = [r for r in range(comm.size) if r % 2 == comm.rank % 2]
values = np.array([sum(mates), sum(r ** 2 for r in mates)], dtype="d")
half.Free()
""",
    ),
    "rank 0 holds the right values, but its Allreduce delivered",
)
right(
    "q8",
    "Split without a key, Allreduce on a [buffer, type] pair",
    lambda c: (
        HEAD
        + """
values = np.array([comm.rank, comm.rank ** 2], dtype="d")
half = comm.Split(comm.rank % 2)
half_rank = half.Get_rank()
half.Allreduce(MPI.IN_PLACE, [values, MPI.DOUBLE], op=MPI.SUM)
half.Free()
""",
    ),
)


# ------------------------------------------------ right answers the traffic checks once refused (review of 1701b1d)

right(
    "q3",
    "Gather into [result, 4, MPI.DOUBLE]: mpi4py reads the count per rank",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = np.empty(4)
comm.Scatter([data, 4, MPI.DOUBLE] if comm.rank == 0 else None, [chunk, 4, MPI.DOUBLE], root=0)
squared = chunk ** 2
result = np.empty(16) if comm.rank == 0 else None
comm.Gather([squared, 4, MPI.DOUBLE], [result, 4, MPI.DOUBLE] if comm.rank == 0 else None, root=0)
""",
    ),
)
right(
    "q3",
    "in place on the root: Scatter into MPI.IN_PLACE, Gather from MPI.IN_PLACE",
    lambda c: (
        HEAD
        + """
if comm.rank == 0:
    data = np.arange(16, dtype="d")
    comm.Scatter(data, MPI.IN_PLACE, root=0)
    chunk = data[:4]
    squared = chunk ** 2
    result = np.empty(16)
    result[:4] = squared
    comm.Gather(MPI.IN_PLACE, result, root=0)
else:
    chunk = np.empty(4)
    comm.Scatter(None, chunk, root=0)
    squared = chunk ** 2
    result = None
    comm.Gather(squared, None, root=0)
""",
    ),
)
wrong(
    "q3",
    "in place on the root, the other ranks' squares worked out there",
    lambda c: (
        HEAD
        + """
data = np.arange(16, dtype="d") if comm.rank == 0 else None
chunk = np.empty(4)
comm.Scatter(data, chunk, root=0)
squared = chunk ** 2
if comm.rank == 0:
    result = np.zeros(16)
    comm.Gather(MPI.IN_PLACE, result, root=0)
    result = np.arange(16, dtype="d") ** 2
else:
    result = None
    comm.Gather(squared, None, root=0)
""",
    ),
    "rank 0 holds the right squared, but it gave its Gather [0",
)
right(
    "q7",
    "Allgather of [buffer, 1, MPI.DOUBLE] pairs: the count is per rank",
    lambda c: (
        HEAD
        + """
counts = [r + 1 for r in range(comm.size)]
displs = [sum(counts[:r]) for r in range(comm.size)]
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = np.empty(counts[comm.rank])
comm.Scatterv([data, (counts, displs), MPI.DOUBLE] if comm.rank == 0 else None, piece, root=0)
sums = np.empty(comm.size)
comm.Allgather([np.array([piece.sum()]), 1, MPI.DOUBLE], [sums, 1, MPI.DOUBLE])
""",
    ),
)
wrong(
    "q7",
    "an Allgather of zeros with a count for show, the sums worked out on each rank",
    lambda c: (
        HEAD
        + """
counts = [r + 1 for r in range(comm.size)]
displs = [sum(counts[:r]) for r in range(comm.size)]
data = np.arange(10, dtype="d") if comm.rank == 0 else None
piece = np.empty(counts[comm.rank])
comm.Scatterv([data, counts, displs, MPI.DOUBLE] if comm.rank == 0 else None, piece, root=0)
sums = np.empty(comm.size)
comm.Allgather([np.zeros(1), 1, MPI.DOUBLE], [sums, 1, MPI.DOUBLE])
sums = np.array([np.arange(10.0)[d : d + n].sum() for n, d in zip(counts, displs)])
""",
    ),
    "rank 0 holds the right sums, but its Allgather delivered [0., 0., 0., 0.]",
)

wrong(
    "q4",
    "an Iallreduce of zeros for show, the total worked out on each rank",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
summed = np.zeros(1)
comm.Iallreduce(np.zeros(1), summed, op=MPI.SUM).Wait()
"""
        + TOTAL_WORKED_OUT,
    ),
    "rank 0 holds the right value, but it gave its Iallreduce [0.]",
)
right(
    "q4",
    "Iallreduce and Ireduce, then Waitall",
    lambda c: (
        HEAD
        + """
value = (3 * comm.rank + 1) % 7
mine = np.array([value], dtype="i8")
summed = np.zeros(1, dtype="i8")
biggest = np.zeros(1, dtype="i8")
requests = [comm.Iallreduce(mine, summed, op=MPI.SUM), comm.Ireduce(mine, biggest, op=MPI.MAX, root=0)]
MPI.Request.Waitall(requests)
total = int(summed[0])
largest = int(biggest[0]) if comm.rank == 0 else None
""",
    ),
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
