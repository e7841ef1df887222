"""Read the pi scaling results (ranks-N.txt files) and print a scaling table.

Usage: python scaling_summary.py RESULTS_DIR
"""

import re
import sys
from pathlib import Path

from hpclab.scaling import table

PATTERN = re.compile(r"on (\d+) ranks in ([\d.]+) s")


def main() -> None:
    folder = Path(sys.argv[1])
    times = {}
    for path in sorted(folder.glob("ranks-*.txt")):
        match = PATTERN.search(path.read_text())
        if match is None:
            sys.exit(f"{path}: no 'on N ranks in T s' line; did that array task fail? See {folder}/task-*.out")
        times[int(match.group(1))] = float(match.group(2))
    if not times:
        sys.exit(f"no ranks-*.txt files in {folder}")
    print(table(dict(sorted(times.items())), label="ranks"))


if __name__ == "__main__":
    main()
