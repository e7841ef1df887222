"""Lesson 13-break-it-fix-it's checks (hpclab.checks.breakfix): diagnoses read from a run's evidence, and fixes.

The answers are made from the run the course recorded on the virtual cluster
(``hpclab.checks.breakfix.RECORDED``), as a learner's are where there is no Slurm:
diagnoses compared with that run's evidence, fixed job scripts read (not run), and
the fixed MPI program run for real on 3 ranks. A fix record that says it ran and
failed, and a record edited under ``hpclab grade``, must fail too. Every question
against a wrong answer and an alternative right one: tests/support/answers.py says
how the table works.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

import hpclab.checks
from hpclab.checks import breakfix
from hpclab.checks.breakfix import RECORDED
from tests.support import ROOT
from tests.support.answers import Answers

ANSWERS = Answers("13-break-it-fix-it")
right, wrong = ANSWERS.right, ANSWERS.wrong

OOM, HANG, PENDING, TIMEOUT = (RECORDED[k] for k in ("oom", "hang", "pending", "timeout"))
OOM_SCRIPT = (ROOT / "jobscripts/breakfix-oom.sh").read_text()
TIMEOUT_SCRIPT = (ROOT / "jobscripts/breakfix-timeout.sh").read_text()
RING = (ROOT / "jobscripts/programs/breakfix_ring.py").read_text()


def read(script: str) -> dict:
    """A fix record as the lesson makes it where there is no Slurm: the script, not run."""
    return {"ran": False, "script": script}


# ----------------------------------------------------------------------- Q1: out of memory

OOM_FACTS = breakfix.oom_facts(OOM)


def oom_diagnosis(**change) -> dict:
    evidence = {"State": OOM_FACTS["State"], "MaxRSS_MB": OOM_FACTS["MaxRSS_MB"], "ReqMem_MB": OOM_FACTS["ReqMem_MB"]}
    return {"cause": "memory", "job_id": OOM["job_id"], "evidence": {**evidence, **change}}


MORE_MEMORY = OOM_SCRIPT.replace("--mem=300M ", "--mem=1G ")
HOLD_LESS = OOM_SCRIPT.replace("--chunk-mb 50", "--chunk-mb 50 --keep 2")  # 100 MB held: 300M is enough
right("q1", "more memory, in G", lambda c: (oom_diagnosis(), read(MORE_MEMORY), OOM), fast=True)
right("q1", "hold two blocks at once", lambda c: (oom_diagnosis(), read(HOLD_LESS), OOM), fast=True)
right(
    "q1",
    "job id as an int, cause in capitals",
    lambda c: ({**oom_diagnosis(), "cause": "OOM", "job_id": int(OOM["job_id"])}, read(MORE_MEMORY), OOM),
    fast=True,
)
right(
    "q1",
    "a live fix that completed",
    lambda c: (
        oom_diagnosis(),
        {"ran": True, "script": MORE_MEMORY, "job_id": "1", "state": "COMPLETED", "exit_code": "0:0"},
        OOM,
    ),
    fast=True,
)
wrong(
    "q1",
    "blamed on time",
    lambda c: ({**oom_diagnosis(), "cause": "time"}, read(MORE_MEMORY), OOM),
    "read the evidence again",
    fast=True,
)
wrong(
    "q1",
    "another job's id",
    lambda c: ({**oom_diagnosis(), "job_id": "12345"}, read(MORE_MEMORY), OOM),
    "is not the job of this case",
    fast=True,
)
wrong(
    "q1",
    "the request typed as the peak",
    lambda c: (oom_diagnosis(MaxRSS_MB=300), read(MORE_MEMORY), OOM),
    "MaxRSS_MB is not what this job used",
    fast=True,
)
wrong(
    "q1",
    "a state it never had",
    lambda c: (oom_diagnosis(State="TIMEOUT"), read(MORE_MEMORY), OOM),
    "not what Slurm recorded",
    fast=True,
)
wrong(
    "q1",
    "the request in bytes",
    lambda c: (oom_diagnosis(ReqMem_MB=314572800), read(MORE_MEMORY), OOM),
    "ReqMem_MB is not what this job asked for",
    fast=True,
)
wrong(
    "q1",
    "a little more memory, not enough",
    lambda c: (oom_diagnosis(), read(OOM_SCRIPT.replace("--mem=300M ", "--mem=600M ")), OOM),
    "less than the 600 MB the program holds",
    fast=True,
)
wrong("q1", "the script unchanged", lambda c: (oom_diagnosis(), read(OOM_SCRIPT), OOM), "--mem=300M is less", fast=True)
# sbatch reads #SBATCH lines only before the first command: one appended at the end is ignored.
wrong(
    "q1",
    "more memory asked after the first command",
    lambda c: (oom_diagnosis(), read(OOM_SCRIPT + "#SBATCH --mem=1G\n"), OOM),
    "--mem=300M is less",
    fast=True,
)
wrong(
    "q1",
    "--keep 2 in a comment, not on the command",
    lambda c: (
        oom_diagnosis(),
        read(OOM_SCRIPT.replace("set -euo pipefail", "# then: --keep 2\nset -euo pipefail")),
        OOM,
    ),
    "--mem=300M is less",
    fast=True,
)
# One task on one CPU: --mem-per-cpu is the job's memory.
right(
    "q1",
    "memory per CPU instead of --mem",
    lambda c: (oom_diagnosis(), read(OOM_SCRIPT.replace("--mem=300M ", "--mem-per-cpu=1G ")), OOM),
    fast=True,
)
wrong(
    "q1",
    "too little memory per CPU",
    lambda c: (oom_diagnosis(), read(OOM_SCRIPT.replace("--mem=300M ", "--mem-per-cpu=500M ")), OOM),
    "--mem-per-cpu=500M is less",
    fast=True,
)
wrong(
    "q1",
    "a live fix that was killed again",
    lambda c: (
        oom_diagnosis(),
        {
            "ran": True,
            "script": MORE_MEMORY,
            "job_id": "2",
            "state": "FAILED",
            "exit_code": "137:0",
            "output": "exceeded memory limit",
        },
        OOM,
    ),
    "ended FAILED",
    fast=True,
)
wrong("q1", "no record", lambda c: (oom_diagnosis(), read(MORE_MEMORY), {"state": "FAILED"}), "run record", fast=True)


# ----------------------------------------------------------------------- Q2: an MPI job that hangs

HANG_LINES = breakfix.hang_facts(HANG)
SENDRECV = RING.replace(
    "comm.Ssend(block, dest=right)\ncomm.Recv(received, source=left)",
    "comm.Sendrecv(block, dest=right, recvbuf=received, source=left)",
)
EVEN_ODD = RING.replace(
    "comm.Ssend(block, dest=right)\ncomm.Recv(received, source=left)",
    "if rank % 2 == 0:\n    comm.Ssend(block, dest=right)\n    comm.Recv(received, source=left)\n"
    "else:\n    comm.Recv(received, source=left)\n    comm.Ssend(block, dest=right)",
)
NONBLOCKING = RING.replace(
    "comm.Ssend(block, dest=right)\ncomm.Recv(received, source=left)",
    "request = comm.Issend(block, dest=right)\ncomm.Recv(received, source=left)\nrequest.Wait()",
)
WRONG_WAY = RING.replace(
    "comm.Ssend(block, dest=right)\ncomm.Recv(received, source=left)",
    "comm.Sendrecv(block, dest=left, recvbuf=received, source=right)",
)


def hang_diagnosis() -> dict:
    return {"cause": "deadlock", "job_id": HANG["job_id"], "evidence": dict(HANG_LINES)}


right("q2", "Sendrecv", lambda c: (hang_diagnosis(), SENDRECV, HANG))
right(
    "q2",
    "even ranks send first, string rank keys",
    lambda c: ({**hang_diagnosis(), "evidence": {str(k): v for k, v in HANG_LINES.items()}}, EVEN_ODD, HANG),
)
right("q2", "a non-blocking send", lambda c: (hang_diagnosis(), NONBLOCKING, HANG))
wrong(
    "q2",
    "the receive's line",
    lambda c: (
        {**hang_diagnosis(), "evidence": {r: line + 1 for r, line in HANG_LINES.items()}},
        SENDRECV,
        HANG,
    ),
    "was not waiting at line",
    fast=True,
)
wrong(
    "q2",
    "one rank only",
    lambda c: ({**hang_diagnosis(), "evidence": {0: HANG_LINES[0]}}, SENDRECV, HANG),
    "a line for every rank",
    fast=True,
)
wrong(
    "q2",
    "blamed on memory",
    lambda c: ({**hang_diagnosis(), "cause": "memory"}, SENDRECV, HANG),
    "read the evidence again",
    fast=True,
)
wrong(
    "q2",
    "the program unchanged: still hangs",
    lambda c: (hang_diagnosis(), RING.replace('"60"', '"5"'), HANG),
    "exit code 1",
)
wrong(
    "q2",
    "the ring turned the other way",
    lambda c: (hang_diagnosis(), WRONG_WAY, HANG),
    "not that of its left neighbour",
)


# ----------------------------------------------------------------------- Q3: jobs that never start

BY_REASON = {job["reason"].split(",")[0]: job_id for job_id, job in PENDING["jobs"].items()}
DRAINED = PENDING["drained"][0]
# The failed job the DependencyNeverSatisfied job waited for (case 1's, in the run that recorded this case).
DEP_FAILED = PENDING["jobs"][BY_REASON["DependencyNeverSatisfied"]]["options"][0].rpartition(":")[2]
GOOD_OPTIONS = {
    "PartitionTimeLimit": ["--partition=short", "--time=00:04:00"],
    "ReqNodeNotAvail": [f"--exclude={DRAINED}"],
    "DependencyNeverSatisfied": [f"--dependency=afterany:{DEP_FAILED}"],
    "PartitionConfig": [f"--ntasks={PENDING['free_cpus']}"],
    "Resources": [f"--ntasks={PENDING['free_cpus']}"],
}


def reasons(**change) -> dict:
    return {job_id: job["reason"] for job_id, job in PENDING["jobs"].items()} | change


def fixes(**change) -> dict:
    options = {BY_REASON[reason]: opts for reason, opts in GOOD_OPTIONS.items()} | change
    return {job_id: {"options": opts, "ran": False} for job_id, opts in options.items()}


right("q3", "the reasons and fixes of the lesson", lambda c: (reasons(), fixes(), PENDING), fast=True)
right(
    "q3",
    "short reasons, the default partition, no dependency",
    lambda c: (
        {job_id: reason.split(",")[0] for job_id, reason in reasons().items()},
        fixes(**{BY_REASON["PartitionTimeLimit"]: ["--time=00:10:00"], BY_REASON["DependencyNeverSatisfied"]: []}),
        PENDING,
    ),
    fast=True,
)
wrong(
    "q3",
    "two reasons swapped",
    lambda c: (reasons(**{BY_REASON["ReqNodeNotAvail"]: "Resources"}), fixes(), PENDING),
    "is not the reason squeue gave",
    fast=True,
)
wrong(
    "q3",
    "a job left out",
    lambda c: ({k: v for k, v in list(reasons().items())[:2]}, fixes(), PENDING),
    "one entry per job",
    fast=True,
)
wrong(
    "q3",
    "still over the partition's limit",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["PartitionTimeLimit"]: ["--partition=short", "--time=00:06:00"]}),
        PENDING,
    ),
    "still refuses a --time",
    fast=True,
)
wrong(
    "q3",
    "still on the drained node",
    lambda c: (reasons(), fixes(**{BY_REASON["ReqNodeNotAvail"]: [f"--nodelist={DRAINED}"]}), PENDING),
    "drained",
    fast=True,
)
wrong(
    "q3",
    "still afterok",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["DependencyNeverSatisfied"]: [f"--dependency=afterok:{DEP_FAILED}"]}),
        PENDING,
    ),
    "afterok still waits",
    fast=True,
)


def still_pending(reason: str) -> dict:
    out = fixes()
    out[BY_REASON["ReqNodeNotAvail"]] = {
        "options": [f"--exclude={DRAINED}"],
        "ran": True,
        "state": "PENDING",
        "reason": reason,
    }
    return out


wrong(
    "q3",
    "a live resubmission that still pends",
    lambda c: (reasons(), still_pending("ReqNodeNotAvail, UnavailableNodes:node1"), PENDING),
    "still pends",
    fast=True,
)


# --- case pending: Resources and PartitionConfig
right(
    "q3",
    "the whole partition's CPUs (PartitionConfig), no options at all (Resources)",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["PartitionConfig"]: [f"-n {PENDING['partition_cpus']}"], BY_REASON["Resources"]: []}),
        PENDING,
    ),
    fast=True,
)
right(
    "q3",
    "a live Resources fix that started",
    lambda c: (
        reasons(),
        {
            **fixes(),
            BY_REASON["Resources"]: {"options": ["--ntasks=1"], "ran": True, "state": "COMPLETED", "reason": "None"},
        },
        PENDING,
    ),
    fast=True,
)
wrong(
    "q3",
    "still more CPUs than the partition has",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["PartitionConfig"]: [f"--ntasks={PENDING['partition_cpus'] + 1}"]}),
        PENDING,
    ),
    "more than the partition's nodes have in all",
    fast=True,
)
wrong(
    "q3",
    "the same CPUs again for the busy node",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["Resources"]: PENDING["jobs"][BY_REASON["Resources"]]["options"]}),
        PENDING,
    ),
    "is free now",
    fast=True,
)
wrong(
    "q3",
    "a whole node, while none is free",
    lambda c: (reasons(), fixes(**{BY_REASON["Resources"]: ["--exclusive"]}), PENDING),
    "--exclusive asks for a whole node",
    fast=True,
)
wrong(
    "q3",
    "a live Resources fix that still waits",
    lambda c: (
        reasons(),
        {
            **fixes(),
            BY_REASON["Resources"]: {"options": ["--ntasks=1"], "ran": True, "state": "PENDING", "reason": "Resources"},
        },
        PENDING,
    ),
    "still waits (Resources)",
    fast=True,
)
wrong(
    "q3",
    "Resources and Priority swapped",
    lambda c: (reasons(**{BY_REASON["Resources"]: "Priority"}), fixes(), PENDING),
    "is not the reason squeue gave",
    fast=True,
)


# --- case pending (review R3): right answers an expert writes, and node choices that leave no node
QUICK_SCRIPT = (ROOT / "jobscripts/breakfix-quick.sh").read_text()


def test_quick_time_is_the_scripts():
    """The check's QUICK_TIME_S is breakfix-quick.sh's own #SBATCH --time (what a job without --time gets)."""
    assert breakfix.seconds(breakfix.sbatch_option(QUICK_SCRIPT, "time")) == breakfix.QUICK_TIME_S


