"""Lesson 09b's checks: right answers (the solution's and others) pass, plausible wrong ones get a hint.

Every program runs for real on 4 ranks, so all but the syntax-tree tests are slow.
"""

from __future__ import annotations

import numpy as np
import pytest

from hpclab.checks import heat

# --------------------------------------------------------------------------- Q1: Cartesian grid

CART = """
from mpi4py import MPI

comm = MPI.COMM_WORLD
dims = MPI.Compute_dims(comm.Get_size(), 2)
cart = comm.Create_cart(dims, periods=[False, False], reorder=True)
rank = cart.Get_rank()
coords = cart.Get_coords(rank)
north, south = cart.Shift(0, 1)
west, east = cart.Shift(1, 1)
neighbours = (north, south, west, east)
"""

CART_OTHER = """
from mpi4py import MPI

dims = MPI.Compute_dims(4, [0, 0])
cart = MPI.COMM_WORLD.Create_cart(dims)          # periods default to False
rank = cart.rank
coords = list(cart.coords)
neighbours = [*cart.Shift(0, 1), *cart.Shift(1, 1)]
"""

CART_SWAPPED = CART.replace("north, south = cart.Shift(0, 1)", "south, north = cart.Shift(0, 1)")
CART_PERIODIC = CART.replace("periods=[False, False]", "periods=[True, True]")
CART_BY_HAND = """
from mpi4py import MPI

comm = MPI.COMM_WORLD
dims = [2, 2]
rank = comm.rank
coords = [rank // 2, rank % 2]          # Shift and Create_cart would do this for us
neighbours = (-1, -1, -1, -1)
"""

# --------------------------------------------------------------------------- Q2: column datatype

COLUMN = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
ny, nx = 4, 3
g = 100.0 * np.arange(ny)[:, None] + np.arange(nx * size)[None, :]
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = g[:, rank * nx:(rank + 1) * nx]
west = rank - 1 if rank > 0 else MPI.PROC_NULL
east = rank + 1 if rank < size - 1 else MPI.PROC_NULL

column = MPI.DOUBLE.Create_vector(ny, 1, nx + 2).Commit()
flat = u.reshape(-1)

def at(i, j):
    return flat[i * (nx + 2) + j:]

comm.Sendrecv([at(1, nx), 1, column], dest=east, recvbuf=[at(1, 0), 1, column], source=west)
comm.Sendrecv([at(1, 1), 1, column], dest=west, recvbuf=[at(1, nx + 1), 1, column], source=east)
column.Free()
"""

COLUMN_SUBARRAY = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.rank, comm.size
ny, nx = 4, 3
g = 100.0 * np.arange(ny)[:, None] + np.arange(nx * size)[None, :]
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = g[:, rank * nx:(rank + 1) * nx]
west = rank - 1 if rank > 0 else MPI.PROC_NULL
east = rank + 1 if rank < size - 1 else MPI.PROC_NULL

def column_at(j):
    return MPI.DOUBLE.Create_subarray(list(u.shape), [ny, 1], [1, j]).Commit()

last, west_ghost, first, east_ghost = column_at(nx), column_at(0), column_at(1), column_at(nx + 1)
comm.Sendrecv([u, 1, last], dest=east, recvbuf=[u, 1, west_ghost], source=west)
comm.Sendrecv([u, 1, first], dest=west, recvbuf=[u, 1, east_ghost], source=east)
"""

COLUMN_WRONG_STRIDE = COLUMN.replace("Create_vector(ny, 1, nx + 2)", "Create_vector(ny, 1, nx)")
COLUMN_COPIES = """
import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.rank, comm.size
ny, nx = 4, 3
g = 100.0 * np.arange(ny)[:, None] + np.arange(nx * size)[None, :]
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = g[:, rank * nx:(rank + 1) * nx]
west = rank - 1 if rank > 0 else MPI.PROC_NULL
east = rank + 1 if rank < size - 1 else MPI.PROC_NULL
# no Create_vector here: plain copies of the columns
ghost = np.zeros(ny)
comm.Sendrecv(np.ascontiguousarray(u[1:-1, nx]), dest=east, recvbuf=ghost, source=west)
u[1:-1, 0] = ghost
ghost = np.zeros(ny)
comm.Sendrecv(np.ascontiguousarray(u[1:-1, 1]), dest=west, recvbuf=ghost, source=east)
u[1:-1, -1] = ghost
"""

# --------------------------------------------------------------------------- Q3: non-blocking exchange

