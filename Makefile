# The few verbs a newcomer needs. `make run` and `make test` install what is missing.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install system-packages system-packages-test lint format check clean

run: install
	scripts/run.sh

test: install system-packages-test
	$(BIN)/ruff check src tests bench
	$(BIN)/wenku check --fail-level WARNING
	$(BIN)/wenku makemigrations --check --dry-run
	$(BIN)/pytest

install: system-packages $(STAMP)

system-packages:
	scripts/install-system-packages.sh runtime

system-packages-test:
	scripts/install-system-packages.sh test

# Debian's own interpreter with system site-packages: LibreOffice's `uno` module
# (python3-uno) only works with it, and the warm converter imports it.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || /usr/bin/python3 -m venv --system-site-packages $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format:
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

messages:
	cd src/wenku && ../../$(BIN)/wenku compilemessages

clean:
	rm -rf $(VENV) var/tmp
