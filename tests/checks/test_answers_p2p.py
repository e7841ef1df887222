"""Lesson 08-mpi-point-to-point's checks (hpclab.checks.p2p): send/recv, buffers, deadlocks, rings, halos.

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import sys

import cloudpickle
import pytest

from tests.support.answers import MPI_HEAD as HEAD
from tests.support.answers import Answers

#: The end of the q6 answers that fake the exchange: every rank works out its ghost cells from the formula.
GHOSTS_WORKED_OUT = """u = np.arange(5 * r - 1, 5 * r + 6, dtype=float) ** 2
if r == 0:
    u[0] = 0.0
if r == comm.size - 1:
    u[-1] = 0.0
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
"""

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("08-mpi-point-to-point")
right, wrong = ANSWERS.right, ANSWERS.wrong


right(
    "q1",
    "a tag and any source",
    lambda c: (
        HEAD
        + """
message = None
if comm.rank == 0:
    comm.send({"from": 0, "primes": [2, 3, 5, 7]}, dest=3, tag=11)
if comm.rank == 3:
    message = comm.recv(source=MPI.ANY_SOURCE, tag=11)
""",
    ),
)
wrong(
    "q1",
    "sent to rank 2",
    lambda c: (
        HEAD
        + """
message = None
if comm.rank == 0:
    comm.send({"from": 0, "primes": [2, 3, 5, 7]}, dest=2)
if comm.rank == 2:
    message = comm.recv(source=0)
""",
    ),
    "rank 2 received message =",
)

BUFFER = (
    HEAD
    + """
buffer = np.zeros(8, dtype="i")
if comm.rank == 1:
    comm.Send(SEND, dest=2, tag=7)
elif comm.rank == 2:
    comm.Recv(RECV, source=1, tag=7)
"""
)
right(
    "q2",
    "MPI.INT32_T through a name",
    lambda c: (
        BUFFER.replace("buffer = ", "INT32 = MPI.INT32_T\nbuffer = ")
        .replace("SEND", "[np.arange(1, 9, dtype='i'), INT32]")
        .replace("RECV", "[buffer, INT32]"),
    ),
)
wrong(
    "q2",
    "datatype guessed, MPI.INT only in a comment",
    lambda c: (BUFFER.replace("SEND", "np.arange(1, 9, dtype='i')").replace("RECV", "buffer") + "# [data, MPI.INT]\n",),
    "lets mpi4py guess the datatype",
    fast=True,
)
wrong(
    "q2",
    "a 64-bit type",
    lambda c: (BUFFER.replace("SEND", "[np.arange(1, 9, dtype='i'), MPI.LONG]").replace("RECV", "[buffer, MPI.LONG]"),),
    "does not describe the 32-bit integers",
    fast=True,
)

right(
    "q2",
    "the [buffer, type] pair held in a name, the tag positional and through a name",
    lambda c: (
        HEAD
        + """
from mpi4py.MPI import INT
TAG = 7
buffer = np.zeros(8, dtype="i")
if comm.rank == 1:
    data = np.arange(1, 9, dtype="i")
    spec = [data, MPI.INT]
    comm.Send(spec, 2, TAG)
elif comm.rank == 2:
    target = (buffer, INT)
    comm.Recv(target, source=1, tag=TAG)
""",
    ),
)
wrong(
    "q2",
    "no tag: the message carries tag 0",
    lambda c: (
        BUFFER.replace("SEND", "[np.arange(1, 9, dtype='i'), MPI.INT]")
        .replace("RECV", "[buffer, MPI.INT]")
        .replace(", dest=2, tag=7)", ", dest=2)")
        .replace("source=1, tag=7", "source=1, tag=MPI.ANY_TAG"),
    ),
    "sends with tag 0",
    fast=True,
)
wrong(
    "q2",
    "tag 8 through a name",
    lambda c: (
        BUFFER.replace("SEND", "[np.arange(1, 9, dtype='i'), MPI.INT]")
        .replace("RECV", "[buffer, MPI.INT]")
        .replace("buffer = ", "TAG = 8\nbuffer = ")
        .replace("tag=7", "tag=TAG"),
    ),
    "sends with tag 8",
    fast=True,
)

right(
    "q3",
    "even ranks send first",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
outgoing = np.full(50_000, float(comm.rank))
received = np.empty(50_000)
if comm.rank % 2 == 0:
    comm.Send(outgoing, dest=partner)
    comm.Recv(received, source=partner)
else:
    comm.Recv(received, source=partner)
    comm.Send(outgoing, dest=partner)
""",
    ),
)
wrong(
    "q3",
    "the partner's values made locally",
    lambda c: (
        HEAD
        + """
received = np.full(50_000, float(comm.rank ^ 1))  # what Sendrecv would bring
""",
    ),
    "should move the data with MPI messages",
    fast=True,
)