SETUP_2X2 = """
import numpy as np
from mpi4py import MPI

world = MPI.COMM_WORLD
dims = MPI.Compute_dims(world.Get_size(), 2)
cart = world.Create_cart(dims, periods=[False, False], reorder=True)
coords = cart.Get_coords(cart.Get_rank())
north, south = cart.Shift(0, 1)
west, east = cart.Shift(1, 1)
ny, nx = 6 // dims[0], 8 // dims[1]
r0, c0 = coords[0] * ny, coords[1] * nx
g = 100.0 * np.arange(6)[:, None] + np.arange(8)[None, :]
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = g[r0:r0 + ny, c0:c0 + nx]
"""

EXCHANGE = (
    SETUP_2X2
    + """
column = MPI.DOUBLE.Create_vector(ny, 1, nx + 2).Commit()
flat = u.reshape(-1)

def at(i, j):
    return flat[i * (nx + 2) + j:]

requests = [
    cart.Irecv(u[0, 1:-1], source=north, tag=1),
    cart.Irecv(u[-1, 1:-1], source=south, tag=2),
    cart.Irecv([at(1, 0), 1, column], source=west, tag=3),
    cart.Irecv([at(1, nx + 1), 1, column], source=east, tag=4),
    cart.Isend(u[-2, 1:-1], dest=south, tag=1),
    cart.Isend(u[1, 1:-1], dest=north, tag=2),
    cart.Isend([at(1, nx), 1, column], dest=east, tag=3),
    cart.Isend([at(1, 1), 1, column], dest=west, tag=4),
]
MPI.Request.Waitall(requests)
column.Free()
"""
)

EXCHANGE_COPIES = (
    SETUP_2X2
    + """
# Columns travel as contiguous copies; they must stay alive until Waitall returns.
outgoing = {"west": u[1:-1, 1].copy(), "east": u[1:-1, -2].copy()}
incoming = {"west": np.zeros(ny), "east": np.zeros(ny)}
requests = [cart.Irecv(u[0, 1:-1], source=north), cart.Irecv(u[-1, 1:-1], source=south),
            cart.Irecv(incoming["west"], source=west), cart.Irecv(incoming["east"], source=east),
            cart.Isend(u[1, 1:-1], dest=north), cart.Isend(u[-2, 1:-1], dest=south),
            cart.Isend(outgoing["west"], dest=west), cart.Isend(outgoing["east"], dest=east)]
MPI.Request.Waitall(requests)
u[1:-1, 0], u[1:-1, -1] = incoming["west"], incoming["east"]
"""
)

EXCHANGE_ROWS_SWAPPED = EXCHANGE.replace(
    "cart.Isend(u[-2, 1:-1], dest=south, tag=1)", "cart.Isend(u[1, 1:-1], dest=south, tag=1)"
)
EXCHANGE_BLOCKING = (
    SETUP_2X2
    + """
# A blocking exchange is correct, but the question asks for Isend/Irecv/Waitall.
u[0, 1:-1] = cart.sendrecv(u[-2, 1:-1].copy(), dest=south, source=north) if north >= 0 else 0
"""
)

# --------------------------------------------------------------------------- Q4: overlapped steps

STEP_SETUP = """
import numpy as np
from mpi4py import MPI

N, STEPS, ALPHA = 10, 4, 0.2
world = MPI.COMM_WORLD
dims = MPI.Compute_dims(world.Get_size(), 2)
cart = world.Create_cart(dims, periods=[False, False], reorder=True)
coords = cart.Get_coords(cart.Get_rank())
north, south = cart.Shift(0, 1)
west, east = cart.Shift(1, 1)
ny, nx = N // dims[0], N // dims[1]
r0, c0 = coords[0] * ny, coords[1] * nx
initial = (np.arange(N * N, dtype=float) % 7).reshape(N, N)
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = initial[r0:r0 + ny, c0:c0 + nx]
rows, cols = np.arange(r0, r0 + ny)[:, None], np.arange(c0, c0 + nx)[None, :]
fixed = (rows == 0) | (rows == N - 1) | (cols == 0) | (cols == N - 1)
new = u.copy()
column = MPI.DOUBLE.Create_vector(ny, 1, nx + 2).Commit()


def update(u, new, i0, i1, j0, j1):
    c = u[i0:i1, j0:j1]
    new[i0:i1, j0:j1] = c + ALPHA * (u[i0 - 1:i1 - 1, j0:j1] + u[i0 + 1:i1 + 1, j0:j1]
                                     + u[i0:i1, j0 - 1:j1 - 1] + u[i0:i1, j0 + 1:j1 + 1] - 4 * c)


def start_exchange(u):
    flat = u.reshape(-1)
    def at(i, j):
        return flat[i * (nx + 2) + j:]
    return [cart.Irecv(u[0, 1:-1], source=north, tag=1), cart.Irecv(u[-1, 1:-1], source=south, tag=2),
            cart.Irecv([at(1, 0), 1, column], source=west, tag=3),
            cart.Irecv([at(1, nx + 1), 1, column], source=east, tag=4),
            cart.Isend(u[-2, 1:-1], dest=south, tag=1), cart.Isend(u[1, 1:-1], dest=north, tag=2),
            cart.Isend([at(1, nx), 1, column], dest=east, tag=3), cart.Isend([at(1, 1), 1, column], dest=west, tag=4)]


def update_ring(u, new):
    update(u, new, 1, 2, 1, nx + 1)
    update(u, new, ny, ny + 1, 1, nx + 1)
    update(u, new, 1, ny + 1, 1, 2)
    update(u, new, 1, ny + 1, nx, nx + 1)
"""

