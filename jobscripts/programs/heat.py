"""The 2-D heat equation on a Cartesian grid of ranks (lesson 09b).

Usage: python -m mpi4py heat.py [--n 128] [--steps 200] [--out FILE] [--check]

The global field is n x n; its outer ring of points is held fixed (Dirichlet
boundaries) and every other point follows the explicit finite-difference step

    u_new = u + ALPHA * (north + south + west + east - 4 u)

Each rank owns one block of the field plus a layer of ghost points around it.
Every step it starts the halo exchange with Isend/Irecv, updates the points that
need no ghost while the messages travel, waits, then updates its block's outer
ring. Rank 0 prints one result line, e.g.

    heat n=128 steps=200 ranks=4 grid=2x2 time=0.081s max_diff=0.0e+00 file_diff=0.0e+00 hosts=node1,node2

Distributed for real: every rank builds its own block from its global
coordinates (initial_block) and never holds the whole n x n field, so p ranks
need about 1/p of the memory each and a field too big for one node still runs.

With --check (small n only: it needs the whole field on rank 0), rank 0 also
runs the serial NumPy solver and gathers the blocks: max_diff is the largest
difference from it, and file_diff compares the file written with collective
MPI-IO (read back with np.fromfile) with the same serial field. Without
--check both show "-".
"""

import argparse
import socket

import numpy as np
from mpi4py import MPI

ALPHA = 0.2  # the explicit scheme is stable for ALPHA <= 0.25
CHECK_LIMIT = 2048  # --check puts the whole field (and the serial run) on rank 0: small n only


def initial_block(n, row0, ny, col0, nx):
    """Rows row0..row0+ny-1, columns col0..col0+nx-1 of the starting field, boundary values included.

    Computed from the points' global coordinates, so a rank builds only its own block:
    a hot top edge, cold left and bottom edges, a ramp on the right, a warm spot inside.
    """
    y = np.linspace(0.0, 1.0, n)[row0 : row0 + ny, None]  # n numbers, not n x n: cheap on every rank
    x = np.linspace(0.0, 1.0, n)[None, col0 : col0 + nx]
    u = np.exp(-40.0 * ((x - 0.3) ** 2 + (y - 0.6) ** 2))
    rows = np.arange(row0, row0 + ny)
    cols = np.arange(col0, col0 + nx)
    u[:, cols == 0] = 0.0  # cold left edge
    u[:, cols == n - 1] = 1.0 - y  # right edge: a ramp, 1 at the top to 0 at the bottom
    u[rows == n - 1, :] = 0.0  # cold bottom edge
    u[rows == 0, :] = 1.0  # hot top edge
    return u


def initial_field(n):
    """The whole starting field: the block that is everything (for the serial solver)."""
    return initial_block(n, 0, n, 0, n)


def serial_solution(n, steps):
    """The same steps on one process with plain NumPy: the answer to compare with (small n)."""
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
parser.add_argument(
    "--check",
    action="store_true",
    help=f"compare with a serial run on rank 0 (n <= {CHECK_LIMIT}: it needs n x n there)",
)
parser.add_argument("--no-check", action="store_true", help="no serial comparison (the default; kept for old commands)")
options = parser.parse_args()
n, steps = options.n, options.steps
check = options.check and not options.no_check
if check and n > CHECK_LIMIT:
    parser.error(f"--check holds the whole {n} x {n} field on rank 0: use it for n <= {CHECK_LIMIT} only")

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
u[1:-1, 1:-1] = initial_block(n, row0, ny, col0, nx)  # only my block: no rank holds the n x n field
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

# --- 5. Write the field with collective MPI-IO: each rank's block lands at its place in the file
if options.out:
    filetype = MPI.DOUBLE.Create_subarray([n, n], [ny, nx], [row0, col0]).Commit()
    fh = MPI.File.Open(cart, options.out, MPI.MODE_WRONLY | MPI.MODE_CREATE)
    fh.Set_size(0)  # an older, bigger file must not leave a tail
    fh.Set_view(0, MPI.DOUBLE, filetype)
    fh.Write_all(mine)
    fh.Close()
    filetype.Free()
    # Close is collective but need not wait for the other ranks' data to reach the file: only
    # after this barrier may rank 0 read what they wrote (MPI-IO's close-barrier-open rule).
    cart.Barrier()

# --- 6. Opt-in, small n only: rank 0 compares the blocks and the file with the serial solution
max_diff = file_diff = None
if check:
    blocks = cart.gather((row0, col0, mine), root=0)
    if rank == 0:
        reference = serial_solution(n, steps)
        max_diff = max(
            float(np.max(np.abs(b - reference[r : r + b.shape[0], c : c + b.shape[1]]))) for r, c, b in blocks
        )
        if options.out:
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