right(
    "q3",
    "afterok on the job resubmitted in place of the failed one; short with the script's own 2 min",
    lambda c: (
        reasons(),
        fixes(
            **{
                BY_REASON["DependencyNeverSatisfied"]: [f"--dependency=afterok:{int(DEP_FAILED) + 40}"],
                BY_REASON["PartitionTimeLimit"]: ["--partition=short"],
            }
        ),
        PENDING,
    ),
    fast=True,
)
right(
    "q3",
    "-d afterany, -w the node that is up, -x the drained one",
    lambda c: (
        reasons(),
        fixes(
            **{
                BY_REASON["DependencyNeverSatisfied"]: ["-d", f"afterany:{DEP_FAILED}"],
                BY_REASON["ReqNodeNotAvail"]: ["-w", PENDING["free_node"]],
                BY_REASON["Resources"]: ["-n", "1", "-x", DRAINED],
            }
        ),
        PENDING,
    ),
    fast=True,
)
wrong(
    "q3",
    "afterok on the failed job still, beside another",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["DependencyNeverSatisfied"]: [f"-d afterok:{int(DEP_FAILED) + 40}:{DEP_FAILED}"]}),
        PENDING,
    ),
    "afterok still waits",
    fast=True,
)
wrong(
    "q3",
    "short with --time=0-1: days-hours, one hour",
    lambda c: (reasons(), fixes(**{BY_REASON["PartitionTimeLimit"]: ["--partition=short", "--time=0-1"]}), PENDING),
    "still refuses a --time",
    fast=True,
)
wrong(
    "q3",
    "the drained node listed, the other excluded",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["ReqNodeNotAvail"]: [f"--nodelist={DRAINED}", f"--exclude={PENDING['free_node']}"]}),
        PENDING,
    ),
    "no node it may use takes jobs",
    fast=True,
)
wrong(
    "q3",
    "one CPU, but kept off the node where it is free",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["Resources"]: ["--ntasks=1", f"--exclude={PENDING['free_node']}"]}),
        PENDING,
    ),
    "no node it may use takes jobs",
    fast=True,
)


