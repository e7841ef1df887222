"""The 2-D heat equation on a Cartesian grid of ranks (lesson 09b).

Usage: python -m mpi4py heat.py [--n 128] [--steps 200] [--out FILE] [--no-check]

The global field is n x n; its outer ring of points is held fixed (Dirichlet
boundaries) and every other point follows the explicit finite-difference step

    u_new = u + ALPHA * (north + south + west + east - 4 u)

Each rank owns one block of the field plus a layer of ghost points around it.
Every step it starts the halo exchange with Isend/Irecv, updates the points that
need no ghost while the messages travel, waits, then updates its block's outer
ring. Rank 0 prints one result line, e.g.

    heat n=128 steps=200 ranks=4 grid=2x2 time=0.081s max_diff=0.0e+00 file_diff=0.0e+00 hosts=node1,node2

max_diff is the largest difference from a serial NumPy run of the same steps;
file_diff compares the file written with collective MPI-IO (read back with
np.fromfile) with the same serial field ("-" when not measured).
"""

import argparse
import socket

import numpy as np
from mpi4py import MPI

ALPHA = 0.2  # the explicit scheme is stable for ALPHA <= 0.25


def initial_field(n):
    """The starting field, boundary values included: a hot top edge and a warm spot."""
    y, x = np.meshgrid(np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, n), indexing="ij")
    u = np.exp(-40.0 * ((x - 0.3) ** 2 + (y - 0.6) ** 2))
    u[:, 0] = 0.0  # cold left edge
    u[:, -1] = 1.0 - y[:, -1]  # right edge: a ramp, 1 at the top to 0 at the bottom
    u[-1, :] = 0.0  # cold bottom edge
    u[0, :] = 1.0  # hot top edge
    return u


def serial_solution(n, steps):
    """The same steps on one process with plain NumPy: the answer to compare with."""
    u = initial_field(n)
    for _ in range(steps):
        inner = u[1:-1, 1:-1]
        u[1:-1, 1:-1] = inner + ALPHA * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * inner)
    return u


def split(n, parts, index):
    """First index and length of block ``index`` when n points are cut into ``parts`` blocks."""
    base, extra = divmod(n, parts)
    start = index * base + min(index, extra)
    return start, base + (1 if index < extra else 0)


def update(u, new, i0, i1, j0, j1):
    """new[i0:i1, j0:j1] = one explicit step of u there (indices in the ghost-padded block)."""
    c = u[i0:i1, j0:j1]
    new[i0:i1, j0:j1] = c + ALPHA * (
        u[i0 - 1 : i1 - 1, j0:j1]
        + u[i0 + 1 : i1 + 1, j0:j1]
        + u[i0:i1, j0 - 1 : j1 - 1]
        + u[i0:i1, j0 + 1 : j1 + 1]
        - 4 * c
    )


parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--n", type=int, default=128, help="grid points per side (boundary included)")
parser.add_argument("--steps", type=int, default=200, help="time steps")
parser.add_argument("--out", default=None, help="write the final field here with MPI-IO (raw float64, n x n)")
parser.add_argument("--no-check", action="store_true", help="skip the serial comparison (for timing runs)")
options = parser.parse_args()
n, steps = options.n, options.steps

# --- 1. A 2-D Cartesian grid of ranks, and who my neighbours are
world = MPI.COMM_WORLD
dims = MPI.Compute_dims(world.Get_size(), 2)  # e.g. 4 ranks -> [2, 2]
cart = world.Create_cart(dims, periods=[False, False], reorder=True)
rank, size = cart.Get_rank(), cart.Get_size()
coords = cart.Get_coords(rank)
north, south = cart.Shift(0, 1)  # MPI.PROC_NULL beyond the edges
west, east = cart.Shift(1, 1)
row0, ny = split(n, dims[0], coords[0])
col0, nx = split(n, dims[1], coords[1])
if min(ny, nx) < 1:
    raise SystemExit(f"a {n} x {n} grid is too small for {dims[0]} x {dims[1]} ranks")

