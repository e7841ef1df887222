"""Project tooling: benchmarks, dependency pins, JupyterLab and kernel set-up, reference pages, the website.

None of this runs in a lesson: these modules back ``hpclab bench``, ``hpclab deps``,
``hpclab lab`` and ``hpclab kernel`` for maintainers and instructors, and the course website
(``make site``).
"""