# ----------------------------------------------------------------------- Q4: Dask workers that never arrive

DASK = RECORDED["dask"]
DASK_FACTS = breakfix.dask_facts(DASK)


def dask_diagnosis(**change) -> dict:
    return {"cause": "network", "job_id": DASK["job_id"], "evidence": {**DASK_FACTS, **change}}


def options(*opts: str, ran: bool = False, **result) -> dict:
    return {"ran": ran, "options": list(opts), **result}


right(
    "q4",
    "the cluster network",
    lambda c: (dask_diagnosis(), options("--export=ALL,HPCLAB_IFACE=eth0"), DASK),
    fast=True,
)
right(
    "q4",
    "the site profile's default",
    lambda c: ({**dask_diagnosis(), "cause": "Interface"}, options(), DASK),
    fast=True,
)
right(
    "q4",
    "a live submission that completed",
    lambda c: (
        dask_diagnosis(),
        options("--export=ALL,HPCLAB_IFACE=eth0", ran=True, job_id="5", state="COMPLETED", exit_code="0:0"),
        DASK,
    ),
    fast=True,
)
wrong(
    "q4",
    "blamed on memory",
    lambda c: ({**dask_diagnosis(), "cause": "memory"}, options(), DASK),
    "read the evidence again",
    fast=True,
)
wrong(
    "q4",
    "the worker's address, not the scheduler's",
    lambda c: (dask_diagnosis(scheduler_address=f"tls://{DASK['interfaces']['eth0']}:40000"), options(), DASK),
    "scheduler_address is not where",
    fast=True,
)
wrong(
    "q4",
    "a worker counted that never came",
    lambda c: (dask_diagnosis(workers_registered=1), options(), DASK),
    "Register worker",
    fast=True,
)
wrong(
    "q4",
    "loopback again",
    lambda c: (dask_diagnosis(), options("--export=ALL,HPCLAB_IFACE=lo"), DASK),
    "cannot reach an address on it",
    fast=True,
)
wrong(
    "q4",
    "an interface the node does not have",
    lambda c: (dask_diagnosis(), options("--export=ALL,HPCLAB_IFACE=ib0"), DASK),
    "cannot reach an address on it",
    fast=True,
)
wrong(
    "q4",
    "a live submission that failed again",
    lambda c: (
        dask_diagnosis(),
        options("--export=ALL,HPCLAB_IFACE=eth0", ran=True, job_id="6", state="FAILED", exit_code="124:0", output=""),
        DASK,
    ),
    "ended FAILED",
    fast=True,
)


# ----------------------------------------------------------------------- case dask_tmp (Q8): a node-local file

DASK_TMP = RECORDED["dask_tmp"]
DASK_TMP_FACTS = breakfix.dask_tmp_facts(DASK_TMP)


def tmp_diagnosis(**change) -> dict:
    evidence = {"scheduler_file": DASK_TMP_FACTS["scheduler_file"], "missing_on": DASK_TMP_FACTS["missing_on"]}
    return {"cause": "filesystem", "job_id": DASK_TMP["job_id"], "evidence": {**evidence, **change}}


