"""The doctor's Security section: is a Dask scheduler speaking plain TCP where others can reach it?"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from hpclab import config
from hpclab.cluster.resources import shared_machine
from hpclab.doctor.dashboard import read_scheduler_file
from hpclab.doctor.findings import OK, WARN, Finding


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
