"""A real Slurm cluster of virtual nodes on one Linux machine: ``hpclab vcluster up|down|status``.

Learners without a cluster account, and our CI, need a real Slurm to submit
job scripts to. This builds one from Debian's ``slurm-wlm`` and ``munge``:

* a *head* node (hostname ``vhead``) runs ``slurmctld`` and is where you log
  in to submit jobs (``hpclab vcluster login`` or ``hpclab vcluster exec``);
* ``node1`` .. ``nodeN`` each run ``slurmd`` in their own network, UTS and
  mount namespaces, so ``#SBATCH --nodes=2`` really lands on two hosts with
  their own hostname and address.

Everything lives in namespaces this module creates: a bridge inside the head
namespace joins the nodes on a private subnet that exists nowhere else, and
each node's ``/etc/hosts`` and ``/etc/slurm`` are bind mounts visible only
inside that node. Nothing on the machine's own network, ``/etc/hosts`` or
``/etc/slurm`` is touched. ``down`` removes everything ``up`` made, and
``up`` cleans up after itself when it fails half-way.

Like a centre, it has **learner accounts** and **accounting**:

* a few unprivileged users (:func:`learners`, ``learner1`` .. by default) with
  private homes under the state folder. They exist only inside the virtual
  hosts: ``/etc/passwd`` and ``/etc/group`` there are bind mounts of files in
  the state folder (the machine's own entries plus the learners'), so the
  machine's user database is never changed. Jobs run as whoever submitted
  them: munge vouches for the uid, as on a real site;
* ``slurmdbd`` on the head node, backed by a MariaDB server whose data, socket
  and logs live in the state folder (no TCP at all), so ``sacct`` shows every
  job (see :mod:`hpclab.slurm.accounting`).
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from hpclab import config, processes
from hpclab.errors import HpclabError
from hpclab.mpi import remove_stale_shm
from hpclab.slurm import jobs
from hpclab.slurm.jobs import Job

REQUIRED = {
    "slurmctld": "slurm-wlm",
    "slurmd": "slurm-wlm",
    "sbatch": "slurm-wlm",
    "munged": "munge",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "ip": "iproute2",
    "setpriv": "util-linux",
    "slurmdbd": "slurmdbd",
    "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
}

#: Where Debian puts the Slurm plugin slurmdbd needs to store accounting in MariaDB (its own package).
MYSQL_PLUGIN = "/usr/lib/*/slurm-wlm/accounting_storage_mysql.so"

#: uid (and gid) of the first learner; the next learners get the next numbers. Far from Debian's
#: ranges (system users below 1000, people from 1000, nobody 65534, slurm 64030).
FIRST_UID = 24001

#: The Slurm account every learner (and root) belongs to.
ACCOUNT = "workshop"


class VClusterError(HpclabError, RuntimeError):
    """The virtual cluster cannot be started, used or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class Spec:
    """Shape of the virtual cluster. Defaults suit a 2-core CI machine.

    By default every node advertises the host's real CPUs (so a binding never
    names a CPU the host lacks) and the nodes share them, as several virtual
    machines share one host. With ``dedicated=True`` each node owns its own
    slice of the host's CPUs instead (``host CPUs // nodes`` each), so that a
    2-node run really has twice the CPUs of a 1-node run.

    With ``cpus`` (and ``sockets``, ``memory_mb``) each node advertises a
    production node's shape instead, e.g. 40 CPUs on 2 sockets and 192000 MB
    (:data:`SITE_SHAPE`), however few CPUs the host has: the node's CPUs are
    *oversubscribed*, node CPU ``i`` runs on host CPU ``i mod host CPUs``. Slurm
    then schedules, counts and binds exactly as on the production node; only
    timings mean nothing.

    With ``local_tmp=True`` every host (head and nodes) has a ``/tmp`` of its own, as a
    site's node-local disk: a file a job writes to ``/tmp`` on node1 is not on node2, nor on
    the machine. Off by default: the hosts share the machine's ``/tmp``. Folders under ``/tmp``
    named in ``shared_tmp`` (a course checked out in ``/tmp``, as a CI runner does) stay the
    machine's own on every host, as a site's shared filesystem would hold them.
    """

    nodes: int = 2
    dedicated: bool = False
    memory_mb: int | None = None  # per node; default: the node's share of the host's memory
    cpus: int | None = None  # CPUs each node advertises; default: the host CPUs it may use
    sockets: int = 1  # sockets per node (the CPUs are split evenly between them)
    subnet: str = "10.213.77"  # /24, exists only inside our namespaces
    state: Path = Path("/run/hpclab-vcluster")
    prefix: str = "hpclab"
    head: str = "vhead"
    learners: tuple[str, ...] = ("learner1", "learner2", "learner3")  # accounts made at every `up`
    local_tmp: bool = False  # each host its own /tmp (a site's node-local disk), not the machine's
    shared_tmp: tuple[str, ...] = ()  # with local_tmp: folders under /tmp every host still shares

    @property
    def node_names(self) -> list[str]:
        """The compute nodes' hostnames, ``node1`` .. ``nodeN`` (Slurm's node names too)."""
        return [f"node{i}" for i in range(1, self.nodes + 1)]

    def host_cpus(self) -> list[int]:
        """The host CPUs this process may use, in order."""
        return sorted(os.sched_getaffinity(0))

    def node_cpus(self, node: str) -> list[int]:
        """Host CPUs that ``node``'s tasks may be bound to."""
        cpus = self.host_cpus()
        if not self.dedicated:
            return cpus
        share = len(cpus) // self.nodes
        index = int(node[4:]) - 1
        return cpus[index * share : (index + 1) * share]

    def advertised_cpus(self, node: str) -> int:
        """How many CPUs ``node`` tells Slurm it has: ``cpus`` if set, else its host CPUs."""
        return self.cpus if self.cpus is not None else len(self.node_cpus(node))

    def cpu_map(self, node: str) -> list[int]:
        """Host CPU of each of ``node``'s CPUs: node CPU ``i`` is ``cpu_map(node)[i]``.

        Several node CPUs share a host CPU when the node advertises more than it has.
        """
        host = self.node_cpus(node)
        return [host[i % len(host)] for i in range(self.advertised_cpus(node))]

    @property
    def oversubscribed(self) -> bool:
        """Whether the nodes advertise more CPUs than they run on (a production shape on a small machine)."""
        return any(self.advertised_cpus(n) > len(self.node_cpus(n)) for n in self.node_names)

    def node_memory_mb(self) -> int:
        """RealMemory of each node: its share of what this machine lets us use, less a margin for the host."""
        if self.memory_mb is not None:
            return self.memory_mb
        # The machine's memory, or less if a cgroup limits us.
        from distributed.system import MEMORY_LIMIT  # noqa: PLC0415  distributed takes ~0.3 s; only `up` needs it

        return int(MEMORY_LIMIT * 0.8 / self.nodes / 2**20)

    def address(self, host: str) -> str:
        """``host``'s IPv4 address on the private subnet: ``.1`` for the head, ``.10+i`` for node ``i``."""
        return f"{self.subnet}.1" if host == self.head else f"{self.subnet}.{10 + int(host[4:])}"

    def netns(self, host: str) -> str:
        """The name of ``host``'s network namespace (``ip netns``), prefixed so ``down`` finds ours only."""
        return f"{self.prefix}-{host}"

    @property
    def etc(self) -> Path:
        """The folder bind-mounted over ``/etc/slurm`` inside every virtual host (slurm.conf and friends)."""
        return self.state / "etc"

    @property
    def munge_socket(self) -> Path:
        """Our munged's socket: in the state folder, so it never meets a munged the machine runs itself."""
        return self.state / "munge" / "munge.socket"

    @property
    def cpu_shim(self) -> Path:
        """The compiled :data:`CPU_SHIM` of an oversubscribed shape."""
        return self.state / "vcpus.so"

    @property
    def homes(self) -> Path:
        """The folder of the learners' homes: the same path on the machine and inside the virtual hosts."""
        return self.state / "home"

    @property
    def mariadb(self) -> Path:
        """MariaDB's folder: its data, its socket (``mysqld.sock``), its settings."""
        return self.state / "mariadb"

    def tmp(self, host: str) -> Path:
        """The folder bind-mounted over ``/tmp`` on ``host`` when :attr:`local_tmp` is on (inside the state folder)."""
        return self.state / "tmp" / host

    def pidfile(self, daemon: str) -> Path:
        """Where the pid of ``daemon`` (``slurmctld``, ``slurmd-node1``, ``munged``) is kept, for ``down``."""
        return self.state / "pids" / f"{daemon}.pid"