right(
    "q8",
    "the course's results/ folder",
    lambda c: (tmp_diagnosis(), options(f"--export=ALL,BREAKFIX_SCHEDULER_DIR={ROOT / 'results'}"), DASK_TMP),
    fast=True,
)
right(
    "q8",
    "the script's default, the node as a string, cause node-local",
    lambda c: (
        {**tmp_diagnosis(missing_on=DASK_TMP_FACTS["missing_on"][0]), "cause": "Node-local"},
        options("--export=ALL,BREAKFIX_TIMEOUT=10"),
        DASK_TMP,
    ),
    fast=True,
)
right(
    "q8",
    "a live submission that completed",
    lambda c: (
        tmp_diagnosis(),
        options(
            "--export=ALL,BREAKFIX_SCHEDULER_DIR=/home/learner1",
            ran=True,
            job_id="7",
            state="COMPLETED",
            exit_code="0:0",
        ),
        DASK_TMP,
    ),
    fast=True,
)
wrong(
    "q8",
    "blamed on the network (Q4's cause)",
    lambda c: ({**tmp_diagnosis(), "cause": "network"}, options(), DASK_TMP),
    "read the evidence again",
    fast=True,
)
wrong(
    "q8",
    "the node that had the file",
    lambda c: (tmp_diagnosis(missing_on=DASK_TMP_FACTS["seen_on"]), options(), DASK_TMP),
    "missing_on",
    fast=True,
)
wrong(
    "q8",
    "a scheduler file typed, not read",
    lambda c: (tmp_diagnosis(scheduler_file="/tmp/scheduler.json"), options(), DASK_TMP),
    "scheduler_file is not where",
    fast=True,
)
wrong(
    "q8",
    "/tmp again",
    lambda c: (tmp_diagnosis(), options("--export=ALL,BREAKFIX_SCHEDULER_DIR=/tmp"), DASK_TMP),
    "on each node's own disk",
    fast=True,
)
wrong(
    "q8",
    "the job's $TMPDIR",
    lambda c: (tmp_diagnosis(), options("--export=ALL,BREAKFIX_SCHEDULER_DIR=$TMPDIR/dask"), DASK_TMP),
    "on each node's own disk",
    fast=True,
)
right(
    "q8",
    "results/, relative to the course root every task starts in",
    lambda c: (tmp_diagnosis(), options("--export=ALL,BREAKFIX_SCHEDULER_DIR=results"), DASK_TMP),
    fast=True,
)
wrong(
    "q8",
    "/var/tmp, as node-local as /tmp",
    lambda c: (tmp_diagnosis(), options("--export=ALL,BREAKFIX_SCHEDULER_DIR=/var/tmp/dask"), DASK_TMP),
    "on each node's own disk (/var/tmp)",
    fast=True,
)
# Review R3: folders shared on the virtual cluster (only its /tmp is each host's) but each node's own on sites.
for folder, local in (
    ("/var//tmp", "/var/tmp"),
    ("/tmp/../tmp/dask", "/tmp"),
    ("/localscratch/$USER", "/localscratch"),
    ("/lscratch/$SLURM_JOB_ID", "/lscratch"),
    ("/scratch/local", "/scratch/local"),
    ("$SLURM_TMPDIR", "$SLURM_TMPDIR"),
    ("$TMP", "$TMP"),
    ("${LOCAL_SCRATCH}/dask", "$LOCAL_SCRATCH"),
    ("$XDG_RUNTIME_DIR", "$XDG_RUNTIME_DIR"),
):
    wrong(
        "q8",
        f"{folder}, each node's own on a site",
        lambda c, folder=folder: (
            tmp_diagnosis(),
            options(f"--export=ALL,BREAKFIX_SCHEDULER_DIR={folder}"),
            DASK_TMP,
        ),
        f"on each node's own disk ({local})",
        fast=True,
    )
for folder in ("$SLURM_SUBMIT_DIR/results", "${HOME}/dask", "~/dask"):
    wrong(
        "q8",
        f"{folder}: no shell expands it on the way to sbatch",
        lambda c, folder=folder: (tmp_diagnosis(), options(f"--export=ALL,BREAKFIX_SCHEDULER_DIR={folder}"), DASK_TMP),
        "no shell in between",
        fast=True,
    )
for folder in (str(ROOT / "results"), "/home/learner1/dask", "/scratch/alice/dask", "/home/tmpuser/dask"):
    right(
        "q8",
        f"{folder}, on a shared filesystem",
        lambda c, folder=folder: (tmp_diagnosis(), options(f"--export=ALL,BREAKFIX_SCHEDULER_DIR={folder}"), DASK_TMP),
        fast=True,
    )
wrong(
    "q8",
    "the right folder, but on loopback",
    lambda c: (tmp_diagnosis(), options("--export=ALL,HPCLAB_IFACE=lo"), DASK_TMP),
    "cannot reach an address on it",
    fast=True,
)
wrong(
    "q8",
    "a live submission that failed again",
    lambda c: (
        tmp_diagnosis(),
        options("--export=ALL", ran=True, job_id="8", state="FAILED", exit_code="124:0", output=""),
        DASK_TMP,
    ),
    "ended FAILED",
    fast=True,
)


# ----------------------------------------------------------------------- Q5: out of wall time

TIMEOUT_FACTS = breakfix.timeout_facts(TIMEOUT)
LEFT_S = (TIMEOUT_FACTS["steps"] - TIMEOUT_FACTS["last_step"]) * TIMEOUT_FACTS["step_s"]


def timeout_diagnosis(**change) -> dict:
    evidence = {"State": TIMEOUT_FACTS["State"], "last_step": TIMEOUT_FACTS["last_step"]}
    if TIMEOUT_FACTS["Elapsed_s"] is not None:
        evidence["Elapsed_s"] = TIMEOUT_FACTS["Elapsed_s"]
    return {"cause": "time", "job_id": TIMEOUT["job_id"], "evidence": {**evidence, **change}}


def with_time(limit: str) -> str:
    return TIMEOUT_SCRIPT.replace("--time=00:01:00 ", f"--time={limit} ")


right("q5", "two minutes", lambda c: (timeout_diagnosis(), read(with_time("00:02:00")), TIMEOUT), fast=True)
wrong(
    "q5",
    "a new --time after the first command (sbatch ignores it)",
    lambda c: (timeout_diagnosis(), read(with_time("00:00:30") + "#SBATCH --time=00:02:00\n"), TIMEOUT),
    "--time=00:00:30 does not cover",
    fast=True,
)
right(
    "q5",
    "minutes as a bare number",
    lambda c: ({**timeout_diagnosis(), "cause": "TIMEOUT"}, read(with_time("3")), TIMEOUT),
    fast=True,
)
right(
    "q5",
    "a live resubmission that resumed",
    lambda c: (
        timeout_diagnosis(),
        {
            "ran": True,
            "script": with_time("00:02:00"),
            "job_id": "3",
            "state": "COMPLETED",
            "exit_code": "0:0",
            "output": "resumed from step 10 (checkpoint x)\nfinished",
        },
        TIMEOUT,
    ),
    fast=True,
)
wrong(
    "q5",
    "blamed on memory",
    lambda c: ({**timeout_diagnosis(), "cause": "memory"}, read(with_time("00:02:00")), TIMEOUT),
    "read the evidence again",
    fast=True,
)
wrong(
    "q5",
    "a step too early",
    lambda c: (timeout_diagnosis(last_step=TIMEOUT_FACTS["last_step"] - 1), read(with_time("00:02:00")), TIMEOUT),
    "last_step is not",
    fast=True,
)
wrong(
    "q5",
    "a state it never had",
    lambda c: (timeout_diagnosis(State="CANCELLED"), read(with_time("00:02:00")), TIMEOUT),
    "not what Slurm recorded",
    fast=True,
)
wrong(
    "q5",
    "less time than the steps left",
    lambda c: (timeout_diagnosis(), read(with_time(f"00:00:{max(1, int(LEFT_S) - 5):02d}")), TIMEOUT),
    "does not cover",
    fast=True,
)
wrong(
    "q5",
    "a day, to be safe",
    lambda c: (timeout_diagnosis(), read(with_time("1-00:00:00")), TIMEOUT),
    "far more than",
    fast=True,
)
wrong(
    "q5",
    "a live resubmission that started over",
    lambda c: (
        timeout_diagnosis(),
        {
            "ran": True,
            "script": with_time("00:02:00"),
            "job_id": "4",
            "state": "COMPLETED",
            "exit_code": "0:0",
            "output": "starting at step 0 of 240, 0.5 s a step\nfinished",
        },
        TIMEOUT,
    ),
    "started again from step 0",
    fast=True,
)


