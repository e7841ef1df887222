"""The leak check itself can fail: a tagged process left running is found."""

from __future__ import annotations

import subprocess
import sys

from tests.support import RUN_TAG, procs


def test_a_process_started_by_this_run_is_reported_until_stopped():
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert sleeper.pid in procs.leftovers(RUN_TAG, grace=0)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sleeper.pid not in procs.tagged(RUN_TAG)
