"""Checks for lesson 07-dask-ml: big arrays, ParallelPostFit, GridSearchCV, a lazy R² metric."""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Any

import dask.array as da
import distributed
import numpy as np
import sklearn.model_selection
from dask_ml.model_selection import GridSearchCV
from dask_ml.wrappers import ParallelPostFit
from sklearn.metrics import r2_score

from hpclab.checks import Question, Wrong, check, plain, require, require_dask_array

LESSON = "07-dask-ml"
Q1 = Question(LESSON, "q1", "a large Dask array from copies", points=1, level=1)
Q2 = Question(LESSON, "q2", "predict block by block with ParallelPostFit", points=2, level=2)
Q3 = Question(LESSON, "q3", "GridSearchCV on the cluster", points=2, level=2)
Q4 = Question(LESSON, "q4", "a lazy R² that works on Dask arrays", points=3, level=3)
QUESTIONS = [Q1, Q2, Q3, Q4]

COPIES = 20  # Q1 and Q2: how many copies of the test set make the "large" array


@check(Q1)
def check_q1(X_big, X_test) -> str:
    """Check ``X_big``: a large Dask array of 20 copies of ``X_test`` stacked as rows, one block per copy.

    Parameters
    ----------
    X_big : dask.array.Array
        Your array, not computed.
    X_test : numpy.ndarray
        The lesson's test features.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(X_big, "X_big")
    X_big = require_dask_array(X_big, "X_big")
    n, features = X_test.shape
    if X_big.shape != (COPIES * n, features):
        raise Wrong(
            f"`X_big` has shape {X_big.shape}; {COPIES} copies of X_test stacked as rows give {(COPIES * n, features)}"
        )
    if X_big.chunks != ((n,) * COPIES, (features,)):
        raise Wrong(
            f"`X_big` is split into {X_big.numblocks} blocks; make one block per copy "
            "(da.from_array(X_test, chunks=X_test.shape)) and join them with da.concatenate"
        )
    first, last = X_big.blocks[0].compute(), X_big.blocks[-1].compute()
    if not (np.array_equal(first, X_test) and np.array_equal(last, X_test)):
        raise Wrong("the blocks of `X_big` are not copies of X_test")
    return f"{X_big.shape[0]:,} rows in {X_big.npartitions} blocks"


@check(Q2)
def check_q2(model, predicted, X_big, y_test) -> str:
    """Check ``model`` and ``predicted``: labels predicted block by block with ``ParallelPostFit``.

    ``model`` must be a ``ParallelPostFit``, and ``predicted`` a lazy Dask array computed from the blocks of
    ``X_big``, one label per row, at least 90% of them right.

    Parameters
    ----------
    model : dask_ml.wrappers.ParallelPostFit
        Your wrapped, fitted estimator.
    predicted : dask.array.Array
        Your predictions for ``X_big``, not computed.
    X_big : dask.array.Array
        The array of Q1.
    y_test : numpy.ndarray
        The true labels of ``X_test``.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(predicted, "predicted")
    if not isinstance(model, ParallelPostFit):
        raise Wrong(f"`model` is a {type(model).__name__}; wrap the scikit-learn estimator in ParallelPostFit(...)")
    predicted = require_dask_array(predicted, "predicted")
    require(X_big, "X_big")
    if predicted.shape != (X_big.shape[0],):
        raise Wrong(f"`predicted` has shape {predicted.shape}; one label per row of X_big gives ({X_big.shape[0]},)")
    if not set(X_big.__dask_graph__()) & set(predicted.__dask_graph__()):
        raise Wrong(
            "`predicted` is not computed from X_big's blocks: the labels were made elsewhere and wrapped "
            "again. Let the wrapped model predict on the Dask array itself: model.predict(X_big)"
        )
    if predicted.numblocks[0] != X_big.numblocks[0]:
        raise Wrong(
            f"`predicted` has {predicted.numblocks[0]} blocks, X_big {X_big.numblocks[0]}: call model.predict(X_big)"
        )
    labels = predicted.compute()
    truth = np.tile(y_test, len(labels) // len(y_test))
    accuracy = float(np.mean(labels == truth))
    if accuracy < 0.9:
        raise Wrong(f"only {accuracy:.1%} of the predictions are right: fit `model` on X_train, y_train first")
    return f"{len(labels):,} labels predicted block by block, {accuracy:.1%} correct"


#: The scheduler's task prefix of a batch of fits sent by joblib's Dask backend: the key is
#: ``f"{batch!r}-{uuid}"`` with ``batch_of_<function>_<n>_calls`` (``mixed_`` in front when the batch's
#: calls are not all of one function), joblib/_dask.py (joblib 1.6).
JOBLIB_FITS = re.compile(r"(?:mixed_)?batch_of__fit_and_score_(\d+)_calls")
#: dask-ml's prefix of one fit-and-score task: ``"<estimator>-fit-score"`` (dask_ml/model_selection/_search.py).
DASK_ML_FITS = "-fit-score"

#: Per scheduler, how many fits the cluster had run when the check last looked.
_fits_seen: dict[str, int] = {}
#: Searches already found to have run on the cluster, with the ``cv_results_`` of that run (kept: compared by
#: identity, and an ``id`` could be reused by a later fit's results once the first were freed).
_credited: weakref.WeakKeyDictionary[Any, object] = weakref.WeakKeyDictionary()


def _finished_by_prefix(dask_scheduler) -> dict[str, int]:
    """On the scheduler: how many tasks of each prefix have finished (reached memory), ever."""
    return {name: prefix.state_counts.get("memory", 0) for name, prefix in dask_scheduler.task_prefixes.items()}


def fits_on_cluster(client: distributed.Client) -> int:
    """How many model fits searches have run on ``client``'s cluster since it started, by task prefix.

    joblib's Dask backend (scikit-learn's ``GridSearchCV`` inside ``joblib.parallel_config(backend="dask")``)
    sends the fits in batches of n (:data:`JOBLIB_FITS`); dask-ml's ``GridSearchCV`` makes one task per fit
    (:data:`DASK_ML_FITS`).
    """
    fits = 0
    for name, finished in client.run_on_scheduler(_finished_by_prefix).items():
        batch = JOBLIB_FITS.fullmatch(name)
        if batch:
            fits += int(batch.group(1)) * finished
        elif name.endswith(DASK_ML_FITS):
            fits += finished
    return fits


def _client_of(search: object) -> distributed.Client | None:
    """The client a search ran with: dask-ml's ``scheduler=client``, else the default client, else None."""
    scheduler = getattr(search, "scheduler", None)
    if isinstance(scheduler, distributed.Client):
        return scheduler
    try:
        return distributed.default_client()
    except ValueError:  # no client in this session
        return None


def _require_ran_on_cluster(search: Any) -> None:
    """:class:`Wrong` unless the cluster ran this fitted search's fits (one per setting and fold).

    The scheduler counts finished fits, not whose they were. Each fitted search is credited once (by its
    ``cv_results_``, kept so that a later fit's results cannot take its place) with fits no check has given
    to another search yet, and takes only as many as it made: two searches fitted on the cluster before the
    first check both pass, and passing the wrong object first (the best model, say) costs nothing. The
    limit: a search fitted in this process after one fitted on the cluster, with no check in between, is
    credited with the earlier search's fits.
    """
    if _credited.get(search) is search.cv_results_:
        return
    settings = len(search.cv_results_["params"])
    fits = settings * int(search.n_splits_)
    client = _client_of(search)
    ran = 0
    if client is not None:
        scheduler_id = client.scheduler_info()["id"]
        seen = _fits_seen.get(scheduler_id, 0)
        ran = max(fits_on_cluster(client) - seen, 0)
        _fits_seen[scheduler_id] = seen + min(ran, fits)  # this search's, at most: the rest are another's
    if client is None or ran < fits:
        where = "no Dask client is running" if client is None else f"the cluster ran {ran} of them"
        raise Wrong(
            f"the search made {fits} fits ({settings} settings x {search.n_splits_} folds), but {where}: "
            "they ran in this process. Run them on the cluster: dask-ml's GridSearchCV(..., scheduler=client), "
            'or scikit-learn\'s search.fit(...) inside `with joblib.parallel_config(backend="dask"):`'
        )
    _credited[search] = search.cv_results_


@check(Q3)
def check_q3(search, param_grid, X_test, y_test) -> str:
    """Check ``search``: a fitted ``GridSearchCV`` that tried every setting of ``param_grid`` on the cluster.

    Either dask-ml's (``scheduler=client``) or scikit-learn's run inside ``joblib.parallel_config(backend="dask")``
    (or the older ``joblib.parallel_backend("dask")``). Every combination of ``param_grid`` must have been tried,
    the cluster's scheduler must have run the search's fits (one per setting and fold) since the check last
    looked, and the best model must score at least 0.95 on the held-out data.

    Parameters
    ----------
    search : dask_ml.model_selection.GridSearchCV or sklearn.model_selection.GridSearchCV
        Your search, fitted.
    param_grid : dict of str to list
        The lesson's grid of settings.
    X_test : numpy.ndarray
        The held-out features.
    y_test : numpy.ndarray
        The held-out labels.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(search, "search")
    if not isinstance(search, (GridSearchCV, sklearn.model_selection.GridSearchCV)):
        raise Wrong(
            f"`search` is a {type(search).__name__}; use GridSearchCV, dask-ml's (dask_ml.model_selection) "
            'or scikit-learn\'s (sklearn.model_selection) inside joblib.parallel_config(backend="dask")'
        )
    if not hasattr(search, "best_params_"):
        raise Wrong("`search` has not been fitted: call search.fit(X_train, y_train)")
    _require_ran_on_cluster(search)
    combinations = [dict(zip(param_grid, values)) for values in itertools.product(*param_grid.values())]
    tried = list(search.cv_results_["params"])
    missing = [c for c in combinations if c not in tried]
    if len(tried) != len(combinations) or missing:
        raise Wrong(
            f"the search tried {len(tried)} settings, {len(missing)} of param_grid's {len(combinations)} "
            "were not among them: pass param_grid unchanged"
        )
    best = {key: search.best_params_.get(key) for key in param_grid}
    if best not in combinations:
        raise Wrong(f"best_params_ {search.best_params_} is not one of the grid's settings")
    held_out = float(search.score(X_test, y_test))
    if held_out < 0.95:
        raise Wrong(
            f"the best model scores {held_out:.3f} on the held-out half; expected at least 0.95 — fit on X_train, y_train"
        )
    return f"best of {len(combinations)}: {search.best_params_}, {held_out:.3f} on held-out data"


@check(Q4)
def check_q4(r2_lazy) -> str:
    """Check ``r2_lazy``: R² = 1 - SS_res / SS_tot from Dask reductions, lazy when asked.

    Compared with ``sklearn.metrics.r2_score`` on noisy, perfect and constant predictions: with ``compute=False``
    the result must be a 0-d Dask array, with the default ``compute=True`` the number itself.

    Parameters
    ----------
    r2_lazy : callable
        Your function: ``r2_lazy(y_true, y_pred, compute=True)`` for two 1-d Dask arrays.

    Notes
    -----
    Prints the check's verdict (passed / failed / not attempted); returns None.
    """
    require(r2_lazy, "r2_lazy")
    rng = np.random.default_rng(7)
    y_true = rng.normal(size=1000)
    cases = {
        "noisy predictions": y_true + rng.normal(scale=0.5, size=1000),
        "perfect predictions": y_true.copy(),
        "always the mean": np.full(1000, y_true.mean()),
    }
    t = da.from_array(y_true, chunks=250)
    for label, y_pred in cases.items():
        lazy = r2_lazy(t, da.from_array(y_pred, chunks=250), compute=False)
        if not isinstance(lazy, da.Array):
            raise Wrong(
                f"with compute=False, r2_lazy returned a {type(lazy).__name__}; build it from Dask "
                "reductions (.sum(), .mean()) and return the lazy result"
            )
        if lazy.shape != ():
            raise Wrong(f"r2_lazy should give one number (shape ()), not shape {lazy.shape}")
        if t.name not in getattr(lazy.__dask_graph__(), "layers", {}):
            raise Wrong(
                "with compute=False, the result of r2_lazy does not depend on y_true: it was computed first and "
                "wrapped in a Dask array again. Build it from Dask reductions of the arrays themselves"
            )
        got, want = float(lazy.compute()), r2_score(y_true, y_pred)
        if not np.isclose(got, want, atol=1e-9):
            raise Wrong(f"for {label}, r2_lazy gives {got:.4f}; R² is {want:.4f} = 1 - SS_res / SS_tot")
    eager = r2_lazy(t, da.from_array(cases["noisy predictions"], chunks=250))
    if isinstance(eager, da.Array):
        raise Wrong("with the default compute=True, r2_lazy should return the computed number, not a Dask array")
    eager = plain(eager, float, "r2_lazy(y_true, y_pred)")
    if not np.isclose(eager, r2_score(y_true, cases["noisy predictions"]), atol=1e-9):
        raise Wrong(
            f"with compute=True, r2_lazy gives {eager:.4f}, but with compute=False it computes to the "
            "right R²: return the same number either way"
        )
    return "R² from two Dask sums, lazy until asked: usable as ParallelPostFit(..., scoring=r2_lazy)"