right(
    "q4",
    "Probe, then receive from whoever it was",
    lambda c: (
        HEAD
        + """
arrivals = None
if comm.rank == 0:
    arrivals = {}
    for _ in range(comm.size - 1):
        status = MPI.Status()
        comm.Probe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status)
        value = comm.recv(source=status.Get_source(), tag=status.Get_tag())
        arrivals[status.source] = (value, status.tag)
else:
    comm.send(100 * comm.rank, dest=0, tag=comm.rank)
""",
    ),
)
wrong(
    "q4",
    "receives in rank order",
    lambda c: (
        HEAD
        + """
arrivals = None
if comm.rank == 0:
    arrivals = {source: (comm.recv(source=source, tag=source), source) for source in range(1, comm.size)}
else:
    comm.send(100 * comm.rank, dest=0, tag=comm.rank)
""",
    ),
    "`ANY_SOURCE`",
    fast=True,
)

right(
    "q5",
    "Python ints in buffers made by the list",
    lambda c: (
        HEAD
        + """
size = comm.size
bufs = [np.empty(1, dtype="i8") for _ in range(2)]
mine = np.array([comm.rank], dtype="i8")
reqs = [comm.Isend(mine, dest=(comm.rank + 1) % size, tag=10), comm.Isend(mine, dest=(comm.rank - 1) % size, tag=20)]
reqs += [comm.Irecv(bufs[0], source=(comm.rank - 1) % size, tag=10),
         comm.Irecv(bufs[1], source=(comm.rank + 1) % size, tag=20)]
MPI.Request.Waitall(reqs)
from_left, from_right = int(bufs[0][0]), int(bufs[1][0])
""",
    ),
)
wrong(
    "q5",
    "blocking sendrecv",
    lambda c: (
        HEAD
        + """
left, right = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
from_left = comm.sendrecv(comm.rank, dest=right, source=left)
from_right = comm.sendrecv(comm.rank, dest=left, source=right)
""",
    ),
    "`Isend`",
    fast=True,
)

right(
    "q6",
    "Isend/Irecv with PROC_NULL",
    lambda c: (
        HEAD
        + """
first = 5 * comm.rank
u = np.zeros(7)
u[1:-1] = np.arange(first, first + 5, dtype=float) ** 2
left = comm.rank - 1 if comm.rank > 0 else MPI.PROC_NULL
right = comm.rank + 1 if comm.rank < comm.size - 1 else MPI.PROC_NULL
reqs = [comm.Irecv(u[0:1], source=left, tag=1), comm.Irecv(u[6:7], source=right, tag=2),
        comm.Isend(u[5:6].copy(), dest=right, tag=1), comm.Isend(u[1:2].copy(), dest=left, tag=2)]
MPI.Request.Waitall(reqs)
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
""",
    ),
)
wrong(
    "q6",
    "ghosts computed from the formula",
    lambda c: (
        HEAD
        + """
r = comm.rank
x = np.arange(5 * r - 1, 5 * r + 6, dtype=float)
u = x ** 2  # as if sent by the neighbours
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
""",
    ),
    "should move the data with MPI messages",
    fast=True,
)

right(
    "q5",
    "lower-case isend/irecv and waitall (pickled Python ints)",
    lambda c: (
        HEAD
        + """
left, right = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
requests = [comm.irecv(source=left, tag=1), comm.irecv(source=right, tag=2),
            comm.isend(comm.rank, dest=right, tag=1), comm.isend(comm.rank, dest=left, tag=2)]
from_left, from_right, _, _ = MPI.Request.waitall(requests)
""",
    ),
)
wrong(
    "q5",
    "Isend and Waitall, but a blocking Recv",
    lambda c: (
        HEAD
        + """
left, right = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
mine = np.array([comm.rank], dtype="i")
from_left, from_right = np.empty(1, dtype="i"), np.empty(1, dtype="i")
requests = [comm.Isend(mine, dest=right, tag=1), comm.Isend(mine, dest=left, tag=2), comm.Irecv(from_left, source=left, tag=1)]
comm.Recv(from_right, source=right, tag=2)
MPI.Request.Waitall(requests)
""",
    ),
    "which blocks",
    fast=True,
)