#: A production site's compute node, for ``Spec(**SITE_SHAPE)``: 2 sockets x 20 cores and
#: 192 GB (4.8 GB per core), as the course's reference site has. On a small machine these
#: CPUs are oversubscribed: Slurm schedules and binds as there, but timings mean nothing.
SITE_SHAPE: dict[str, int] = {"cpus": 40, "sockets": 2, "memory_mb": 192_000}


@dataclass(frozen=True)
class Learner:
    """An unprivileged user of the virtual cluster: known on every virtual host, nowhere else."""

    name: str
    uid: int
    gid: int
    home: Path


def learners(spec: Spec) -> list[Learner]:
    """The learner accounts ``up`` makes: uids from :data:`FIRST_UID`, each with a group of its own.

    Their homes are ``{spec.state}/home/NAME`` (mode 0700, owned by the learner): the same path
    inside the virtual hosts and on the machine, so root on the machine can collect from them.
    """
    return [Learner(name, FIRST_UID + i, FIRST_UID + i, spec.homes / name) for i, name in enumerate(spec.learners)]


def learner(spec: Spec, name: str) -> Learner:
    """The learner called ``name``; an error naming the learners there are otherwise."""
    for one in learners(spec):
        if one.name == name:
            return one
    raise VClusterError(
        f"the virtual cluster has no learner {name!r}; its learners are: {', '.join(spec.learners) or 'none'}"
    )


def _user_files(spec: Spec, passwd: str, group: str) -> tuple[str, str]:
    """``/etc/passwd`` and ``/etc/group`` of the virtual hosts: the machine's own, then the learners'."""
    people = learners(spec)
    passwd = passwd.rstrip("\n") + "\n" if passwd.strip() else ""
    group = group.rstrip("\n") + "\n" if group.strip() else ""
    passwd += "".join(f"{p.name}:x:{p.uid}:{p.gid}:hpclab learner:{p.home}:/bin/bash\n" for p in people)
    group += "".join(f"{p.name}:x:{p.gid}:\n" for p in people)
    return passwd, group


def _accounts(spec: Spec) -> None:
    """Write the virtual hosts' passwd and group files and make each learner's private home."""
    passwd, group = _user_files(spec, Path("/etc/passwd").read_text(), Path("/etc/group").read_text())
    (spec.state / "passwd").write_text(passwd)
    (spec.state / "group").write_text(group)
    for name in ("passwd", "group"):
        (spec.state / name).chmod(0o644)
    spec.homes.mkdir(mode=0o755)
    spec.homes.chmod(0o755)
    for person in learners(spec):
        person.home.mkdir(mode=0o700)
        os.chown(person.home, person.uid, person.gid)
        person.home.chmod(0o700)


def _check_learners(spec: Spec) -> None:
    """Refuse learner names or uids the machine already uses: they would mean two different people."""
    taken_names = {p.pw_name: p.pw_uid for p in pwd.getpwall()}
    taken_uids = {p.pw_uid: p.pw_name for p in pwd.getpwall()}
    for person in learners(spec):
        if not person.name.isidentifier() or person.name != person.name.lower():
            raise VClusterError(f"learner name {person.name!r}: use lower-case letters, digits and _ only")
        if person.name in taken_names:
            raise VClusterError(
                f"this machine already has a user {person.name!r}: give the virtual cluster's learners other names"
            )
        if person.uid in taken_uids:
            raise VClusterError(
                f"uid {person.uid} (for learner {person.name}) is this machine's user {taken_uids[person.uid]!r}: "
                f"the learners' uids start at {FIRST_UID}; free that range or change vcluster.FIRST_UID"
            )


def node_line(spec: Spec, node: str) -> str:
    """slurm.conf's line for one node: its CPUs (the host's, or a site's shape) and memory."""
    cpus = spec.advertised_cpus(node)
    memory = spec.node_memory_mb()
    return (
        f"NodeName={node} NodeAddr={spec.address(node)} CPUs={cpus} Boards=1 SocketsPerBoard={spec.sockets} "
        f"CoresPerSocket={cpus // spec.sockets} ThreadsPerCore=1 RealMemory={memory} State=UNKNOWN"
    )


