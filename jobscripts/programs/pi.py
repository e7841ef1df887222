"""Estimate pi by throwing random points at a square; ranks share the work.

Usage: python -m mpi4py pi.py SAMPLES
"""

import sys

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
CHUNK = 1_000_000

# Split the samples as evenly as possible: the first `extra` ranks take one more.
share, extra = divmod(total, size)
mine = share + (1 if rank < extra else 0)
# Independent, reproducible random streams per rank.
rng = np.random.default_rng(np.random.SeedSequence(2024).spawn(size)[rank])

comm.Barrier()
start = MPI.Wtime()
inside = np.zeros((), dtype=np.int64)
# A million points at a time: 16 MB, however many samples (the same numbers as one big draw).
for first in range(0, mine, CHUNK):
    xy = rng.random((min(CHUNK, mine - first), 2))
    inside += np.count_nonzero((xy**2).sum(axis=1) <= 1.0)
count = np.zeros(1, dtype=np.int64) if rank == 0 else None
comm.Reduce(inside, count, op=MPI.SUM, root=0)  # only rank 0 receives the sum
elapsed = comm.reduce(MPI.Wtime() - start, op=MPI.MAX, root=0)

if rank == 0:
    estimate = 4.0 * count[0] / total
    print(
        f"pi ~ {estimate:.6f} (error {abs(estimate - np.pi):.2e}) from {total} samples "
        f"on {size} ranks in {elapsed:.3f} s"
    )
