"""Run one learner submission's kernel in a sandbox: Linux namespaces by bubblewrap.

Why: the grader runs code nobody has read, from every learner of a course, on
the instructor's machine. A submission must not read the solutions, the other
submissions or the grader's outputs and secrets, change the course or the
packages its checks run from, reach the network, signal the grader, or take
the machine down with processes, memory or disk; a hostile submission stops
alone, and the room goes on.

What a submission gets: its own PID, network (only ``lo``), IPC and UTS
namespaces, and a file system built from an allowlist, never the host's whole
``/``: the system folders (``/usr``, ``/etc``, ``/lib*``, ``/bin``, ``/sbin``,
``/opt``, and ``/sys`` for the machine's layout, without its network list),
Python itself and the virtual environment, the ``hpclab`` package
folder alone (from an editable install, ``src/hpclab``, never the course
folder around it), the course's data and the lessons' notebooks and job
scripts, all read-only. ``solutions/`` is an empty folder there (so
:func:`hpclab.data.course_root` still finds the course); other submissions,
the grader's working folder and its output files exist nowhere inside. The
writable places are memory: ``/tmp`` (with the home and scratch folders),
``/dev/shm`` and the working directory (a fresh copy of the release folder,
at the release folder's path) are tmpfs mounts of at most the memory limit
each; bubblewrap's own mounts (its root, ``/dev``, ``/sys/class/net``) are
made read-only once all is mounted (in a user namespace they would belong to
the submission). As root, everything in it runs under a dedicated unprivileged uid of
its own (so ``RLIMIT_NPROC`` counts that submission's processes only, and it
can signal nothing but itself), with no capabilities and ``no_new_privs``
(setuid programs give nothing). Without root, bubblewrap makes a user
namespace instead and the process limit counts the instructor's own processes
as well.

Limits, none of them cgroups (those belong to the machine): ``RLIMIT_NPROC``
(processes and threads), ``RLIMIT_CPU`` (CPU seconds per process),
``RLIMIT_CORE`` 0, ``RLIMIT_FSIZE`` (no file larger than the memory limit:
every file it can write is held in memory) and ``RLIMIT_NOFILE``, and a
watchdog thread that polls what the sandbox holds, as Dask's nanny does, and
stops it past the memory limit: the PSS of its whole process tree (shared
pages count once; ``RLIMIT_AS`` would break OpenBLAS, pyarrow and Dask's
threads), plus the memory PSS misses: memfd files its processes hold open or
only map (their whole size, each once), the used space of its tmpfs mounts,
System V shared memory in its IPC namespace, and the files in the kernel's socket folder (the one place it
writes on the host's disk, and only while the kernel starts: :meth:`Sandbox.seal`
gives it back to root before the first cell). What the watchdog cannot
measure stops the sandbox too: a watchdog that died would lift the limit.
Last, a guard for the machine: every sandbox stops when the host's
``MemAvailable`` falls under :func:`memory_floor` (or ``Limits.host_floor``).
It alone catches what cannot be attributed without cgroups: data queued in
Unix socket buffers, a tmpfs mounted in a nested user namespace (bubblewrap
0.8's ``--disable-userns`` needs ``--unshare-user``: used without root, but
root mode cannot, the dedicated uid must be a real one), kernel memory.

The kernel keeps its IPC transport: its sockets live in a folder bound into the
sandbox at the same path, so grader and kernel both reach them. Kernel
interrupts go as messages (the kernel signals its own process group inside the
sandbox). The kernel's environment is built from an allowlist
(:data:`PASSED_ENV`): the locale, the course's own ``HPCLAB_*`` variables
(the tests' leak-check tag among them, so a test still finds everything a
submission started), thread, MPI and Dask settings; nothing else of the
grader's environment (tokens, keys, session sockets) reaches a submission.

The parts, one module each:

- :mod:`~hpclab.grading.sandbox.box`: :class:`Sandbox` itself, its life cycle,
  the kernel's command (``prlimit``, ``bwrap``, ``setpriv``) and the watchdog thread;
- :mod:`~hpclab.grading.sandbox.limits`: :class:`Limits`, what a submission may use;
- :mod:`~hpclab.grading.sandbox.bubblewrap`: finding bubblewrap and whether it
  works here (:func:`unavailable_reason`);
- :mod:`~hpclab.grading.sandbox.mounts`: the file system's allowlist;
- :mod:`~hpclab.grading.sandbox.environment`: the environment's allowlist;
- :mod:`~hpclab.grading.sandbox.memory`: what the watchdog measures, and the machine's floor;
- :mod:`~hpclab.grading.sandbox.uids`: the dedicated uids as root;
- :mod:`~hpclab.grading.sandbox.files`: walking, sizing and removing folders
  however deep (:func:`remove_tree`);
- :mod:`~hpclab.grading.sandbox.errors`: :class:`SandboxError`.
"""

from __future__ import annotations

from hpclab.grading.sandbox.box import Sandbox
from hpclab.grading.sandbox.bubblewrap import bwrap_program, unavailable_reason
from hpclab.grading.sandbox.environment import GRADER_ONLY_ENV, PASSED_ENV, PASSED_ENV_PREFIXES, passed_env
from hpclab.grading.sandbox.errors import SandboxError
from hpclab.grading.sandbox.files import remove_tree
from hpclab.grading.sandbox.limits import Limits
from hpclab.grading.sandbox.memory import host_floor, memory_floor

__all__ = [
    "GRADER_ONLY_ENV",
    "PASSED_ENV",
    "PASSED_ENV_PREFIXES",
    "Limits",
    "Sandbox",
    "SandboxError",
    "bwrap_program",
    "host_floor",
    "memory_floor",
    "passed_env",
    "remove_tree",
    "unavailable_reason",
]