# ---------------------------------------------------------------- the checks watch the messages, not only the results
# A rank that works out what it should have received, while a dummy message goes by, must not pass.

wrong(
    "q1",
    "a dummy message, the dictionary written on rank 3",
    lambda c: (
        HEAD
        + """
message = None
if comm.rank == 0:
    comm.send(None, dest=3)
elif comm.rank == 3:
    comm.recv(source=0)
    message = {"from": 0, "primes": [2, 3, 5, 7]}
""",
    ),
    "but rank 0 sent rank 3 only send of None",
)
right(
    "q1",
    "send and recv on a duplicate of COMM_WORLD",
    lambda c: (
        HEAD
        + """
mine = comm.Dup()
message = None
if mine.rank == 0:
    mine.send({"from": 0, "primes": [2, 3, 5, 7]}, dest=3)
elif mine.rank == 3:
    message = mine.recv(source=0)
mine.Free()
""",
    ),
)
wrong(
    "q2",
    "an empty message with the right datatype and tag, the values written on rank 2",
    lambda c: (
        HEAD
        + """
buffer = np.zeros(8, dtype="i")
if comm.rank == 1:
    comm.Send([np.zeros(0, dtype="i"), MPI.INT], dest=2, tag=7)
elif comm.rank == 2:
    comm.Recv([np.zeros(0, dtype="i"), MPI.INT], source=1, tag=7)
    buffer[:] = np.arange(1, 9)
""",
    ),
    "but rank 1 sent rank 2 only Send of []",
)
right(
    "q2",
    "[buffer, count, type]: the first eight of a longer array",
    lambda c: (
        HEAD
        + """
buffer = np.zeros(8, dtype="i")
if comm.rank == 1:
    comm.Send([np.arange(1, 13, dtype="i"), 8, MPI.INT], dest=2, tag=7)
elif comm.rank == 2:
    comm.Recv([buffer, 8, MPI.INT], source=1, tag=7)
""",
    ),
)
wrong(
    "q5",
    "dummy messages, the neighbours' ranks worked out locally",
    lambda c: (
        HEAD
        + """
left, right = (comm.rank - 1) % comm.size, (comm.rank + 1) % comm.size
requests = [comm.irecv(source=left, tag=1), comm.irecv(source=right, tag=2),
            comm.isend(None, dest=right, tag=1), comm.isend(None, dest=left, tag=2)]
MPI.Request.waitall(requests)
from_left, from_right = left, right
""",
    ),
    "rank 0 holds the right from_left, but rank 3 sent rank 0 only isend of None",
)
wrong(
    "q3",
    "a dummy sendrecv, the partner's values made locally",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
comm.sendrecv(None, dest=partner, source=partner)
received = np.full(50_000, float(partner))
""",
    ),
    "rank 1 holds the right received array, but rank 0 sent rank 1 only sendrecv of None",
)
right(
    "q3",
    "the array in two halves, Isend/Irecv",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
outgoing = np.full(50_000, float(comm.rank))
received = np.empty(50_000)
requests = [comm.Irecv(received[:25_000], source=partner, tag=1),
            comm.Irecv(received[25_000:], source=partner, tag=2),
            comm.Isend(outgoing[:25_000], dest=partner, tag=1),
            comm.Isend(outgoing[25_000:], dest=partner, tag=2)]
MPI.Request.Waitall(requests)
""",
    ),
)
wrong(
    "q4",
    "dummy messages, the arrivals written on rank 0",
    lambda c: (
        HEAD
        + """
arrivals = None
if comm.rank == 0:
    status = MPI.Status()
    for _ in range(comm.size - 1):
        comm.recv(source=MPI.ANY_SOURCE, status=status)
    arrivals = {source: (100 * source, source) for source in range(1, comm.size)}
else:
    comm.send(0, dest=0)
""",
    ),
    "but rank 1 sent rank 0 only send of 0 (tag 0), not 100 with tag 1",
)
right(
    "q4",
    "NumPy buffers with Send and Recv",
    lambda c: (
        HEAD
        + """
arrivals = None
if comm.rank == 0:
    arrivals = {}
    got = np.empty(1, dtype="i8")
    for _ in range(comm.size - 1):
        status = MPI.Status()
        comm.Recv(got, source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status)
        arrivals[status.Get_source()] = (int(got[0]), status.Get_tag())
else:
    comm.Send(np.array([100 * comm.rank], dtype="i8"), dest=0, tag=comm.rank)
""",
    ),
)
wrong(
    "q6",
    "a dummy sendrecv, the ghosts from the formula",
    lambda c: (
        HEAD
        + """
r = comm.rank
comm.sendrecv(0, dest=(r + 1) % comm.size, source=(r - 1) % comm.size)
"""
        + GHOSTS_WORKED_OUT,
    ),
    "rank 1 holds the right ghost cell, but rank 0 sent rank 1 only sendrecv of 0",
)
right(
    "q6",
    "a Cartesian communicator, Shift and Sendrecv of Python floats",
    lambda c: (
        HEAD
        + """
line = comm.Create_cart([comm.size], periods=[False])
left, right = line.Shift(0, 1)
first = 5 * line.rank
u = np.zeros(7)
u[1:-1] = np.arange(first, first + 5, dtype=float) ** 2
from_right = line.sendrecv(float(u[1]), dest=left, source=right)
from_left = line.sendrecv(float(u[5]), dest=right, source=left)
u[0] = from_left if from_left is not None else 0.0
u[-1] = from_right if from_right is not None else 0.0
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
line.Free()
""",
    ),
)


