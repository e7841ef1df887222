"""The instructor's grading pipeline: exercises from solutions, sandboxed runs, scores and feedback.

``build`` makes ``exercises/`` from ``solutions/``; ``execute`` runs one notebook under a
deadline; ``sandbox`` confines a submission's kernel; ``grade`` scores a room of
submissions and ``report`` writes what learners and instructors read. The ``hpclab
build`` and ``hpclab grade`` commands are thin layers over these modules.
"""
