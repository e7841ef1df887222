"""Lesson 13: every rank passes a block of numbers to its right neighbour (it hangs: find out why).

Two safety nets any long MPI program can carry, both from the standard library:
``faulthandler.register(SIGUSR1)`` prints where every thread of this rank is when
the rank gets SIGUSR1 (``scancel --signal=USR1 JOBID`` sends it to every rank), and
``faulthandler.dump_traceback_later`` prints it and exits with an error when the
program is still running after ``BREAKFIX_TIMEOUT`` seconds, so a hung job ends
(and fails) instead of burning its whole allocation.
"""

import faulthandler
import os
import signal
import socket

import numpy as np
from mpi4py import MPI

faulthandler.register(signal.SIGUSR1)
faulthandler.dump_traceback_later(float(os.environ.get("BREAKFIX_TIMEOUT", "60")), exit=True)

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
print(f"rank {rank} of {size} on {socket.gethostname()}", flush=True)
right, left = (rank + 1) % size, (rank - 1) % size
block = np.full(100_000, float(rank))
received = np.empty_like(block)

comm.Ssend(block, dest=right)
comm.Recv(received, source=left)

faulthandler.cancel_dump_traceback_later()
print(f"rank {rank} received the block of rank {received[0]:.0f}", flush=True)
