"""Every rank says where it runs, then passes its rank around a ring."""

import os
import socket

from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
cpus = ",".join(map(str, sorted(os.sched_getaffinity(0))))  # the CPUs Slurm bound this rank to
print(f"hello from rank {rank} of {size} on {socket.gethostname()} (CPUs {cpus})", flush=True)

# Ring: send to the right neighbour, receive from the left one. sendrecv pairs
# the two so no rank waits for a message that was never sent (no deadlock).
right, left = (rank + 1) % size, (rank - 1) % size
received = comm.sendrecv(rank, dest=right, source=left)
total = comm.allreduce(received, op=MPI.SUM)
hosts = comm.gather(socket.gethostname(), root=0)
if rank == 0:
    print(f"ring ok: sum of received ranks = {total} (expected {size * (size - 1) // 2})")
    print(f"hosts: {' '.join(sorted(set(hosts)))}")
