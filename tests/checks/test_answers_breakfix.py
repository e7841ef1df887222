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
GOOD_OPTIONS = {
    "PartitionTimeLimit": ["--partition=short", "--time=00:04:00"],
    "ReqNodeNotAvail": ["--exclude=node2"],
    "DependencyNeverSatisfied": [f"--dependency=afterany:{OOM['job_id']}"],
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
    lambda c: (reasons(), fixes(**{BY_REASON["ReqNodeNotAvail"]: ["--nodelist=node2"]}), PENDING),
    "drained",
    fast=True,
)
wrong(
    "q3",
    "still afterok",
    lambda c: (
        reasons(),
        fixes(**{BY_REASON["DependencyNeverSatisfied"]: [f"--dependency=afterok:{OOM['job_id']}"]}),
        PENDING,
    ),
    "afterok still waits",
    fast=True,
)


def still_pending(reason: str) -> dict:
    out = fixes()
    out[BY_REASON["ReqNodeNotAvail"]] = {
        "options": ["--exclude=node2"],
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
