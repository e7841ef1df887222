import importlib
import inspect
import pkgutil

import pytest

import hpclab
from hpclab import cli
from hpclab.errors import HpclabError


def _hpclab_exception_classes():
    for info in pkgutil.walk_packages(hpclab.__path__, "hpclab."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and not issubclass(obj, Warning) and obj.__module__ == info.name:
                yield obj


# Exercise checks signal a learner's answer, not an error of hpclab's: they stay apart on purpose.
ANSWER_SIGNALS = {"NotAttempted", "Wrong"}


def test_every_hpclab_exception_derives_from_hpclab_error():
    classes = [cls for cls in _hpclab_exception_classes() if cls.__name__ not in ANSWER_SIGNALS]
    assert len(classes) >= 8
    strays = [f"{cls.__module__}.{cls.__name__}" for cls in classes if not issubclass(cls, HpclabError)]
    assert strays == []


def test_cli_prints_our_errors_in_one_line_and_exits_2(capsys):
    assert cli.main(["vcluster", "exec", "--"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hpclab vcluster: usage: hpclab vcluster exec") and err.count("\n") == 1


def test_cli_lets_a_bug_keep_its_traceback(monkeypatch):
    def broken(args):
        raise ValueError("a bug inside hpclab, not the user's mistake")

    monkeypatch.setattr(cli, "_build", broken)
    with pytest.raises(ValueError, match="a bug inside hpclab"):
        cli.main(["build"])