# ----------------------------------------------------------------------- Q6: a worker killed for memory (KilledWorker)

KILLED = RECORDED["killed"]
KILLED_FACTS = breakfix.killed_facts(KILLED)
KILLED_SCRIPT = (ROOT / "jobscripts/breakfix-killed.sh").read_text()
SMALLER_BLOCKS = KILLED_SCRIPT.replace("--chunk-mb 400", "--chunk-mb 50")
BIGGER_WORKER = KILLED_SCRIPT.replace("--memory-limit 300MiB", "--memory-limit 1GiB").replace(
    "--mem-per-cpu=600M ", "--mem-per-cpu=1200M"
)


#: The end of a fixed run's output that went through all of the job's 800 MB (800 x 2**17 float64 numbers).
ALL_THE_DATA = "mean 0.500017, standard deviation 0.288677 of 104857600 numbers\n"
#: Exports that change where the worker spills (and restate the nanny's kill): none of them bears on a block a task holds.
DASK_SPILL_SETTINGS = (
    "export DASK_DISTRIBUTED__WORKER__MEMORY__TARGET=False DASK_DISTRIBUTED__WORKER__MEMORY__SPILL=0.6\n"
    "export DASK_DISTRIBUTED__WORKER__MEMORY__TERMINATE=0.95\n"
)


def killed_diagnosis(**change) -> dict:
    evidence = {
        "task": KILLED_FACTS["task"],
        "restarts": KILLED_FACTS["restarts"],
        "memory_limit_MB": KILLED_FACTS["memory_limit_MB"],
    }
    return {"cause": "memory", "job_id": KILLED["job_id"], "evidence": {**evidence, **change}}


def killed_read_as_the_lesson_does() -> dict:
    """The evidence read from the job's output with the regular expressions a learner would write."""
    output = KILLED["output"]
    task = re.search(r"KilledWorker: Attempted to run task '([^']+)'", output).group(1)
    restarts = len(re.findall(r"^1: .*memory budget\. Restarting", output, flags=re.M))
    limit = float(re.search(r"^1: .*Memory:\s+([\d.]+) MiB", output, flags=re.M).group(1))
    return killed_diagnosis(task=task, restarts=restarts, memory_limit_MB=limit)