STEP = (
    STEP_SETUP
    + """
for _ in range(STEPS):
    requests = start_exchange(u)
    update(u, new, 2, ny, 2, nx)             # the inside needs no ghost
    MPI.Request.Waitall(requests)
    update_ring(u, new)
    new[1:-1, 1:-1][fixed] = u[1:-1, 1:-1][fixed]
    u, new = new, u
block = u[1:-1, 1:-1].copy()
"""
)

# Everything inline, column halos as copies, the wait behind a helper of our own.
STEP_INLINE = """
import numpy as np
from mpi4py import MPI

world = MPI.COMM_WORLD
dims = MPI.Compute_dims(world.size, 2)
cart = world.Create_cart(dims, reorder=False)
coords = cart.coords
(north, south), (west, east) = cart.Shift(0, 1), cart.Shift(1, 1)
ny, nx = 10 // dims[0], 10 // dims[1]
r0, c0 = coords[0] * ny, coords[1] * nx
start = (np.arange(100, dtype=float) % 7).reshape(10, 10)
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = start[r0:r0 + ny, c0:c0 + nx]


def finish(requests, incoming):
    MPI.Request.Waitall(requests)
    u[1:-1, 0], u[1:-1, -1] = incoming


for step in range(4):
    old = u.copy()
    incoming = (np.zeros(ny), np.zeros(ny))
    outgoing = (old[1:-1, 1].copy(), old[1:-1, -2].copy())
    requests = [cart.Irecv(u[0, 1:-1], source=north), cart.Irecv(u[-1, 1:-1], source=south),
                cart.Irecv(incoming[0], source=west), cart.Irecv(incoming[1], source=east),
                cart.Isend(old[1, 1:-1], dest=north), cart.Isend(old[-2, 1:-1], dest=south),
                cart.Isend(outgoing[0], dest=west), cart.Isend(outgoing[1], dest=east)]
    lap = np.zeros((ny, nx))
    lap[1:-1, 1:-1] = (old[1:-3, 2:-2] + old[3:-1, 2:-2] + old[2:-2, 1:-3] + old[2:-2, 3:-1]
                       - 4 * old[2:-2, 2:-2])
    finish(requests, incoming)
    full = (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1])
    lap[0, :], lap[-1, :], lap[:, 0], lap[:, -1] = full[0, :], full[-1, :], full[:, 0], full[:, -1]
    gi = np.arange(r0, r0 + ny)[:, None]
    gj = np.arange(c0, c0 + nx)[None, :]
    lap[(gi == 0) | (gi == 9) | (gj == 0) | (gj == 9)] = 0.0
    u[1:-1, 1:-1] = old[1:-1, 1:-1] + 0.2 * lap
block = u[1:-1, 1:-1].copy()
"""

STEP_NO_OVERLAP = (
    STEP_SETUP
    + """
for _ in range(STEPS):
    requests = start_exchange(u)
    MPI.Request.Waitall(requests)            # waits first: nothing overlaps
    update(u, new, 1, ny + 1, 1, nx + 1)
    new[1:-1, 1:-1][fixed] = u[1:-1, 1:-1][fixed]
    u, new = new, u
block = u[1:-1, 1:-1].copy()
"""
)

STEP_RING_TOO_EARLY = (
    STEP_SETUP
    + """
for _ in range(STEPS):
    requests = start_exchange(u)
    update(u, new, 1, ny + 1, 1, nx + 1)     # the ring too, before its ghosts have arrived
    MPI.Request.Waitall(requests)
    new[1:-1, 1:-1][fixed] = u[1:-1, 1:-1][fixed]
    u, new = new, u
block = u[1:-1, 1:-1].copy()
"""
)

