# make demo: set everything up and run dynolint on the bundled example project.
# make test: set everything up and run the test suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed
NODE_STAMP := node_modules/.installed

.PHONY: demo test check fuzz bench ecosystem clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $@

# make demo needs only dynolint and what the example project imports (boto3, requests);
# make test installs the test tools on top of it.
$(DEMO_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[demo]' --config-settings editable_mode=compat
	touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The race part of the demo runs the handlers against dynalite (node_modules). It works on
# temporary copies of fixtures/demo: nothing in the checkout is written.
demo: $(DEMO_STAMP) $(NODE_STAMP)
	@$(PY) scripts/demo.py

# The tests run on every CPU (pytest-xdist); a worker that runs out of tests takes some of the other's
# (--dist worksteal: a file per worker left one worker busy a minute longer than the other; a module
# fixture may then be built on both),
# after mypy (make check: the package type-checks under the strict settings of pyproject.toml).
# The package is byte-compiled first, as pip compiles an installed one: the tests start dynolint
# in hundreds of processes, and where PYTHONDONTWRITEBYTECODE is set each would compile its
# sources again (about 0.45 s of CPU a process).
test: $(STAMP) $(NODE_STAMP)
	$(PY) -m mypy
	$(PY) -m compileall -q dynolint
	$(PY) -m pytest -n auto --dist worksteal

# make fuzz: the fuzz and metamorphic tests with many more examples (DYNOLINT_FUZZ_EXAMPLES,
# default 2000 here; `make test` runs them with a few dozen), the kill -9 soak of
# tests/test_hardening_io.py with all its kills, and the tests that run a tool over every fixture
# project (SARIF validation, ruff on fixed code, sparse-parse fix edits; `make test`: every second one),
# and the statement budget of tests/test_budget_warning.py at its real size (`make test`: lowered).
fuzz: $(STAMP)
	DYNOLINT_FUZZ_EXAMPLES=$${DYNOLINT_FUZZ_EXAMPLES:-2000} $(PY) -m pytest tests/test_fuzz.py tests/test_budget_warning.py tests/test_fuzz_tree.py tests/test_metamorphic.py tests/test_discovery_gitignore.py tests/test_hardening_io.py tests/test_sarif.py tests/test_fix_style.py tests/test_fix_fixtures.py tests/test_focused_runs.py tests/test_speed_invariants.py -p no:cacheprovider -s

check: $(STAMP)
	$(PY) -m mypy

# make bench: the speed benchmark (bench/README.md). It downloads moto, ruff and bandit into the
# git-ignored bench/corpora/ and takes a while; BENCH_ARGS="--runs 1" for a quick look.
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

# make ecosystem: dynolint over the real repositories of ../shared/ecosystem/repos.tsv at their commits,
# materialised from git mirrors (ECOSYSTEM_MIRRORS, default /work/.mirror) into a folder outside this
# repository (ECOSYSTEM_CHECKOUTS, default $XDG_CACHE_HOME/dynolint-ecosystem); prints files, time, memory, findings by rule, the difference from
# ecosystem/last-run.json and precision per family from ecosystem/triage.json. Not part of `make test`.
# ECOSYSTEM_ARGS="--update" records the run; "--only celery" picks repositories.
ecosystem: $(STAMP)
	$(PY) ecosystem/run.py $(ECOSYSTEM_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .dynolint_cache
