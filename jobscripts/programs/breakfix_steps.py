"""Lesson 13: a long computation in steps that saves a checkpoint after each one.

Started again with the same ``--checkpoint`` file, it resumes where the last run
stopped, so a job that ran out of time is not lost: resubmit it (with a
``--time`` that covers what is left) and it finishes the work.
"""

import argparse
import json
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--steps", type=int, default=200, help="steps of the whole computation")
parser.add_argument("--seconds", type=float, default=0.5, help="time one step takes")
parser.add_argument("--checkpoint", type=Path, required=True, help="JSON file to resume from and save to")
args = parser.parse_args()

state = {"step": 0, "total": 0}
if args.checkpoint.exists():
    state = json.loads(args.checkpoint.read_text())
    print(f"resumed from step {state['step']} (checkpoint {args.checkpoint})", flush=True)
else:
    print(f"starting at step 0 of {args.steps}, {args.seconds:g} s a step", flush=True)
started = time.monotonic()
while state["step"] < args.steps:
    time.sleep(args.seconds)  # the step's work
    state["step"] += 1
    state["total"] += state["step"]
    partial = args.checkpoint.with_suffix(".tmp")
    partial.write_text(json.dumps(state))
    partial.replace(args.checkpoint)  # atomic: a kill never leaves half a checkpoint
    print(f"step {state['step']}/{args.steps} done after {time.monotonic() - started:.1f} s", flush=True)
print(f"finished: total {state['total']}")
