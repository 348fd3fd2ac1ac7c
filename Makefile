# Lead-qualification assistant. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

RASA_ENV := .venvs/rasa
ACTIONS_ENV := .venvs/actions
RASA := $(RASA_ENV)/bin/rasa
PY := $(ACTIONS_ENV)/bin/python
MODEL := models/leadbot.tar.gz
TRAINING_INPUTS := config.yml bot/domain.yml $(shell find bot/data -name '*.yml' 2>/dev/null)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export TQDM_DISABLE := 1

.PHONY: help run test shell train envs env migrate lint format validate test-unit test-stories test-e2e lock
.PHONY: check preview-score test-dialogues test-marketer actions test-rasa-cli

help:
	@echo "Everyday"
	@echo "  make run              start the assistant (Rasa, action server, dispatcher, demo page) on the newest model in models/"
	@echo "  make shell            talk to the bot in the terminal (starts the action server for you)"
	@echo "  make actions          only the action server, in the foreground, as \`rasa run actions\` would run it"
	@echo "  make train            retrain the model when training data, domain or config changed"
	@echo "  make production       two Rasa and two action servers behind nginx, PostgreSQL and Redis (docs/production.md)"
	@echo "Marketers (docs/marketers.md)"
	@echo "  make check            check the files marketers edit; each mistake with file, line and fix"
	@echo "  make preview-score ANSWERS=\"need=defined budget=planned\" [POLICY=file] [ALL=1]  try a scoring policy"
	@echo "  make test-dialogues   replay the recorded conversations and say in plain words what broke"
	@echo "Tests (CONTRIBUTING.md)"
	@echo "  make test             every suite below, then the dependency audit"
	@echo "  make lint             ruff check and format check"
	@echo "  make types            mypy over bot, integrations, scripts and bench"
	@echo "  make format           format and lint-fix with ruff"
	@echo "  make validate         rasa data validate on the project's files"
	@echo "  make test-unit        unit tests (tests/unit)"
	@echo "  make test-stories     the recorded dialogue tests (same as test-dialogues)"
	@echo "  make test-rasa-cli    Rasa's own commands from the root: data validate, train, test, shell, make actions, make run"
	@echo "  make test-e2e         whole conversations through real stacks, held-out accuracy (tests/e2e)"
	@echo "  make test-faults      faults injected into a real stack (tests/faults)"
	@echo "  make test-marketer    every documented marketer edit on a copy of the project (tests/marketer)"
	@echo "  make test-browser     the widget in headless Chromium (tests/browser)"
	@echo "  make test-production  the production mode's tests (tests/production)"
	@echo "  make audit            pip-audit over the pinned packages (reports, never fails)"
	@echo "Set-up"
	@echo "  make envs             build the two environments (.venvs/rasa, .venvs/actions) from the lock files"
	@echo "  make env              create .env with random tokens and secrets where they are missing"
	@echo "  make migrate          bring the lead database to the newest schema"
	@echo "  make lock             re-resolve requirements/*.in into the exact-pinned *.lock files"
	@echo "  make help             this list"

envs: $(RASA_ENV)/.complete $(ACTIONS_ENV)/.complete

$(RASA_ENV)/.complete: requirements/rasa.lock requirements/tools.lock pyproject.toml .python-version
	@scripts/ensure_venv.sh rasa requirements/rasa.lock

$(ACTIONS_ENV)/.complete: requirements/actions.lock requirements/dev.lock requirements/tools.lock pyproject.toml .python-version
	@scripts/ensure_venv.sh actions requirements/dev.lock

env: $(ACTIONS_ENV)/.complete
	@$(PY) scripts/ensure_env.py

migrate: env
	@$(PY) -m integrations.store.migrate

train: $(MODEL)

$(MODEL): $(RASA_ENV)/.complete $(TRAINING_INPUTS)
	@echo "==> training the model (about a minute; log in var/train.log)"
	@mkdir -p var
	@start=$$(date +%s); \
	if ! $(RASA) train --config config.yml --domain bot/domain.yml --data bot/data --out models \
	    --fixed-model-name leadbot > var/train.log 2>&1; then \
	  grep -v -E "Warning|warn\(|Epochs|^\s*$$" var/train.log | tail -30; echo "training failed"; exit 1; fi; \
	echo "    trained in $$(( $$(date +%s) - start ))s"
	@touch $(MODEL)

run: envs env migrate train
	@$(PY) scripts/run.py

shell: envs env migrate train
	@$(PY) scripts/run.py --shell

# the action server alone, as `rasa run actions` would start it; port, token and database from .env
actions: envs env migrate
	@$(PY) scripts/run.py --actions

# two Rasa servers and two action servers behind nginx, PostgreSQL and Redis (docs/production.md)
.PHONY: production
production: envs env train
	@scripts/ensure_nginx.sh
	@$(PY) integrations/runtime/production.py

validate: $(RASA_ENV)/.complete
	@echo "==> rasa data validate"
	@$(RASA) data validate --config config.yml --domain bot/domain.yml --data bot/data > var/validate.log 2>&1 \
	  || { grep -v -E "is not used in any story|Warning|warn\(" var/validate.log | tail -30; exit 1; }
	@echo "    no errors"

# mypy over the product's code (config in pyproject.toml)
.PHONY: types
types: $(ACTIONS_ENV)/.complete
	$(ACTIONS_ENV)/bin/mypy

lint: $(ACTIONS_ENV)/.complete
	$(ACTIONS_ENV)/bin/ruff check .
	$(ACTIONS_ENV)/bin/ruff format --check .

format: $(ACTIONS_ENV)/.complete
	$(ACTIONS_ENV)/bin/ruff format .
	$(ACTIONS_ENV)/bin/ruff check --fix .

test-unit: $(ACTIONS_ENV)/.complete
	$(PY) -m pytest tests/unit

test-stories: test-dialogues

test-e2e: envs train
	$(PY) -m pytest tests/e2e

.PHONY: test-browser
test-browser: envs train
	@scripts/ensure_chromium.sh
	$(PY) -m pytest tests/browser

# the production mode (nginx, two Rasa and two action servers, PostgreSQL, Redis) under test
.PHONY: test-production
test-production: envs train
	@scripts/ensure_nginx.sh
	@scripts/ensure_chromium.sh
	$(PY) -m pytest tests/production

# Rasa's own commands run from the repository root, for real (tests/rasa_cli)
test-rasa-cli: envs train
	$(PY) -m pytest tests/rasa_cli

test: envs lint types check test-unit train test-dialogues test-rasa-cli test-e2e test-faults test-marketer test-browser test-production audit

lock:
	scripts/lock.sh

# ---- marketers (docs/marketers.md): check an edit, try a scoring policy, replay the recorded conversations
check: $(RASA_ENV)/.complete
	@$(RASA_ENV)/bin/python scripts/check_project.py

preview-score: $(ACTIONS_ENV)/.complete
	@$(PY) scripts/preview_score.py $(ANSWERS) $(if $(POLICY),--policy $(POLICY)) $(if $(ALL),--all)

test-dialogues: envs train
	@$(RASA_ENV)/bin/python scripts/test_dialogues.py

# every kind of marketer edit applied to a copy of the project, checked, trained and talked to (< 5 min)
test-marketer: envs
	$(PY) -m pytest tests/marketer

# ---- security: known vulnerabilities in the pinned dependencies (reports; never fails on findings)
.PHONY: audit
audit: $(ACTIONS_ENV)/.complete
	@scripts/audit.sh

# faults injected into a real stack (action server and Rasa stopped, lead database locked, floods)
.PHONY: test-faults
test-faults: envs train
	$(PY) -m pytest tests/faults
