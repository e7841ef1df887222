"""Lesson 13: sum blocks of data, holding more of them at once than its job asked memory for.

Each block is ``--chunk-mb`` MB of float64 (touched, so it is really resident); the
program keeps the last ``--keep`` blocks (all of them by default: the mistake) and
prints how much it holds after each one. Slurm samples the step's memory once a
second and kills it when it holds more than the job's ``--mem``.
"""

import argparse
import time

import numpy as np

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--total-mb", type=int, default=600, help="data to go through, in MB")
parser.add_argument("--chunk-mb", type=int, default=50, help="size of one block, in MB")
parser.add_argument("--keep", type=int, default=0, help="blocks kept at once (0: all of them)")
args = parser.parse_args()

blocks = args.total_mb // args.chunk_mb
keep = args.keep or blocks
print(
    f"will go through {blocks} blocks of {args.chunk_mb} MB, holding up to {min(keep, blocks) * args.chunk_mb} MB",
    flush=True,
)
held: list[np.ndarray] = []
total = 0.0
for i in range(blocks):
    block = np.ones(args.chunk_mb * 2**20 // 8)  # written, so resident (np.empty would not be)
    held = [*held, block][-keep:]
    total += float(block.sum())
    print(f"block {i + 1}/{blocks}: holding {len(held) * args.chunk_mb} MB", flush=True)
    time.sleep(0.4)  # Slurm samples memory once a second (JobAcctGatherFrequency=task=1)
print(f"done: sum {total:.0f}, at most {min(keep, blocks) * args.chunk_mb} MB held")