right("q6", "smaller blocks, replayed", lambda c: (killed_diagnosis(), read(SMALLER_BLOCKS), KILLED), fast=True)
right(
    "q6",
    "a bigger worker with the memory to back it, replayed",
    lambda c: (killed_diagnosis(), read(BIGGER_WORKER), KILLED),
    fast=True,
)
right(
    "q6",
    "evidence read with regular expressions, cause OOM, job id as an int",
    lambda c: (
        {**killed_read_as_the_lesson_does(), "cause": "OOM", "job_id": int(KILLED["job_id"])},
        read(SMALLER_BLOCKS),
        KILLED,
    ),
    fast=True,
)
right(
    "q6",
    "a live fix that completed",
    lambda c: (
        killed_diagnosis(),
        {
            "ran": True,
            "script": SMALLER_BLOCKS,
            "job_id": "7",
            "state": "COMPLETED",
            "exit_code": "0:0",
            "output": ALL_THE_DATA,
        },
        KILLED,
    ),
    fast=True,
)
right(
    "q6",
    "more partitions, the same total: blocks of 150 MB, the last one smaller",
    lambda c: (killed_diagnosis(), read(KILLED_SCRIPT.replace("--chunk-mb 400", "--chunk-mb 150")), KILLED),
    fast=True,
)
right(
    "q6",
    "--memory-limit: Slurm's memory per task less the nanny's, the same blocks",
    lambda c: (
        killed_diagnosis(),
        read(
            KILLED_SCRIPT.replace("--memory-limit 300MiB", "--memory-limit 1100MiB").replace(
                "--mem-per-cpu=600M ", "--mem-per-cpu=1200M"
            )
        ),
        KILLED,
    ),
    fast=True,
)
right(
    "q6",
    "two CPUs, --nthreads 1 kept",
    lambda c: (
        killed_diagnosis(),
        read(
            KILLED_SCRIPT.replace("--chunk-mb 400", "--chunk-mb 150")
            .replace("--cpus-per-task=1 ", "--cpus-per-task=2 ")
            .replace('--nthreads "$SLURM_CPUS_PER_TASK"', "--nthreads 1")
        ),
        KILLED,
    ),
    fast=True,
)
right(
    "q6",
    "smaller blocks, with Dask's spill thresholds changed and terminate kept",
    lambda c: (
        killed_diagnosis(),
        read(SMALLER_BLOCKS.replace('dask_tls "$tls"\n', 'dask_tls "$tls"\n' + DASK_SPILL_SETTINGS)),
        KILLED,
    ),
    fast=True,
)
right(
    "q6",
    "two threads, blocks small enough for both",
    lambda c: (
        killed_diagnosis(),
        read(SMALLER_BLOCKS.replace("--cpus-per-task=1 ", "--cpus-per-task=2 ")),
        KILLED,
    ),
    fast=True,
)
wrong(
    "q6",
    "the symptom named as the cause",
    lambda c: ({**killed_diagnosis(), "cause": "KilledWorker"}, read(SMALLER_BLOCKS), KILLED),
    "is what the client saw, not why",
    fast=True,
)
wrong(
    "q6",
    "blamed on time",
    lambda c: ({**killed_diagnosis(), "cause": "time"}, read(SMALLER_BLOCKS), KILLED),
    "read the evidence again",
    fast=True,
)
wrong(
    "q6",
    "another job's id",
    lambda c: ({**killed_diagnosis(), "job_id": "12345"}, read(SMALLER_BLOCKS), KILLED),
    "is not the job of this case",
    fast=True,
)
wrong(
    "q6",
    "the other task the scheduler gave up on",
    lambda c: (
        killed_diagnosis(task=next(t for t in KILLED_FACTS["blamed"] if t != KILLED_FACTS["task"])),
        read(SMALLER_BLOCKS),
        KILLED,
    ),
    "marked as failed too",
    fast=True,
)
wrong(
    "q6",
    "a task key typed, not read",
    lambda c: (killed_diagnosis(task="block_stats-0"), read(SMALLER_BLOCKS), KILLED),
    "is not the one the client's KilledWorker names",
    fast=True,
)
wrong(
    "q6",
    "allowed-failures' default typed as the restarts",
    lambda c: (killed_diagnosis(restarts=3), read(SMALLER_BLOCKS), KILLED),
    "restarts: 3 is not",
    fast=True,
)
wrong(
    "q6",
    "the nanny's kill threshold as the limit",
    lambda c: (
        killed_diagnosis(memory_limit_MB=KILLED_FACTS["memory_limit_MB"] * KILLED_FACTS["terminate_pct"] / 100),
        read(SMALLER_BLOCKS),
        KILLED,
    ),
    "at which the nanny kills",
    fast=True,
)
wrong(
    "q6",
    "the limit converted to millions of bytes",
    lambda c: (
        killed_diagnosis(memory_limit_MB=KILLED_FACTS["memory_limit_MB"] * 2**20 / 1e6),
        read(SMALLER_BLOCKS),
        KILLED,
    ),
    "do not convert",
    fast=True,
)
wrong(
    "q6",
    "the script unchanged",
    lambda c: (killed_diagnosis(), read(KILLED_SCRIPT), KILLED),
    "more than 80% of its 300 MiB limit",
    fast=True,
)
wrong(
    "q6",
    "blocks halved: still do not fit",
    lambda c: (killed_diagnosis(), read(KILLED_SCRIPT.replace("--chunk-mb 400", "--chunk-mb 200")), KILLED),
    "more than 80% of its 300 MiB limit",
    fast=True,
)
wrong(
    "q6",
    "smaller blocks, but more threads to hold them",
    lambda c: (killed_diagnosis(), read(SMALLER_BLOCKS.replace("--cpus-per-task=1 ", "--cpus-per-task=4 ")), KILLED),
    "4 thread(s) x blocks of 50 MB",
    fast=True,
)
wrong(
    "q6",
    "smaller blocks in a comment, not on the command",
    lambda c: (killed_diagnosis(), read(KILLED_SCRIPT + "# then: --chunk-mb 50\n"), KILLED),
    "more than 80%",
    fast=True,
)
wrong(
    "q6",
    "a bigger limit without the memory from Slurm",
    lambda c: (killed_diagnosis(), read(KILLED_SCRIPT.replace("--memory-limit 300MiB", "--memory-limit 1GiB")), KILLED),
    "Slurm would kill the step before the nanny acts",
    fast=True,
)
wrong(
    "q6",
    "Dask's auto limit",
    lambda c: (killed_diagnosis(), read(BIGGER_WORKER.replace("--memory-limit 1GiB", "--memory-limit auto")), KILLED),
    "not from what Slurm gave the job",
    fast=True,
)
wrong(
    "q6",
    "the worker's limit removed (dask-mpi's auto)",
    lambda c: (killed_diagnosis(), read(SMALLER_BLOCKS.replace("     --memory-limit 300MiB \\\n", "")), KILLED),
    "needs a --memory-limit of its own",
    fast=True,
)
wrong(
    "q6",
    "less data instead of smaller blocks",
    lambda c: (
        killed_diagnosis(),
        read(KILLED_SCRIPT.replace("--total-mb 800 --chunk-mb 400", "--total-mb 100 --chunk-mb 100")),
        KILLED,
    ),
    "makes it fit by computing less",
    fast=True,
)
wrong(
    "q6",
    "a live fix that completed on less data",
    lambda c: (
        killed_diagnosis(),
        {
            "ran": True,
            "script": SMALLER_BLOCKS,
            "job_id": "9",
            "state": "COMPLETED",
            "exit_code": "0:0",
            "output": ALL_THE_DATA.replace("104857600", "13107200"),
        },
        KILLED,
    ),
    "did not go through all 800 MB",
    fast=True,
)
wrong(
    "q6",
    "--nthreads dropped: the Nanny then runs a thread per CPU, 4 blocks at once",
    lambda c: (
        killed_diagnosis(),
        read(
            SMALLER_BLOCKS.replace('     --nthreads "$SLURM_CPUS_PER_TASK" \\\n', "").replace(
                "--cpus-per-task=1 ", "--cpus-per-task=4 "
            )
        ),
        KILLED,
    ),
    "4 thread(s) x blocks of 50 MB",
    fast=True,
)
wrong(
    "q6",
    "--memory-limit 0: no limit at all",
    lambda c: (killed_diagnosis(), read(SMALLER_BLOCKS.replace("--memory-limit 300MiB", "--memory-limit 0")), KILLED),
    "0 means no limit",
    fast=True,
)
wrong(
    "q6",
    "the nanny's kill turned off",
    lambda c: (
        killed_diagnosis(),
        read(
            SMALLER_BLOCKS.replace(
                'dask_tls "$tls"\n', 'dask_tls "$tls"\nexport DASK_DISTRIBUTED__WORKER__MEMORY__TERMINATE=False\n'
            )
        ),
        KILLED,
    ),
    "turns the nanny's kill off",
    fast=True,
)
wrong(
    "q6",
    "a limit as big as Slurm's memory for the task: no room for the nanny",
    lambda c: (
        killed_diagnosis(),
        read(
            KILLED_SCRIPT.replace("--memory-limit 300MiB", "--memory-limit 1200MiB").replace(
                "--mem-per-cpu=600M ", "--mem-per-cpu=1200M"
            )
        ),
        KILLED,
    ),
    "Slurm would kill the step before the nanny acts",
    fast=True,
)
wrong(
    "q6",
    "a live fix that was killed again",
    lambda c: (
        killed_diagnosis(),
        {
            "ran": True,
            "script": SMALLER_BLOCKS,
            "job_id": "8",
            "state": "FAILED",
            "exit_code": "1:0",
            "output": "distributed.scheduler.KilledWorker: Attempted to run task 'x' on 4 different workers",
        },
        KILLED,
    ),
    "ended FAILED",
    fast=True,
)
wrong(
    "q6",
    "no record",
    lambda c: (killed_diagnosis(), read(SMALLER_BLOCKS), {"state": "FAILED"}),
    "run record",
    fast=True,
)


# ----------------------------------------------------------------------- case threads (Q7): too many threads

THREADS = RECORDED["threads"]
THREADS_FACTS = breakfix.threads_facts(THREADS)
THREADS_SCRIPT = (ROOT / "jobscripts/breakfix-threads.sh").read_text()
BLAS_AT_ONE = THREADS_SCRIPT.replace("export OMP_NUM_THREADS=8", "export OMP_NUM_THREADS=1").replace(
    "export OPENBLAS_NUM_THREADS=8", "export OPENBLAS_NUM_THREADS=1"
)


def threads_diagnosis(**change) -> dict:
    evidence = {key: THREADS_FACTS[key] for key in ("AllocCPUS", "threads", "CPU_efficiency")}
    return {"cause": "oversubscription", "job_id": THREADS["job_id"], "evidence": {**evidence, **change}}


def layout(workers: str, threads: str, script: str = BLAS_AT_ONE) -> str:
    """The case's script with the program's counts replaced."""
    return script.replace("--workers 4 --threads-per-worker 8", f"--workers {workers} --threads-per-worker {threads}")


ONE_WORKER = layout("1", '"$SLURM_CPUS_PER_TASK"')
#: A fixed run as the lesson records it live: it completed, and its program counted 2 threads on 2 CPUs.
FIXED_OUTPUT = (
    "task: SLURM_CPUS_PER_TASK=2, os.sched_getaffinity(0): 2 CPUs, os.cpu_count(): 2, dask's CPU_COUNT: 2\n"
    "worker 1: may use 2 CPUs; Dask threads 2, BLAS threads 1 (OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1)\n"
    "threads that compute: 1 workers x 2 threads x 1 BLAS threads = 2 on 2 CPUs\n"
)


