"""The one base class of every error hpclab raises on purpose.

An ``HpclabError`` is a problem the user can fix, and its message says how
(which file or setting, what was wrong, what to do). The CLI prints such errors
in one line; anything else is a bug in hpclab and keeps its traceback.

Each subclass also derives from the built-in it refines (``ValueError`` for bad
input, ``RuntimeError`` for an environment that is not as needed), so code that
catches the built-in keeps working.
"""

from __future__ import annotations


class HpclabError(Exception):
    """A problem the user can fix; the message says what to do."""


class UsageError(HpclabError, ValueError):
    """An argument, option or input value hpclab cannot use."""


class SetupError(HpclabError, RuntimeError):
    """The machine, environment or a program hpclab started is not as needed."""
