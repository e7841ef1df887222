"""The doctor's Security section: is a Dask scheduler speaking plain TCP where others can reach it?"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping

import psutil

from hpclab import config
from hpclab.doctor.dashboard import read_scheduler_file
from hpclab.doctor.findings import OK, WARN, Finding, plural


def shared_machine(
    env: Mapping[str, str], *, uids: set[int] | None = None, have_slurm: bool | None = None
) -> str | None:
    """Why other people can reach this machine's ports (loopback included), or None if nothing says so.

    A Slurm job or a machine with ``sbatch`` is part of a cluster (login nodes
    have hundreds of users; a cluster network reaches every node); elsewhere,
    processes of other human users (uid 1000 and up) give it away.
    """
    if env.get("SLURM_JOB_ID"):
        return "this runs in a Slurm job: compute nodes are shared, and the cluster network reaches every node"
    if have_slurm if have_slurm is not None else shutil.which("sbatch") is not None:
        return "Slurm's sbatch is installed: a cluster's login node, which many users share"
    if uids is None:
        uids = set()
        for proc in psutil.process_iter(["uids"]):
            if proc.info["uids"] is not None:
                uids.add(proc.info["uids"].real)
    others = sorted(u for u in uids if u >= 1000 and u != 65534 and u != os.geteuid())
    return f"processes of {plural(len(others), 'other user')} run here" if others else None


def _current_client_address() -> str | None:
    """The scheduler address of this process's current Dask client, if it has one (never starts one)."""
    if "distributed" not in sys.modules:
        return None
    from distributed import Client  # noqa: PLC0415  only when already imported: the doctor never loads Dask

    try:
        return Client.current().scheduler.address
    except (ValueError, AttributeError):
        return None


def tls_findings(
    env: Mapping[str, str], *, shared: str | None | bool = False, client_address: str | None | bool = False
) -> list[Finding]:
    """Warn when the scheduler of ``HPCLAB_SCHEDULER_FILE`` or of the current client speaks plain ``tcp://``
    on a machine others use: anyone who reaches its port can run code as you (``shared``/``client_address``
    are looked up unless given)."""
    shared = shared_machine(env) if shared is False else shared
    client_address = _current_client_address() if client_address is False else client_address
    named = []
    if env.get(config.SCHEDULER_FILE):
        try:
            address = read_scheduler_file(env[config.SCHEDULER_FILE])["address"]
            named.append((f"the scheduler in {env[config.SCHEDULER_FILE]}", address))
        except ValueError:
            pass  # the Dashboard section reports the unreadable file
    if client_address:
        named.append(("this process's Dask client", client_address))
    why = f" ({shared})" if shared else ""
    found = []
    for what, address in named:
        if address.startswith("tls://"):
            found.append(
                Finding(
                    "Security",
                    OK,
                    f"{what} speaks TLS ({address}): clients without its credentials are refused",
                    details={"address": address},
                )
            )
        elif shared:
            found.append(
                Finding(
                    "Security",
                    WARN,
                    f"{what} speaks plain TCP ({address}) on a machine others "
                    f"use{why}: anyone who can reach that port can run code as you",
                    "start it with TLS: hpclab.cluster.start() (its default), "
                    "LocalCluster(security=Security.temporary()), or `dask_tls` in a job "
                    "script (jobscripts/common.sh); docs/security.md",
                    details={"address": address, "shared": shared},
                )
            )
        else:
            found.append(
                Finding(
                    "Security",
                    OK,
                    f"{what} speaks plain TCP ({address}); no other users seen here, but on a shared machine use TLS",
                    details={"address": address},
                )
            )
    if not named:
        found.append(
            Finding(
                "Security",
                OK,
                "no Dask scheduler named (no HPCLAB_SCHEDULER_FILE, no client): "
                f"hpclab's clusters and job scripts use TLS by default{why}",
                details={"shared": shared},
            )
        )
    return found