# --- 2. My block with one ghost layer, and which of its points are fixed boundary points
u = np.zeros((ny + 2, nx + 2))
u[1:-1, 1:-1] = initial_field(n)[row0 : row0 + ny, col0 : col0 + nx]
rows = np.arange(row0, row0 + ny)[:, None]
cols = np.arange(col0, col0 + nx)[None, :]
fixed = (rows == 0) | (rows == n - 1) | (cols == 0) | (cols == n - 1)
fixed_values = u[1:-1, 1:-1][fixed].copy()
new = u.copy()

# --- 3. A column of the block is ny doubles, one every nx + 2: a vector datatype
column = MPI.DOUBLE.Create_vector(ny, 1, nx + 2).Commit()
flat = u.reshape(-1)  # a view: the datatype walks the 2-D array from a start offset
flat_new = new.reshape(-1)


def at(buffer, i, j):
    """The buffer from point (i, j) of the padded block onwards, for a message with a datatype."""
    return buffer[i * (nx + 2) + j :]


def start_halo_exchange(a, flat_a):
    """Post the eight messages of one halo exchange; return their requests."""
    return [
        cart.Irecv(a[0, 1:-1], source=north, tag=1),  # ghost row above me
        cart.Irecv(a[-1, 1:-1], source=south, tag=2),  # ghost row below me
        cart.Irecv([at(flat_a, 1, 0), 1, column], source=west, tag=3),
        cart.Irecv([at(flat_a, 1, nx + 1), 1, column], source=east, tag=4),
        cart.Isend(a[-2, 1:-1], dest=south, tag=1),  # my last row is south's ghost
        cart.Isend(a[1, 1:-1], dest=north, tag=2),
        cart.Isend([at(flat_a, 1, nx), 1, column], dest=east, tag=3),
        cart.Isend([at(flat_a, 1, 1), 1, column], dest=west, tag=4),
    ]


# --- 4. Time steps: exchange halos while updating the inside, then the ring
cart.Barrier()
start = MPI.Wtime()
for _ in range(steps):
    requests = start_halo_exchange(u, flat)
    update(u, new, 2, ny, 2, nx)  # needs no ghost: overlaps with the messages
    MPI.Request.Waitall(requests)
    update(u, new, 1, 2, 1, nx + 1)  # top row of my block
    update(u, new, ny, ny + 1, 1, nx + 1)  # bottom row
    update(u, new, 1, ny + 1, 1, 2)  # left column
    update(u, new, 1, ny + 1, nx, nx + 1)  # right column
    new[1:-1, 1:-1][fixed] = fixed_values  # boundary points never change
    u, new = new, u
    flat, flat_new = flat_new, flat
elapsed = cart.allreduce(MPI.Wtime() - start, op=MPI.MAX)  # the slowest rank decides
column.Free()
mine = np.ascontiguousarray(u[1:-1, 1:-1])

# --- 5. Compare with the serial solution (every rank checks its own block)
max_diff = None
if not options.no_check:
    reference = serial_solution(n, steps)
    block_diff = float(np.max(np.abs(mine - reference[row0 : row0 + ny, col0 : col0 + nx])))
    max_diff = cart.allreduce(block_diff, op=MPI.MAX)

# --- 6. Write the field with collective MPI-IO: each rank's block lands at its place in the file
file_diff = None
if options.out:
    filetype = MPI.DOUBLE.Create_subarray([n, n], [ny, nx], [row0, col0]).Commit()
    fh = MPI.File.Open(cart, options.out, MPI.MODE_WRONLY | MPI.MODE_CREATE)
    fh.Set_size(0)  # an older, bigger file must not leave a tail
    fh.Set_view(0, MPI.DOUBLE, filetype)
    fh.Write_all(mine)
    fh.Close()
    filetype.Free()
    if rank == 0 and not options.no_check:
        from_file = np.fromfile(options.out, dtype=np.float64)
        file_diff = (
            float(np.max(np.abs(from_file.reshape(n, n) - reference))) if from_file.size == n * n else float("inf")
        )

hosts = cart.gather(socket.gethostname(), root=0)
if rank == 0:

    def shown(value):
        return "-" if value is None else f"{value:.1e}"

    print(
        f"heat n={n} steps={steps} ranks={size} grid={dims[0]}x{dims[1]} time={elapsed:.3f}s "
        f"max_diff={shown(max_diff)} file_diff={shown(file_diff)} hosts={','.join(sorted(set(hosts)))}"
    )
