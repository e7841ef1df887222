"""Hand data prepared by Dask to MPI code, without copying it between machines.

Dask is good at loading, cleaning and reshaping data; some algorithms (a
stencil, a solver, legacy MPI code) need MPI's tight coupling. Two routes
connect them:

* **In memory** (:func:`placement`, :func:`run_on_workers`): under
  ``dask-mpi`` every Dask worker *is* an MPI rank, so a function sent to a
  worker can call MPI on the blocks that already sit in that worker's memory.
  Nothing is copied: each call is pinned to the worker that holds its blocks.
  Independent MPI workers (``hpclab.cluster.start(mpi=True)``, dask-jobqueue
  with ``hpclab.mpiworker.jobqueue_options()``) work the same way: they are
  joined into one communicator first (:func:`communicator`).
* **And back** (:func:`run_to_array`): the MPI function's result blocks stay on
  the workers that computed them, as a dask array the next Dask step uses lazily;
  nothing goes through the client.
* **On disk** (:func:`write_pieces`, :func:`read_my_share`): Dask writes one
  ``.npy`` file per block plus ``index.json``; any MPI program (started later,
  with any number of ranks) reads its contiguous share back.

The order of blocks is always *chunk order*: C order over the chunk grid
(block (0, 0), (0, 1), ..., (1, 0), ...), partition order for dataframes.

Importing this package needs only NumPy and psutil: an MPI program of the disk route
imports it on every rank, so Dask and ``distributed`` are imported by the
functions of the in-memory route when they run, and ``mpi4py.MPI`` (which
initialises MPI) only inside the workers' MPI steps.

Modules, one concept each: ``blocks`` (:class:`Piece`, which worker holds
which block), ``worker`` (what runs inside each worker: its MPI thread and
steps), ``steps`` (one step on every worker at once, from the client),
``comms`` (the workers' communicator and the one-phase-at-a-time lock),
``run`` (:func:`run_on_workers`), ``disk`` (the disk route) and ``errors``.
"""

from __future__ import annotations

from hpclab.handoff.blocks import Piece, placement
from hpclab.handoff.comms import MPI_PHASE_LOCK, communicator, tree_rounds
from hpclab.handoff.disk import INDEX_FILE, read_index, read_my_share, share, write_pieces
from hpclab.handoff.errors import HandoffError, HandoffRetry, HandoffTimeout
from hpclab.handoff.run import comm_order, run_on_workers, run_to_array
from hpclab.handoff.steps import FROZEN_GRACE
from hpclab.handoff.worker import MPI_LAUNCH_ENV_VARS

__all__ = [
    "FROZEN_GRACE",
    "INDEX_FILE",
    "MPI_LAUNCH_ENV_VARS",
    "MPI_PHASE_LOCK",
    "HandoffError",
    "HandoffRetry",
    "HandoffTimeout",
    "Piece",
    "comm_order",
    "communicator",
    "placement",
    "read_index",
    "read_my_share",
    "run_on_workers",
    "run_to_array",
    "share",
    "tree_rounds",
    "write_pieces",
]
