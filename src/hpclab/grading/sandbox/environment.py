"""A sandboxed kernel's environment variables: an allowlist of the grader's, then the sandbox's own.

Only :data:`PASSED_ENV` (by name) and :data:`PASSED_ENV_PREFIXES` (by
prefix) pass: the locale, the course's own ``HPCLAB_*`` variables (the tests'
leak-check tag among them, so a test still finds everything a submission
started), thread, MPI and Dask settings; nothing else of the grader's
environment (tokens, keys, session sockets) reaches a submission. Then the
sandbox sets its own: the home, scratch and data folders as they are inside,
the memory limit, and the flag that says the kernel is sandboxed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hpclab import config
from hpclab.data import data_root
from hpclab.grading.sandbox.mounts import INSIDE_HOME, INSIDE_SCRATCH

# The grader's variables a kernel keeps (by name, then by prefix); everything else is left out.
PASSED_ENV = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TERM",
        "USER",
        "LOGNAME",
        "VIRTUAL_ENV",
        "JUPYTER_PLATFORM_DIRS",
        "MPLBACKEND",
        "PYDEVD_DISABLE_FILE_VALIDATION",
        "PYTHONHASHSEED",
        "PYTHONUTF8",
        "PYTHONIOENCODING",
        "PYTHONWARNINGS",
        "PYTHONUNBUFFERED",
        "NO_COLOR",
        "OMPI_ALLOW_RUN_AS_ROOT",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
    }
)
PASSED_ENV_PREFIXES = (
    "LC_",  # locale
    "OMP_",  # thread counts of OpenMP, OpenBLAS, MKL, numexpr, BLIS
    "OPENBLAS_",
    "MKL_",
    "NUMEXPR_",
    "BLIS_",
    "DASK_",  # Dask's configuration
    "MPIR_CVAR_",  # MPICH's, Open MPI's and PRRTE's settings
    "MPICH_",
    "HYDRA_",
    "OMPI_MCA_",
    "PRTE_MCA_",
    "PMIX_MCA_",
)
# Course variables that make no sense inside: the grader's own, and a scheduler the sandbox cannot reach.
GRADER_ONLY_ENV = frozenset({config.BWRAP, config.SANDBOX_UID_BASE, config.SCHEDULER_FILE})


def passed_env(base: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``base`` a sandboxed kernel keeps: an allowlist, never a denylist.

    :data:`PASSED_ENV` by name, :data:`PASSED_ENV_PREFIXES` by prefix (locale,
    thread counts, Dask, MPI), and the course's own ``HPCLAB_*`` variables of
    :data:`hpclab.config.SETTINGS` but the grader's (:data:`GRADER_ONLY_ENV`).
    A course that needs one more variable inside adds it here.
    """
    course = {s.name for s in config.SETTINGS} - GRADER_ONLY_ENV
    return {
        name: value
        for name, value in base.items()
        if name in PASSED_ENV or name in course or name.startswith(PASSED_ENV_PREFIXES)
    }


def sandboxed_env(base: Mapping[str, str], *, memory: int, dedicated_uid: bool) -> dict[str, str]:
    """The kernel's environment inside: ``base`` through :func:`passed_env`, then the sandbox's own.

    Parameters
    ----------
    base
        The grader's environment for the kernel.
    memory
        The sandbox's memory limit in bytes (:data:`config.MEMORY_LIMIT` inside).
    dedicated_uid
        True when the kernel runs under a dedicated uid (as root): then it is user ``learner``.

    Returns
    -------
    dict
        The variables the kernel starts with.
    """
    env = passed_env(base)
    if "PATH" in env:  # only the bound paths exist inside: no detours through folders left out
        env["PATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PATH"].split(os.pathsep) if p)
    env.update(
        {
            "HOME": INSIDE_HOME,
            "TMPDIR": "/tmp",
            config.SCRATCH: INSIDE_SCRATCH,
            config.DATA: str(data_root()),  # where it is bound, whatever the kernel's cwd
            "XDG_CACHE_HOME": f"{INSIDE_HOME}/.cache",
            "XDG_CONFIG_HOME": f"{INSIDE_HOME}/.config",
            "MPLCONFIGDIR": f"{INSIDE_HOME}/.cache/matplotlib",
            "JUPYTER_RUNTIME_DIR": f"{INSIDE_HOME}/runtime",
            "PYTHONDONTWRITEBYTECODE": "1",
            config.MEMORY_LIMIT: str(memory),
            config.SANDBOXED: "1",
        }
    )
    if dedicated_uid:
        env["USER"] = env["LOGNAME"] = "learner"
    return env
