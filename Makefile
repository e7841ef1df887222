# The course's two commands, on a machine with only Python 3 and pip:
#   make lab    set everything up and start JupyterLab on 127.0.0.1
#   make test   set everything up and run every test (what CI runs)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(abspath $(VENV))/bin
# The venv first on PATH: kernels, mpiexec and dask find the right programs.
export PATH := $(BIN):$(PATH)
export JUPYTER_PLATFORM_DIRS := 1
PYTEST_ARGS ?=

.PHONY: install lab test test-fast build clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[mpich,test]'
	touch $@

install: $(VENV)/.installed

lab: install
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --no-browser --ServerApp.root_dir=$(CURDIR)

test: install
	$(BIN)/hpclab build --check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick subset for learners: no notebook runs, no clusters.
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not slurm" $(PYTEST_ARGS)

build: install
	$(BIN)/hpclab build

clean:
	rm -rf $(VENV) .pytest_cache
