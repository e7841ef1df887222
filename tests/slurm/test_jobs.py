"""Reading a job's state from Slurm's structured output (no Slurm needed: recorded answers)."""

from __future__ import annotations

import json

from hpclab.slurm import jobs as slurmjob

# What `squeue --json` of Slurm 22.05.8 printed on the virtual cluster (fields trimmed):
# it lists every job whatever --jobs says, holds file names as given, and exit codes as wait statuses.
SQUEUE_22_05 = {
    "jobs": [
        {
            "job_id": 100,
            "job_state": "FAILED",
            "state_reason": "NonZeroExitCode",
            "exit_code": 768,
            "name": "a.sh",
            "standard_output": "",
            "current_working_directory": "/home/me/course",
            "user_name": "me",
        },
        {
            "job_id": 101,
            "job_state": "COMPLETED",
            "state_reason": "None",
            "exit_code": 0,
            "name": "b.sh",
            "standard_output": "/scratch/my results/pat-%j-%x.out",
            "current_working_directory": "/tmp",
        },
        {
            "job_id": 102,
            "job_state": "PENDING",
            "state_reason": "PartitionConfig",
            "exit_code": 0,
            "name": "c.sh",
            "standard_output": "logs/%u-%%-%j.txt",
            "current_working_directory": "/home/me",
            "user_name": "me",
        },
    ]
}
# Newer Slurm (23.02 and later) lists state flags and structured exit codes.
SQUEUE_NEWER = {
    "jobs": [
        {
            "job_id": 7,
            "job_state": ["OUT_OF_MEMORY"],
            "state_reason": "OutOfMemory",
            "exit_code": {
                "status": ["OUT_OF_MEMORY"],
                "return_code": {"set": True, "number": 0},
                "signal": {"id": {"set": True, "number": 9}},
            },
            "name": "x",
            "standard_output": "out.txt",
            "current_working_directory": "/w",
        }
    ]
}


def test_the_job_is_picked_by_id_and_its_exit_code_decoded():
    text = json.dumps(SQUEUE_22_05)
    assert slurmjob.parse_squeue_json(text, "100") == {
        "JobState": "FAILED",
        "Reason": "NonZeroExitCode",
        "ExitCode": "3:0",
        "StdOut": "/home/me/course/slurm-100.out",
    }  # Slurm's default name, in the working directory
    assert slurmjob.parse_squeue_json(text, "999") == {}


def test_output_patterns_are_expanded_and_spaces_survive():
    text = json.dumps(SQUEUE_22_05)
    assert slurmjob.parse_squeue_json(text, "101")["StdOut"] == "/scratch/my results/pat-101-b.sh.out"
    assert slurmjob.parse_squeue_json(text, "102")["StdOut"] == "/home/me/logs/me-%-102.txt"


def test_newer_slurm_state_lists_and_structured_exit_codes():
    fields = slurmjob.parse_squeue_json(json.dumps(SQUEUE_NEWER), "7")
    assert fields["JobState"] == "OUT_OF_MEMORY" and fields["ExitCode"] == "0:9"
    assert fields["StdOut"] == "/w/out.txt"


def test_a_pending_reason_that_never_clears_is_recognised_with_its_details():
    def run(argv):
        import subprocess

        if argv[0] == "squeue":
            jobs = {
                "jobs": [
                    {
                        "job_id": 5,
                        "job_state": "PENDING",
                        "exit_code": 0,
                        "name": "n",
                        "state_reason": "ReqNodeNotAvail, UnavailableNodes:node[3-4]",
                    }
                ]
            }
            return subprocess.CompletedProcess(argv, 0, json.dumps(jobs), "")
        return subprocess.CompletedProcess(argv, 0, "", "")

    try:
        slurmjob.wait(run, "5", timeout=30)
    except slurmjob.JobError as exc:
        assert "can never start (ReqNodeNotAvail, UnavailableNodes:node[3-4])" in str(exc)
    else:
        raise AssertionError("a job that can never start was waited for")
