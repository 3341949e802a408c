# The commands of the README: `make lab` and `make test`, which install into .venv first, and `make install`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install lab check test sim-packages system-packages notebook-outputs parameter-docs clean

$(BIN)/sugarlab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Only install: sugarlab and its Python packages into .venv, and the Debian packages the simulator's
# containers need (a live lab rehearses on it first). Nothing runs.
install: $(BIN)/sugarlab sim-packages

# Install, run every notebook on the simulated cluster, and archive the run under outputs/.
lab: $(BIN)/sugarlab sim-packages
	$(BIN)/sugarlab run

# Debian packages whose programs are missing: $(call debian,programs,packages). Their services (nginx,
# sshd) are not started: a policy-rc.d that refuses (exit 101, Debian's invoke-rc.d policy interface)
# stands in place during the install where the system has none.
define debian
@missing=; for program in $(1); do [ -x $$program ] || missing=1; done; [ -z "$$missing" ] || $(SUDO) sh -c '\
  policy=/usr/sbin/policy-rc.d; if [ ! -e $$policy ]; then printf "#!/bin/sh\nexit 101\n" >$$policy; \
  chmod +x $$policy; trap "rm -f $$policy" EXIT; fi; apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null'
endef

# What the simulator's containers need: bubblewrap confines them, busybox backs busybox's applets,
# libfaketime gives them the cluster's clock, and fio runs for real in fio containers.
sim-packages:
	$(call debian,/usr/bin/bwrap /usr/bin/busybox /usr/bin/faketime /usr/bin/fio,bubblewrap busybox faketime fio)

# What the tests drive besides: sshd for the SSH hosts, chromium to load a run's pages headless, and nginx
# for the simulator's nginx image (the official client's e2e suite runs one).
system-packages: sim-packages
	$(call debian,/usr/sbin/sshd /usr/bin/chromium /usr/sbin/nginx,openssh-server chromium nginx)

# Lint, formatting, types and the import contract (.ci/check without its pytest run).
check: $(BIN)/sugarlab
	BIN=$(BIN) .ci/check --static

# Install, then the static checks, then every tier of tests/: workbook (the notebooks executed once,
# checked as nbval checks them and end to end), sim (a simulator per module), unit (no simulator) and
# live (skipped without $KUBECONFIG), a file each at a time, in the order given: the longest files first
# (tests/conftest.py), the many short unit files last to even out the workers. Three workers on two
# cores: most tests wait on a simulator or a kernel, and a third worker cut the run by a third.
# The slowest tests are listed at the end.
test: check system-packages
	$(BIN)/pytest tests/workbook tests/sim tests/unit tests/live -n 3 --dist loadfile --no-loadscope-reorder --durations=15

# Re-record the outputs the notebooks keep (the cells marked NBVAL_CHECK_OUTPUT) from the
# simulated cluster with the notebooks' default seed; every other output is stripped.
notebook-outputs: $(BIN)/sugarlab
	set -e; ws=$$(mktemp -d); trap '$(BIN)/sugarlab sim stop --workspace '"$$ws"' >/dev/null' EXIT; \
	SUGARLAB_WORKSPACE=$$ws $(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb
	$(BIN)/nbstripout --keep-count notebooks/[0-9]*.ipynb

# Write the notebooks' parameters cells and the READMEs' parameter tables from sugarlab/lab/params.py.
parameter-docs: $(BIN)/sugarlab
	$(BIN)/python -m sugarlab.app.param_docs

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
