"""Write lesson 13's recorded run (src/hpclab/checks/breakfix_run.py) from a live run's run.json.

The lesson writes ``results/13-break-it-fix-it/<time>/run.json`` when it ran on the
virtual cluster; the run it replays where there is no Slurm, and grades against
under ``hpclab grade``, is this file turned into a Python module (a module, not
JSON, so that it ships inside the package with no package-data settings):

    python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json

While a case is being written, ``--only CASE [CASE ...]`` takes just those cases from the
run and keeps every other case of the record as it was.
"""

import argparse
import json
import pprint
from pathlib import Path

from hpclab.checks.breakfix_run import RECORDED

TARGET = Path(__file__).resolve().parents[2] / "src" / "hpclab" / "checks" / "breakfix_run.py"
HEAD = '''"""The run of lesson 13's cases recorded on the course's virtual cluster (written by a script; do not edit).

``hpclab.checks.breakfix`` grades against it where there is no Slurm (a laptop, ``hpclab grade``'s
sandbox); the lesson replays it there. Remade from a live run of the lesson with
``python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json``.
"""

from typing import Any

'''

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("run_json", type=Path, help="a live run's results/13-break-it-fix-it/<time>/run.json")
parser.add_argument("--only", nargs="+", metavar="CASE", help="take only these cases; keep the record's others")
args = parser.parse_args()
run = json.loads(args.run_json.read_text())
if args.only:
    missing = sorted(set(args.only) - set(run))
    if missing:
        parser.error(f"{args.run_json} has no case {', '.join(missing)}; it has {', '.join(sorted(run))}")
    run = {**RECORDED, **{case: run[case] for case in args.only}}
TARGET.write_text(
    HEAD + "# fmt: off\nRECORDED: dict[str, Any] = " + pprint.pformat(run, width=110, sort_dicts=True) + "\n"
)
print(f"wrote {TARGET} from {args.run_json}: cases {', '.join(sorted(k for k in run if k != 'recorded'))}")
