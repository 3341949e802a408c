# The two commands of the README: `make lab` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: lab test system-packages notebook-outputs clean

$(BIN)/sugarlab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Install, run every notebook on the simulated cluster, and archive the run under outputs/.
lab: $(BIN)/sugarlab
	$(BIN)/sugarlab run

# Real programs some tests drive on this machine (Debian packages): sshd for the SSH hosts, fio for
# the simulator's fio containers (without it they are modelled and the test of real runs is skipped),
# bubblewrap, busybox and faketime for the simulator's containers (bwrap confines them, busybox backs
# busybox's applets, libfaketime gives them the cluster's clock).
system-packages:
	@[ -x /usr/sbin/sshd ] && [ -x /usr/bin/fio ] && [ -x /usr/bin/bwrap ] && [ -x /usr/bin/busybox ] && [ -x /usr/bin/faketime ] || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openssh-server fio bubblewrap busybox faketime >/dev/null; }

# Install, then run every check: package and simulator tests, the notebooks under nbval, and the
# end-to-end Papermill run.
test: $(BIN)/sugarlab system-packages
	$(BIN)/pytest tests notebooks --nbval-lax --nbval-current-env

# Re-record the outputs the notebooks keep (the cells marked NBVAL_CHECK_OUTPUT) from the
# simulated cluster with the notebooks' default seed; every other output is stripped.
notebook-outputs: $(BIN)/sugarlab
	set -e; ws=$$(mktemp -d); trap '$(BIN)/sugarlab sim stop --workspace '"$$ws"' >/dev/null' EXIT; \
	SUGARLAB_WORKSPACE=$$ws $(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb
	$(BIN)/nbstripout --keep-count notebooks/[0-9]*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