def ran(script: str, output: str = FIXED_OUTPUT, state: str = "COMPLETED") -> dict:
    return {"ran": True, "script": script, "job_id": "7", "state": state, "exit_code": "0:0", "output": output}


right("q7", "one worker, a thread per CPU", lambda c: (threads_diagnosis(), read(ONE_WORKER), THREADS), fast=True)
right(
    "q7",
    "a worker per CPU, BLAS variables removed (the Nanny's 1)",
    lambda c: (
        threads_diagnosis(),
        read(
            layout(
                "$SLURM_CPUS_PER_TASK",
                "1",
                THREADS_SCRIPT.replace("export OMP_NUM_THREADS=8\n", "").replace("export OPENBLAS_NUM_THREADS=8\n", ""),
            )
        ),
        THREADS,
    ),
    fast=True,
)
right(
    "q7",
    "one worker of one thread, BLAS on every CPU",
    lambda c: (
        {**threads_diagnosis(), "cause": "Too many threads", "job_id": int(THREADS["job_id"])},
        read(layout("1", "1", THREADS_SCRIPT.replace("=8", '="$SLURM_CPUS_PER_TASK"'))),
        THREADS,
    ),
    fast=True,
)
right(
    "q7",
    "half the CPUs in $((...)), two of them",
    lambda c: (threads_diagnosis(), read(layout("$((SLURM_CPUS_PER_TASK / 2))", "2")), THREADS),
    fast=True,
)
right("q7", "a live fix that fits its CPUs", lambda c: (threads_diagnosis(), ran(ONE_WORKER), THREADS), fast=True)
wrong(
    "q7",
    "blamed on memory",
    lambda c: ({**threads_diagnosis(), "cause": "memory"}, read(ONE_WORKER), THREADS),
    "read the evidence again",
    fast=True,
)
wrong(
    "q7",
    "the Dask threads only, BLAS not counted",
    lambda c: (threads_diagnosis(threads=32), read(ONE_WORKER), THREADS),
    "count every layer",
    fast=True,
)
wrong(
    "q7",
    "the CPU efficiency typed from another run",
    lambda c: (threads_diagnosis(CPU_efficiency=0.5), read(ONE_WORKER), THREADS),
    "CPU_efficiency is not this job's",
    fast=True,
)
wrong(
    "q7",
    "the CPU efficiency in percent",
    lambda c: (threads_diagnosis(CPU_efficiency=100 * THREADS_FACTS["CPU_efficiency"]), read(ONE_WORKER), THREADS),
    "as a fraction",
    fast=True,
)
wrong(
    "q7",
    "the node's CPUs as the job's",
    lambda c: (threads_diagnosis(AllocCPUS=128), read(ONE_WORKER), THREADS),
    "AllocCPUS is not what this job was given",
    fast=True,
)
wrong(
    "q7",
    "the script unchanged",
    lambda c: (threads_diagnosis(), read(THREADS_SCRIPT), THREADS),
    "still oversubscribes: 4 workers x 8 threads",
    fast=True,
)
wrong(
    "q7",
    "OMP_NUM_THREADS=1 only: OpenBLAS reads OPENBLAS_NUM_THREADS first",
    lambda c: (
        threads_diagnosis(),
        read(layout("1", '"$SLURM_CPUS_PER_TASK"', THREADS_SCRIPT.replace("OMP_NUM_THREADS=8", "OMP_NUM_THREADS=1"))),
        THREADS,
    ),
    "1 workers x 2 threads x 2 BLAS threads = 4",
    fast=True,
)
wrong(
    "q7",
    "OPENBLAS_NUM_THREADS=1 only: OMP_NUM_THREADS=8 still exported",
    lambda c: (
        threads_diagnosis(),
        read(layout("1", "1", THREADS_SCRIPT.replace("OPENBLAS_NUM_THREADS=8", "OPENBLAS_NUM_THREADS=1"))),
        THREADS,
    ),
    "OMP_NUM_THREADS=8 is still exported",
    fast=True,
)
wrong(
    "q7",
    "a thread count hard-coded above the allocation",
    lambda c: (threads_diagnosis(), read(layout("1", "4")), THREADS),
    "= 4 threads on the 2 CPU(s)",
    fast=True,
)
# Slurm 22.05 srun without -c: the step is --whole (src/srun/libsrun/launch.c:433) and its one task is
# bound to every CPU of the job on the node (mask 0x3 of a -c 2 job, run on the virtual cluster).
right(
    "q7",
    "srun without --cpus-per-task: 22.05's step gets the job's CPUs",
    lambda c: (
        threads_diagnosis(),
        read(ONE_WORKER.replace('srun --cpus-per-task="$SLURM_CPUS_PER_TASK" ', "srun ")),
        THREADS,
    ),
    fast=True,
)
right(
    "q7",
    "SRUN_CPUS_PER_TASK exported, srun without -c",
    lambda c: (
        threads_diagnosis(),
        read(
            ONE_WORKER.replace(
                'srun --cpus-per-task="$SLURM_CPUS_PER_TASK" ',
                'export SRUN_CPUS_PER_TASK="$SLURM_CPUS_PER_TASK"\nsrun ',
            )
        ),
        THREADS,
    ),
    fast=True,
)
right(
    "q7",
    "OMP_NUM_THREADS from the allocation, one worker of one thread",
    lambda c: (
        threads_diagnosis(),
        read(
            layout(
                "1",
                "1",
                THREADS_SCRIPT.replace("export OPENBLAS_NUM_THREADS=8\n", "").replace(
                    "OMP_NUM_THREADS=8", "OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK"
                ),
            )
        ),
        THREADS,
    ),
    fast=True,
)
wrong(
    "q7",
    "srun asks more CPUs than the job holds (srun: More processors requested than permitted)",
    lambda c: (
        threads_diagnosis(),
        read(layout("1", "4").replace('srun --cpus-per-task="$SLURM_CPUS_PER_TASK" ', "srun --cpus-per-task=4 ")),
        THREADS,
    ),
    "more CPUs than the job's 2",
    fast=True,
)
wrong(
    "q7",
    "counts hard-coded to fit these 2 CPUs",
    lambda c: (threads_diagnosis(), read(layout("1", "2")), THREADS),
    "do not follow the allocation",
    fast=True,
)
wrong(
    "q7",
    "srun -c 2 typed: the step stays at 2 whatever the job asks",
    lambda c: (
        threads_diagnosis(),
        read(ONE_WORKER.replace('srun --cpus-per-task="$SLURM_CPUS_PER_TASK" ', "srun --cpus-per-task=2 ")),
        THREADS,
    ),
    "= 16 on 2 CPUs",
    fast=True,
)
wrong(
    "q7",
    "one thread on two CPUs",
    lambda c: (threads_diagnosis(), read(layout("1", "1")), THREADS),
    "do not follow the allocation",
    fast=True,
)
wrong(
    "q7",
    "$(nproc) after OMP_NUM_THREADS=1: coreutils' nproc prints OMP_NUM_THREADS",
    lambda c: (threads_diagnosis(), read(layout("1", '"$(nproc)"')), THREADS),
    "`$(nproc)` prints OMP_NUM_THREADS when it is exported",
    fast=True,
)
wrong(
    "q7",
    "no threads at all in a worker",
    lambda c: (threads_diagnosis(), read(layout("2", "$((SLURM_CPUS_PER_TASK / 4))")), THREADS),
    "--threads-per-worker is 0",
    fast=True,
)
wrong(
    "q7",
    "more CPUs than a node has",
    lambda c: (
        threads_diagnosis(),
        read(layout("4", "8").replace("--cpus-per-task=2 ", "--cpus-per-task=32 ")),
        THREADS,
    ),
    "the job would never start",
    fast=True,
)
right(
    "q7",
    "the CPUs asked with -c",
    lambda c: (threads_diagnosis(), read(ONE_WORKER.replace("#SBATCH --cpus-per-task=2 ", "#SBATCH -c 2 ")), THREADS),
    fast=True,
)
wrong(
    "q7",
    "a count the check cannot read",
    lambda c: (threads_diagnosis(), read(layout("1", "$CORES")), THREADS),
    "write a number or $SLURM_CPUS_PER_TASK",
    fast=True,
)
wrong(
    "q7",
    "a live fix that still started too many threads",
    lambda c: (
        threads_diagnosis(),
        ran(ONE_WORKER, FIXED_OUTPUT.replace("Dask threads 2, BLAS threads 1", "Dask threads 2, BLAS threads 2")),
        THREADS,
    ),
    "still started 4 threads that compute on 2 CPUs",
    fast=True,
)
wrong(
    "q7",
    "a live fix that failed",
    lambda c: (threads_diagnosis(), ran(ONE_WORKER, "Traceback", state="FAILED"), THREADS),
    "ended FAILED",
    fast=True,
)


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)