# ------------------------------------------------ right answers the traffic checks once refused (review of 1701b1d)

right(
    "q1",
    "on a communicator from Split_type",
    lambda c: (
        HEAD
        + """
node = comm.Split_type(MPI.COMM_TYPE_SHARED)
message = None
if node.rank == 0:
    node.send({"from": 0, "primes": [2, 3, 5, 7]}, dest=3)
if node.rank == 3:
    message = node.recv(source=0)
node.Free()
""",
    ),
)
right(
    "q3",
    "Sendrecv_replace on a copy of its own array",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
received = np.full(50_000, float(comm.rank))
comm.Sendrecv_replace(received, dest=partner, source=partner)
""",
    ),
)
right(
    "q3",
    "the length first, then the array",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
mine = np.full(50_000, float(comm.rank))
if comm.rank % 2 == 0:
    comm.send(mine.size, dest=partner)
    comm.Send(mine, dest=partner)
    received = np.empty(comm.recv(source=partner))
    comm.Recv(received, source=partner)
else:
    received = np.empty(comm.recv(source=partner))
    comm.Recv(received, source=partner)
    comm.send(mine.size, dest=partner)
    comm.Send(mine, dest=partner)
""",
    ),
)
right(
    "q3",
    "the array's bytes, sent as 50,000 MPI.DOUBLE and as 400,000 MPI.BYTE",
    lambda c: (
        HEAD
        + """
partner = comm.rank ^ 1
mine = np.full(50_000, float(comm.rank))
received = np.empty(50_000)
as_bytes = [received, 8 * 50_000, MPI.BYTE]  # what the odd ranks send, received as it was sent
if comm.rank % 2 == 0:
    comm.Sendrecv([mine.view(np.uint8), 50_000, MPI.DOUBLE], dest=partner, recvbuf=as_bytes, source=partner)
else:
    comm.Sendrecv([mine, 8 * 50_000, MPI.BYTE], dest=partner, recvbuf=received, source=partner)
""",
    ),
)
right(
    "q6",
    "Sendrecv of [u, count, displacement, MPI.DOUBLE], no slicing",
    lambda c: (
        HEAD
        + """
r = comm.rank
u = np.arange(5 * r - 1, 5 * r + 6, dtype=float) ** 2
u[0] = u[-1] = 0.0
left = r - 1 if r > 0 else MPI.PROC_NULL
right = r + 1 if r < comm.size - 1 else MPI.PROC_NULL
comm.Sendrecv([u, 1, 5, MPI.DOUBLE], dest=right, recvbuf=[u, 1, 0, MPI.DOUBLE], source=left)
comm.Sendrecv([u, (1, 1), MPI.DOUBLE], dest=left, recvbuf=[u, (1, 6), MPI.DOUBLE], source=right)
laplacian = u[:-2] - 2 * u[1:-1] + u[2:]
""",
    ),
)
wrong(
    "q6",
    "[u, count, displacement, MPI.DOUBLE] pointing at a ghost, the ghosts from the formula",
    lambda c: (
        HEAD
        + """
r = comm.rank
u = np.arange(5 * r - 1, 5 * r + 6, dtype=float) ** 2
u[0] = u[-1] = 0.0
left = r - 1 if r > 0 else MPI.PROC_NULL
right = r + 1 if r < comm.size - 1 else MPI.PROC_NULL
ghosts = np.zeros(2)
comm.Sendrecv([u, 1, 6, MPI.DOUBLE], dest=right, recvbuf=[ghosts, 1, 0, MPI.DOUBLE], source=left)
comm.Sendrecv([u, 1, 0, MPI.DOUBLE], dest=left, recvbuf=[ghosts, 1, 1, MPI.DOUBLE], source=right)
"""
        + GHOSTS_WORKED_OUT,
    ),
    "rank 1 holds the right ghost cell, but rank 0 sent rank 1 only Sendrecv of [0.]",
)
wrong(
    "q1",
    "a program that runs the course's own checks code",
    lambda c: (HEAD + "from hpclab.checks import p2p\nmessage = None\n",),
    "comes from the course's own checks",
    fast=True,
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)