def slurm_conf(spec: Spec, first_job_id: int = 1) -> str:
    """slurm.conf for the virtual cluster (every line has a reason, see comments)."""
    s = spec.state
    nodes = "\n".join(node_line(spec, n) for n in spec.node_names)
    cpus = min(spec.advertised_cpus(n) for n in spec.node_names)
    # A site's usual default: a CPU's share of the node's memory.
    def_mem = max(1, spec.node_memory_mb() // cpus)
    return f"""# Written by `hpclab vcluster up`; removed by `hpclab vcluster down`.
ClusterName=hpclab
# A fresh range of job ids each time: MPI names shared-memory segments after the
# job id, and a killed job's leftovers must not clash with a new job's.
FirstJobId={first_job_id}
SlurmctldHost={spec.head}({spec.address(spec.head)})
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={spec.munge_socket}
StateSaveLocation={s}/ctld
SlurmctldPidFile={s}/pids/slurmctld.pid
SlurmctldLogFile={s}/log/slurmctld.log
# %n: every slurmd gets its own spool, pid and log (they share one filesystem)
SlurmdSpoolDir={s}/spool/%n
SlurmdPidFile={s}/pids/slurmd-%n.pid
SlurmdLogFile={s}/log/slurmd-%n.log
# Tasks are bound to their CPUs as on a production site (sched_setaffinity).
# The cgroup plugins would do the same through the machine's cgroups, which
# are not ours to change: processes are tracked through /proc instead.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
TaskProlog={spec.etc}/task-prolog.sh
# Memory is scheduled (CR_Core_Memory) and enforced: every second slurmstepd
# reads each step's memory from /proc and kills a step that uses more than
# its job asked for (OverMemoryKill), as cgroup-based sites do.
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=OverMemoryKill
# Every job and step goes to slurmdbd on the head node (and MariaDB behind it): sacct, seff.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost={spec.head}
# With munge, the "password" to slurmdbd is the munge socket to use: ours, as above
AccountingStoragePass={spec.munge_socket}
JobCompType=jobcomp/none
# Each node reports the configuration below, not what slurmd detects
SlurmdParameters=config_overrides
# Schedule at once instead of batching submissions for up to 3 s
SchedulerParameters=batch_sched_delay=0
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU={def_mem}
# srun starts MPI ranks through PMI2, which the mpich wheel understands
MpiDefault=pmi2
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
{nodes}
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


CGROUP_CONF = "# cgroup v2 hosts without systemd\nIgnoreSystemdOnFailure=yes\n"


def slurmdbd_conf(spec: Spec) -> str:
    """slurmdbd.conf: slurmdbd on the head node, storing in our MariaDB through its unix socket as root."""
    s = spec.state
    return f"""# Written by `hpclab vcluster up`; removed by `hpclab vcluster down`.
AuthType=auth/munge
AuthInfo=socket={spec.munge_socket}
DbdHost={spec.head}
SlurmUser=root
PidFile={s}/pids/slurmdbd.pid
LogFile={s}/log/slurmdbd.log
StorageType=accounting_storage/mysql
# "localhost" is MariaDB's unix socket (MYSQL_UNIX_PORT, set when slurmdbd starts), never TCP;
# root logs in through the socket's peer credentials (unix_socket): no password anywhere.
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
"""


def mariadb_cnf(spec: Spec) -> str:
    """MariaDB's settings: a small server for slurmdbd alone, on a unix socket in the state folder."""
    d = spec.mariadb
    return f"""# Written by `hpclab vcluster up`; removed by `hpclab vcluster down`.
[mariadbd]
user=root
datadir={d}/data
socket={d}/mysqld.sock
pid-file={d}/mariadbd.pid
log-error={spec.state}/log/mariadbd.log
# No TCP at all: slurmdbd, on the same host, uses the socket.
skip-networking
skip-name-resolve
skip-log-bin
performance_schema=OFF
# Small and fast to create: a workshop's accounting is a few thousand rows.
innodb_buffer_pool_size=32M
innodb_log_file_size=8M
innodb_data_file_path=ibdata1:8M:autoextend
innodb_flush_log_at_trx_commit=0
innodb_doublewrite=0
innodb_flush_method=nosync
innodb_file_per_table=OFF
# `down` throws the data away: no cache to save on the way out
innodb_buffer_pool_dump_at_shutdown=OFF
innodb_buffer_pool_load_at_startup=OFF
# slurmdbd asks for these (it warns at start otherwise)
innodb_lock_wait_timeout=900
"""


#: C source of the library that lets a node advertise more CPUs than the host has (a site's
#: shape). Preloaded into slurmd, so into every slurmstepd, and from there into every task:
#: ``sched_setaffinity`` binds to the host CPUs behind the node CPUs asked for (node CPU ``i``
#: is host CPU ``cpumap[i]``, from ``/etc/slurm/cpumap-<node>``), and ``sched_getaffinity``
#: answers in node CPUs: what Slurm bound the task to (``VCLUSTER_NODE_CPUS``, set when
#: slurmstepd starts the task), or, for a task Slurm did not bind, every node CPU.
CPU_SHIM = r"""/* Written by `hpclab vcluster up`: see hpclab.slurm.vcluster.CPU_SHIM. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXCPU 1024
#define VAR "VCLUSTER_NODE_CPUS"
static int host_of[MAXCPU];
static int ncpus = -1;
static cpu_set_t own;  /* the node CPUs this process last bound a process to */
static pid_t own_pid = -1;

static void load(void) {
    char host[256], path[512];
    int cpu, n = 0;
    FILE *f;
    if (ncpus >= 0) return;
    ncpus = 0;
    if (gethostname(host, sizeof host) != 0) return;
    snprintf(path, sizeof path, "/etc/slurm/cpumap-%s", host);
    if (!(f = fopen(path, "r"))) return;
    while (n < MAXCPU && fscanf(f, "%d", &cpu) == 1) host_of[n++] = cpu;
    fclose(f);
    ncpus = n;
}

static int from_env(cpu_set_t *set) {  /* VCLUSTER_NODE_CPUS="0,1,20": what Slurm bound this task to */
    const char *s = getenv(VAR);
    char *end;
    if (!s || !*s) return 0;
    CPU_ZERO(set);
    while (*s) {
        long cpu = strtol(s, &end, 10);
        if (end == s) break;
        if (cpu >= 0 && cpu < ncpus) CPU_SET(cpu, set);
        s = *end ? end + 1 : end;
    }
    return CPU_COUNT(set) > 0;
}

static int in_slurmstepd;

static void cpu_list(char *out, const cpu_set_t *set) {  /* "0,1,20" */
    int i;
    const char *sep = "";
    *out = 0;
    for (i = 0; i < MAXCPU; i++)
        if (CPU_ISSET(i, set)) {
            out += sprintf(out, "%s%d", sep, i);
            sep = ",";
        }
}

/* slurmstepd binds a task from its parent process, then lets the task exec: the node CPUs
 * travel to the task's execve in a file named after its pid. */
static void remember(pid_t pid, const cpu_set_t *set) {
    static char list[5 * MAXCPU + 1];
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%d", BOUND, (int)pid);
    cpu_list(list, set);
    if ((f = fopen(path, "w"))) { fputs(list, f); fclose(f); }
}

int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *mask) {
    static int (*real)(pid_t, size_t, const cpu_set_t *);
    cpu_set_t host;
    int i, rc;
    if (!real) real = (int (*)(pid_t, size_t, const cpu_set_t *))dlsym(RTLD_NEXT, "sched_setaffinity");
    load();
    if (ncpus == 0) return real(pid, size, mask);
    CPU_ZERO(&host);
    for (i = 0; i < ncpus && (size_t)i < size * 8; i++)
        if (CPU_ISSET_S(i, size, mask)) CPU_SET(host_of[i], &host);
    if (CPU_COUNT(&host) == 0) { errno = EINVAL; return -1; }
    rc = real(pid, sizeof host, &host);
    if (rc == 0) {
        CPU_ZERO(&own);
        for (i = 0; i < ncpus && (size_t)i < size * 8; i++)
            if (CPU_ISSET_S(i, size, mask)) CPU_SET(i, &own);
        own_pid = pid ? pid : getpid();
        if (in_slurmstepd) remember(own_pid, &own);
    }
    return rc;
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *mask) {
    static int (*real)(pid_t, size_t, cpu_set_t *);
    cpu_set_t host, node;
    int i;
    if (!real) real = (int (*)(pid_t, size_t, cpu_set_t *))dlsym(RTLD_NEXT, "sched_getaffinity");
    load();
    if (ncpus == 0) return real(pid, size, mask);
    if ((size_t)ncpus > size * 8) { errno = EINVAL; return -1; }
    if (own_pid >= 0 && (pid ? pid : getpid()) == own_pid) {
        node = own;
    } else if (!(pid == 0 || pid == getpid()) || !from_env(&node)) {
        /* not bound by Slurm: every node CPU whose host CPU this process may use */
        if (real(pid, sizeof host, &host) != 0) return -1;
        CPU_ZERO(&node);
        for (i = 0; i < ncpus; i++)
            if (CPU_ISSET(host_of[i], &host)) CPU_SET(i, &node);
    }
    memset(mask, 0, size);
    for (i = 0; i < ncpus; i++)
        if (CPU_ISSET(i, &node)) CPU_SET_S(i, size, mask);
    return 0;
}

__attribute__((constructor)) static void which_program(void) {
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;  /* argv[0] is no guide: slurmstepd rewrites it; Debian's is slurmstepd-wlm */
        in_slurmstepd = strstr(exe, "/slurmstepd") != NULL;
    }
}

/* slurmstepd starts each task with execve: pass on the node CPUs it bound the task to
 * (or none: a stale value inherited from the batch step must not survive) and this library. */
int execve(const char *path, char *const argv[], char *const envp[]) {
    static int (*real)(const char *, char *const[], char *const[]);
    char **env, *cpus = NULL, *preload = NULL;
    const char *old = "";
    size_t n = 0, k = 0, len;
    int i, rc, hwloc = 0;
    if (!real) real = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execve");
    if (!in_slurmstepd) return real(path, argv, envp);
    while (envp[n]) n++;
    if (!(env = calloc(n + 4, sizeof *env))) return real(path, argv, envp);
    for (i = 0; envp[i]; i++) {
        if (!strncmp(envp[i], VAR "=", sizeof VAR)) continue;
        if (!strncmp(envp[i], "LD_PRELOAD=", 11)) { old = envp[i] + 11; continue; }
        if (!strncmp(envp[i], "HWLOC_COMPONENTS=", 17)) hwloc = 1;
        env[k++] = envp[i];
    }
    /* hwloc's x86 backend (MPICH has one inside) binds to each host CPU in turn to
     * read it, then restores the binding it read from the kernel: host CPUs, not node CPUs. */
    if (!hwloc) env[k++] = "HWLOC_COMPONENTS=-x86";
    len = strlen(SHIM) + strlen(old) + 16;
    if ((preload = malloc(len))) {
        if (strstr(old, SHIM)) snprintf(preload, len, "LD_PRELOAD=%s", old);
        else snprintf(preload, len, "LD_PRELOAD=%s%s%s", SHIM, *old ? ":" : "", old);
        env[k++] = preload;
    }
    if ((cpus = malloc(sizeof VAR + 5 * MAXCPU + 1))) {
        char file[512], *list = cpus + sprintf(cpus, "%s=", VAR);
        FILE *f;
        *list = 0;
        snprintf(file, sizeof file, "%s/%d", BOUND, (int)getpid());
        if ((f = fopen(file, "r"))) {  /* bound by the parent slurmstepd */
            if (!fgets(list, 5 * MAXCPU, f)) *list = 0;
            fclose(f);
            unlink(file);
        } else if (own_pid == getpid()) {  /* or by this process itself */
            cpu_list(list, &own);
        }
        if (*list) env[k++] = cpus;
    }
    env[k] = NULL;
    rc = real(path, argv, env);
    free(env); free(preload); free(cpus);
    return rc;
}
"""


def hosts_file(spec: Spec) -> str:
    """The ``/etc/hosts`` every virtual host sees: the head and each node by name, on the private subnet.

    Bind-mounted inside each host's own mount namespace, so the machine's own file is never touched.
    """
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    lines += [f"{spec.address(h)} {h}" for h in [spec.head, *spec.node_names]]
    return "\n".join(lines) + "\n"


def _run(argv: list[str], what: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise VClusterError(f"{what} failed: `{shlex.join(argv)}`: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _foreign_slurmctld(spec: Spec) -> list[int]:
    """Running slurmctld processes on this machine that are not ours (zombies run nothing)."""
    ours = _read_pid(spec.pidfile("slurmctld"))
    found = []
    for proc in psutil.process_iter(["name", "status"]):
        if proc.info["name"] == "slurmctld" and proc.pid != ours and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc.pid)
    return found


def preflight(spec: Spec) -> None:
    """Refuse clearly when we cannot or must not start: a shape this machine cannot give first."""
    if os.environ.get(config.VCLUSTER) == "off":
        raise VClusterError(f"{config.VCLUSTER}=off: this machine does not start virtual clusters")
    if spec.nodes < 1:
        raise VClusterError("a cluster needs at least one node")
    if spec.dedicated and spec.nodes > len(spec.host_cpus()):
        raise VClusterError(
            f"{spec.nodes} nodes with dedicated CPUs need at least {spec.nodes} CPUs; "
            f"this machine lets us use {len(spec.host_cpus())}: use fewer nodes, "
            "or shared CPUs (the default)"
        )
    if spec.cpus is not None and (spec.cpus < 1 or spec.sockets < 1 or spec.cpus % spec.sockets):
        raise VClusterError(
            f"{spec.cpus} CPUs per node cannot be split evenly over {spec.sockets} socket(s): "
            "give a CPU count that is a multiple of the sockets"
        )
    if spec.cpus is not None and spec.cpus < len(spec.node_cpus(spec.node_names[0])):
        raise VClusterError(
            f"nodes advertising {spec.cpus} CPUs would leave some of the {len(spec.node_cpus(spec.node_names[0]))} "
            "host CPUs they run on unused: advertise at least as many, or use --dedicated-cpus"
        )
    if spec.local_tmp and spec.state.resolve().is_relative_to("/tmp"):
        raise VClusterError(
            f"a state folder in /tmp ({spec.state}) would be hidden by the hosts' own /tmp (local_tmp=True): "
            "put it elsewhere, e.g. /run/hpclab-vcluster"
        )
    missing_shared = [folder for folder in spec.shared_tmp if not Path(folder).is_dir()]
    if missing_shared:
        raise VClusterError(
            f"shared_tmp names folders that do not exist: {', '.join(missing_shared)}; create them or leave them out"
        )
    if os.geteuid() != 0:
        raise VClusterError(
            "the virtual cluster needs root (network namespaces, slurmd): run `sudo hpclab vcluster up`"
        )
    missing = sorted({pkg for prog, pkg in REQUIRED.items() if shutil.which(prog) is None})
    if not glob.glob(MYSQL_PLUGIN):
        missing.append("slurm-wlm-mysql-plugin")
    if missing:
        raise VClusterError(
            f"missing Debian packages: {' '.join(missing)}. Install them with "
            f"`apt-get update && apt-get install -y {' '.join(missing)}`"
        )
    if spec.oversubscribed and shutil.which("cc") is None:
        raise VClusterError(
            "nodes that advertise more CPUs than this machine has need a C compiler for their CPU library: "
            "`apt-get install -y gcc`"
        )
    foreign = _foreign_slurmctld(spec)
    if foreign:
        raise VClusterError(
            f"another slurmctld is already running (pid {foreign[0]}); stop it first, "
            "the virtual cluster must not mix with a real one"
        )


def _daemon(spec: Spec, host: str, name: str, command: list[str], extra_env: dict[str, str] | None = None) -> int:
    """Start ``command`` as host ``host``: its netns, its own hostname and mounts.

    With ``spec.local_tmp`` the host's ``/tmp`` is a folder of its own (:meth:`Spec.tmp`), bind-mounted
    in its mount namespace like ``/etc/hosts``: every daemon of the host (and so every job step and
    every command run there) sees the same one, and no other host, nor the machine, sees it.
    """
    tmp = ""
    if spec.local_tmp:
        spec.tmp(host).mkdir(parents=True, exist_ok=True)
        spec.tmp(host).chmod(0o1777)  # like /tmp: everyone writes, only the owner removes
        own = spec.tmp(host)
        # A shared folder under /tmp is bound into the host's own /tmp first; --rbind takes it along.
        for folder in _under_tmp(spec.shared_tmp):
            inside = own / folder.relative_to("/tmp")
            tmp += f"mkdir -p {shlex.quote(str(inside))} && mount --bind {shlex.quote(str(folder))} {shlex.quote(str(inside))} && "
        tmp += f"mount --rbind {shlex.quote(str(own))} /tmp && "
    inner = (
        f"hostname {shlex.quote(host)} && "
        f"mount --bind {shlex.quote(str(spec.state / 'hosts'))} /etc/hosts && "
        f"mkdir -p /etc/slurm && mount --bind {shlex.quote(str(spec.etc))} /etc/slurm && "
        # The learners exist on the virtual hosts only: their passwd and group, never the machine's.
        f"mount --bind {shlex.quote(str(spec.state / 'passwd'))} /etc/passwd && "
        f"mount --bind {shlex.quote(str(spec.state / 'group'))} /etc/group && "
        f"{tmp}exec {shlex.join(command)}"
    )
    argv = [
        "nsenter",
        f"--net=/run/netns/{spec.netns(host)}",
        "--",
        "unshare",
        "--uts",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        inner,
    ]
    log = open(spec.state / "log" / f"{name}.out", "ab")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.update(extra_env or {})
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd="/"
    )
    log.close()
    spec.pidfile(name).write_text(f"{proc.pid}\n")
    return proc.pid


def _under_tmp(folders: tuple[str, ...]) -> list[Path]:
    """The folders of ``folders`` under /tmp (resolved), without those inside another: each is bound once."""
    resolved = {Path(folder).resolve() for folder in folders}
    under = {folder for folder in resolved if folder.is_relative_to("/tmp") and folder != Path("/tmp")}
    return sorted(
        folder for folder in under if not any(folder != other and folder.is_relative_to(other) for other in under)
    )


def _cpu_list(cpus: list[int]) -> str:
    return ",".join(map(str, cpus))


def hwloc_topology(spec: Spec, node: str) -> str | None:
    """The hardware ``node``'s slurmd is told it has (hwloc's ``HWLOC_SYNTHETIC``), or None: the real one.

    Slurm lays out and binds tasks on the topology hwloc reports, not on slurm.conf's
    line: a node that advertises more CPUs than the host has needs hwloc to describe
    that node (its sockets and cores), or every step that binds fails to lay out.
    """
    cpus = spec.advertised_cpus(node)
    if cpus == len(spec.node_cpus(node)):
        return None
    return f"package:{spec.sockets} core:{cpus // spec.sockets} pu:1"


def _slurmd(spec: Spec, node: str) -> int:
    """Start ``node``'s slurmd (and so its job steps) on the node's host CPUs."""
    cpus = _cpu_list(spec.node_cpus(node))
    topology = hwloc_topology(spec, node)
    # Only slurmd (not taskset) gets the library; slurmstepd inherits it, and hands it to each task.
    preload = ["env", f"LD_PRELOAD={spec.cpu_shim}"] if spec.oversubscribed else []
    return _daemon(
        spec,
        node,
        f"slurmd-{node}",
        ["taskset", "-c", cpus, *preload, "slurmd", "-D", "-N", node],
        extra_env={"HWLOC_SYNTHETIC": topology} if topology else None,
    )


def _build_cpu_shim(spec: Spec) -> None:
    """Write each node's CPU map and compile :data:`CPU_SHIM` (only for an oversubscribed shape)."""
    for node in spec.node_names:
        (spec.etc / f"cpumap-{node}").write_text(" ".join(map(str, spec.cpu_map(node))) + "\n")
    source = spec.state / "vcpus.c"
    source.write_text(CPU_SHIM)
    (spec.state / "bound").mkdir()
    defines = [f'-DSHIM="{spec.cpu_shim}"', f'-DBOUND="{spec.state / "bound"}"']
    _run(
        ["cc", "-shared", "-fPIC", "-O2", *defines, "-o", str(spec.cpu_shim), str(source), "-ldl"],
        "compiling the CPU library of an oversubscribed shape",
    )


def task_prolog(spec: Spec) -> str:
    """Slurm's TaskProlog: move each bound task from the node's own CPU numbers to the host's.

    task/affinity binds a task to CPUs numbered as the node sees them (0, 1,
    ...), and has done so when the prolog runs, in a child of the task
    process. Where a node's CPUs are other host CPUs (a dedicated node, or a
    machine whose usable CPUs do not start at 0), node CPU ``i`` is host CPU
    ``map[i]``. A task Slurm did not bind (more tasks than CPUs) kept slurmd's
    own CPUs, all of the node's host CPUs, and is left alone.
    """
    cases = "\n".join(
        f"    {n}) map=({' '.join(map(str, spec.node_cpus(n)))}) ;;"
        for n in spec.node_names
        if spec.node_cpus(n) != list(range(len(spec.node_cpus(n)))) and not spec.oversubscribed
    )
    return f"""#!/bin/bash
# Written by `hpclab vcluster up`: see hpclab.slurm.vcluster.task_prolog.
case "${{SLURMD_NODENAME:-}}" in
{cases}
    *) exit 0 ;;   # node CPU i is host CPU i
esac
task=$PPID
cpus=()
IFS=, read -r -a ranges <<< "$(taskset -pc "$task" | sed 's/.*: //')"
for range in "${{ranges[@]}}"; do
    for ((cpu = ${{range%-*}}; cpu <= ${{range#*-}}; cpu++)); do cpus+=("$cpu"); done
done
[[ "${{cpus[*]}}" == "${{map[*]}}" ]] && exit 0   # not bound: already the node's host CPUs
moved=()
for cpu in "${{cpus[@]}}"; do
    (( cpu < ${{#map[@]}} )) || exit 0             # not a node CPU number: leave it
    moved+=("${{map[cpu]}}")
done
taskset -pc "$(IFS=,; echo "${{moved[*]}}")" "$task" >/dev/null
"""


def _network(spec: Spec) -> None:
    head = spec.netns(spec.head)
    _run(["ip", "netns", "add", head], "creating the head namespace")
    _run(["ip", "-n", head, "link", "set", "lo", "up"], "loopback")
    _run(["ip", "-n", head, "link", "add", "br0", "type", "bridge"], "creating the bridge")
    _run(["ip", "-n", head, "addr", "add", f"{spec.address(spec.head)}/24", "dev", "br0"], "bridge address")
    _run(["ip", "-n", head, "link", "set", "br0", "up"], "bridge up")
    # A default route to an address nobody owns: tools that probe "how would I
    # reach the internet" (Dask does) pick the node's own address, and nothing leaves.
    _run(["ip", "-n", head, "route", "add", "default", "via", f"{spec.subnet}.254"], "default route")
    for node in spec.node_names:
        ns, port = spec.netns(node), f"v{node}"
        _run(["ip", "netns", "add", ns], f"creating {node}'s namespace")
        _run(
            ["ip", "link", "add", port, "netns", head, "type", "veth", "peer", "name", "eth0", "netns", ns],
            f"wiring {node}",
        )
        _run(["ip", "-n", head, "link", "set", port, "master", "br0", "up"], f"attaching {node}")
        _run(["ip", "-n", ns, "link", "set", "lo", "up"], "loopback")
        _run(["ip", "-n", ns, "addr", "add", f"{spec.address(node)}/24", "dev", "eth0"], f"{node}'s address")
        _run(["ip", "-n", ns, "link", "set", "eth0", "up"], f"{node}'s link")
        _run(["ip", "-n", ns, "route", "add", "default", "via", f"{spec.subnet}.254"], "default route")


def _munge(spec: Spec) -> None:
    key = spec.state / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    _run(
        [
            "munged",
            f"--socket={spec.munge_socket}",
            f"--key-file={key}",
            f"--pid-file={spec.pidfile('munged')}",
            f"--log-file={spec.state / 'log' / 'munged.log'}",
            f"--seed-file={spec.state / 'munge' / 'seed'}",
            "--force",
        ],
        "starting munged",
    )


def _wait_socket(spec: Spec, path: Path, daemon: str, timeout: float) -> None:
    """Wait until ``daemon`` (ours, started by :func:`_daemon`) accepts connections on the unix socket ``path``."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(str(path))
                return
            except OSError:
                pass
        pid = _read_pid(spec.pidfile(daemon))
        if pid is None or not processes.alive(pid) or time.monotonic() > deadline:
            log = spec.state / "log" / f"{daemon}.log"
            raise VClusterError(f"{daemon} did not start within {timeout:g} s: see {log}")
        time.sleep(0.05)


def _wait_exec(spec: Spec, daemon: str, program: str, timeout: float) -> None:
    """Wait until our ``daemon``'s process is ``program``: its host's mounts are then in place."""
    deadline = time.monotonic() + timeout
    pid = _read_pid(spec.pidfile(daemon))
    seen = "no process"
    while pid is not None:
        try:
            seen = psutil.Process(pid).exe()
            if Path(seen).name in (program, f"{program}-wlm"):  # Debian's Slurm binaries end in -wlm
                return
        except psutil.Error as exc:
            seen = str(exc)
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    raise VClusterError(f"{daemon} did not start ({seen}): see {spec.state / 'log'}/{daemon}.out")


def _mariadb(spec: Spec, timeout: float) -> None:
    """Create MariaDB's data folder (root logs in through the socket only) and start mariadbd on the head node."""
    spec.mariadb.mkdir(mode=0o700)
    cnf = spec.mariadb / "my.cnf"
    cnf.write_text(mariadb_cnf(spec))
    _run(
        [
            "mariadb-install-db",
            f"--defaults-file={cnf}",
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ],
        "creating MariaDB's data folder",
    )
    _daemon(spec, spec.head, "mariadbd", ["mariadbd", f"--defaults-file={cnf}"])
    _wait_socket(spec, spec.mariadb / "mysqld.sock", "mariadbd", timeout)


def _in_daemon(spec: Spec, daemon: str, argv: list[str], what: str, timeout: float = 30) -> str:
    """Run ``argv`` as root in the namespaces of our ``daemon`` (before slurmctld runs)."""
    pid = _read_pid(spec.pidfile(daemon))
    if pid is None or not processes.alive(pid):
        raise VClusterError(f"{what}: {daemon} is not running; see the logs in {spec.state / 'log'}")
    command = ["nsenter", "-t", str(pid), "--net", "--uts", "--mount", "--wd=/", "--", *argv]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise VClusterError(f"{what} failed: `{shlex.join(argv)}`: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _slurmdbd(spec: Spec, timeout: float) -> None:
    """Start slurmdbd on the head node and register the cluster, the workshop account and its users."""
    conf = spec.etc / "slurmdbd.conf"
    conf.write_text(slurmdbd_conf(spec))
    conf.chmod(0o600)  # slurmdbd refuses a readable one: it could hold the database's password
    _daemon(
        spec,
        spec.head,
        "slurmdbd",
        ["slurmdbd", "-D"],
        extra_env={"MYSQL_UNIX_PORT": str(spec.mariadb / "mysqld.sock")},
    )
    # Ready when it answers (it creates its tables first). Until slurmdbd itself runs, its mount
    # namespace may lack /etc/slurm, and sacctmgr would spend seconds looking for a configuration.
    deadline = time.monotonic() + timeout
    _wait_exec(spec, "slurmdbd", "slurmdbd", timeout)
    while True:
        try:
            _in_daemon(spec, "slurmdbd", ["sacctmgr", "-i", "add", "cluster", "hpclab"], "registering the cluster")
            break
        except VClusterError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    users = ",".join(["root", *spec.learners])
    _in_daemon(
        spec,
        "slurmdbd",
        [
            "sacctmgr",
            "-i",
            "add",
            "account",
            ACCOUNT,
            "Cluster=hpclab",
            "Description=the workshop",
            "Organization=hpclab",
        ],
        "adding the workshop account",
    )
    _in_daemon(
        spec,
        "slurmdbd",
        ["sacctmgr", "-i", "add", "user", users, f"Account={ACCOUNT}", f"DefaultAccount={ACCOUNT}"],
        "adding the learners to the workshop account",
    )


def exec_argv(
    spec: Spec, argv: list[str], host: str | None = None, cwd: str | None = None, user: str | None = None
) -> list[str]:
    """Command line that runs ``argv`` on ``host`` (default: the head/login node).

    As root, from ``cwd`` (default: this folder); or, with ``user``, as that learner
    (:func:`learners`) with their groups, ``HOME``, ``USER`` and ``LOGNAME``, from
    ``cwd`` or else their home, as after they logged in.
    """
    host = host or spec.head
    daemon = "slurmctld" if host == spec.head else f"slurmd-{host}"
    pid = _read_pid(spec.pidfile(daemon))
    if pid is None or not processes.alive(pid):
        raise VClusterError(f"{host} is not running; start the cluster with `hpclab vcluster up`")
    if user is not None:
        person = learner(spec, user)
        argv = [
            "setpriv",
            f"--reuid={person.uid}",
            f"--regid={person.gid}",
            "--init-groups",  # read inside the host's mount namespace: its passwd and group
            "env",
            f"HOME={person.home}",
            f"USER={person.name}",
            f"LOGNAME={person.name}",
            "SHELL=/bin/bash",
            *argv,
        ]
        cwd = cwd or str(person.home)
    return ["nsenter", "-t", str(pid), "--net", "--uts", "--mount", f"--wd={cwd or os.getcwd()}", "--", *argv]


def run_command(
    spec: Spec,
    argv: list[str],
    *,
    host: str | None = None,
    cwd: str | None = None,
    timeout: float = 60,
    check: bool = True,
    user: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command on a virtual host (``sbatch``, ``squeue``, ...), as root or as learner ``user``.

    Returns the completed process with its output as text; raises :class:`VClusterError`
    on a non-zero exit status unless ``check`` is false.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    proc = subprocess.run(
        exec_argv(spec, argv, host, cwd, user=user), capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and proc.returncode != 0:
        who = f" as {user}" if user else ""
        raise VClusterError(f"`{shlex.join(argv)}` on {host or spec.head}{who} failed: {proc.stderr.strip()}")
    return proc


def _wait_idle(spec: Spec, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        proc = run_command(spec, ["sinfo", "-h", "-N", "-o", "%N %t"], cwd="/", check=False, timeout=10)
        last = proc.stdout.strip() or proc.stderr.strip()
        states = dict(line.split() for line in proc.stdout.splitlines() if line.strip())
        if len(states) == spec.nodes and all(s in ("idle", "mix", "alloc") for s in states.values()):
            return
        time.sleep(0.2)
    logs = spec.state / "log"
    raise VClusterError(f"nodes did not become idle within {timeout:g} s (sinfo: {last!r}); see the logs in {logs}")


def up(spec: Spec = Spec(), timeout: float = 60, *, reuse: bool = True) -> str:
    """Start munge, slurmctld and one slurmd per node; return the status text.

    If this cluster is already up, ``reuse`` returns its status; without it,
    refuse (someone else owns it and will take it down when they are done).
    """
    if is_up(spec):
        running = _shape_file(spec).read_text().strip() if _shape_file(spec).exists() else ""
        if running and running != _shape(spec):
            raise VClusterError(
                f"the virtual cluster is already up as {running}, not {_shape(spec)}: run `hpclab vcluster down` first"
            )
        if reuse:
            return status(spec)
        raise VClusterError(
            f"the virtual cluster in {spec.state} is already up, started by someone else; "
            "wait for them or use another state folder"
        )
    preflight(spec)
    _check_learners(spec)
    down(spec)  # clear the remains of an earlier, interrupted run
    try:
        for sub in ("etc", "ctld", "spool", "log", "pids", "munge"):
            (spec.state / sub).mkdir(parents=True, exist_ok=True)
        # Learners reach their homes, slurm.conf and munge's socket through these (whatever the umask);
        # the munge key is root's alone (0400).
        for folder in (spec.state, spec.etc, spec.state / "munge"):
            folder.chmod(0o755)
        _accounts(spec)
        (spec.etc / "slurm.conf").write_text(slurm_conf(spec, first_job_id=random.randrange(1000, 60_000_000, 1000)))
        (spec.etc / "cgroup.conf").write_text(CGROUP_CONF)
        (spec.etc / "task-prolog.sh").write_text(task_prolog(spec))
        (spec.etc / "task-prolog.sh").chmod(0o755)
        (spec.state / "hosts").write_text(hosts_file(spec))
        if spec.oversubscribed:
            _build_cpu_shim(spec)
        _shape_file(spec).write_text(_shape(spec) + "\n")
        _network(spec)
        _munge(spec)
        _mariadb(spec, timeout)
        _slurmdbd(spec, timeout)
        _daemon(spec, spec.head, "slurmctld", ["slurmctld", "-D", "-i"])
        for node in spec.node_names:
            _slurmd(spec, node)
        # sinfo in a namespace whose mounts are not in place yet spends seconds looking for a configuration
        _wait_exec(spec, "slurmctld", "slurmctld", timeout)
        _wait_idle(spec, timeout)
    except BaseException:
        down(spec)
        raise
    return status(spec)


def _shape(spec: Spec) -> str:
    shape = f"{spec.nodes} node(s) with {'dedicated' if spec.dedicated else 'shared'} CPUs"
    if spec.cpus is not None:
        shape += f" advertising {spec.cpus} CPUs on {spec.sockets} socket(s)"
    if spec.memory_mb is not None:
        shape += f" and {spec.memory_mb} MB"
    if spec.local_tmp:
        shape += ", each with its own /tmp"
    return shape


def _shape_file(spec: Spec) -> Path:
    return spec.state / "shape"


def is_up(spec: Spec = Spec()) -> bool:
    """Whether this cluster's slurmctld is running and its head namespace exists."""
    pid = _read_pid(spec.pidfile("slurmctld"))
    return pid is not None and processes.alive(pid) and Path(f"/run/netns/{spec.netns(spec.head)}").exists()


def _stop(*pids: int, grace: float = 5, reap: float = 10) -> None:
    """Stop these daemons and wait until they are out of the process table.

    Only then can the next ``up`` start without meeting our own remains; daemons
    an earlier ``hpclab vcluster up`` left behind are reaped by init.
    """
    running = processes.stop(pids, grace=grace, reap=reap)
    if running:
        raise VClusterError(
            f"processes {', '.join(str(p.pid) for p in running)} did not stop within "
            f"{grace + reap:g} s of SIGTERM and SIGKILL; see `ps -fp {running[0].pid}`"
        )


def _our_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` if that process is still the one we started (not a reused pid)."""
    pid = _read_pid(pidfile)
    if pid is None:
        return None
    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None
    return pid if started <= pidfile.stat().st_mtime + 1 else None


def _namespace_pids(ns: str) -> list[int]:
    proc = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=30)
    return [int(p) for p in proc.stdout.split() if p.isdigit()]


def _our_namespaces(spec: Spec) -> list[str]:
    """Every network namespace named with our prefix: however many nodes `up` made."""
    names = [p.name for p in Path("/run/netns").glob(f"{spec.prefix}-*")] if Path("/run/netns").is_dir() else []
    head = spec.netns(spec.head)
    return sorted(n for n in names if n != head) + ([head] if head in names else [])


def down(spec: Spec = Spec()) -> None:
    """Stop every daemon and job process, delete the namespaces and the state folder.

    Works from what is there (pid files, namespaces with our prefix), not from
    ``spec.nodes``, so a cluster started with more nodes is removed whole.
    """
    pidfiles = sorted((spec.state / "pids").glob("*.pid")) if (spec.state / "pids").is_dir() else []
    # munged goes last: slurmd and job steps still talk to it while they shut down.
    _stop(*[pid for f in pidfiles if f.stem != "munged" and (pid := _our_pid(f)) is not None])
    for ns in _our_namespaces(spec):
        _stop(*_namespace_pids(ns))  # job steps, Dask workers, anything left inside
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True, timeout=30)
    munged = _our_pid(spec.pidfile("munged"))
    if munged is not None:
        _stop(munged)
    if spec.state.exists():
        remove_stale_shm(since=spec.state.stat().st_mtime - 1)  # left by jobs that were killed
    shutil.rmtree(spec.state, ignore_errors=True)


def status(spec: Spec = Spec()) -> str:
    """One paragraph: is it up, which nodes, and how to use it."""
    if not is_up(spec):
        return "virtual cluster: down (start it with `hpclab vcluster up`)"
    info = run_command(spec, ["sinfo", "-N", "-o", "%N %T %c %m"], cwd="/", check=False).stdout.strip()
    return (
        f"virtual cluster: up (state in {spec.state})\n{info}\n"
        "submit jobs from the login node: `hpclab vcluster login`, then `sbatch jobscripts/...`; "
        "or in one go: `hpclab vcluster exec -- sbatch jobscripts/...`\n"
        + (
            f"learners: {', '.join(spec.learners)} (`hpclab vcluster login --user {spec.learners[0]}`); "
            if spec.learners
            else ""
        )
        + "accounting: `sacct`, `hpclab seff --vcluster JOBID`"
    )


def runner(spec: Spec, cwd: str | os.PathLike[str] = "/", timeout: float = 20, user: str | None = None) -> jobs.Runner:
    """Run Slurm's commands on the login node (as root, or as learner ``user``), for :mod:`hpclab.slurm.jobs`."""
    return lambda argv: run_command(spec, argv, cwd=str(cwd), check=False, timeout=timeout, user=user)


def submit(
    spec: Spec,
    script: str | os.PathLike[str],
    *,
    cwd: str | os.PathLike[str],
    args: Sequence[str] = (),
    sbatch_options: Sequence[str] = (),
    user: str | None = None,
) -> str:
    """``sbatch`` a script from ``cwd`` on the login node, as root or as learner ``user``; return the job id.

    The job runs as whoever submitted it, and writes its output where they may write
    (a learner: their home, or a folder of theirs).
    """
    try:
        return jobs.submit(
            runner(spec, cwd, timeout=60, user=user), str(script), args=args, sbatch_options=sbatch_options
        )
    except jobs.JobError as exc:
        raise VClusterError(str(exc)) from None


def wait(spec: Spec, job_id: str, timeout: float = 300) -> Job:
    """Wait for a job of the virtual cluster to end (see :func:`hpclab.slurm.jobs.wait`)."""
    try:
        return jobs.wait(runner(spec), job_id, timeout, where="the virtual cluster")
    except jobs.JobError as exc:
        raise VClusterError(str(exc)) from None
