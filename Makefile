# NPQ Observatory. `make run` builds everything on the embedded data; `make test` tests it.
# Needs only Python 3.11 and make: the environment is created from uv.lock on first use.

PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
SYNCED := $(VENV)/.synced
DAGSTER_HOME := $(CURDIR)/.dagster_home
RUN := $(VENV)/bin/python

export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_LINK_MODE := copy
export UV_PYTHON_DOWNLOADS := never

.PHONY: help run test dev daemon notebooks lint format clean bench mutation

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: $(SYNCED) $(DAGSTER_HOME)/dagster.yaml ## Build every asset on the embedded data and publish marts + charts
	DAGSTER_HOME=$(DAGSTER_HOME) $(RUN) -m pipelines.cli run

test: $(SYNCED) ## Run the whole test suite (unit, materialisation, notebooks) on every core
	$(VENV)/bin/pytest -n auto --dist loadfile

PORT ?= 3000
dev: $(SYNCED) $(DAGSTER_HOME)/dagster.yaml ## Open the Dagster UI on http://127.0.0.1:3000 (Ctrl-C stops)
	DAGSTER_HOME=$(DAGSTER_HOME) VIRTUAL_ENV=$(CURDIR)/$(VENV) $(RUN) -m pipelines.serve \
		$(VENV)/bin/dg dev -h 127.0.0.1 -p $(PORT)

daemon: $(SYNCED) $(DAGSTER_HOME)/dagster.yaml ## Run schedules and sensors without the UI (Ctrl-C stops)
	@DAGSTER_HOME=$(DAGSTER_HOME) $(RUN) -m pipelines.automation
	DAGSTER_HOME=$(DAGSTER_HOME) $(RUN) -m pipelines.serve \
		$(VENV)/bin/dagster-daemon run -w workspace.yaml

notebooks: $(SYNCED) ## Open Jupyter on notebooks/ with the project's kernel (make run first)
	$(VENV)/bin/jupytext --to ipynb --update --quiet notebooks/[0-9]*.py
	$(RUN) -m pipelines.serve $(VENV)/bin/jupyter lab --ip 127.0.0.1 --notebook-dir notebooks \
		--allow-root --ServerApp.open_browser=False

BENCH_ARGS ?=
bench: $(SYNCED) ## Time the record-level pipeline against its floor and pandas (BENCH_ARGS=...)
	$(RUN) -m pipelines.bench.run $(BENCH_ARGS)

MUTATE ?=
mutation: $(SYNCED) ## Mutation-test the riskiest modules with their unit tests (MUTATE=module.py ...)
	$(RUN) -m pipelines.mutation $(MUTATE)

lint: $(SYNCED) ## Check code style with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(SYNCED) ## Reformat code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean: ## Remove the environment and everything generated (keeps data/raw)
	rm -rf $(VENV) $(TOOLS) $(DAGSTER_HOME) data/work build
	find data/marts -mindepth 1 ! -name README.md -exec rm -rf {} +

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: instance/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp instance/dagster.yaml $@