def test_an_edited_record_fails_under_the_grader(capsys):
    """Under ``hpclab grade`` (a grading token set) a record must be the recorded run itself."""
    edited = copy.deepcopy(OOM)
    edited["output"] = re.sub(r"exceeded memory limit \(\d+", "exceeded memory limit (1", edited["output"])
    try:
        hpclab.checks.grade_with("test-token")
        breakfix.check_q1(oom_diagnosis(), read(MORE_MEMORY), edited)
        assert "is not the recorded run" in capsys.readouterr().out
        breakfix.check_q1(oom_diagnosis(), read(MORE_MEMORY), OOM)
        assert capsys.readouterr().out.startswith("✅ q1 ")
    finally:
        hpclab.checks._grader_token = None


def test_slurm_sizes_are_read_as_slurm_writes_them():
    assert [breakfix.memory_mb(t) for t in ("300M", "1G", "512000K", "0.5Gn", "800")] == [300, 1024, 500, 512, 800]
    assert [breakfix.seconds(t) for t in ("00:01:00", "1-00:00:00", "5", "01:30", "00:00:42")] == [
        60,
        86400,
        300,
        90,
        42,
    ]
    assert breakfix.sbatch_option(OOM_SCRIPT, "mem") == "300M"
    assert Path(ROOT / "jobscripts/breakfix-oom.sh").is_file()


def test_an_edited_threads_record_fails_under_the_grader(capsys):
    """Q7 under ``hpclab grade``: a threads record with fewer threads than the recorded run is refused."""
    edited = copy.deepcopy(THREADS)
    edited["output"] = edited["output"].replace("Dask threads 8", "Dask threads 1")
    try:
        hpclab.checks.grade_with("test-token")
        breakfix.check_q7(threads_diagnosis(), read(ONE_WORKER), edited)
        assert "is not the recorded run" in capsys.readouterr().out
        breakfix.check_q7(threads_diagnosis(), read(ONE_WORKER), THREADS)
        assert capsys.readouterr().out.startswith("✅ q7 ")
    finally:
        hpclab.checks._grader_token = None


def test_thread_layout_reads_a_script_as_bash_and_slurm_would():
    """Each count of case 7's script, as the check reads it: the step's CPUs, the program's, the Nanny's."""
    assert breakfix.thread_layout(THREADS_SCRIPT) == {
        "job_cpus": 2,
        "cpus": 2,
        "step_told": True,
        "nproc_is_omp": False,
        "workers": 4,
        "threads_per_worker": 8,
        "openblas": 2,
        "omp": 8,
        "blas": 8,
    }
    prefixed = ONE_WORKER.replace("srun ", "OPENBLAS_NUM_THREADS=2 srun ")  # an assignment before the command
    assert breakfix.thread_layout(prefixed)["openblas"] == 2
    unset = THREADS_SCRIPT.replace("export OPENBLAS_NUM_THREADS=8", "unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS")
    assert breakfix.thread_layout(unset)["blas"] == 1  # the Nanny's 1 again
    untold = THREADS_SCRIPT.replace('srun --cpus-per-task="$SLURM_CPUS_PER_TASK" ', "srun ")
    assert breakfix.thread_layout(untold)["cpus"] == 2  # 22.05: a --whole step, its one task on the job's CPUs
    assert breakfix.thread_layout(THREADS_SCRIPT, job_cpus=16)["cpus"] == 16
    assert THREADS_FACTS["threads"] == 64 and THREADS_FACTS["AllocCPUS"] == 2


def test_an_edited_killed_record_fails_under_the_grader(capsys):
    """Q6 under ``hpclab grade``: a record whose KilledWorker names another task is not the recorded run."""
    edited = copy.deepcopy(KILLED)
    edited["output"] = edited["output"].replace(str(KILLED_FACTS["task"]), "block_stats-0")
    diagnosis = killed_diagnosis(task="block_stats-0")
    try:
        hpclab.checks.grade_with("test-token")
        breakfix.check_q6(diagnosis, read(SMALLER_BLOCKS), edited)
        assert "is not the recorded run" in capsys.readouterr().out
        breakfix.check_q6(killed_diagnosis(), read(SMALLER_BLOCKS), KILLED)
        assert capsys.readouterr().out.startswith("✅ q6 ")
    finally:
        hpclab.checks._grader_token = None


def test_killed_record_is_a_memory_kill_and_the_thresholds_are_dasks():
    """The recorded case 6 failed as the lesson says; the check's thresholds are distributed's defaults."""
    import dask  # noqa: PLC0415  with distributed below: ~1 s to import, for this test only
    import distributed  # noqa: F401, PLC0415  registers distributed's defaults in dask.config

    assert KILLED["state"] == "FAILED"
    assert (
        KILLED_FACTS["restarts"]
        == KILLED_FACTS["tries"]
        == dask.config.get("distributed.scheduler.allowed-failures") + 1
    )
    assert KILLED_FACTS["memory_limit_MB"] == 300 and KILLED_FACTS["threads"] == 1
    assert KILLED_FACTS["task"] in KILLED_FACTS["blamed"] and len(KILLED_FACTS["blamed"]) == 2
    memory = dask.config.get("distributed.worker.memory")
    assert (breakfix.PAUSE, breakfix.TERMINATE) == (memory["pause"], memory["terminate"])
    assert KILLED_FACTS["terminate_pct"] == round(100 * breakfix.TERMINATE)
