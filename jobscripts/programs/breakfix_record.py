"""Write lesson 13's recorded run (src/hpclab/checks/breakfix_run.py) from a live run's run.json.

The lesson writes ``results/13-break-it-fix-it/<time>/run.json`` when it ran on the
virtual cluster; the run it replays where there is no Slurm, and grades against
under ``hpclab grade``, is this file turned into a Python module (a module, not
JSON, so that it ships inside the package with no package-data settings):

    python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json
"""

import json
import pprint
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parents[2] / "src" / "hpclab" / "checks" / "breakfix_run.py"
HEAD = '''"""The run of lesson 13's cases recorded on the course's virtual cluster (written by a script; do not edit).

``hpclab.checks.breakfix`` grades against it where there is no Slurm (a laptop, ``hpclab grade``'s
sandbox); the lesson replays it there. Remade from a live run of the lesson with
``python jobscripts/programs/breakfix_record.py results/13-break-it-fix-it/<time>/run.json``.
"""

from typing import Any

'''

run = json.loads(Path(sys.argv[1]).read_text())
TARGET.write_text(
    HEAD + "# fmt: off\nRECORDED: dict[str, Any] = " + pprint.pformat(run, width=110, sort_dicts=True) + "\n"
)
print(f"wrote {TARGET} from {sys.argv[1]}: cases {', '.join(sorted(k for k in run if k != 'recorded'))}")
