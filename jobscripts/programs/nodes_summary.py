"""Compare the prime counts of primes-nodes.sh: one node against all nodes of the job.

Usage: python nodes_summary.py RESULTS_DIR   (reads the *.json files primes.py --json wrote)

Prints time, speedup and efficiency per run, all from the runs' own timings,
and says what the numbers cannot show: when two "nodes" are virtual nodes of
one machine whose workers ran on the same CPUs, the larger run had more
workers but no more hardware.
"""

import json
import sys
from pathlib import Path


def load(folder: Path) -> list[dict]:
    runs = []
    for path in sorted(folder.glob("*.json")):
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            sys.exit(f"{path}: unreadable ({exc}); did that step fail? See the job's output")
        run["nodes"] = len(run["hosts"])
        # Real CPUs used: the same CPU number on the same machine is one CPU.
        run["cpus"] = len({(p["machine"], cpu) for p in run["placement"] for cpu in p["cpus"]})
        runs.append(run)
    if len(runs) < 2:
        sys.exit(f"{folder}: need the one-node and the all-nodes result, found {len(runs)}")
    counts = {run["count"] for run in runs}
    if len(counts) != 1:
        sys.exit(f"the runs disagree on the number of primes ({sorted(counts)}): a worker computed wrongly")
    return sorted(runs, key=lambda r: (r["nodes"], r["workers"]))


def main() -> None:
    runs = load(Path(sys.argv[1]))
    base = runs[0]
    print(f"{'nodes':>5} {'workers':>7} {'CPUs':>5} {'time [s]':>9} {'speedup':>8} {'efficiency':>10}")
    for run in runs:
        speedup = base["seconds"] / run["seconds"]
        efficiency = speedup / (run["workers"] / base["workers"])
        print(
            f"{run['nodes']:>5} {run['workers']:>7} {run['cpus']:>5} {run['seconds']:>9.2f} "
            f"{speedup:>8.2f} {efficiency:>10.2f}"
        )
    print(f"{base['count']} primes each time; speedup and efficiency relative to the {base['nodes']}-node run")
    best = max(base["seconds"] / r["seconds"] / (r["workers"] / base["workers"]) for r in runs)
    if best > 1.05:
        print(
            "note: an efficiency above 1 means the baseline run was slowed by something else "
            "(other work on its CPU, a cold start): the numbers are noisy, run the job again"
        )
    last = runs[-1]
    machines = {p["machine"] for p in last["placement"]}
    if len(machines) < last["nodes"]:
        print(f"note: the {last['nodes']} nodes are virtual nodes of {len(machines)} machine(s)", end="")
        if last["cpus"] < last["workers"] * base["cpus"] / base["workers"]:
            print(
                f", and their {last['workers']} workers shared {last['cpus']} real CPU(s): this measures "
                "more workers on the same CPUs, not more hardware"
            )
        else:
            print(
                f"; each worker had CPUs of its own ({last['cpus']} in all), so the comparison is fair "
                "for computing, though the network between the nodes is the machine's memory"
            )


if __name__ == "__main__":
    main()
