"""hpclab: helpers, exercise checks and a grader for a course on distributed Python.

Modules, one concept each: ``cluster`` (a Dask client sized for where you
are), ``mpi`` (run MPI code from a notebook), ``scaling`` (speedup and
Amdahl fits), ``data`` (the lessons' datasets, made offline), ``handoff``
(Dask blocks to MPI code), ``vcluster`` (a real Slurm of virtual nodes),
``doctor`` (diagnose a set-up), ``checks`` (exercise feedback), ``build``
(exercises from solutions), ``execute`` (run a notebook safely) and ``grade``
(score a room of submissions). The ``hpclab`` command wraps them.
"""

__version__ = "0.1.0"