# Something between posting and waiting, but no work: the point of the question (overlap) is missing.
STEP_PASS_BETWEEN = STEP_NO_OVERLAP.replace(
    "    MPI.Request.Waitall(requests)            # waits first: nothing overlaps\n",
    "    pass                                     # 'work'\n    MPI.Request.Waitall(requests)\n",
)

STEP_BOUNDARY_MOVES = STEP.replace("    new[1:-1, 1:-1][fixed] = u[1:-1, 1:-1][fixed]\n", "")

# --------------------------------------------------------------------------- Q5: MPI-IO

IO_SETUP = """
import sys
import numpy as np
from mpi4py import MPI

path = sys.argv[1]
world = MPI.COMM_WORLD
dims = MPI.Compute_dims(world.Get_size(), 2)
cart = world.Create_cart(dims, periods=[False, False], reorder=True)
coords = cart.Get_coords(cart.Get_rank())
ny, nx = 6 // dims[0], 8 // dims[1]
r0, c0 = coords[0] * ny, coords[1] * nx
g = 100.0 * np.arange(6)[:, None] + np.arange(8)[None, :]
block = np.ascontiguousarray(g[r0:r0 + ny, c0:c0 + nx])
"""

IO = (
    IO_SETUP
    + """
filetype = MPI.DOUBLE.Create_subarray([6, 8], [ny, nx], [r0, c0]).Commit()
fh = MPI.File.Open(cart, path, MPI.MODE_WRONLY | MPI.MODE_CREATE)
fh.Set_view(0, MPI.DOUBLE, filetype)
fh.Write_all(block)
fh.Close()
filetype.Free()
"""
)

IO_ROWS_AT_OFFSETS = (
    IO_SETUP
    + """
fh = MPI.File.Open(cart, path, MPI.MODE_WRONLY | MPI.MODE_CREATE)
for k in range(ny):                          # every rank has ny rows: the same number of calls
    offset = ((r0 + k) * 8 + c0) * block.itemsize
    fh.Write_at_all(offset, block[k])
fh.Close()
"""
)

IO_NO_VIEW = (
    IO_SETUP
    + """
fh = MPI.File.Open(cart, path, MPI.MODE_WRONLY | MPI.MODE_CREATE)
fh.Write_all(block)                          # no view: every rank writes at the start of the file
fh.Close()
"""
)

IO_INDEPENDENT = IO.replace("fh.Write_all(block)", "fh.Write(block)")
IO_COLUMN_MAJOR = IO.replace(
    "Create_subarray([6, 8], [ny, nx], [r0, c0])",
    "Create_subarray([6, 8], [ny, nx], [r0, c0], order=MPI.ORDER_FORTRAN)",
)

# From the ghosted field, the block picked out by a memory-side subarray type: no copy.
IO_FROM_GHOSTED = (
    IO_SETUP
    + """
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = block
inner = MPI.DOUBLE.Create_subarray([ny + 2, nx + 2], [ny, nx], [1, 1]).Commit()
filetype = MPI.DOUBLE.Create_subarray([6, 8], [ny, nx], [r0, c0]).Commit()
fh = MPI.File.Open(cart, path, MPI.MODE_WRONLY | MPI.MODE_CREATE)
fh.Set_view(0, MPI.DOUBLE, filetype)
fh.Write_all([u, 1, inner])
fh.Close()
inner.Free()
filetype.Free()
"""
)

# A collective write of nothing for show; rank 0 writes the whole field itself.
IO_RANK_0_WRITES_ALL = (
    IO_SETUP
    + """
fh = MPI.File.Open(cart, path, MPI.MODE_WRONLY | MPI.MODE_CREATE)
fh.Write_all(np.zeros(0))
fh.Close()
cart.Barrier()
if cart.rank == 0:
    g.tofile(path)
"""
)

# --------------------------------------------------------------------------- the table

