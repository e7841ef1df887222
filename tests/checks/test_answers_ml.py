"""Lesson 07-dask-ml's checks (hpclab.checks.ml): big arrays, ParallelPostFit, GridSearchCV, a lazy R².

Every question against a wrong answer and an alternative right one: tests/support/answers.py
says how the table works.
"""

from __future__ import annotations

import functools
import sys

import cloudpickle
import numpy as np
import pytest

from tests.support import answers
from tests.support.answers import Answers

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ANSWERS = Answers("07-dask-ml")
right, wrong = ANSWERS.right, ANSWERS.wrong


class Inputs(answers.Inputs):
    @functools.cached_property
    def digits(self):
        from sklearn import datasets
        from sklearn.model_selection import train_test_split

        self.client  # noqa: B018
        digits = datasets.load_digits()
        X = digits.images.reshape(len(digits.images), -1)
        return train_test_split(X, digits.target, test_size=0.5, random_state=0)

    @functools.cached_property
    def X_big(self):
        import dask.array as da

        X_test = self.digits[1]
        return da.concatenate([da.from_array(X_test, chunks=X_test.shape) for _ in range(20)])


def _da():
    import dask.array as da

    return da


def r2_computed_then_wrapped(y_true, y_pred, compute=True):
    """Wrong: the work is done in NumPy by scikit-learn; only the answer is made to look lazy."""
    import dask.array as da
    from sklearn.metrics import r2_score

    value = r2_score(y_true.compute(), y_pred.compute())
    return value if compute else da.from_array(np.float64(value))


def r2_from_var(y_true, y_pred, compute=True):
    r2 = 1 - ((y_true - y_pred) ** 2).mean() / y_true.var()
    return r2.compute() if compute else r2


def r2_always_computed(y_true, y_pred, compute=True):
    return float((1 - ((y_true - y_pred) ** 2).sum() / ((y_true - y_true.mean()) ** 2).sum()).compute())


def r2_wrong_total(y_true, y_pred, compute=True):
    r2 = 1 - ((y_true - y_pred) ** 2).sum() / (y_true**2).sum()
    return r2.compute() if compute else r2


def _model(c, wrap=True, numpy_first=False):
    from dask_ml.wrappers import ParallelPostFit
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = c.digits
    model = ParallelPostFit(estimator=SVC(gamma=0.001)) if wrap else SVC(gamma=0.001)
    model.fit(X_train, y_train)
    predicted = model.predict(c.X_big) if wrap else c.X_big.map_blocks(model.predict, drop_axis=1, dtype=int)
    if numpy_first:
        predicted = _da().from_array(model.predict(c.X_big.compute()), chunks=len(X_test))
    return model, predicted, c.X_big, y_test


PARAM_GRID = {"C": [1, 10], "gamma": [0.001, 0.0001]}


def _search(c, kind, tol=1e-3):
    """A search of PARAM_GRID: dask-ml's ("dask", "dask-threads", "unfitted") or scikit-learn's ("sklearn...").

    ``tol``: SVC's (its default): another value makes a search whose dask-ml task keys are not the first's.
    """
    import contextlib

    import joblib
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = c.digits
    if kind.startswith("sklearn"):
        from sklearn.model_selection import GridSearchCV
    else:
        from dask_ml.model_selection import GridSearchCV
    options = {"scheduler": "threads"} if kind == "dask-threads" else {}
    search = GridSearchCV(SVC(tol=tol), PARAM_GRID, cv=3, **options)
    # Made only when used: joblib.parallel_backend switches the backend on already when it is made.
    backend = {
        "sklearn-joblib-dask": lambda: joblib.parallel_backend("dask"),
        "sklearn-parallel-config": lambda: joblib.parallel_config(backend="dask", n_jobs=-1),
    }.get(kind, contextlib.nullcontext)()
    if kind != "unfitted":
        with backend:
            search.fit(X_train, y_train)
    return search, PARAM_GRID, X_test, y_test


def _checked_after(c, first):
    """A dask-ml search on the cluster, after the check looked at something else first.

    ``first="the best model"``: the check was run on the search's best model (a mistake it refuses) before the
    search; ``first="another search"``: two searches were fitted on the cluster before the check looked at either.
    """
    import contextlib

    from hpclab.checks import Wrong, ml

    search, grid, X_test, y_test = _search(c, "dask")
    if first == "the best model":
        with contextlib.suppress(Wrong):
            ml.check_q3.__wrapped__(search.best_estimator_, grid, X_test, y_test)
    else:
        # Another search: an identical one has the same task keys, and the scheduler would not run its fits
        # again while the first's results are still in memory (a race the check rightly counts as no fits).
        second = _search(c, "dask", tol=1e-4)
        ml.check_q3.__wrapped__(search, grid, X_test, y_test)  # raises Wrong if the first is refused
        search = second[0]
    return search, grid, X_test, y_test


right(
    "q1",
    "one list repeated",
    lambda c: (_da().concatenate([_da().from_array(c.digits[1], chunks=c.digits[1].shape)] * 20), c.digits[1]),
)
wrong(
    "q1",
    "stacked in NumPy, chunked by Dask",
    lambda c: (_da().from_array(np.vstack([c.digits[1]] * 20)), c.digits[1]),
    "make one block per copy",
)
right("q2", "ParallelPostFit(estimator=...)", _model)
wrong("q2", "predicted in NumPy, wrapped again", lambda c: _model(c, numpy_first=True), "is not computed from X_big")
wrong("q2", "a bare SVC mapped over the blocks", lambda c: _model(c, wrap=False), "wrap the scikit-learn estimator")
right("q3", "three folds", lambda c: _search(c, "dask"))
wrong("q3", "scikit-learn's GridSearchCV in this process", lambda c: _search(c, "sklearn"), "they ran in this process")
right("q3", "scikit-learn's inside joblib.parallel_backend('dask')", lambda c: _search(c, "sklearn-joblib-dask"))
right("q3", "scikit-learn's inside joblib.parallel_config", lambda c: _search(c, "sklearn-parallel-config"))
wrong("q3", "dask-ml's on the threaded scheduler", lambda c: _search(c, "dask-threads"), "the cluster ran 0 of them")
wrong("q3", "never fitted", lambda c: _search(c, "unfitted"), "has not been fitted")
right("q3", "checked first with its best model by mistake", lambda c: _checked_after(c, "the best model"))
right("q3", "two searches on the cluster, then the check on each", lambda c: _checked_after(c, "another search"))
right("q4", "mean squared error over the variance", lambda c: (r2_from_var,))
wrong("q4", "always computes", lambda c: (r2_always_computed,), "with compute=False, r2_lazy returned a float")
wrong(
    "q4",
    "scikit-learn on computed arrays, wrapped in a Dask array",
    lambda c: (r2_computed_then_wrapped,),
    "computed first and wrapped",
)
wrong("q4", "total sum of squares not centred", lambda c: (r2_wrong_total,), "= 1 - SS_res / SS_tot")


# =========================================================================== the tests


def test_every_question_has_a_wrong_and_a_right_answer():
    assert not ANSWERS.missing(), "\n".join(ANSWERS.missing())


@pytest.mark.parametrize("case", ANSWERS.params())
def test_check_verdict(case, ctx, capsys):
    ANSWERS.assert_verdict(case, ctx, capsys)
