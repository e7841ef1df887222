"""hpclab: helpers, exercise checks and a grader for a course on distributed Python.

Modules, one concept each: ``cluster`` (a Dask client sized for where you
are), ``mpi`` (run MPI code from a notebook), ``checks`` (exercise feedback),
``build`` (exercises from solutions), ``execute`` (run a notebook safely),
``grade`` (score a room of submissions). The ``hpclab`` command wraps them.
"""

__version__ = "0.1.0"
