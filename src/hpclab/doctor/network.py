"""The doctor's Network section: interfaces, the address Dask would use, and whether we are online.

It sends nothing over the network: the address and the way out are read off
the routing table (``/proc/net/route``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

import psutil

from hpclab import config
from hpclab.doctor.findings import OK, WARN, Finding

OFFLINE_NOTE = "the course works without internet: data is generated locally, see `hpclab data prepare`"


def interfaces() -> dict[str, list[str]]:
    """Interfaces that are up, with their IPv4 addresses (maybe none)."""
    stats = psutil.net_if_stats()
    result = {}
    for name, addrs in psutil.net_if_addrs().items():
        if name in stats and not stats[name].isup:
            continue
        result[name] = [a.address for a in addrs if a.family == socket.AF_INET]
    return result


def default_route(route_table: str | os.PathLike = "/proc/net/route") -> str | None:
    """Interface of the IPv4 default route, "" if there is none, None if the table cannot be read."""
    try:
        lines = Path(route_table).read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) >= 8 and parts[1] == "00000000" and parts[7] == "00000000" and int(parts[3], 16) & 1:
            return parts[0]
    return ""


def _hosts_file_address(name: str, hosts: str = "/etc/hosts") -> str | None:
    try:
        lines = Path(hosts).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split("#")[0].split()
        if len(parts) >= 2 and name in parts[1:] and ":" not in parts[0]:
            return parts[0]
    return None


def dask_address(route_table: str | os.PathLike = "/proc/net/route") -> tuple[str | None, str]:
    """The address Dask would give other machines, and why it could not tell.

    ``distributed.utils.get_ip()`` asks the kernel which local address would
    reach a public host, via a UDP "connect". We read the same answer off the
    routing table instead (the default route's interface and its IPv4
    address), so the doctor never addresses anything outside this machine.
    """
    iface = default_route(route_table)
    if not iface:
        return None, "no default route"
    addresses = interfaces().get(iface) or []
    if not addresses:
        return None, f"the default route's interface {iface} has no IPv4 address"
    return addresses[0], ""


def network_findings(env: Mapping[str, str], route_table: str | os.PathLike = "/proc/net/route") -> list[Finding]:
    """Interfaces, the address Dask would use, and (without any traffic) whether we are online."""
    ifaces = interfaces()
    listing = "; ".join(f"{name} {', '.join(addrs) or '(no IPv4)'}" for name, addrs in ifaces.items())
    found = [Finding("Network", OK, f"interfaces: {listing}", details={"interfaces": ifaces})]
    outside = {n: a for n, a in ifaces.items() if any(not ip.startswith("127.") for ip in a)}
    route = default_route(route_table)
    in_job = bool(env.get("SLURM_JOB_ID"))
    by_ip = {ip: n for n, a in ifaces.items() for ip in a}
    iface_fix = (
        "name the network explicitly: `dask_mpi.initialize(interface='ib0')`, `dask-mpi --interface ib0`, "
        "or `export HPCLAB_IFACE=ib0` in your jobscripts/site/*.sh profile"
    )

    if route == "":
        fallback = _hosts_file_address(socket.gethostname())
        status = WARN if in_job else OK
        found.append(
            Finding(
                "Network",
                status,
                "Dask's address probe would find no route and fall back to this host's name "
                f"({socket.gethostname()} -> {fallback or 'not in /etc/hosts'}); local clusters are "
                "unaffected (hpclab binds them to 127.0.0.1)",
                iface_fix,
                {"dask_ip": fallback},
            )
        )
    elif route is None:
        found.append(
            Finding(
                "Network",
                OK,
                "the address Dask would give other machines: unknown here (no routing "
                "table this doctor can read on this system, and it sends no traffic to find out)",
                iface_fix,
                {"dask_ip": None},
            )
        )
    else:
        ip, warning = dask_address(route_table)
        name = by_ip.get(ip or "", "no interface of this host")
        if ip is None or warning or (ip.startswith("127.") and outside):
            found.append(
                Finding(
                    "Network",
                    WARN,
                    f"Dask could not pick a good address: {warning or ip}",
                    iface_fix,
                    {"dask_ip": ip, "dask_interface": name},
                )
            )
        else:
            found.append(
                Finding(
                    "Network",
                    OK,
                    f"Dask would use {ip} ({name}) for other nodes to reach it "
                    "(the default route's interface, read from the routing table)",
                    details={"dask_ip": ip, "dask_interface": name},
                )
            )
    if len(outside) > 1:
        found.append(
            Finding(
                "Network",
                WARN,
                f"{len(outside)} interfaces besides loopback "
                f"({', '.join(outside)}): the default route's is not always the fast one",
                iface_fix.replace("ib0", next((n for n in outside if n.startswith("ib")), "ib0")),
                {"candidates": list(outside)},
            )
        )
    chosen = env.get(config.IFACE)
    if chosen:
        if ifaces.get(chosen):
            found.append(Finding("Network", OK, f"HPCLAB_IFACE={chosen} exists here ({', '.join(ifaces[chosen])})"))
        else:
            found.append(
                Finding(
                    "Network",
                    WARN,
                    f"HPCLAB_IFACE={chosen} is not an interface with an IPv4 address on this host",
                    f"pick one of: {', '.join(outside) or 'lo'} (on compute nodes, check with `srun ip -br addr`)",
                )
            )

    if route is None:
        found.append(
            Finding(
                "Network",
                OK,
                f"internet: cannot tell without sending traffic (no routing table to read); {OFFLINE_NOTE}",
                details={"default_route": None},
            )
        )
    elif route == "":
        found.append(
            Finding(
                "Network", OK, f"internet: no default route: offline ({OFFLINE_NOTE})", details={"default_route": ""}
            )
        )
    else:
        found.append(
            Finding(
                "Network",
                OK,
                f"internet: a default route exists (via {route}; not tested further, "
                f"to send nothing off this machine); {OFFLINE_NOTE}",
                details={"default_route": route},
            )
        )
    return found
