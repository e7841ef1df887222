"""Fixtures of the exercise-check tests: the inputs a table of answers (tests/support/answers.py) is made from."""

from __future__ import annotations

import pytest

from tests.support import answers


@pytest.fixture(scope="module")
def ctx(request, tmp_path_factory):
    """The inputs of this module's checks (its ``Inputs`` class), made on first use; its clusters stop at the end."""
    inputs = getattr(request.module, "Inputs", answers.Inputs)(tmp_path_factory)
    yield inputs
    inputs.close()