TRAFFIC = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
line = comm.Create_cart([comm.size], periods=[True])
left, right = line.Shift(0, 1)
u = np.arange(20.0).reshape(4, 5) + 100 * comm.rank
column = MPI.DOUBLE.Create_vector(4, 1, 5).Commit()
line.Sendrecv([u.reshape(-1)[1:], 1, column], dest=right, recvbuf=np.empty(4), source=left)
column.Free()
half = comm.Split(comm.rank % 2, comm.rank)
half.send(comm.rank, dest=1 - half.rank, tag=3)
half.recv(source=1 - half.rank, tag=3)
config = half.bcast({"k": comm.rank} if half.rank == 0 else None, root=0)
half.Free()
line.Free()
fh = MPI.File.Open(comm, PATH, MPI.MODE_WRONLY | MPI.MODE_CREATE)
fh.Write_at_all(8 * comm.rank, np.array([float(comm.rank)]))
fh.Close()
"""


@pytest.mark.mpi  # `make test-openmpi` runs it again on Open MPI
def test_the_traced_run_sees_who_sent_what_to_whom(tmp_path):
    from hpclab.checks import mpicheck

    program = TRAFFIC.replace("PATH", repr(str(tmp_path / "f.bin")))
    result, traffic = mpicheck.run_traced(program, "program", collect=["config"])
    assert result.values[2]["config"] == {"k": 0}  # the learner's variables still come back
    for rank in range(4):
        calls = [event["call"] for event in traffic[rank]]
        assert calls == ["Sendrecv", "send", "bcast", "Write_at_all"], calls
        halo, message, broadcast, write = traffic[rank]
        # a column of a derived datatype, packed; ranks of derived communicators in COMM_WORLD's numbering
        assert halo["to"] == (rank + 1) % 4 and halo["data"].tolist() == [100 * rank + k for k in (1, 6, 11, 16)]
        assert message == {"call": "send", "to": rank ^ 2, "tag": 3, "data": rank}
        assert broadcast["root"] == rank % 2 and broadcast["data"] == ({"k": rank} if rank < 2 else None)
        assert write["data"].tolist() == [float(rank)]


SEEN_BY_THE_PROGRAM = """
import pickle
from mpi4py import MPI
from mpi4py.MPI import COMM_WORLD as world

comm = MPI.COMM_WORLD
seen = {
    "an Intracomm": isinstance(comm, MPI.Intracomm),
    "the same object": world is comm,
    "its type's name": type(comm).__name__,
    "a Dup's type's name": type(comm.Dup()).__name__,
    "a file's type's name": MPI.File.__name__,
    "pickled": pickle.loads(pickle.dumps(comm)) == comm,
}
try:
    comm.no_such_method()
except AttributeError as exc:
    seen["the error"] = str(exc).replace("mpi4py.MPI.", "")  # a subclass's name comes without its module
"""


@pytest.mark.mpi
def test_the_traced_world_looks_like_the_real_one():
    """What a program can ask of MPI.COMM_WORLD (type, identity, pickling, its errors) is the same when traced."""
    from hpclab.checks import mpicheck

    plain = mpicheck.run_answer(SEEN_BY_THE_PROGRAM, "program", n=2, collect=["seen"])
    traced, _ = mpicheck.run_traced(SEEN_BY_THE_PROGRAM, "program", n=2, collect=["seen"])
    assert traced.values[0]["seen"] == plain.values[0]["seen"]
    assert plain.values[0]["seen"]["pickled"] and plain.values[0]["seen"]["its type's name"] == "Intracomm"