CASES = [
    # (check, answer, passes, part of the feedback)
    ("q1", CART, True, "PROC_NULL"),
    ("q1", CART_OTHER, True, "2 x 2 grid"),
    ("q1", CART_SWAPPED, False, "Shift(0, 1) gives (north, south)"),
    ("q1", CART_PERIODIC, False, "should be MPI.PROC_NULL"),
    ("q1", CART_BY_HAND, False, "`Compute_dims`"),
    ("q2", COLUMN, True, "derived"),
    ("q2", COLUMN_SUBARRAY, True, "no copies"),
    ("q2", COLUMN_WRONG_STRIDE, False, "one every nx + 2 values"),  # which ghost shows first varies
    ("q2", COLUMN_COPIES, False, "derived datatype"),
    ("q3", EXCHANGE, True, "right neighbour"),
    ("q3", EXCHANGE_COPIES, True, "right neighbour"),
    ("q3", EXCHANGE_ROWS_SWAPPED, False, "north ghost row"),
    ("q3", EXCHANGE_BLOCKING, False, "`Isend`"),
    ("q4", STEP, True, "serial field"),
    ("q4", STEP_INLINE, True, "serial field"),
    ("q4", STEP_NO_OVERLAP, False, "waits for its messages before doing any work"),
    ("q4", STEP_PASS_BETWEEN, False, "a pass, a print or a sleep is not work"),
    ("q4", STEP_RING_TOO_EARLY, False, "outer ring"),
    ("q4", STEP_BOUNDARY_MOVES, False, "fixed boundary point"),
    ("q5", IO, True, "global field"),
    ("q5", IO_ROWS_AT_OFFSETS, True, "global field"),
    ("q5", IO_NO_VIEW, False, "did every rank write its block"),
    ("q5", IO_INDEPENDENT, False, "collective call"),
    ("q5", IO_COLUMN_MAJOR, False, "at its place in the field"),
    ("q5", IO_FROM_GHOSTED, True, "global field"),
    ("q5", IO_RANK_0_WRITES_ALL, False, "wrote 0 value(s) through MPI-IO"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, answer, passes, feedback",
    CASES,
    ids=[f"{c[0]}-{i}-{'right' if c[2] else 'wrong'}" for i, c in enumerate(CASES)],
)
def test_heat_check(question, answer, passes, feedback, capsys):
    getattr(heat, f"check_{question}")(answer)
    out = capsys.readouterr().out.strip()
    assert out.startswith(("✅ " if passes else "❌ ") + question), out
    assert feedback in out, out


@pytest.mark.parametrize("question", [q.id for q in heat.QUESTIONS])
def test_a_blank_answer_is_not_attempted(question, capsys):
    getattr(heat, f"check_{question}")(None)
    assert capsys.readouterr().out.startswith(f"⏳ {question}")


def test_a_call_named_only_in_a_comment_does_not_count(capsys):
    heat.check_q2(
        COLUMN_COPIES.replace("# no Create_vector here", "# MPI.DOUBLE.Create_vector(ny, 1, nx + 2).Commit()")
    )
    out = capsys.readouterr().out
    assert out.startswith("❌ q2") and "derived datatype" in out


WORK = "def work():\n    new[2:-2] = u[2:-2] + 0.2 * u[1:-3]\n"


@pytest.mark.parametrize(
    "program, overlapped",
    [
        (STEP, True),
        (STEP_INLINE, True),  # the wait hides in a helper that is called later
        (STEP_NO_OVERLAP, False),
        ("reqs = [c.Isend(a, 1), c.Irecv(b, 1)]\nMPI.Request.Waitall(reqs)\nwork()\n", False),
        (WORK + "reqs = [c.Isend(a, 1), c.Irecv(b, 1)]\nwork()\nMPI.Request.Waitall(reqs)\n", True),
        ("reqs = [c.Isend(a, 1)]\nnew[2:-2] += 0.2 * u[2:-2]\nMPI.Request.Waitall(reqs)\n", True),
        # a comment between posting and waiting is not work
        ("reqs = [c.Isend(a, 1)]\n# work()\nMPI.Request.Waitall(reqs)\n", False),
        # nor is a pass, a print, a sleep, a plain assignment or a function that computes nothing
        ("reqs = [c.Isend(a, 1)]\npass\nMPI.Request.Waitall(reqs)\n", False),
        ("reqs = [c.Isend(a, 1)]\nprint('busy')\ntime.sleep(0.1)\nx = 1\nMPI.Request.Waitall(reqs)\n", False),
        ("def work():\n    pass\nreqs = [c.Isend(a, 1)]\nwork()\nMPI.Request.Waitall(reqs)\n", False),
        ("def go():\n    r = [c.Isend(a, 1)]\n    MPI.Request.Waitall(r)\ngo()\n" + WORK + "work()\n", False),
    ],
)
def test_overlap_is_read_from_the_syntax_tree(program, overlapped):
    assert heat.overlaps(program) is overlapped


def test_the_serial_reference_keeps_the_boundary_fixed():
    start, end = heat.heat_initial(), heat.heat_serial()
    for edge in (np.s_[0, :], np.s_[-1, :], np.s_[:, 0], np.s_[:, -1]):
        assert (start[edge] == end[edge]).all()
    assert not np.allclose(start[1:-1, 1:-1], end[1:-1, 1:-1])
