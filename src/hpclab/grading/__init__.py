"""The instructor's grading pipeline: exercises from solutions, sandboxed runs, scores and feedback.

``hpclab build`` makes ``exercises/`` from ``solutions/``; ``hpclab grade`` scores a room of
submissions against them. Grading one submission is a chain of steps, each a module here, so
each can be read, tested and changed on its own:

- :mod:`~hpclab.grading.build`: the learner's exercise from a solution notebook (answers out,
  check cells tagged), byte-for-byte the same every time;
- :mod:`~hpclab.grading.release`: the released exercises, their questions and check cells;
- :mod:`~hpclab.grading.submissions`: the learners' files, read without trusting them;
- :mod:`~hpclab.grading.lessons`: which released lesson (and release) a submission is graded
  against, whatever its metadata claims;
- :mod:`~hpclab.grading.restore`: the released checks put back (a learner cannot delete or
  edit one), each importing its checks afresh with the run's secret token;
- :mod:`~hpclab.grading.execute`: one notebook run in a fresh kernel under a deadline, its
  output bounded;
- :mod:`~hpclab.grading.sandbox`: the confinement that kernel runs in;
- :mod:`~hpclab.grading.assess`: each question's :class:`Status` and hint from the run;
- :mod:`~hpclab.grading.results`: the rows, per submission and per room, and the scores CSV
  written as each submission finishes (``--resume`` reads it back);
- :mod:`~hpclab.grading.room`: the room graded (:func:`grade`, :func:`grade_one`,
  :func:`summary`);
- :mod:`~hpclab.grading.report`: what learners and the instructor read (feedback files, the
  room report, the gradebook);
- :mod:`~hpclab.grading.lms`: the scores as a file Canvas or Moodle imports, learners matched
  through the instructor's roster.

The ``hpclab build`` and ``hpclab grade`` commands are thin layers over these modules; this face
re-exports what they, the benchmarks and the tests call. The modules import one another by full
path (``hpclab.grading.release``), never through this face; none is named like a function it
re-exports (``grade`` is the function, ``room`` its module).
"""

from hpclab.grading.build import BuildError, build_all
from hpclab.grading.lms import Learner, RosterError, read_roster, write_lms
from hpclab.grading.release import GradeError, Release, find_release_dir, load_release
from hpclab.grading.results import FIELDS, Graded, Outcome, Row, read_csv, write_csv
from hpclab.grading.room import grade, grade_one, summary
from hpclab.grading.status import STATUSES, Status
from hpclab.grading.submissions import collect

__all__ = [
    "FIELDS",
    "STATUSES",
    "BuildError",
    "GradeError",
    "Graded",
    "Learner",
    "Outcome",
    "Release",
    "RosterError",
    "Row",
    "Status",
    "build_all",
    "collect",
    "find_release_dir",
    "grade",
    "grade_one",
    "load_release",
    "read_csv",
    "read_roster",
    "summary",
    "write_csv",
    "write_lms",
]
