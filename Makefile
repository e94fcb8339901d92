# `make run` starts the platform locally; `make test` runs the whole suite. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS := admin:admin

.PHONY: install run test chaos lint clean

$(BIN)/integrations: requirements.txt requirements-browser.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-browser.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(BIN)/integrations

tests/servers/oauth2/node_modules: tests/servers/oauth2/package-lock.json
	cd tests/servers/oauth2 && npm ci --no-audit --no-fund --silent
	touch $@

# the demo starts live: DAGs unpaused at creation, and a first Shopify order sent once the receiver answers
run: install
	AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=$${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False} \
	DEMO_EVENTS=$${DEMO_EVENTS:-1} ./include/demo/run.sh

test: install tests/servers/oauth2/node_modules
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

# Real faults against a running platform (docs/reliability.md); fills that page's table. Not part of `test`: minutes.
chaos: install
	$(BIN)/python -m pytest -m chaos tests/chaos -v

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:  # stops an embedded PostgreSQL a killed `make run` left behind, then removes its data with the rest
	-test ! -x $(BIN)/python || $(BIN)/python -m connectors.devserver stop-postgres $(AIRFLOW_HOME)/postgres
	rm -rf $(VENV) $(AIRFLOW_HOME)
