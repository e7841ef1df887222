"""hpclab.checks.plain: a learner's answer becomes a plain built-in or NumPy value, or a hint.

Checks compare values only after plain(), so that an object whose ``==`` always says True
(:class:`~tests.support.answers.AlwaysEqual`) cannot pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.answers import AlwaysEqual


@pytest.mark.parametrize(
    "value, kind, expected",
    [
        (np.int64(3), int, 3),
        (3.0, int, 3),
        (np.array(2.5), float, 2.5),
        (np.array([7]), int, 7),
        (np.bool_(True), bool, True),
        (1, bool, True),
        (np.str_("MPICH"), str, "MPICH"),
        (np.arange(3), list, [0, 1, 2]),
        ((1, 2), set, {1, 2}),
    ],
)
def test_plain_converts_numbers_strings_and_arrays(value, kind, expected):
    from hpclab.checks import plain

    got = plain(value, kind, "x", of=int if kind in (list, set) else None)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    "value, kind",
    [
        (AlwaysEqual(), int),
        (AlwaysEqual(), float),
        (AlwaysEqual(), str),
        (AlwaysEqual(), bool),
        (True, int),
        (2.5, int),
        ("3", int),
        (None, float),
        ([1, 2], float),
        (np.array(["a"]), np.ndarray),
        ({"a": 1}, list),
    ],
)
def test_plain_refuses_anything_else_with_a_hint(value, kind):
    from hpclab.checks import Wrong, plain

    with pytest.raises(Wrong, match="`x` should be"):
        plain(value, kind, "x")


def test_plain_converts_inside_containers():
    from hpclab.checks import Wrong, plain

    assert plain({"a": np.float32(1.5)}, dict, "d", of=float) == {"a": 1.5}
    with pytest.raises(Wrong, match=r"`d\['a'\]` should be a number"):
        plain({"a": AlwaysEqual()}, dict, "d", of=float)
    with pytest.raises(Wrong, match="an item of `xs` should be a whole number"):
        plain([1, AlwaysEqual()], list, "xs", of=int)
